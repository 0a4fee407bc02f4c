"""Seller levels: one rule (models.LEVEL_RULES), fed by the orders app through seller_stats_update."""

from decimal import Decimal

import pytest
from django.core.paginator import Paginator
from django.urls import reverse

from marketplace import services
from marketplace.exceptions import InvalidInput
from marketplace.models import SellerLevel, SellerStats, level_for

from .conftest import login


@pytest.mark.parametrize(
    ("completed", "on_time", "rating", "count", "level"),
    [
        (0, 0, None, 0, SellerLevel.NEW),
        (4, 4, "5.00", 4, SellerLevel.NEW),  # too few orders
        (5, 5, "4.40", 5, SellerLevel.LEVEL_ONE),
        (5, 5, "4.39", 5, SellerLevel.NEW),  # rating just below
        (10, 8, "5.00", 9, SellerLevel.NEW),  # 80% on time
        (10, 9, "4.50", 9, SellerLevel.LEVEL_ONE),
        (25, 23, "4.60", 20, SellerLevel.LEVEL_TWO),
        (25, 22, "4.90", 20, SellerLevel.NEW),  # 88% on time misses every level
        (30, 27, "4.90", 20, SellerLevel.LEVEL_TWO),
        (99, 99, "5.00", 90, SellerLevel.LEVEL_TWO),  # one order short of top rated
        (100, 95, "4.70", 80, SellerLevel.TOP_RATED),
        (100, 94, "4.90", 80, SellerLevel.LEVEL_TWO),  # 94% on time
        (300, 299, "4.69", 250, SellerLevel.LEVEL_TWO),
        (50, 50, "5.00", 0, SellerLevel.NEW),  # no ratings yet
    ],
)
def test_level_rule(completed, on_time, rating, count, level):
    rating = Decimal(rating) if rating is not None else None
    assert level_for(orders_completed=completed, orders_on_time=on_time, rating_avg=rating, rating_count=count) == level


@pytest.mark.django_db
def test_stats_update_stores_numbers_and_recomputes_the_level(seller):
    stats = services.seller_stats_update(
        seller=seller, orders_completed=120, orders_on_time=118, rating_avg=Decimal("4.856"), rating_count=97
    )
    assert stats.rating_avg == Decimal("4.86") and stats.level == SellerLevel.TOP_RATED
    assert services.is_top_rated(seller) and services.is_top_rated(seller.pk)
    services.seller_stats_update(
        seller=seller, orders_completed=120, orders_on_time=100, rating_avg="4.86", rating_count=97
    )
    stats = SellerStats.objects.get(seller=seller)
    assert stats.level == SellerLevel.NEW and not services.is_top_rated(seller)
    assert stats.on_time_percent == 83
    services.seller_stats_update(seller=seller, orders_completed=20, orders_on_time=19, rating_avg=5, rating_count=9)
    assert SellerStats.objects.get(seller=seller).level == SellerLevel.LEVEL_ONE


@pytest.mark.django_db
def test_a_seller_without_stats_is_new_and_not_top_rated(seller):
    assert not services.is_top_rated(seller)
    stats = services.seller_stats_update(
        seller=seller, orders_completed=0, orders_on_time=0, rating_avg=None, rating_count=0
    )
    assert stats.level == SellerLevel.NEW and stats.rating_avg is None


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"orders_completed": 3, "orders_on_time": 4}, "cannot exceed"),
        ({"orders_completed": -1}, "zero or more"),
        ({"rating_avg": "6"}, "from 1 to 5"),
        ({"rating_avg": "great"}, "from 1 to 5"),
    ],
)
def test_stats_update_refuses_impossible_numbers(seller, kwargs, message):
    data = {"orders_completed": 10, "orders_on_time": 9, "rating_avg": "4.5", "rating_count": 3} | kwargs
    with pytest.raises(InvalidInput, match=message):
        services.seller_stats_update(seller=seller, **data)
    assert not SellerStats.objects.filter(seller=seller).exists()


@pytest.mark.django_db
def test_profile_and_gig_page_show_the_rating_summary_level_and_stats(client, seller, gig, buyer):
    services.seller_stats_update(
        seller=seller, orders_completed=30, orders_on_time=27, rating_avg=Decimal("4.75"), rating_count=22
    )
    profile = client.get(reverse("marketplace:seller_profile", args=[seller.pk]))
    content = profile.content.decode()
    assert profile.status_code == 200
    assert "Level two" in content and "4.8" in content and "22 reviews" in content
    assert "90%" in content and gig.title in content
    assert "No reviews yet" in content  # the reviews spot renders the (empty) `reviews` list
    page = client.get(gig.get_absolute_url()).content.decode()
    assert "Level two" in page and "22 reviews" in page and "Member since" in page


@pytest.mark.django_db
def test_profiles_of_new_sellers_and_missing_people(client, buyer):
    content = client.get(reverse("marketplace:seller_profile", args=[buyer.pk])).content.decode()
    assert "New seller" in content and "No reviews yet" in content and "No active gigs" in content
    assert client.get(reverse("marketplace:seller_profile", args=[buyer.pk + 999])).status_code == 404
    buyer.is_active = False
    buyer.save()
    assert client.get(reverse("marketplace:seller_profile", args=[buyer.pk])).status_code == 404


@pytest.mark.django_db
def test_reviews_spot_renders_whatever_reviews_it_gets(client, seller, gig, buyer, monkeypatch):
    class FakeReview:
        author = buyer
        rating = 5
        text = "Fast and friendly."
        created_at = None

    monkeypatch.setattr(
        "marketplace.selectors.reviews_page", lambda *, seller, page: Paginator([FakeReview()], 10).get_page(page)
    )
    login(client, buyer)
    page = client.get(gig.get_absolute_url()).content.decode()
    assert "Fast and friendly." in page and "No reviews yet. Reviews appear" not in page
