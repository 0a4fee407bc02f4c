"""Issue 16, what a buyer and a seller read about money, in the browser: right numbers, people's words.

Each test fails on the main branch before the issue: the order took the gig's title; the progress bar said
"$120.00 of $400.00 released"; earnings said "Milestone #6"; a receipt showed "Ledger: Tip 884cde93-46c…";
the chart's top label lost its "$"; the admin showed "Amount cents 20000" and let a funded milestone's title
be edited; the timeline showed "(proposed → awaiting_funding)"; answers said "Done."; refunds did not say
where the money went.
"""

import re

import pytest
from django.urls import reverse

from marketplace import services as marketplace
from marketplace.categories import ensure_category_tree
from marketplace.models import Category
from milestones import services as milestone_services
from orders import disputes
from orders import services as order_services
from orders.models import DisputeOutcome
from payments import services as payments
from payments.providers.sandbox import CARD_SUCCEEDS
from tests.e2e.browsing import log_in
from tests.factories import UserFactory
from tests.orders.builders import approve, deliver, fund, make_order, ms

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}


def _as(new_page, user, viewport=DESKTOP):
    page = new_page()
    page.set_viewport_size(viewport)
    page.on("dialog", lambda dialog: dialog.accept())
    log_in(page, user)
    return page


def _flash(page) -> str:
    return page.locator("ul.messages li").last.inner_text()


def test_the_seller_titles_the_offer_and_the_order_takes_it(new_page):
    ensure_category_tree()
    seller, buyer = UserFactory(), UserFactory()
    gig = marketplace.gig_create(
        seller=seller,
        title="I will build a Django website",
        description="A complete Django application with tests, deployed for you.",
        category=Category.objects.get(slug="web-applications"),
        tags=["django"],
        price_cents=50000,
        delivery_days=7,
    )
    conversation = marketplace.conversation_start(buyer=buyer, seller=seller, gig=gig)
    page = _as(new_page, seller, PHONE)
    page.goto(reverse("orders:offer_new", args=[conversation.pk]))
    title = page.locator("input[name=title]")
    assert title.input_value() == "I will build a Django website"  # prefilled from the gig
    title.fill("Shopify store setup")
    page.fill("input[name=plan-0-title]", "Store")
    page.fill("textarea[name=plan-0-description]", "Set up the store and its theme")
    page.fill("input[name=plan-0-amount]", "400")
    page.fill("input[name=plan-0-delivery_days]", "5")
    page.click("main form button[type=submit]:has-text('Send offer')")
    card = page.locator("[data-testid=offer]").last
    assert card.locator("[data-testid=offer-title]").inner_text() == "Shopify store setup"

    buyer_page = _as(new_page, buyer)
    buyer_page.goto(conversation.get_absolute_url())
    buyer_page.locator("[data-testid=offer]").last.locator("button:has-text('Accept offer')").click()
    buyer_page.goto(conversation.offers.get().order.get_absolute_url())
    assert buyer_page.locator("h1").inner_text() == "Shopify store setup"


def test_the_order_header_says_where_the_money_is_and_the_timeline_speaks_words(new_page):
    order = make_order(12000, 28000)
    first = deliver(fund(ms(order, 1)))
    dispute = disputes.dispute_open(milestone_id=first.pk, actor=order.buyer, reason="quality", description="Half")
    proposal = disputes.settlement_propose(
        dispute_id=dispute.pk, actor=order.seller, outcome=DisputeOutcome.SPLIT, seller_amount_cents=6000
    )
    disputes.settlement_accept(proposal_id=proposal.pk, actor=order.buyer)
    page = _as(new_page, order.buyer, PHONE)
    page.goto(order.get_absolute_url())
    figures = {
        key: page.locator(f"[data-testid=progress-{key}]").inner_text()
        for key in ("released", "refunded", "held", "to-fund", "total")
    }
    assert figures == {
        "released": "$60.00",
        "refunded": "$60.00",
        "held": "$0.00",
        "to-fund": "$280.00",
        "total": "$400.00",
    }
    assert page.locator("[data-testid=progress-milestones]").inner_text() == "1 of 2 milestones ended"
    timeline = page.locator("ol.timeline").inner_text()
    assert "_" not in timeline and "(–" not in timeline
    assert "Awaiting funding → Funded" in timeline and "now Active" in timeline


def test_a_fully_refunded_order_says_it_was_refunded(new_page):
    order = make_order(10000, 20000)
    first = fund(ms(order, 1))
    asked = milestone_services.cancellation_request(milestone_id=first.pk, actor=order.buyer, reason="Plans changed")
    milestone_services.cancellation_decide(request_id=asked.pk, actor=order.seller, accept=True)
    milestone_services.milestone_cancel(milestone_id=ms(order, 2).pk, actor=order.buyer)
    page = _as(new_page, order.buyer)
    page.goto(order.get_absolute_url())
    assert page.locator("[data-testid=progress-refunded]").inner_text() == "$100.00"
    assert page.locator("[data-testid=progress-total]").inner_text() == "$100.00"
    assert page.locator("[data-testid=progress-milestones]").inner_text() == "2 of 2 milestones ended"


