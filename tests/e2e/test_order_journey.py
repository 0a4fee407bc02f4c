"""The whole milestone order in Chromium: offer, funding, delivery, revision, approval, completion, reviews."""

import re

import pytest

from marketplace import services as marketplace
from milestones.models import Order, OrderStatus
from orders.models import Review
from payments.providers.sandbox import CARD_SUCCEEDS
from tests.e2e.browsing import log_in
from tests.factories import UserFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PLAN = [
    ("Logo concepts", "Three logo concepts in SVG", "100"),
    ("Brand guide", "Colours, type and usage rules", "150"),
    ("Social kit", "Profile and cover images", "50"),
]


def milestone(page, position):
    return page.locator(f"[data-testid=milestone-{position}]")


def fund(page, position, amount):
    milestone(page, position).get_by_role("button", name=re.compile(rf"^Fund \${amount}")).click()
    page.wait_for_url(re.compile(r".*/checkout/.*"))
    page.fill("input[name=card_number]", CARD_SUCCEEDS)
    page.fill("input[name=expiry]", "12/34")
    page.fill("input[name=cvc]", "123")
    page.click("[data-testid=pay-card]")
    page.wait_for_url(re.compile(r".*/orders/\d+/.*"))


def deliver(page, position, text):
    box = milestone(page, position)
    box.locator("details", has=page.locator("textarea[name=message]")).evaluate("details => details.open = true")
    box.locator("textarea[name=message]").fill(text)
    box.get_by_role("button", name="Submit for review").click()
    page.wait_for_load_state()
    assert "Delivered. The buyer has been asked to review it." in page.content()


def approve(page, position):
    milestone(page, position).get_by_role("button", name="Approve & release payment").click()
    page.wait_for_load_state()
    assert "Approved. The payment is released to the seller." in page.content()


def state(page, position):
    return milestone(page, position).locator("[data-testid=state]").inner_text()


def test_a_three_milestone_order_from_offer_to_reviews(new_page, live_server):
    buyer, seller = UserFactory(display_name="Bea Buyer"), UserFactory(display_name="Sol Seller")
    conversation = marketplace.conversation_start(buyer=buyer, seller=seller)
    marketplace.message_send(conversation=conversation, sender=buyer, body="Can you do a full brand kit?")

    seller_page, buyer_page = new_page(), new_page()
    for page in (seller_page, buyer_page):
        page.on("dialog", lambda dialog: dialog.accept())  # the "Are you sure?" confirmations

    # The seller sends a 3-milestone offer; totals update as they type.
    log_in(seller_page, seller)
    seller_page.goto(conversation.get_absolute_url())
    seller_page.click("text=Send a custom offer")
    seller_page.wait_for_load_state("load")  # the page's script adds the rows: click once it has run (CI's load)
    for row in (1, 2):
        seller_page.click("[data-plan-add]")
        seller_page.wait_for_selector(f"input[name=plan-{row}-title]")
    for i, (title, description, amount) in enumerate(PLAN):
        seller_page.fill(f"input[name=plan-{i}-title]", title)
        seller_page.fill(f"textarea[name=plan-{i}-description]", description)
        seller_page.fill(f"input[name=plan-{i}-amount]", amount)
        seller_page.fill(f"input[name=plan-{i}-delivery_days]", "3")
    assert "$300.00" in seller_page.locator("[data-total]").inner_text()
    assert seller_page.locator("[data-net]").inner_text() == "$240.00"
    seller_page.click("button:has-text('Send offer')")
    seller_page.wait_for_load_state()
    assert "Your offer was sent." in seller_page.content()

    # The buyer accepts and funds the first milestone.
    log_in(buyer_page, buyer)
    buyer_page.goto(conversation.get_absolute_url())
    buyer_page.click("button:has-text('Accept offer')")
    buyer_page.wait_for_url(re.compile(r".*/orders/\d+/$"))
    order = Order.objects.get(buyer=buyer)
    assert state(buyer_page, 1) == "Awaiting funding"
    fund(buyer_page, 1, "100")
    assert state(buyer_page, 1) == "In progress"

    # Deliver, ask for a revision, deliver again, approve: the second starts once funded.
    seller_page.goto(order.get_absolute_url())
    deliver(seller_page, 1, "Three concepts attached.")
    buyer_page.reload()
    assert "Auto-approves on" in buyer_page.content()
    box = milestone(buyer_page, 1)
    box.locator("summary", has_text="Request a revision").click()
    box.locator("textarea[name=feedback]").fill("Please try a bolder typeface.")
    box.get_by_role("button", name="Request revision").click()
    buyer_page.wait_for_load_state()
    assert state(buyer_page, 1) == "Revision requested"
    seller_page.reload()
    deliver(seller_page, 1, "Bolder typeface done.")
    buyer_page.reload()
    approve(buyer_page, 1)
    assert state(buyer_page, 1) == "Approved"
    fund(buyer_page, 2, "150")
    assert state(buyer_page, 2) == "In progress"

    for position, amount in ((2, None), (3, "50")):
        if amount:
            fund(buyer_page, position, amount)
        seller_page.goto(order.get_absolute_url())
        deliver(seller_page, position, f"Milestone {position} delivered.")
        buyer_page.reload()
        approve(buyer_page, position)

    order.refresh_from_db()
    assert order.status == OrderStatus.COMPLETED
    assert buyer_page.locator("[data-testid=order-status]").inner_text() == "Completed"

    # Both review; each sees the other's once both are in.
    buyer_page.select_option("select[name=rating]", "5")
    buyer_page.fill("#reviews textarea[name=text]", "Great work, on time.")
    buyer_page.click("button:has-text('Submit review')")
    buyer_page.wait_for_load_state()
    assert "Hidden until the other side reviews" in buyer_page.content()
    seller_page.reload()
    assert "Great work, on time." not in seller_page.content()  # double-blind
    seller_page.select_option("select[name=rating]", "5")
    seller_page.fill("#reviews textarea[name=text]", "Clear brief, quick feedback.")
    seller_page.click("button:has-text('Submit review')")
    seller_page.wait_for_load_state()
    assert "Great work, on time." in seller_page.content()
    assert Review.objects.filter(order=order).count() == 2

    # The seller's earnings: 80% of each milestone pending, each with its clearance date.
    seller_page.goto("/payments/earnings/")
    assert seller_page.locator("[data-testid=pending]").inner_text() == "$240.00"
    rows = seller_page.locator("[data-testid=pending-table] tbody tr")
    assert rows.count() == 3
