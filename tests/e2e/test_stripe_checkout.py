"""The checkout page with the Stripe provider, in Chromium: the card is typed into the Payment Element (the
Stripe.js stand-in, tests/e2e/stripe_js_standin.js), the fake Stripe API charges it. Success, a decline then a
good card, and 3-D Secure completed or failed in the bank's window; after each the ledger agrees with itself
and with the fake's records, no page the server sent and no form the browser posted held a card number, the
page's CSP let the script and its calls through, and nothing went to Stripe's real hosts."""

import re

import pytest

from milestones import services as milestone_services
from payments.integrity import ledger_breaches
from payments.models import Checkout, CheckoutStatus
from tests.e2e.browsing import log_in
from tests.factories import UserFactory
from tests.orders.builders import make_order, ms

from .stripe_checkout import StripeBrowser, pay, type_card

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

DECLINED = "Your card was declined."


@pytest.fixture
def buyer_at_checkout(browser, live_server, fake_stripe):
    """A buyer signed in on the Stripe checkout page of milestone 1 ($100) of a fresh order."""
    order = make_order(10000)
    checkout = milestone_services.milestone_fund_checkout(milestone=ms(order, 1), actor=order.buyer)
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 900})
    context.set_default_timeout(10_000)
    stripe = StripeBrowser(context, fake_stripe, live_server.url)
    page = stripe.page()
    log_in(page, order.buyer)
    page.goto(checkout.get_absolute_url())
    page.wait_for_selector("#payment-element [data-testid=stripe-standin]")
    yield order, checkout, page, stripe
    context.close()


def _checks_after(stripe, page):
    assert stripe.card_numbers_sent() == []
    assert stripe.problems(page) == []
    assert ledger_breaches() == []


def test_a_good_card_funds_the_milestone_once(buyer_at_checkout, fake_stripe):
    order, checkout, page, stripe = buyer_at_checkout
    # Stripe.js was set up as the page documents it: the publishable key, one Elements in payment mode
    setup = page.evaluate(
        "() => ({keys: __stripeStandin.keys, options: __stripeStandin.elements.map(e => e._options)})"
    )
    assert setup["keys"] == [fake_stripe.publishable_key]
    assert setup["options"] == [
        {
            "mode": "payment",
            "amount": checkout.total_cents,
            "currency": "usd",
            "paymentMethodCreation": "manual",
            "paymentMethodTypes": ["card"],
        }
    ]
    # An empty card form is refused in the page with Stripe's words; nothing is posted
    page.click("[data-testid=pay-card]")
    assert page.locator("[data-testid=card-errors]").inner_text() == "Your card number is incomplete."
    assert stripe.posted == [(stripe.base_url + "/accounts/login/", stripe.posted[0][1])]

    pay(page, "4242 4242 4242 4242")
    page.wait_for_url(re.compile(rf".*/orders/{order.pk}/(#.*)?$"))
    assert "Payment of $" in page.inner_text(".messages")
    assert ms(order, 1).state == "in_progress"
    checkout.refresh_from_db()
    assert checkout.status == CheckoutStatus.PAID
    page.goto(checkout.get_receipt_url())
    assert "Card •••• 4242" in page.inner_text("[data-testid=receipt]")

    intents = fake_stripe.all("payment_intent")
    assert [(i["status"], i["amount_received"], i["transfer_group"]) for i in intents] == [
        ("succeeded", checkout.total_cents, f"order-{order.pk}")
    ]
    assert intents[0]["id"] == checkout.provider_intent
    assert fake_stripe.balance() == checkout.total_cents
    # what the server received was the payment method's id, never the card
    pays = [body for url, body in stripe.posted if url.endswith(checkout.get_absolute_url())]
    assert len(pays) == 1 and re.search(r"payment_method=pm_\w+", pays[0])
    _checks_after(stripe, page)


def test_a_declined_card_says_so_and_a_good_one_then_pays_once(buyer_at_checkout, fake_stripe):
    order, checkout, page, stripe = buyer_at_checkout
    pay(page, "4000 0000 0000 0002")
    page.wait_for_selector("[data-testid=card-errors] li")
    assert page.locator("[data-testid=card-errors]").inner_text() == DECLINED  # next to the card form
    assert page.url.endswith(checkout.get_absolute_url())
    checkout.refresh_from_db()
    assert checkout.status == CheckoutStatus.OPEN and ms(order, 1).state == "awaiting_funding"
    assert fake_stripe.balance() == 0
    assert [i["status"] for i in fake_stripe.all("payment_intent")] == ["requires_payment_method"]
    assert ledger_breaches() == []

    # The buyer types another card into the form drawn again; it is charged once.
    page.wait_for_selector("#payment-element [data-testid=stripe-standin]")
    pay(page, "4242424242424242")
    page.wait_for_url(re.compile(rf".*/orders/{order.pk}/(#.*)?$"))
    assert ms(order, 1).state == "in_progress"
    intents = fake_stripe.all("payment_intent")
    assert [(i["status"], i["amount_received"]) for i in intents] == [("succeeded", checkout.total_cents)]
    assert [c["status"] for c in fake_stripe.all("charge")] == ["failed", "succeeded"]
    assert fake_stripe.balance() == checkout.total_cents
    _checks_after(stripe, page)


