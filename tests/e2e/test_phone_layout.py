"""The four phone layout points of issue 16, each at 390×844.

- a conversation's offer card fits the screen, its Amount column inside the card;
- a long unbroken delivery link wraps on the order page;
- on /gigs/ the filters fold away behind a "Filters" toggle, so the first result is on the first screen;
- the lifecycle diagram is drawn at a legible size (every label at least 12 px), scrolling sideways inside
  its own box, not the page.
"""

import pytest

from marketplace import services as marketplace
from marketplace.categories import ensure_category_tree
from marketplace.models import Category
from milestones import services as milestone_services
from orders import services as order_services
from orders.services import PlanItem
from tests.factories import UserFactory
from tests.orders.builders import fund, ms

from .pages import PHONE, session_cookie

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

WIDTHS = "() => [document.documentElement.scrollWidth, window.innerWidth]"
LONG_LINK = "https://drive.example.com/share/" + "a1B2c3D4e5" * 9  # 122 characters, no break


@pytest.fixture
def phone(browser, live_server):
    contexts = []

    def open_as(user=None):
        context = browser.new_context(base_url=live_server.url, viewport=PHONE)
        context.set_default_timeout(10_000)
        contexts.append(context)
        if user is not None:
            context.add_cookies([session_cookie(user, live_server.url)])
        return context.new_page()

    yield open_as
    for context in contexts:
        context.close()


@pytest.fixture
def deal():
    ensure_category_tree()
    buyer, seller = UserFactory(display_name="Bea Buyer"), UserFactory(display_name="Sol Seller")
    gig = marketplace.gig_create(
        seller=seller,
        title="I will build your Django web application",
        description="Tests and a handover call.",
        category=Category.objects.get(slug="web-applications"),
        tags=["django"],
        price_cents=45000,
        delivery_days=7,
    )
    conversation = marketplace.conversation_start(buyer=buyer, seller=seller, gig=gig)
    marketplace.message_send(conversation=conversation, sender=buyer, body="Can you do it in three steps?")
    offer = order_services.offer_create(
        conversation=conversation,
        author=seller,
        items=[
            PlanItem("Data model and admin", "Models, migrations and the admin.", 1_250_000, 14, 2),
            PlanItem("Public pages", "The pages your visitors see.", 987_650, 10, 2),
            PlanItem("Deployment", "Docker, CI and a handover call.", 45_000, 3, 1),
        ],
    )
    return {"buyer": buyer, "seller": seller, "gig": gig, "conversation": conversation, "offer": offer}


def test_an_offer_in_a_conversation_fits_a_phone(phone, deal):
    page = phone(deal["buyer"])
    page.goto(deal["conversation"].get_absolute_url())
    scroll_width, window_width = page.evaluate(WIDTHS)
    assert scroll_width <= window_width, f"the conversation is {scroll_width} px wide in a {window_width} px window"
    card = page.locator("[data-testid=offer]")
    card_box = card.bounding_box()
    assert card_box["x"] >= 0 and card_box["x"] + card_box["width"] <= window_width
    amounts = card.locator("td[data-label=Amount]")
    assert amounts.count() == 3
    for i in range(3):
        box = amounts.nth(i).bounding_box()
        assert box["x"] >= card_box["x"] and box["x"] + box["width"] <= card_box["x"] + card_box["width"]
        assert amounts.nth(i).is_visible()
    assert "$12,500.00" in amounts.nth(0).inner_text()
    # The buttons are there to tap, inside the screen.
    accept = card.get_by_role("button", name="Accept offer")
    box = accept.bounding_box()
    assert box["x"] + box["width"] <= window_width


def test_a_long_delivery_link_wraps_on_the_order_page(phone, deal):
    order = order_services.offer_accept(offer_id=deal["offer"].pk, actor=deal["buyer"])
    first = fund(ms(order, 1))
    milestone_services.milestone_deliver(
        milestone_id=first.pk, actor=deal["seller"], message="The first part.", links=LONG_LINK
    )
    for who in ("buyer", "seller"):
        page = phone(deal[who])
        page.goto(order.get_absolute_url())
        link = page.locator("[data-testid=delivery] a[target=_blank]")
        assert link.get_attribute("href") == LONG_LINK
        scroll_width, window_width = page.evaluate(WIDTHS)
        assert scroll_width <= window_width, f"as the {who}: {scroll_width} px wide in a {window_width} px window"
        box = link.bounding_box()
        assert box["x"] + box["width"] <= window_width


