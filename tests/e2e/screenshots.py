"""`make screenshots`: a PNG of each main page at 390×844 and 1366×900, into docs/screenshots/.

Not part of the test suite (the file name does not start with ``test_``): ``make screenshots`` runs it by
name. It builds the security suite's world (a buyer, a seller, support; orders delivered, in progress,
disputed and completed, an open offer, an open checkout) with a few more gigs for the list, serves the
app on a live server and photographs the first screen of each page (viewport only, to keep the files small).
"""

from pathlib import Path

import pytest
from django.conf import settings

from marketplace import services as marketplace
from marketplace.models import Category
from tests.marketplace.conftest import image_file
from tests.security.world import build_world

from .pages import DESKTOP, PHONE, session_cookie
from .test_every_page import ensure_support_group

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

OUT = Path(settings.BASE_DIR) / "docs" / "screenshots"

MORE_GIGS = [
    ("web-applications", "I will build your Django web application with tests", 45000),
    ("website-development", "I will make a fast landing page for your product", 15000),
    ("logo-design", "I will draw a hand-lettered logo and a brand sheet", 9000),
    ("web-applications", "I will add Stripe payments to your web app", 60000),
    ("logo-design", "I will redesign your logo in three concepts", 12000),
]


def shots(w):
    """(file name, who, path) of each main page."""
    return [
        ("home", None, "/"),
        ("gig-list", None, "/gigs/"),
        ("gig-detail", None, w.gig.get_absolute_url()),
        ("conversation", "buyer", w.conversation.get_absolute_url()),
        ("order-buyer", "buyer", w.order.get_absolute_url()),
        ("order-seller", "seller", w.order.get_absolute_url()),
        ("checkout", "buyer", f"/payments/checkout/{w.open_checkout.uuid}/"),
        ("earnings", "seller", "/payments/earnings/"),
        ("dashboard", "buyer", "/dashboard/"),
        ("dispute", "buyer", f"/disputes/{w.dispute.pk}/"),
        ("staff-queue", "support", "/staff/disputes/"),
        ("lifecycle-help", None, "/help/milestones/"),
    ]


def test_screenshots(browser, live_server):
    ensure_support_group()
    world = build_world()
    for slug, title, price in MORE_GIGS:
        marketplace.gig_create(
            seller=world.users["seller"],
            title=title,
            description=f"{title}. Clear communication and a handover call.",
            category=Category.objects.get(slug=slug),
            tags=[slug.split("-")[0]],
            price_cents=price,
            delivery_days=7,
            images=[image_file()],
        )
    OUT.mkdir(parents=True, exist_ok=True)
    written = []
    for name, who, path in shots(world):
        for width, viewport in (("390", PHONE), ("1366", DESKTOP)):
            context = browser.new_context(base_url=live_server.url, viewport=viewport)
            if who is not None:
                context.add_cookies([session_cookie(world.users[who], live_server.url)])
            page = context.new_page()
            response = page.goto(path, wait_until="load")
            assert response.status == 200, (path, who, response.status)
            target = OUT / f"{name}-{width}.png"
            page.screenshot(path=str(target))
            written.append(target)
            context.close()
    print("\n".join(str(p.relative_to(settings.BASE_DIR)) for p in written))
