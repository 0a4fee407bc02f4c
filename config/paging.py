"""A paginator that gets a page and the total number of rows in one query."""

from django.core.paginator import EmptyPage, PageNotAnInteger, Paginator
from django.db.models import Count, Window

TOTAL = "paging_total"


class OneQueryPaginator(Paginator):
    """Reads the page with ``COUNT(*) OVER ()``, so the total comes with the rows.

    Django's ``Paginator`` counts first, then fetches the page: two passes over
    every match. When the database has to read every match anyway (ranking
    full-text hits, sorting by a joined column), one pass does both and the
    page costs about half. Where the order comes from an index and ``LIMIT``
    stops early (newest first), the plain ``Paginator`` is the cheaper one.
    A page past the end falls back to counting, then to the last page as usual.
    """

    def __init__(self, object_list, per_page, **kwargs):
        if kwargs.get("orphans"):
            raise ValueError("OneQueryPaginator does not merge orphans.")
        super().__init__(object_list, per_page, **kwargs)

    def get_page(self, number):
        """Like ``Paginator.get_page`` (not a number: the first page; out of range: the last)."""
        try:
            return self.page(number)
        except PageNotAnInteger:
            return self.page(1)
        except EmptyPage:
            return self.page(self.num_pages)

    def page(self, number):
        if "count" not in self.__dict__:
            try:
                if isinstance(number, float) and not number.is_integer():
                    raise ValueError
                wanted = int(number)
            except (TypeError, ValueError):
                raise PageNotAnInteger(self.error_messages["invalid_page"]) from None
            if wanted < 1:
                raise EmptyPage(self.error_messages["min_page"])
            bottom = (wanted - 1) * self.per_page
            rows = list(self.object_list.annotate(**{TOTAL: Window(Count("pk"))})[bottom : bottom + self.per_page])
            if rows:
                self.__dict__["count"] = getattr(rows[0], TOTAL)  # Paginator.count is a cached_property
                return self._get_page(rows, wanted, self)
        return super().page(number)
