"""config.paging.OneQueryPaginator: same pages as Django's Paginator, the total from the page's own query."""

import pytest
from django.core.paginator import EmptyPage, Paginator

from config.paging import OneQueryPaginator
from marketplace.models import Category

pytestmark = pytest.mark.django_db


@pytest.fixture
def rows():
    parent = Category.objects.create(name="Paging root", slug="paging-root")
    for i in range(7):
        Category.objects.create(name=f"Paging {i}", slug=f"paging-{i}", parent=parent)
    return Category.objects.filter(parent=parent).order_by("slug")


@pytest.mark.parametrize("number", [1, 2, 3, "2", None, "x", 0, -1, 4, 99, "2.5"])
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