def test_3d_secure_completed_in_the_bank_window_pays(buyer_at_checkout, fake_stripe):
    order, checkout, page, stripe = buyer_at_checkout
    pay(page, "4000 0025 0000 3155")
    bank = page.locator("dialog[data-testid=stripe-3ds]")
    bank.wait_for()
    assert "Your bank asks you to confirm this payment" in page.inner_text("[data-testid=checkout-confirming]")
    checkout.refresh_from_db()
    assert checkout.status == CheckoutStatus.PROCESSING  # nothing else can pay it meanwhile
    assert fake_stripe.balance() == 0
    bank.get_by_role("button", name="Complete").click()
    page.wait_for_url(re.compile(rf".*/orders/{order.pk}/(#.*)?$"))
    assert "Payment of $" in page.inner_text(".messages")
    assert ms(order, 1).state == "in_progress"
    checkout.refresh_from_db()
    assert checkout.status == CheckoutStatus.PAID
    assert [(i["status"], i["transfer_group"]) for i in fake_stripe.all("payment_intent")] == [
        ("succeeded", f"order-{order.pk}")
    ]
    assert fake_stripe.balance() == checkout.total_cents
    _checks_after(stripe, page)


def test_3d_secure_failed_in_the_bank_window_charges_nothing_and_opens_the_checkout_again(
    buyer_at_checkout, fake_stripe
):
    order, checkout, page, stripe = buyer_at_checkout
    pay(page, "4000 0025 0000 3155")
    bank = page.locator("dialog[data-testid=stripe-3ds]")
    bank.get_by_role("button", name="Fail").click()
    page.wait_for_url(re.compile(rf".*{re.escape(checkout.get_absolute_url())}$"))
    assert "unable to authenticate your payment method" in page.inner_text(".messages")
    checkout.refresh_from_db()
    assert checkout.status == CheckoutStatus.OPEN and ms(order, 1).state == "awaiting_funding"
    assert fake_stripe.balance() == 0
    assert [c["status"] for c in fake_stripe.all("charge")] == []
    # the card form is back, and a good card pays
    type_card(page, "4242 4242 4242 4242")
    page.click("[data-testid=pay-card]")
    page.wait_for_url(re.compile(rf".*/orders/{order.pk}/(#.*)?$"))
    assert ms(order, 1).state == "in_progress"
    assert Checkout.objects.get(pk=checkout.pk).status == CheckoutStatus.PAID
    assert fake_stripe.balance() == checkout.total_cents
    _checks_after(stripe, page)


def test_the_pages_only_stripe_draws_fit_load_and_pass_axe(browser, live_server, fake_stripe):
    """The every-page sweep (test_every_page.py) runs on the sandbox; these are what only Stripe draws: the
    hosted card form, the bank's window, and the earnings page's payout account (none yet; not enabled yet)."""
    from axe_playwright_python.sync_playwright import Axe

    from payments import connect

    from .pages import VIEWPORTS, Sweeper, session_cookie

    order = make_order(10000)
    checkout = milestone_services.milestone_fund_checkout(milestone=ms(order, 1), actor=order.buyer)
    other_seller = UserFactory()
    connect.payout_account_start(seller=other_seller, refresh_url="http://x/", return_url="http://x/")
    connect.payout_account_refresh(account_id=other_seller.payout_account.account_id)
    found = []
    for user, paths in (
        (order.buyer, [checkout.get_absolute_url()]),
        (order.seller, ["/payments/earnings/"]),
        (other_seller, ["/payments/earnings/"]),
    ):
        context = browser.new_context(base_url=live_server.url)
        context.set_default_timeout(15_000)
        StripeBrowser(context, fake_stripe, live_server.url)
        context.add_cookies([session_cookie(user, live_server.url)])
        sweeper = Sweeper(context, live_server.url, axe=Axe())
        try:
            for path in paths:
                sweeper.open(path, VIEWPORTS["390x844"])
                for width, viewport in VIEWPORTS.items():
                    found += [f"{path} at {width}: {problem}" for problem in sweeper.check(viewport)]
            if user == order.buyer:  # the bank's window over the checkout
                pay(sweeper.page, "4000 0025 0000 3155")
                sweeper.page.locator("dialog[data-testid=stripe-3ds]").wait_for()
                for width, viewport in VIEWPORTS.items():
                    found += [f"3-D Secure at {width}: {problem}" for problem in sweeper.check(viewport)]
        finally:
            context.close()
    assert not found, "\n".join(found)