def test_earnings_history_and_receipts_name_orders_and_milestones_not_ids(new_page):
    order = make_order(100000, 20000)
    approve(deliver(fund(ms(order, 1))))
    second = approve(deliver(fund(ms(order, 2))))
    checkout = order_services.tip_checkout_start(order_id=order.pk, actor=order.buyer, amount_cents=500)
    payments.checkout_pay(checkout=checkout, actor=order.buyer, payment_method=CARD_SUCCEEDS)

    seller = _as(new_page, order.seller)
    seller.goto("/payments/earnings/")
    pending = seller.locator("[data-testid=pending-table]").inner_text()
    assert f"Order #{order.pk} · Milestone 2: Milestone 2" in pending
    assert f"Milestone #{second.pk}" not in pending
    link = seller.locator("[data-testid=earning-for] a", has_text="Milestone 2").first
    assert link.get_attribute("href").endswith(f"/orders/{order.pk}/#milestone-{second.pk}")
    # the chart's axis labels: each with its "$", each drawn whole inside the chart
    labels = seller.evaluate(
        """() => [...document.querySelectorAll('[data-testid=earnings-chart] text.axis')].map(t => {
            const box = t.getBBox();
            return [t.textContent, box.x, box.y];
        })"""
    )
    assert labels and all(text.startswith("$") for text, _x, _y in labels), labels
    assert all(x >= 0 and y >= 0 for _text, x, y in labels), labels
    assert "$1,000" in [text for text, _x, _y in labels]

    buyer = _as(new_page, order.buyer)
    buyer.goto("/payments/history/")
    history = buyer.locator("main").inner_text()
    assert f"Order #{order.pk} · Milestone 1: Milestone 1" in history and f"Tip for order #{order.pk}" in history
    buyer.goto(checkout.get_receipt_url())
    receipt = buyer.locator("[data-testid=receipt]").inner_text()
    assert f"Tip for order #{order.pk}" in receipt
    assert "Ledger" not in receipt and not re.search(r"[0-9a-f]{8}-[0-9a-f]{3}", receipt)


def test_answers_and_refunds_say_what_happened(new_page):
    order = make_order(10000, 20000)
    first = fund(ms(order, 1))
    second = fund(ms(order, 2))  # waits, funded, while the first is worked on
    milestone_services.extension_request(milestone_id=first.pk, actor=order.seller, days=1, reason="More pages")
    buyer = _as(new_page, order.buyer, PHONE)
    buyer.goto(order.get_absolute_url())
    buyer.locator("form[action*='/requests/extension/'] button[value=accept]").click()
    due = ms(order, 1).due_at
    assert _flash(buyer) == f"You accepted the extension: the due date is now {due:%d %b}."

    seller = _as(new_page, order.seller)
    seller.goto(order.get_absolute_url())
    seller.locator(f"#milestone-{second.pk} summary", has_text="More options").click()  # cancelling waits there
    seller.locator(f"#milestone-{second.pk} [data-testid=cancel]").click()
    assert _flash(seller) == "The milestone was cancelled. $200.00 was added to the buyer's balance."
    buyer.goto("/notifications/")
    told = buyer.locator("main").inner_text()
    assert "The seller asks for 1 more day on “Milestone 1”." in told
    assert "“Milestone 2” was cancelled. $200.00 was added to your balance." in told


def test_declining_a_settlement_says_so(new_page):
    order = make_order(10000)
    first = deliver(fund(ms(order, 1)))
    dispute = disputes.dispute_open(milestone_id=first.pk, actor=order.buyer, reason="quality", description="No")
    disputes.settlement_propose(
        dispute_id=dispute.pk, actor=order.seller, outcome=DisputeOutcome.SPLIT, seller_amount_cents=5000
    )
    buyer = _as(new_page, order.buyer)
    buyer.goto(f"/disputes/{dispute.pk}/")
    buyer.locator("button:has-text('Decline')").first.click()
    said = _flash(buyer)
    assert said != "Done." and said.startswith("You declined the settlement proposal.")


def test_checkout_says_the_fee_in_plain_words(new_page):
    order = make_order(10000)
    checkout = milestone_services.milestone_fund_checkout(milestone=ms(order, 1), actor=order.buyer)
    buyer = _as(new_page, order.buyer)
    buyer.goto(checkout.get_absolute_url())
    assert "half-up" not in buyer.locator("main").inner_text()


def test_the_admin_shows_dollars_and_keeps_a_funded_plan(new_page):
    admin = UserFactory(is_staff=True, is_superuser=True)
    order = make_order(20000, 10000)
    funded = fund(ms(order, 1))
    page = _as(new_page, admin)
    page.goto("/admin/milestones/milestone/")
    listing = page.locator("#result_list").inner_text()
    assert "$200.00" in listing and "20000" not in listing
    assert "Amount cents" not in page.locator("#result_list thead").inner_text()
    page.goto(f"/admin/milestones/milestone/{funded.pk}/change/")
    assert page.locator("input[name=title]").count() == 0
    assert page.locator("textarea[name=description]").count() == 0
    assert "$200.00" in page.locator("main, #content").first.inner_text()
    page.goto(f"/admin/milestones/milestone/{ms(order, 2).pk}/change/")  # awaiting funding: may be mended
    assert page.locator("input[name=title]").count() == 1
