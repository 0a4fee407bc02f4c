"""config.paging: OneQueryPaginator gives the pages Django's Paginator gives, the total from the page's own query;
after_row walks rows in keyset order."""

import pytest
from django.core.paginator import EmptyPage, Paginator
from django.db import connection

from config.paging import OneQueryPaginator, after_row, in_ids
from marketplace.models import Category

pytestmark = pytest.mark.django_db


@pytest.fixture
def rows():
    parent = Category.objects.create(name="Paging root", slug="paging-root")
    for i in range(7):
        Category.objects.create(name=f"Paging {i}", slug=f"paging-{i}", parent=parent)
    return Category.objects.filter(parent=parent).order_by("slug")


ODD_PAGES = ["9223372036854775807", "9223372036854775808", "99999999999999999999999999", "1e400", "١٢٣", "\x00"]


@pytest.mark.parametrize("number", [1, 2, 3, "2", None, "x", 0, -1, 4, 99, "2.5", *ODD_PAGES])
def test_it_gives_the_page_django_gives(rows, number):
    ours, theirs = OneQueryPaginator(rows, 3).get_page(number), Paginator(rows, 3).get_page(number)
    assert ours.number == theirs.number
    assert [c.slug for c in ours] == [c.slug for c in theirs]
    assert (ours.paginator.count, ours.paginator.num_pages) == (7, 3)
    assert (ours.has_next(), ours.has_previous()) == (theirs.has_next(), theirs.has_previous())


def test_a_page_in_range_and_its_total_cost_one_query(rows, django_assert_num_queries):
    with django_assert_num_queries(1):
        page = OneQueryPaginator(rows, 3).get_page(2)
        assert [c.slug for c in page] == ["paging-3", "paging-4", "paging-5"]
        assert page.paginator.count == 7 and page.end_index() == 6


def test_nothing_matched_is_an_empty_first_page(rows):
    page = OneQueryPaginator(rows.filter(slug="none"), 3).get_page(5)
    assert page.number == 1 and list(page) == [] and page.paginator.count == 0
    with pytest.raises(EmptyPage):
        OneQueryPaginator(rows.filter(slug="none"), 3, allow_empty_first_page=False).page(1)


def test_orphans_are_refused(rows):
    with pytest.raises(ValueError):
        OneQueryPaginator(rows, 3, orphans=1)


def test_after_row_is_the_rows_strictly_after_a_key_in_that_order(rows):
    """A walk in (position, slug) batches of 2 visits each row once, in order, ties on position included."""
    rows.filter(slug__in=["paging-1", "paging-2", "paging-3"]).update(position=5)
    expected = list(rows.order_by("position", "slug").values_list("position", "slug"))
    seen, last = [], None
    while True:
        page = rows.order_by("position", "slug")
        if last is not None:
            page = page.filter(after_row(("position", "slug"), last))
        batch = list(page.values_list("position", "slug")[:2])
        if not batch:
            break
        seen += batch
        last = batch[-1]
    assert seen == expected and len(seen) == 7


def test_after_row_is_one_row_comparison_where_the_database_has_them(rows):
    """PostgreSQL gets the row comparison its indexes can start from; elsewhere Django spells it out."""
    sql = str(rows.filter(after_row(("position", "id"), (1, 2))).query)
    row_comparison = '("marketplace_category"."position", "marketplace_category"."id") > (1, 2)' in sql
    assert row_comparison == connection.features.supports_tuple_lookups
    assert row_comparison == (connection.vendor == "postgresql")


def test_in_ids_matches_what_pk_in_matches_with_one_parameter_on_postgresql(rows, django_assert_num_queries):
    ids = list(rows.values_list("pk", flat=True))[1:5] + [10**12]
    assert list(rows.filter(in_ids("pk", ids))) == list(rows.filter(pk__in=ids))
    sql, params = rows.filter(in_ids("pk", ids)).query.sql_with_params()
    if connection.vendor == "postgresql":
        assert '"marketplace_category"."id" = ANY(%s::bigint[])' in sql and list(params[-1]) == ids
    else:
        assert f'"marketplace_category"."id" IN ({", ".join(["%s"] * len(ids))})' in sql
    with django_assert_num_queries(0):
        assert list(rows.filter(in_ids("pk", []))) == []
    assert rows.filter(in_ids("pk", ids)).update(position=9) == 4
