"""The pages with the Stripe provider (against the fake Stripe API): the checkout's hosted card form, the bank's
confirmation (3-D Secure) and its return, the seller's payout account, withdrawals and the card's refund."""

import re

import pytest

from payments import connect, services
from payments.exceptions import PaymentNeedsAction
from payments.integrity import ledger_breaches
from payments.models import Checkout, CheckoutStatus, Payout, PayoutAccount, PayoutStatus, ProviderTransfer
from payments.selectors import balances_for

from .conftest import open_milestone_checkout

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _ledger_clean_after(request):
    """After each test, the ledger holds every invariant and matches the fake's records one to one (the fake
    is asked for first, so that it is emptied only after this check)."""
    if "fake_stripe" in request.fixturenames:
        request.getfixturevalue("fake_stripe")
    yield
    assert ledger_breaches() == []


@pytest.fixture
def buyer_client(client, buyer, fake_stripe):
    client.force_login(buyer)
    return client


def _text(response):
    return re.sub(r"\s+", " ", response.content.decode())


def _pay(client, checkout, payment_method, **extra):
    return client.post(checkout.get_absolute_url(), {"pay_with": "card", "payment_method": payment_method, **extra})


# --- the checkout page ------------------------------------------------------------
def test_the_checkout_page_draws_stripes_card_form_and_allows_stripe_on_this_page_only(
    buyer_client, buyer, milestone_purpose, fake_stripe, settings
):
    checkout = open_milestone_checkout(buyer, 11, 5000)
    response = buyer_client.get(checkout.get_absolute_url())
    text = _text(response)
    assert response.status_code == 200
    assert 'id="payment-element"' in text and 'name="card_number"' not in text
    assert f'data-publishable-key="{fake_stripe.publishable_key}"' in text
    assert f'src="{settings.STRIPE_JS_URL}"' in text
    policy = response["Content-Security-Policy"]
    assert "https://js.stripe.com" in policy and fake_stripe.url in policy and "hooks.stripe.com" in policy
    # every other page keeps the strict policy
    other = buyer_client.get("/payments/history/")["Content-Security-Policy"]
    assert "stripe" not in other and fake_stripe.url not in other


def test_a_card_payment_is_one_payment_intent_with_the_checkouts_key_and_group(
    buyer_client, buyer, milestone_purpose, fake_stripe
):
    checkout = open_milestone_checkout(buyer, 12, 5000)
    response = _pay(buyer_client, checkout, "pm_card_visa")
    assert response.status_code == 302
    checkout.refresh_from_db()
    assert checkout.status == CheckoutStatus.PAID and checkout.card_last4 == "4242"
    [intent] = fake_stripe.all("payment_intent")
    assert intent["id"] == checkout.provider_intent == checkout.provider_reference
    assert intent["status"] == "succeeded" and intent["amount"] == checkout.total_cents
    assert intent["metadata"]["checkout_key"] == checkout.charge_idempotency_key
    assert intent["transfer_group"] == "milestone-12"
    # the same form posted again charges nothing more
    again = _pay(buyer_client, checkout, "pm_card_visa")
    assert again.status_code == 302 and len(fake_stripe.all("payment_intent")) == 1
    assert fake_stripe.balance() == checkout.total_cents


def test_a_declined_card_says_what_stripe_said_next_to_the_form_and_a_good_card_then_pays_once(
    buyer_client, buyer, milestone_purpose, fake_stripe
):
    checkout = open_milestone_checkout(buyer, 13, 5000)
    refused = _pay(buyer_client, checkout, "pm_card_chargeDeclined")
    assert refused.status_code == 400
    text = _text(refused)
    assert "Your card was declined." in text and 'id="card-errors"' in text
    checkout.refresh_from_db()
    assert checkout.status == CheckoutStatus.OPEN and fake_stripe.balance() == 0
    assert _pay(buyer_client, checkout, "pm_card_visa").status_code == 302
    checkout.refresh_from_db()
    assert checkout.status == CheckoutStatus.PAID
    assert len(fake_stripe.all("payment_intent")) == 1  # the same intent, confirmed again with the new card
    assert fake_stripe.balance() == checkout.total_cents