def test_the_first_gig_is_on_the_first_screen_and_the_filters_fold_away(phone, deal):
    page = phone(deal["buyer"])
    page.goto("/gigs/")
    title = page.locator(".gig-card .gig-card-title").first
    box = title.bounding_box()
    bottom = box["y"] + box["height"]
    assert bottom <= PHONE["height"], f"the first result's title ends at {bottom} px, below the first screen"
    toggle = page.locator("details.filters-toggle > summary")
    assert toggle.inner_text().strip().startswith("Filters")
    category = page.locator("select[name=category]")
    assert not category.is_visible()
    toggle.click()
    assert category.is_visible()
    # A search with filters applied opens with the filters shown, so what was chosen is seen.
    page.goto("/gigs/?min_price=100")
    assert page.locator("input[name=min_price]").is_visible()


# Every text of the diagram: its font size as drawn (font-size × the SVG's scale on screen).
DIAGRAM_FONTS = """() => {
  const svg = document.querySelector('.diagram svg');
  const scale = svg.getScreenCTM().a;
  return [...svg.querySelectorAll('text')].map(t => parseFloat(getComputedStyle(t).fontSize) * scale);
}"""


def test_the_lifecycle_diagram_is_legible_on_a_phone(phone, live_server):
    page = phone()
    page.goto("/help/milestones/")
    sizes = page.evaluate(DIAGRAM_FONTS)
    assert sizes and min(sizes) >= 12, f"the smallest label is drawn at {min(sizes):.1f} px"
    scroll_width, window_width = page.evaluate(WIDTHS)
    assert scroll_width <= window_width
    box = page.locator(".diagram").bounding_box()
    assert box["x"] + box["width"] <= window_width  # the diagram scrolls inside its box
    assert page.locator(".diagram [role=img]").get_attribute("aria-label")


def test_the_order_pages_conversation_opens_at_the_newest_message(phone, deal):
    """The side panel's messages scroll inside their box: the newest is in view without scrolling (found from the
    outside: the box opened at the oldest, so a message just sent was hidden)."""
    order = order_services.offer_accept(offer_id=deal["offer"].pk, actor=deal["buyer"])
    for i in range(30):
        marketplace.message_send(conversation=order.conversation, sender=deal["seller"], body=f"Update number {i}")
    page = phone(deal["buyer"])
    page.goto(order.get_absolute_url())
    box = page.locator(".order-messages")
    top, client_height, scroll_height = box.evaluate("b => [b.scrollTop, b.clientHeight, b.scrollHeight]")
    assert scroll_height > client_height  # the box does scroll
    assert top + client_height >= scroll_height - 2
    newest = box.get_by_text("Update number 29")
    newest_box, panel = newest.bounding_box(), box.bounding_box()
    assert panel["y"] <= newest_box["y"] and newest_box["y"] + newest_box["height"] <= panel["y"] + panel["height"] + 1


def test_the_earnings_pending_table_fits_a_phone(phone, deal):
    """From the outside try: the pending table was 408 px in a 390 px window, "You get" cut off and each
    earning's name broken into one letter a line. On a phone its rows stack, each amount on a labelled line."""
    from payments import services as payments
    from payments.models import Earning

    order = order_services.offer_accept(offer_id=deal["offer"].pk, actor=deal["buyer"])
    first = fund(ms(order, 1))
    payments.escrow_release(milestone_id=first.pk, seller=deal["seller"])
    Earning.objects.update(description="Order #134 · Milestone 1: Data model and API design (dispute settlement)")
    page = phone(deal["seller"])
    page.goto("/payments/earnings/")
    scroll_width, window_width = page.evaluate(WIDTHS)
    assert scroll_width <= window_width
    table = page.locator("[data-testid=pending-table]")
    box = table.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= window_width, box
    you_get = table.locator("td[data-label='You get']").first
    cell = you_get.bounding_box()
    assert you_get.is_visible() and cell["x"] + cell["width"] <= window_width
    name = table.locator("[data-testid=earning-for]").first.bounding_box()
    assert name["width"] > window_width / 2  # a line of its own, not a column of letters
