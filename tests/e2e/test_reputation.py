"""A seller's reputation reads the same on the gig page and the profile, after the hourly recount, at
1280 px and on a 390×844 phone: the level, the rating, the review count and the reviews listed."""

import contextlib
import re

import pytest

from config import sweeps
from marketplace import services
from marketplace.categories import ensure_category_tree
from marketplace.models import Category
from tests.factories import UserFactory
from tests.orders.reputation_builders import past_order

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}


@pytest.fixture
def seller_with_history(clock):
    """Six orders over two gigs, each reviewed (5, 4, 5, 5, 4, 5: 4.67), all on time: "Level one"."""
    ensure_category_tree()
    category = Category.objects.get(slug="web-applications")
    seller = UserFactory(display_name="Sol Seller")
    gigs = [
        services.gig_create(
            seller=seller,
            title=title,
            description="Careful work with tests and a handover call.",
            category=category,
            tags=["django"],
            price_cents=30000,
            delivery_days=5,
        )
        for title in ("I will build your Django web application", "I will review your Django code")
    ]
    buyers = [UserFactory(display_name=f"Client {n}") for n in range(3)]
    for index, rating in enumerate([5, 4, 5, 5, 4, 5]):
        past_order(
            seller=seller,
            buyer=buyers[index % 3],
            gig=gigs[index % 2],
            rating=rating,
            clock=clock,
            commit=contextlib.nullcontext,
        )
    clock.advance(hours=1)
    sweeps.run("orders")  # as the beat runs them: review publication and the hourly recount of every seller
    return seller, gigs[0]


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["1280", "390x844"])
def test_gig_page_and_profile_show_the_same_reputation_as_the_reviews_listed(new_page, seller_with_history, viewport):
    seller, gig = seller_with_history
    page = new_page()
    page.set_viewport_size(viewport)

    page.goto(gig.get_absolute_url())
    byline = page.locator(".gig-byline")
    assert byline.locator(".pill.level").inner_text() == "Level one"
    assert re.search(r"4\.7\s*\(6 reviews\)", byline.inner_text())
    reviews = page.locator("#reviews")
    assert reviews.locator("li.review").count() == 6  # every review the rating counts
    assert "(6)" in reviews.locator("h2").inner_text()
    seller_card = page.locator(".seller-card").inner_text()
    assert re.search(r"Orders completed\s*6", seller_card) and re.search(r"On-time delivery\s*100%", seller_card)

    page.goto(f"/sellers/{seller.pk}/")
    head = page.locator(".seller-head")
    assert head.locator(".pill.level").inner_text() == "Level one"
    text = head.inner_text()
    assert re.search(r"Rating\s*4\.7 / 5", text) and re.search(r"Reviews\s*6", text)
    assert re.search(r"Orders completed\s*6", text) and re.search(r"On-time delivery\s*100%", text)
    assert page.locator("#reviews li.review").count() == 6
    assert page.evaluate("() => document.documentElement.scrollWidth") <= viewport["width"]