@pytest.mark.parametrize(
    ("posted", "message"),
    [
        ({}, "Enter your card details in the card form"),
        ({"payment_method": "4242424242424242"}, "sent something unexpected"),
        ({"payment_method": "pm_<script>"}, "sent something unexpected"),
    ],
)
def test_a_hosted_form_without_a_payment_method_is_refused_and_nothing_is_asked_of_stripe(
    buyer_client, buyer, milestone_purpose, fake_stripe, posted, message
):
    checkout = open_milestone_checkout(buyer, 14, 5000)
    response = buyer_client.post(checkout.get_absolute_url(), {"pay_with": "card", **posted})
    assert response.status_code == 200 and message in _text(response)
    assert "pm_<script>" not in response.content.decode()  # nothing posted is written back unescaped
    assert fake_stripe.all("payment_intent") == []
    assert Checkout.objects.get(pk=checkout.pk).status == CheckoutStatus.OPEN


def test_3d_secure_holds_the_checkout_then_the_return_from_the_bank_records_the_payment(
    buyer_client, buyer, milestone_purpose, fake_stripe
):
    checkout = open_milestone_checkout(buyer, 15, 5000)
    response = _pay(buyer_client, checkout, "pm_card_threeDSecure2Required")
    text = _text(response)
    assert response.status_code == 200 and 'data-testid="checkout-confirming"' in text
    checkout.refresh_from_db()
    assert checkout.status == CheckoutStatus.PROCESSING
    intent = fake_stripe.get(checkout.provider_intent)
    assert intent["status"] == "requires_action" and f'data-client-secret="{intent["client_secret"]}"' in text
    # a second tab cannot pay meanwhile
    assert _pay(buyer_client, checkout, "pm_card_visa").status_code == 302
    assert fake_stripe.get(checkout.provider_intent)["status"] == "requires_action"

    fake_stripe.complete_3ds(checkout.provider_intent, succeed=True)
    back = buyer_client.get(f"{checkout.get_absolute_url()}?payment_intent={checkout.provider_intent}")
    assert back.status_code == 302 and back["Location"] == checkout.return_url
    checkout.refresh_from_db()
    assert checkout.status == CheckoutStatus.PAID and fake_stripe.balance() == checkout.total_cents


def test_a_failed_bank_check_opens_the_checkout_again_with_the_banks_word(
    buyer_client, buyer, milestone_purpose, fake_stripe
):
    checkout = open_milestone_checkout(buyer, 16, 5000)
    _pay(buyer_client, checkout, "pm_card_threeDSecure2Required")
    checkout.refresh_from_db()
    fake_stripe.complete_3ds(checkout.provider_intent, succeed=False)
    back = buyer_client.get(f"{checkout.get_absolute_url()}?payment_intent={checkout.provider_intent}", follow=True)
    checkout.refresh_from_db()
    assert checkout.status == CheckoutStatus.OPEN and fake_stripe.balance() == 0
    assert "authenticate" in _text(back).lower() or "confirm" in _text(back).lower()
    # another intent id in the address is ignored (not this checkout's)
    other = buyer_client.get(f"{checkout.get_absolute_url()}?payment_intent=pi_someone_else")
    assert other.status_code == 200


def test_an_abandoned_bank_check_is_released_by_the_sweep_and_a_late_success_by_webhook_still_pays(
    client, buyer, milestone_purpose, fake_stripe, clock
):
    checkout = open_milestone_checkout(buyer, 17, 5000)
    with pytest.raises(PaymentNeedsAction):
        services.checkout_pay(checkout=checkout, actor=buyer, payment_method="pm_card_threeDSecure2Required")
    clock.advance(minutes=10)
    assert services.checkouts_recover() == 1
    checkout.refresh_from_db()
    assert checkout.status == CheckoutStatus.OPEN
    fake_stripe.complete_3ds(checkout.provider_intent, succeed=True)
    [event] = fake_stripe.events_of("payment_intent.succeeded")
    assert fake_stripe.deliver(event, client).status_code == 200
    checkout.refresh_from_db()
    assert checkout.status == CheckoutStatus.PAID
    assert milestone_purpose.paid == [17]


