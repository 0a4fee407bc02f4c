"""The badges template tags: what the cards, gig pages and profiles show of a person and a seller's stats."""

from decimal import Decimal

import pytest
from django.template import engines

from accounts.models import User
from marketplace.models import SellerLevel, SellerStats


def render(source, **context):
    return engines["django"].from_string("{% load badges %}" + source).render(context)


def test_rating_summary_counts_reviews_and_rounds_half_up():
    one = SellerStats(rating_avg=Decimal("4.85"), rating_count=1)
    html = render("{% rating_summary s %}", s=one)
    assert 'aria-label="Rated 4.9 out of 5 from 1 review"' in html and "<strong>4.9</strong>" in html
    assert '<span class="muted">(1)</span>' in html
    many = SellerStats(rating_avg=Decimal("5.00"), rating_count=12)
    assert '<span class="muted">(12 reviews)</span>' in render("{% rating_summary s long=True %}", s=many)
    assert render("{% rating_summary s %}", s=SellerStats()) == '<span class="rating muted">No reviews yet</span>'
    assert render("{% rating_summary s %}", s=None) == '<span class="rating muted">No reviews yet</span>'


@pytest.mark.parametrize(
    ("level", "html"),
    [
        (SellerLevel.TOP_RATED, '<span class="pill level level-top" title="Seller level">Top rated</span>'),
        (SellerLevel.LEVEL_TWO, '<span class="pill level level-two" title="Seller level">Level two</span>'),
        (SellerLevel.LEVEL_ONE, '<span class="pill level level-one" title="Seller level">Level one</span>'),
        (SellerLevel.NEW, '<span class="pill level" title="Seller level">New seller</span>'),
    ],
)
def test_level_pill(level, html):
    assert render("{% level_pill s %}", s=SellerStats(level=level)) == html


def test_level_pill_without_stats_is_a_new_seller():
    assert "New seller" in render("{% level_pill s %}", s=None)


def test_avatar_initials_and_name_are_escaped():
    person = User(pk=7, email="x@example.com", display_name="<b>Ann</b> Lee")
    html = render('{% avatar p "sm" %}', p=person)
    assert html == '<span class="avatar sm initials" aria-hidden="true">&lt;L</span>'
    person.avatar = "avatars/7.png"
    html = render("{% avatar p %}", p=person)
    assert html == (
        '<img class="avatar " src="/users/7/avatar" alt="&lt;b&gt;Ann&lt;/b&gt; Lee" width="48" height="48">'
    )
