"""Pages that update themselves, in Chromium: two people, each in their own browser; the seller has the
conversation and the order open in two tabs, half-way through typing, while the buyer writes and pays."""

import re
import time

import pytest
from django.test import override_settings
from playwright.sync_api import expect

from payments.providers.sandbox import CARD_SUCCEEDS
from tests.e2e.browsing import log_in
from tests.factories import UserFactory
from tests.orders.builders import make_order

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

WITHIN = 5_000  # ms: what the issue asks of an update seen by the other side
HALF_TYPED = "Thanks! I will start with the colour stud"


def _order():
    buyer, seller = UserFactory(display_name="Bea Buyer"), UserFactory(display_name="Sol Seller")
    return make_order(10000, 20000, buyer=buyer, seller=seller)


def _buyer_writes(buyer, order, text):
    """The buyer logs in in their own browser and sends ``text`` from the conversation page."""
    log_in(buyer, order.buyer)
    buyer.goto(order.conversation.get_absolute_url())
    buyer.fill("textarea[name=body]", text)
    buyer.click("[data-testid=send-message]")
    buyer.wait_for_load_state()
    return buyer


def _pay(page):
    page.fill("input[name=card_number]", CARD_SUCCEEDS)
    page.fill("input[name=expiry]", "12/34")
    page.fill("input[name=cvc]", "123")
    page.click("[data-testid=pay-card]")
    page.wait_for_url(re.compile(r".*/orders/\d+/.*"))


def test_the_sellers_open_pages_show_the_buyers_message_and_payment_keeping_what_they_type(new_page):
    order = _order()
    seller_chat = new_page()
    problems = []
    seller_chat.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    log_in(seller_chat, order.seller)
    seller_order = seller_chat.context.new_page()  # a second tab of the same browser
    seller_order.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    seller_order.goto(order.get_absolute_url())
    seller_chat.goto(order.conversation.get_absolute_url())
    expect(seller_order.locator("[data-testid=milestone-1] [data-testid=state]")).to_have_text("Awaiting funding")

    # The seller is half-way through a reply, and through proposing a milestone in the other tab.
    seller_order.locator("#add-milestone summary").click()
    seller_order.fill("#add-milestone input[name$=title]", "Extra: favicon set")
    reply = seller_chat.locator("textarea[name=body]")
    reply.click()
    reply.type(HALF_TYPED)

    buyer = _buyer_writes(new_page(), order, "Paying the first milestone now.")
    sent = time.monotonic()

    expect(seller_chat.locator(".thread")).to_contain_text("Paying the first milestone now.", timeout=WITHIN)
    expect(seller_order.locator("#order-side")).to_contain_text("Paying the first milestone now.", timeout=WITHIN)
    assert time.monotonic() - sent < WITHIN / 1000 + 1

    buyer.goto(order.get_absolute_url())
    buyer.locator("[data-testid=milestone-1]").get_by_role("button", name=re.compile(r"^Fund \$100")).click()
    buyer.wait_for_url(re.compile(r".*/checkout/.*"))
    _pay(buyer)
    paid = time.monotonic()
    expect(seller_order.locator("[data-testid=milestone-1] [data-testid=state]")).to_have_text(
        "In progress", timeout=WITHIN
    )
    expect(seller_order.locator("[data-testid=progress-held]")).to_have_text("$100.00", timeout=WITHIN)
    assert time.monotonic() - paid < WITHIN / 1000 + 1

    # Nothing the seller typed was lost, in either tab; the reply box still has the cursor.
    assert reply.input_value() == HALF_TYPED
    assert reply.evaluate("box => document.activeElement === box")
    assert seller_order.locator("#add-milestone input[name$=title]").input_value() == "Extra: favicon set"
    assert seller_order.locator("#add-milestone").evaluate("d => d.open")
    # The bell counts the payment without a reload, and the reply still sends as typed.
    expect(seller_chat.locator("[data-live-badge=notifications] .badge")).to_be_visible(timeout=WITHIN)
    reply.type("io.")
    seller_chat.click("[data-testid=send-message]")
    seller_chat.wait_for_load_state()
    expect(buyer.locator("#order-side")).to_contain_text(HALF_TYPED + "io.", timeout=WITHIN)
    assert not [p for p in problems if "Content Security Policy" in p or "Uncaught" in p], problems


def test_a_refused_form_is_not_swapped_away_and_says_the_page_changed(new_page):
    order = _order()
    seller = new_page()
    log_in(seller, order.seller)
    seller.goto(order.get_absolute_url())
    seller.locator("#add-milestone summary").click()
    seller.fill("#add-milestone input[name$=title]", "Extra")
    seller.fill("#add-milestone textarea[name$=description]", "A favicon set")
    seller.fill("#add-milestone input[name$=amount]", "1")  # below the minimum: refused, typed text kept
    seller.locator("#add-milestone button[type=submit]").click()
    seller.wait_for_load_state()
    expect(seller.locator("#add-milestone .errorlist").first).to_be_visible()

    _buyer_writes(new_page(), order, "Hello there")
    # the side panel shows the message; the refused form stays as it was, with its error and what was typed
    expect(seller.locator("#order-side")).to_contain_text("Hello there", timeout=WITHIN)
    expect(seller.locator("[data-testid=live-note]")).to_be_visible(timeout=WITHIN)
    expect(seller.locator("#add-milestone .errorlist").first).to_be_visible()
    assert seller.locator("#add-milestone input[name$=title]").input_value() == "Extra"


def test_with_javascript_off_nothing_polls_and_a_reload_shows_the_change(browser, live_server):
    order = _order()
    context = browser.new_context(base_url=live_server.url, java_script_enabled=False)
    try:
        seller = context.new_page()
        polls = []
        seller.on("request", lambda r: polls.append(r.url) if "/live/" in r.url else None)
        log_in(seller, order.seller)
        seller.goto(order.conversation.get_absolute_url())
        from marketplace import services as marketplace

        marketplace.message_send(conversation=order.conversation, sender=order.buyer, body="Seen on reload")
        seller.wait_for_timeout(1500)
        assert "Seen on reload" not in seller.locator(".thread").inner_text()
        seller.reload()
        assert "Seen on reload" in seller.locator(".thread").inner_text()
        assert polls == []
    finally:
        context.close()


@override_settings(LIVE_POLL_SECONDS=1)
def test_a_hidden_tab_stops_polling_and_catches_up_when_seen(new_page):
    order = _order()
    seller = new_page()
    polls = []
    seller.on("request", lambda r: polls.append(time.monotonic()) if "/live/" in r.url else None)
    log_in(seller, order.seller)
    seller.goto(order.conversation.get_absolute_url())
    seller.wait_for_timeout(2500)
    assert polls, "a visible page polls"
    seller.evaluate(
        "() => { Object.defineProperty(document, 'hidden', {value: true, configurable: true});"
        " document.dispatchEvent(new Event('visibilitychange')); }"
    )
    seller.wait_for_timeout(1200)
    count = len(polls)
    seller.wait_for_timeout(2500)
    assert len(polls) == count, "a hidden page does not poll"
    from marketplace import services as marketplace

    marketplace.message_send(conversation=order.conversation, sender=order.buyer, body="While you were away")
    seller.evaluate(
        "() => { Object.defineProperty(document, 'hidden', {value: false, configurable: true});"
        " document.dispatchEvent(new Event('visibilitychange')); }"
    )
    expect(seller.locator(".thread")).to_contain_text("While you were away", timeout=WITHIN)
