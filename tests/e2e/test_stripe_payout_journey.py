"""From a card payment to the seller's payout with the Stripe provider, in Chromium (the fake Stripe API and the
Stripe.js stand-in): the buyer funds a milestone by card, the seller delivers, the buyer approves; the earning
clears, the seller sets up payouts on Stripe's hosted onboarding page, the cleared money is transferred to the
seller's account and withdrawn; the bank's answer comes as a signed ``payout.paid`` webhook and the earnings
page says so. The ledger agrees with itself and with the fake's records at the end."""

import re

import pytest
from django.conf import settings

from payments import services
from payments.integrity import ledger_breaches
from payments.models import Payout, PayoutAccount
from tests.e2e.browsing import log_in
from tests.factories import UserFactory
from tests.orders.builders import make_order, ms

from .stripe_checkout import StripeBrowser, pay
from .test_order_journey import approve, deliver, milestone

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_a_card_payment_reaches_the_sellers_bank(browser, live_server, fake_stripe, clock):
    buyer, seller = UserFactory(display_name="Bea Buyer"), UserFactory(display_name="Sol Seller")
    order = make_order(10000, buyer=buyer, seller=seller)
    contexts = [browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 900}) for _ in "bs"]
    try:
        for context in contexts:
            context.set_default_timeout(10_000)
        buyer_stripe, seller_stripe = (StripeBrowser(c, fake_stripe, live_server.url) for c in contexts)
        buyer_page, seller_page = buyer_stripe.page(), seller_stripe.page()
        for page in (buyer_page, seller_page):
            page.on("dialog", lambda dialog: dialog.accept())  # the "Are you sure?" confirmations

        # The buyer funds milestone 1 by card on the Stripe checkout.
        log_in(buyer_page, buyer)
        buyer_page.goto(order.get_absolute_url())
        milestone(buyer_page, 1).get_by_role("button", name=re.compile(r"^Fund \$100")).click()
        buyer_page.wait_for_url(re.compile(r".*/payments/checkout/[0-9a-f-]+/$"))
        pay(buyer_page, "4242 4242 4242 4242")
        buyer_page.wait_for_url(re.compile(rf".*/orders/{order.pk}/(#.*)?$"))
        assert ms(order, 1).state == "in_progress"
        [intent] = fake_stripe.all("payment_intent")
        assert (intent["status"], intent["transfer_group"]) == ("succeeded", f"order-{order.pk}")

        # The seller delivers, the buyer approves: $80 pending for the seller.
        log_in(seller_page, seller)
        seller_page.goto(order.get_absolute_url())
        deliver(seller_page, 1, "The logo, in SVG.")
        buyer_page.reload()
        approve(buyer_page, 1)
        seller_page.goto("/payments/earnings/")
        assert seller_page.inner_text("[data-testid=pending]") == "$80.00"
        assert seller_page.locator("[data-testid=payouts-none]").is_visible()

        # The clearance period passes; the earning is available (its transfer waits for a payout account).
        clock.advance(days=settings.PAYMENTS_CLEARANCE_DAYS, minutes=1)
        assert services.earnings_clear() == 1
        assert fake_stripe.all("transfer") == []
        seller_page.reload()
        assert seller_page.inner_text("[data-testid=available]") == "$80.00"

        # Set up payouts: Stripe's hosted onboarding (the fake's page), then back to the earnings page.
        seller_page.click("[data-testid=payout-account-button]")
        seller_page.wait_for_url(f"{fake_stripe.url}/fake/onboard/**")
        seller_page.get_by_role("button", name="Agree and submit").click()
        seller_page.wait_for_url(re.compile(r".*/payments/earnings/$"))
        assert "Your payout account is ready" in seller_page.inner_text(".messages")
        assert seller_page.locator("[data-testid=payouts-enabled]").inner_text() == "Payouts enabled"
        account = PayoutAccount.objects.get(seller=seller)
        assert account.can_receive

        # The cleared earning is transferred to the seller's connected account (once), then withdrawn.
        seller_page.fill("input[name=amount]", "80")
        seller_page.click("[data-testid=withdraw]")
        seller_page.wait_for_url(re.compile(r".*/payments/earnings/$"))
        transfers = fake_stripe.all("transfer")
        assert [(t["destination"], t["amount"]) for t in transfers] == [(account.account_id, 8000)]
        [payout] = fake_stripe.all("payout", account=account.account_id)
        assert (payout["amount"], payout["status"]) == (8000, "pending")
        assert Payout.objects.get(seller=seller).provider_reference == payout["id"]
        assert seller_page.inner_text("[data-testid=available]") == "$0.00"
        assert "$80.00" in seller_page.inner_text("[data-testid=payouts-table]")
        assert "Processing" in seller_page.inner_text("[data-testid=payouts-table]")
        assert ledger_breaches() == []

        # The bank pays it; Stripe says so by a signed webhook to this site.
        fake_stripe.payout_settle(payout["id"], paid=True)
        [paid_event] = fake_stripe.events_of("payout.paid")
        status, body = fake_stripe.deliver(paid_event, live_server.url)
        assert status == 200, body
        assert fake_stripe.deliver(paid_event, live_server.url)[0] == 200  # a replay changes nothing
        seller_page.reload()
        assert "Paid" in seller_page.inner_text("[data-testid=payouts-table]")
        assert seller_page.inner_text("[data-testid=withdrawn]") == "$80.00"
        assert fake_stripe.balance(account.account_id) == 0

        for stripe, page in ((buyer_stripe, buyer_page), (seller_stripe, seller_page)):
            assert stripe.card_numbers_sent() == []
            assert stripe.problems(page) == []
        assert ledger_breaches() == []
    finally:
        for context in contexts:
            context.close()
