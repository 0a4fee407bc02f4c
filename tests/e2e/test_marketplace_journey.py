"""A buyer finds a gig, contacts its seller, the seller replies: in Chromium, through the real pages."""

import re

import pytest

from marketplace import services
from marketplace.categories import ensure_category_tree
from marketplace.models import Category
from tests.factories import PASSWORD, UserFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def log_in(page, email):
    page.goto("/accounts/login/")
    page.fill("input[name=login]", email)
    page.fill("input[name=password]", PASSWORD)
    page.click("main form button[type=submit]")
    page.wait_for_url(re.compile(r".*/dashboard/$"))


@pytest.fixture
def catalogue():
    ensure_category_tree()
    cats = {c.slug: c for c in Category.objects.all()}
    seller = UserFactory(email="sol@example.com", display_name="Sol Seller")
    other = UserFactory(email="ola@example.com", display_name="Ola Other")
    services.seller_stats_update(
        seller=seller, orders_completed=30, orders_on_time=29, rating_avg="4.9", rating_count=25
    )

    def gig(owner, slug, title, price, tags):
        return services.gig_create(
            seller=owner,
            title=title,
            description=f"{title}. Clear communication, tests and a handover call.",
            category=cats[slug],
            tags=tags,
            price_cents=price * 100,
            delivery_days=7,
        )

    target = gig(seller, "web-applications", "I will build your Django web application", 450, ["django", "python"])
    gig(other, "web-applications", "I will build a big Django platform for enterprises", 4000, ["django"])
    gig(other, "website-development", "I will make a Django landing page", 150, ["django", "landing page"])
    gig(other, "logo-design", "I will design a logo for your start-up", 90, ["logo"])
    return {"seller": seller, "target": target}


def test_buyer_searches_filters_contacts_and_reads_the_sellers_reply(new_page, catalogue):
    UserFactory(email="bea@example.com", display_name="Bea Buyer")
    buyer = new_page()
    log_in(buyer, "bea@example.com")

    # Search, then narrow the results with filters.
    buyer.goto("/gigs/")
    buyer.fill("main input[name=q]", "django")
    buyer.click("main .browse-search button[type=submit]")
    buyer.wait_for_url(re.compile(r".*/gigs/\?.*q=django.*"))
    cards = buyer.locator(".gig-card-title")
    assert cards.count() == 3
    buyer.select_option("select[name=category]", "web-applications")
    buyer.fill("input[name=max_price]", "1000")
    buyer.click("[data-testid=apply-filters]")
    buyer.wait_for_url(re.compile(r".*max_price=1000.*"))
    assert cards.count() == 1
    assert buyer.locator("select[name=category]").input_value() == "web-applications"

    # Open the gig and contact the seller.
    buyer.click("text=I will build your Django web application")
    buyer.wait_for_url(re.compile(r".*/gigs/i-will-build-your-django-web-application/$"))
    assert buyer.locator("h1").inner_text() == "I will build your Django web application"
    assert "Level two" in buyer.content()
    buyer.fill("#contact textarea[name=body]", "Hi Sol, could you also add a blog to the application?")
    buyer.click("[data-testid=contact-seller]")
    buyer.wait_for_url(re.compile(r".*/inbox/\d+/#latest$"))
    assert "Your message was sent to Sol Seller." in buyer.content()
    assert buyer.locator("[data-testid=message]").count() == 1

    # The seller sees the unread badge, opens the conversation and replies.
    seller = new_page()
    log_in(seller, "sol@example.com")
    assert seller.locator("[data-testid=unread-badge]").inner_text() == "1"
    seller.click("#site-nav >> text=Inbox")
    seller.click("[data-testid=conversation-link]")
    assert "could you also add a blog" in seller.content()
    assert seller.locator("[data-testid=unread-badge]").count() == 0
    seller.fill("textarea[name=body]", "Yes, happy to. A blog adds about three days.")
    seller.click("[data-testid=send-message]")
    seller.wait_for_load_state()
    assert seller.locator("[data-testid=message]").count() == 2

    # The buyer sees the badge on any page, then the reply.
    buyer.goto("/gigs/")
    badge = buyer.locator("[data-testid=unread-badge]")
    assert badge.inner_text() == "1"
    buyer.click("#site-nav >> text=Inbox")
    assert "A blog adds about three days." in buyer.locator(".inbox").inner_text()
    buyer.click("[data-testid=conversation-link]")
    assert buyer.locator("[data-testid=message]").last.inner_text().count("A blog adds about three days.") == 1
    assert buyer.locator("[data-testid=unread-badge]").count() == 0


def test_seller_publishes_a_gig_and_a_buyer_asks_for_a_custom_offer(new_page, tmp_path):
    from io import BytesIO

    from PIL import Image

    ensure_category_tree()
    UserFactory(email="sia@example.com", display_name="Sia Seller")
    UserFactory(email="ben@example.com", display_name="Ben Buyer")
    cover = tmp_path / "cover.png"
    out = BytesIO()
    Image.new("RGB", (1200, 800), (190, 24, 93)).save(out, format="PNG")
    cover.write_bytes(out.getvalue())
    (tmp_path / "virus.png").write_bytes(b"MZ" + b"\0" * 500)

    seller = new_page()
    log_in(seller, "sia@example.com")
    seller.goto("/selling/gigs/new/")
    seller.fill("input[name=title]", "I will paint a watercolour portrait of your pet")
    seller.select_option("select[name=category]", label="Illustration")
    seller.fill("input[name=tags]", "watercolour, pets, portrait")
    seller.fill("textarea[name=description]", "A hand-painted portrait from your photo, scanned and posted to you.")
    seller.fill("input[name=price]", "85")
    seller.fill("input[name=delivery_days]", "6")
    # A file that only pretends to be an image is refused, and the form keeps what was typed.
    seller.set_input_files("input[name=images]", [str(cover), str(tmp_path / "virus.png")])
    seller.click("button:has-text('Publish gig')")
    seller.wait_for_load_state()
    assert "virus.png: The file is not a valid image" in seller.content()
    assert seller.input_value("input[name=title]") == "I will paint a watercolour portrait of your pet"
    seller.set_input_files("input[name=images]", [str(cover)])
    seller.click("button:has-text('Publish gig')")
    seller.wait_for_url(re.compile(r".*/gigs/i-will-paint-a-watercolour-portrait-of-your-pet/$"))
    assert "Your gig is published." in seller.content()
    assert seller.locator(".gallery img").count() == 1

    buyer = new_page()
    log_in(buyer, "ben@example.com")
    buyer.goto("/gigs/?q=watercolour")
    buyer.click("text=I will paint a watercolour portrait of your pet")
    buyer.click("#request summary")
    buyer.fill("textarea[name=description]", "Two cats on one canvas, A4 size, as a birthday present.")
    buyer.fill("#request input[name=budget]", "120")
    buyer.fill("#request input[name=delivery_days]", "10")
    buyer.click("button:has-text('Send request')")
    buyer.wait_for_url(re.compile(r".*/inbox/\d+/#latest$"))
    assert "Request for a custom offer" in buyer.content() and "$120.00" in buyer.content()

    seller.goto("/inbox/")
    seller.click("[data-testid=conversation-link]")
    assert "Two cats on one canvas" in seller.content() and "10 days" in seller.content()
