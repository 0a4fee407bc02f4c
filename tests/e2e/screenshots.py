"""`make screenshots`: a PNG of each main page at 390×844 and 1366×900, into docs/screenshots/.

Not part of the test suite (the file name does not start with ``test_``): ``make screenshots`` runs it by
name. It builds the security suite's world (a buyer, a seller, support; orders delivered, in progress,
disputed and completed, an open offer, an open checkout) with a few more gigs for the list, serves the
app on a live server and photographs the first screen of each page (viewport only, to keep the files small).
"""

from io import BytesIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image, ImageDraw

from marketplace import services as marketplace
from marketplace.models import Category
from tests.security.world import build_world

from .pages import DESKTOP, PHONE, session_cookie
from .test_every_page import ensure_support_group

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

OUT = Path(settings.BASE_DIR) / "docs" / "screenshots"

MORE_GIGS = [
    ("web-applications", "I will build your Django web app with tests", 45000, ((15, 118, 110), (56, 189, 248))),
    ("website-development", "I will make a fast landing page for you", 15000, ((124, 58, 237), (244, 114, 182))),
    ("logo-design", "I will draw a hand-lettered logo and a brand sheet", 9000, ((234, 88, 12), (250, 204, 21))),
    ("web-applications", "I will add Stripe payments to your web app", 60000, ((30, 64, 175), (45, 212, 191))),
    ("logo-design", "I will redesign your logo in three concepts", 12000, ((190, 18, 60), (251, 146, 60))),
]


def cover(start, end, size=(800, 500)):
    """A cover picture: a diagonal gradient from ``start`` to ``end`` with a few soft shapes."""
    image = Image.new("RGB", size)
    draw = ImageDraw.Draw(image)
    width, height = size
    for x in range(width):
        t = x / width
        draw.line([(x, 0), (x, height)], fill=tuple(int(a + (b - a) * t) for a, b in zip(start, end, strict=True)))
    draw.ellipse((width * 0.55, height * 0.15, width * 0.95, height * 0.8), outline=(255, 255, 255), width=10)
    draw.rounded_rectangle((width * 0.1, height * 0.3, width * 0.45, height * 0.7), radius=30, fill=(255, 255, 255))
    out = BytesIO()
    image.save(out, format="PNG")
    return SimpleUploadedFile("cover.png", out.getvalue(), content_type="image/png")


def shots(w, gig):
    """(file name, who, path) of each main page."""
    return [
        ("home", None, "/"),
        ("gig-list", None, "/gigs/"),
        ("gig-detail", None, gig.get_absolute_url()),
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
    gigs = [
        marketplace.gig_create(
            seller=world.users["seller"],
            title=title,
            description=f"{title}. Clear communication and a handover call.",
            category=Category.objects.get(slug=slug),
            tags=[slug.split("-")[0]],
            price_cents=price,
            delivery_days=7,
            images=[cover(*colours)],
        )
        for slug, title, price, colours in MORE_GIGS
    ]
    OUT.mkdir(parents=True, exist_ok=True)
    written = []
    for name, who, path in shots(world, gigs[0]):
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
