"""Long unbroken user text stays on screen, at 1280 px and on a 390×844 phone.

A 100-character unbroken gig title, a 120-character milestone title with 4,000
characters of deliverables (the order page was 49,398 px wide) and a
60-character display name wrap inside the page: on every page below,
``document.documentElement.scrollWidth`` is at most the window's width
(the conversation too: its offer's milestones stack on a phone).
"""

import pytest

from marketplace import services as marketplace
from marketplace.categories import ensure_category_tree
from marketplace.models import Category
from milestones import services as milestone_services
from orders import disputes
from orders import services as order_services
from orders.services import PlanItem
from tests.e2e.browsing import log_in
from tests.factories import UserFactory
from tests.orders.builders import fund, ms

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

GIG_TITLE = "Logo" + "W" * 96  # 100 characters, no break
MILESTONE_TITLE = "Phase" + "M" * 115  # 120
DELIVERABLES = "D" * 4000
NAME_BUYER, NAME_SELLER = "Bea" + "B" * 57, "Sol" + "S" * 57  # 60

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}

WIDTHS = "() => [document.documentElement.scrollWidth, window.innerWidth]"


@pytest.fixture
def long_texts():
    ensure_category_tree()
    buyer, seller = UserFactory(display_name=NAME_BUYER), UserFactory(display_name=NAME_SELLER)
    gig = marketplace.gig_create(
        seller=seller,
        title=GIG_TITLE,
        description="A clean logo with source files. " + "X" * 2000,
        category=Category.objects.get(slug="logo-design"),
        tags=["logo"],
        price_cents=5000,
        delivery_days=3,
    )
    conversation = marketplace.conversation_start(buyer=buyer, seller=seller, gig=gig)
    marketplace.message_send(conversation=conversation, sender=buyer, body="Y" * 1500)
    offer = order_services.offer_create(
        conversation=conversation,
        author=seller,
        items=[PlanItem(MILESTONE_TITLE, DELIVERABLES, 10000, 3, 1), PlanItem("Second", "More", 10000, 3, 1)],
    )
    order = order_services.offer_accept(offer_id=offer.pk, actor=buyer)
    first = fund(ms(order, 1))
    milestone_services.milestone_deliver(milestone_id=first.pk, actor=seller, message="Z" * 3000)
    dispute = disputes.dispute_open(milestone_id=first.pk, actor=buyer, reason="quality", description="Q" * 2000)
    return {
        "buyer": buyer,
        "seller": seller,
        "gig": gig,
        "order": order,
        "conversation": conversation,
        "dispute": dispute,
    }


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["1280", "390x844"])
def test_long_titles_deliverables_and_names_stay_on_screen(new_page, long_texts, viewport):
    w = long_texts
    pages = {
        "buyer": [
            w["gig"].get_absolute_url(),
            w["order"].get_absolute_url(),
            "/dashboard/",
            "/inbox/",
            f"/sellers/{w['seller'].pk}/",
            f"/disputes/{w['dispute'].pk}/",
            "/notifications/",
            "/gigs/?q=logo",
            w["conversation"].get_absolute_url(),
        ],
        "seller": [w["order"].get_absolute_url(), "/dashboard/", "/selling/gigs/", "/inbox/"],
    }
    too_wide = []
    for role, urls in pages.items():
        page = new_page()
        page.set_viewport_size(viewport)
        log_in(page, w[role])
        for url in urls:
            page.goto(url)
            scroll_width, window_width = page.evaluate(WIDTHS)
            if scroll_width > window_width:
                too_wide.append(f"{url} as the {role}: {scroll_width} px wide in a {window_width} px window")
    assert not too_wide, "\n".join(too_wide)


def test_the_long_title_is_there_and_wraps(new_page, long_texts):
    """The check above would pass on a page that hid the text: the title is shown, in several lines."""
    page = new_page()
    page.set_viewport_size(PHONE)
    log_in(page, long_texts["buyer"])
    page.goto(long_texts["gig"].get_absolute_url())
    title = page.locator("h1.gig-title")
    assert title.inner_text() == GIG_TITLE
    box = title.bounding_box()
    assert box["width"] <= PHONE["width"] and box["height"] > 3 * 20  # wrapped onto several lines
    page.goto(long_texts["order"].get_absolute_url())
    milestone = page.locator("[data-testid=milestone-1] h3")
    assert milestone.inner_text() == MILESTONE_TITLE and milestone.bounding_box()["width"] <= PHONE["width"]


# Where "opened" is drawn: the x of its first and of its last letter (reversed text has them swapped).
OPENED = """() => {
  const head = document.querySelector('.order-head');
  const walker = document.createTreeWalker(head, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const at = node.data.indexOf('opened');
    if (at < 0) continue;
    const range = document.createRange();
    range.setStart(node, at); range.setEnd(node, at + 1);
    const first = range.getBoundingClientRect().x;
    range.setStart(node, at + 5); range.setEnd(node, at + 6);
    return [first, range.getBoundingClientRect().x];
  }
  return null;
}"""


def test_a_stored_name_with_a_right_to_left_override_does_not_reverse_the_page(new_page, long_texts):
    """Names stored before the sanitiser keep their U+202E; isolation keeps it inside the name."""
    from accounts.models import User

    buyer = long_texts["buyer"]
    User.objects.filter(pk=buyer.pk).update(display_name="Eve\u202e")
    page = new_page()
    log_in(page, buyer)
    page.goto(long_texts["order"].get_absolute_url())
    first, last = page.evaluate(OPENED)
    assert first < last  # "opened" reads left to right, not "denepo"
