"""A buyer tips a seller through the checkout page; the seller's earnings clear and are withdrawn: in Chromium."""

import os
import re
from datetime import timedelta

import pytest

from payments import services
from payments.integrity import ledger_breaches
from payments.models import SandboxOperation
from tests.factories import PASSWORD, UserFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _log_in(page, user):
    page.goto("/accounts/login/")
    page.fill("input[name=login]", user.email)
    page.fill("input[name=password]", PASSWORD)
    page.click("main form button[type=submit]")
    page.wait_for_load_state()


def _pay_by_card(page, number):
    page.fill("input[name=card_number]", number)
    page.fill("input[name=expiry]", "12/34")
    page.fill("input[name=cvc]", "123")
    page.click("[data-testid=pay-card]")
    page.wait_for_load_state()


def _screenshot(page, name):
    # Set E2E_SCREENSHOT_DIR to look at the real pages.
    folder = os.environ.get("E2E_SCREENSHOT_DIR")
    if folder:
        page.screenshot(path=os.path.join(folder, f"{name}.png"), full_page=True)


def test_buyer_tips_with_a_declined_then_a_good_card_and_the_seller_withdraws(new_page, clock):
    buyer = UserFactory(display_name="Bea Buyer")
    seller = UserFactory(display_name="Sol Seller")

    # The buyer opens a tip for the seller and reaches the checkout page.
    buyer_page = new_page()
    _log_in(buyer_page, buyer)
    buyer_page.goto(f"/payments/tip/{seller.pk}/")
    buyer_page.fill("input[name=amount]", "50")
    buyer_page.fill("input[name=note]", "Great logo work")
    buyer_page.click("main form button[type=submit]")
    buyer_page.wait_for_url(re.compile(r".*/payments/checkout/[0-9a-f-]+/$"))
    assert buyer_page.inner_text("[data-testid=checkout-total]") == "$50.00"
    _screenshot(buyer_page, "checkout")

    # The declined card: a message on the page, nothing charged.
    _pay_by_card(buyer_page, "4000 0000 0000 0002")
    assert "Your card was declined" in buyer_page.inner_text(".messages")
    assert SandboxOperation.objects.count() == 0

    # The good card: back to the return page with a success message.
    _pay_by_card(buyer_page, "4242 4242 4242 4242")
    buyer_page.wait_for_url(re.compile(r".*/payments/history/$"))
    assert "Payment of $50.00 received" in buyer_page.inner_text(".messages")
    assert "Card •••• 4242" in buyer_page.content()

    # The seller sees it pending, with its clearance date.
    seller_page = new_page()
    _log_in(seller_page, seller)
    seller_page.goto("/payments/earnings/")
    assert seller_page.inner_text("[data-testid=pending]") == "$40.00"
    assert seller_page.inner_text("[data-testid=available]") == "$0.00"
    clears_on = clock.now() + timedelta(days=14)
    assert f"{clears_on:%b} {clears_on.day}, {clears_on:%Y}" in seller_page.inner_text("[data-testid=pending-table]")

    # Fourteen days later the sweep makes it available.
    clock.advance(days=14, minutes=1)
    assert services.earnings_clear() == 1
    seller_page.reload()
    assert seller_page.inner_text("[data-testid=pending]") == "$0.00"
    assert seller_page.inner_text("[data-testid=available]") == "$40.00"

    # Asking for too much is refused on the page; then the seller withdraws it all.
    seller_page.fill("input[name=amount]", "40.01")
    seller_page.click("[data-testid=withdraw]")
    seller_page.wait_for_load_state()
    assert "You can withdraw at most $40.00" in seller_page.content()
    seller_page.fill("input[name=amount]", "40")
    seller_page.click("[data-testid=withdraw]")
    seller_page.wait_for_load_state()
    assert "Withdrawal of $40.00 sent" in seller_page.inner_text(".messages")
    assert seller_page.inner_text("[data-testid=withdrawn]") == "$40.00"
    assert seller_page.inner_text("[data-testid=available]") == "$0.00"
    _screenshot(seller_page, "earnings")
    assert ledger_breaches() == []