# --- the seller's payout account and withdrawals ------------------------------------------------------------
@pytest.fixture
def seller_with_available(seller, buyer, milestone_purpose, fake_stripe, clock):
    """A seller with $100.00 of milestone earnings cleared (a card payment released, 14 days later)."""
    checkout = open_milestone_checkout(buyer, 21, 10000)
    services.checkout_pay(checkout=checkout, actor=buyer, payment_method="pm_card_visa")
    services.escrow_release(milestone_id=21, seller=seller)
    clock.advance(days=15)
    services.earnings_clear()
    return seller


def test_earnings_without_a_payout_account_offers_setup_and_refuses_a_withdrawal(client, seller_with_available):
    client.force_login(seller_with_available)
    page = _text(client.get("/payments/earnings/"))
    assert 'data-testid="payouts-none"' in page and "Set up payouts" in page
    available = balances_for(seller_with_available).available_cents
    response = client.post("/payments/earnings/", {"amount": "20.00", "idempotency_key": "w1"})
    assert "Set up your payout account first" in _text(response)
    assert Payout.objects.count() == 0 and balances_for(seller_with_available).available_cents == available
    # the clearance's transfer waits for an account
    [transfer] = ProviderTransfer.objects.all()
    assert transfer.status == "pending" and transfer.amount_cents == available


def test_onboarding_then_a_withdrawal_transfers_and_pays_out_once(client, seller_with_available, fake_stripe):
    seller = seller_with_available
    client.force_login(seller)
    start = client.post("/payments/earnings/payout-account/")
    assert start.status_code == 302 and start["Location"].startswith(fake_stripe.url)
    account = PayoutAccount.objects.get(seller=seller)
    assert fake_stripe.get(account.account_id)["type"] == "express"
    # back before finishing: not ready, and the page says what Stripe still needs
    client.get("/payments/earnings/payout-account/return/")
    page = _text(client.get("/payments/earnings/"))
    assert 'data-testid="payouts-disabled"' in page and "Stripe still needs" in page
    # a second press does not make a second account
    client.post("/payments/earnings/payout-account/")
    assert len(fake_stripe.all("account")) == 1

    fake_stripe.onboard(account.account_id)
    client.get("/payments/earnings/payout-account/return/")
    assert 'data-testid="payouts-enabled"' in _text(client.get("/payments/earnings/"))
    [transfer] = ProviderTransfer.objects.all()
    assert transfer.status == "sent"
    assert fake_stripe.get(transfer.provider_reference)["destination"] == account.account_id

    response = client.post("/payments/earnings/", {"amount": "20.00", "idempotency_key": "w2"}, follow=True)
    assert "on its way to your bank account" in _text(response) and "not answered" not in _text(response)
    payout = Payout.objects.get()
    assert payout.status == PayoutStatus.PROCESSING and payout.provider_reference.startswith("po_")
    assert client.post("/payments/earnings/", {"amount": "20.00", "idempotency_key": "w2"}).status_code == 302
    assert len(fake_stripe.all("payout", account=account.account_id)) == 1

    fake_stripe.payout_settle(payout.provider_reference, paid=True)
    [paid] = fake_stripe.events_of("payout.paid")
    assert fake_stripe.deliver(paid, client).status_code == 200
    payout.refresh_from_db()
    assert payout.status == PayoutStatus.PAID


def test_a_failed_payout_returns_the_money_to_available(client, seller_with_available, fake_stripe):
    seller = seller_with_available
    connect.payout_account_start(seller=seller, refresh_url="http://testserver/r", return_url="http://testserver/b")
    account = PayoutAccount.objects.get(seller=seller)
    fake_stripe.onboard(account.account_id)
    connect.payout_account_refresh(account_id=account.account_id)
    before = balances_for(seller).available_cents
    payout = services.payout_request(seller=seller, amount_cents=2000, idempotency_key="f1")
    assert balances_for(seller).available_cents == before - 2000
    fake_stripe.payout_settle(payout.provider_reference, paid=False)
    [failed] = fake_stripe.events_of("payout.failed")
    assert fake_stripe.deliver(failed, client).status_code == 200
    payout.refresh_from_db()
    assert payout.status == PayoutStatus.FAILED and "closed" in payout.failure_message
    assert balances_for(seller).available_cents == before
    # the same event again changes nothing
    assert fake_stripe.deliver(failed, client).status_code == 200
    assert balances_for(seller).available_cents == before


