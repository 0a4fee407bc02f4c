"""The demo's reputation is real history: after ``seed_demo`` every figure the pages show is what a
recount of the rows gives, completing an order keeps a seller's level and reviews, and a gig page
counts the reviews it lists. The demo is seeded once for the module (inside a transaction rolled
back at the end); each test runs in a savepoint of it."""

import html
import io
import re
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import transaction
from django.test import override_settings
from django.urls import reverse

from accounts.models import User
from config import sweeps
from marketplace.models import Gig, SellerLevel, SellerStats
from milestones.models import Order, OrderStatus
from orders import timers
from tests.orders.builders import approve, deliver, fund, ms

pytestmark = pytest.mark.django_db

DEMO_SELLERS = {
    "seller@example.com": "Level two",
    "seller2@example.com": "Top rated",
    "seller3@example.com": "Level one",
}


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker, tmp_path_factory):
    with django_db_blocker.unblock(), override_settings(MEDIA_ROOT=str(tmp_path_factory.mktemp("demo-media"))):
        with transaction.atomic():
            call_command("seed_demo", stdout=io.StringIO())
            yield
            transaction.set_rollback(True)


@pytest.fixture
def commit(django_capture_on_commit_callbacks):
    return lambda: django_capture_on_commit_callbacks(execute=True)


def _text(fragment: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", fragment)).split())


def shown_figures(client, seller) -> dict:
    """Every reputation figure the seller's profile and their first gig's page and card show."""
    profile = client.get(reverse("marketplace:seller_profile", args=[seller.pk])).content.decode()
    figures = {
        f"profile {_text(dt)}": _text(dd) for dt, dd in re.findall(r"<dt>(.*?)</dt>\s*<dd>(.*?)</dd>", profile, re.S)
    }
    figures["profile level"] = _text(re.search(r'<span class="pill level[^"]*"[^>]*>(.*?)</span>', profile).group(1))
    figures["profile rating"] = _text(re.search(r'<span class="rating[^"]*"[^>]*>.*?</span></span>', profile, re.S)[0])
    gig = Gig.objects.filter(seller=seller).order_by("pk").first()
    page = client.get(gig.get_absolute_url()).content.decode()
    byline = re.search(r'<div class="gig-byline">(.*?)</div>', page, re.S).group(1)
    figures["gig byline"] = _text(byline)
    figures["gig seller card"] = _text(re.search(r'<dl class="stat-list">(.*?)</dl>', page, re.S).group(1))
    listing = client.get(reverse("marketplace:gig_list"), {"q": gig.title}).content.decode()
    card = next(c for c in listing.split('<article class="gig-card">')[1:] if gig.slug in c)
    figures["gig card"] = _text(re.search(r'<div class="gig-card-seller">(.*?)</div>', card, re.S).group(1))
    figures["gig card rating"] = _text(re.search(r'<div class="gig-card-meta">(.*?)</div>', card, re.S).group(1))
    return figures


def test_after_the_seed_every_sellers_shown_figures_equal_a_recount(demo, client, clock):
    sellers = list(User.objects.filter(seller_stats__isnull=False).order_by("pk"))
    assert {s.email for s in sellers} >= set(DEMO_SELLERS)
    stored = list(SellerStats.objects.order_by("seller_id").values())
    shown = {seller.email: shown_figures(client, seller) for seller in sellers}
    clock.advance(hours=1)
    sweeps.run("orders")  # as the beat runs them a minute after `make run`: review publication, the hourly recount
    assert list(SellerStats.objects.order_by("seller_id").values()) == stored
    assert {seller.email: shown_figures(client, seller) for seller in sellers} == shown
    assert timers.sweep_seller_stats(now=clock.now() + timedelta(hours=1)) == 0  # and the next hour's: nothing
    for email, level in DEMO_SELLERS.items():
        assert shown[email]["profile level"] == level
    assert shown["seller2@example.com"]["profile Orders completed"] == "101"


def test_completing_the_demo_order_keeps_the_level_two_sellers_level_and_reviews(demo, commit):
    sol = User.objects.get(email="seller@example.com")
    order = Order.objects.get(buyer__email="buyer@example.com", seller=sol)
    before = SellerStats.objects.get(seller=sol)
    assert before.level == SellerLevel.LEVEL_TWO
    with commit():
        approve(ms(order, 1))
    for position in (2, 3):
        with commit():
            approve(deliver(fund(ms(order, position))))
    order.refresh_from_db()
    assert order.status == OrderStatus.COMPLETED
    after = SellerStats.objects.get(seller=sol)
    assert after.level == SellerLevel.LEVEL_TWO
    assert (after.rating_count, after.rating_avg) == (before.rating_count, before.rating_avg)
    assert after.orders_completed == before.orders_completed + 1


def test_each_demo_gig_page_counts_the_reviews_its_section_lists(demo, client):
    for email in DEMO_SELLERS:
        gig = Gig.objects.filter(seller__email=email).order_by("pk").first()
        first = client.get(gig.get_absolute_url()).content.decode()
        count = int(re.search(r"\((\d+) reviews?\)", first).group(1))
        listed, page = 0, 1
        while True:
            content = client.get(gig.get_absolute_url(), {"reviews": page}).content.decode()
            listed += content.count('<li class="review"')
            if 'rel="next"' not in content:
                break
            page += 1
        assert listed == count == SellerStats.objects.get(seller__email=email).rating_count, email