def test_the_sandbox_pages_have_no_stripe_parts(client, seller, buyer, milestone_purpose):
    client.force_login(seller)
    assert 'data-testid="payout-account"' not in _text(client.get("/payments/earnings/"))
    assert client.post("/payments/earnings/payout-account/").status_code == 404
    assert client.post("/payments/stripe/webhook", data=b"{}", content_type="application/json").status_code == 404


# --- refunds to the card ------------------------------------------------------------
def test_with_refunds_to_the_card_a_cancellation_and_a_split_refund_the_payment_intent(
    buyer, seller, milestone_purpose, fake_stripe, settings
):
    settings.PAYMENTS_REFUND_TO = "card"
    whole = open_milestone_checkout(buyer, 31, 5000)
    services.checkout_pay(checkout=whole, actor=buyer, payment_method="pm_card_visa")
    services.escrow_refund(milestone_id=31, buyer=buyer, destination="card")
    part = open_milestone_checkout(buyer, 32, 8000)
    services.checkout_pay(checkout=part, actor=buyer, payment_method="pm_card_visa")
    services.escrow_split(
        milestone_id=32, seller=seller, buyer=buyer, seller_amount_cents=3000, buyer_destination="card"
    )
    whole.refresh_from_db()
    part.refresh_from_db()
    refunds = {r["payment_intent"]: r["amount"] for r in fake_stripe.all("refund")}
    assert refunds == {whole.provider_reference: 5000, part.provider_reference: 5000}
    assert balances_for(buyer).buyer_balance_cents == 0


# --- demo data ---------------------------------------------------------------------------------------------
def test_demo_money_is_made_with_stripes_test_payment_method_and_never_with_live_keys(fake_stripe, settings):
    import io

    from django.core.management import CommandError

    from payments import demo
    from tests.factories import UserFactory

    UserFactory(email="buyer2@example.com")
    UserFactory(email="seller@example.com")
    demo.seed(io.StringIO())  # what seed_demo's payments part does (the orders part pays the same way)
    intents = fake_stripe.all("payment_intent")
    assert len(intents) == len(demo.DEMO_TIPS) and {intent["status"] for intent in intents} == {"succeeded"}
    assert {intent["payment_method"] for intent in intents} == {"pm_card_visa"}
    assert Payout.objects.count() == 0  # with Stripe the demo seller sets up payouts first

    key = settings.STRIPE_SECRET_KEY
    settings.STRIPE_SECRET_KEY = "sk_live_not_for_demos"
    with pytest.raises(CommandError, match="never live keys"):
        demo.demo_payment_method()
    settings.STRIPE_SECRET_KEY = key


def test_a_seller_with_a_second_factor_confirms_a_change_of_payout_account_with_a_code(client, seller, fake_stripe):
    from tests.factories import enrol_totp, totp_code

    enrol_totp(seller)
    client.force_login(seller)
    page = _text(client.get("/payments/earnings/"))
    assert page.count('name="second_factor_code"') == 2  # the withdrawal's and the payout account's forms
    refused = client.post("/payments/earnings/payout-account/", {"second_factor_code": "000000"}, follow=True)
    assert "code" in _text(refused).lower() and PayoutAccount.objects.count() == 0
    assert fake_stripe.all("account") == []
    ok = client.post("/payments/earnings/payout-account/", {"second_factor_code": totp_code(seller)})
    assert ok.status_code == 302 and ok["Location"].startswith(fake_stripe.url)
    assert PayoutAccount.objects.filter(seller=seller).exists()


def test_an_unfinished_setup_says_to_finish_it_and_the_two_code_fields_are_told_apart(client, seller, fake_stripe):
    """From the outside try: leaving Stripe's onboarding without submitting showed "Stripe is checking your
    details"; and with two-factor on, the payout account's code field looked like the withdrawal's."""
    from tests.factories import enrol_totp, totp_code

    enrol_totp(seller)
    client.force_login(seller)
    client.post("/payments/earnings/payout-account/", {"second_factor_code": totp_code(seller)})
    page = _text(client.get("/payments/earnings/"))
    assert "checking your details" not in page
    assert 'data-testid="payouts-unfinished"' in page or "Stripe still needs" in page
    assert "Authentication code, to change where payouts go" in page
    assert page.count('name="second_factor_code"') == 2
