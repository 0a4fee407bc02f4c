"""The Stripe provider against the fake Stripe API (tests/fake_stripe/), over HTTP through the official SDK.

Also: the fake refuses what Stripe refuses, so a wrong call from the provider cannot pass here silently.
"""

import json
import time
from types import SimpleNamespace

import pytest
import requests

from payments.exceptions import CardDeclined, PaymentNeedsAction, ProviderError, ProviderUnavailable
from payments.providers import AccountStatus, ProviderRecords, get_provider
from payments.providers import stripe as stripe_module
from payments.providers.stripe import StripeProvider
from tests.fake_stripe.params import parse_form
from tests.fake_stripe.server import API_VERSION, AUTHENTICATION_FAILED


@pytest.fixture
def provider(fake_stripe):
    provider = get_provider()
    assert isinstance(provider, StripeProvider)
    return provider


def seller_with(account_id="", email="sol@example.com"):
    """A seller as the provider sees one (the app's PayoutAccount has ``account_id``)."""
    payout_account = SimpleNamespace(account_id=account_id) if account_id else None
    return SimpleNamespace(pk=7, email=email, payout_account=payout_account)


def pay(provider, amount=2500, card="pm_card_visa", key="checkout-1", transfer_group="order-1"):
    intent = provider.prepare_charge(
        amount_cents=amount, idempotency_key=key, description="Milestone 1", transfer_group=transfer_group
    )
    return intent, provider.charge(
        amount_cents=amount, payment_method=card, idempotency_key=key, description="Milestone 1", intent=intent
    )


def onboarded_account(provider, fake, key="acct-key-1"):
    account = provider.account_create(seller=seller_with(), idempotency_key=key)
    fake.onboard(account)
    return account


def raw(fake, method, path, data=None, *, key=None, headers=None):
    """A request to the fake without the SDK (to check what the fake itself accepts)."""
    sent = {} if key is False else {"Authorization": f"Bearer {key or fake.secret_key}"}
    sent.update(headers or {})
    response = requests.request(method, fake.url + path, data=data, headers=sent, timeout=5, allow_redirects=False)
    return response.status_code, (response.json() if "json" in response.headers.get("Content-Type", "") else None)


def confirms(fake):
    return [r for r in fake.requests if r[0] == "POST" and r[1].endswith("/confirm")]


# --- Card payments ---------------------------------------------------------------------------------
def test_a_paid_checkout_is_one_succeeded_payment_intent_with_the_card_last4(provider, fake_stripe):
    intent, result = pay(provider, 2500)

    assert result.reference == intent and result.amount_cents == 2500 and result.card_last4 == "4242"
    pi = fake_stripe.get(intent)
    assert pi["status"] == "succeeded" and pi["amount_received"] == 2500
    assert pi["currency"] == "usd" and pi["payment_method_types"] == ["card"]
    assert fake_stripe.versions == {API_VERSION}  # the SDK's pinned version, the one the fake answers as
    assert pi["transfer_group"] == "order-1" and pi["metadata"] == {"checkout_key": "checkout-1"}
    assert len(fake_stripe.all("charge")) == 1
    assert fake_stripe.balance() == 2500
    assert [e["type"] for e in fake_stripe.events][-1] == "payment_intent.succeeded"


def test_preparing_the_same_checkout_twice_opens_one_payment_intent(provider, fake_stripe):
    first = provider.prepare_charge(amount_cents=900, idempotency_key="c", description="x", transfer_group="g")
    second = provider.prepare_charge(amount_cents=900, idempotency_key="c", description="x", transfer_group="g")

    assert first == second and len(fake_stripe.all("payment_intent")) == 1


@pytest.mark.parametrize(
    ("card", "message"),
    [
        ("pm_card_chargeDeclined", "Your card was declined."),
        ("pm_card_chargeDeclinedInsufficientFunds", "Your card has insufficient funds."),
    ],
)
def test_a_decline_says_what_stripe_said_and_another_card_can_pay(provider, fake_stripe, card, message):
    with pytest.raises(CardDeclined) as declined:
        pay(provider, card=card)
    assert str(declined.value) == message
    intent = fake_stripe.all("payment_intent")[0]["id"]
    assert fake_stripe.get(intent)["status"] == "requires_payment_method"
    assert fake_stripe.balance() == 0

    _, result = pay(provider, card="pm_card_mastercard")
    assert result.reference == intent and result.card_last4 == "4444"


@pytest.mark.parametrize("card", ["pm_card_threeDSecure2Required", "pm_card_authenticationRequired"])
def test_3d_secure_needs_the_browser_then_the_charge_is_found(provider, fake_stripe, card):
    with pytest.raises(PaymentNeedsAction) as needs:
        pay(provider, card=card)
    intent = needs.value.reference
    assert needs.value.client_secret == fake_stripe.get(intent)["client_secret"]
    assert provider.find_charge(idempotency_key="checkout-1", intent=intent) is None
    assert provider.charge_status(intent=intent).status == "requires_action"

    # what the browser stand-in for Stripe.js does, from the page's origin
    response = requests.post(
        f"{fake_stripe.url}/fake/3ds/{intent}?outcome=succeed", headers={"Origin": "http://testserver"}, timeout=5
    )
    assert response.status_code == 200 and response.headers["Access-Control-Allow-Origin"] == "*"

    found = provider.find_charge(idempotency_key="checkout-1", intent=intent)
    assert found is not None and found.reference == intent and found.amount_cents == 2500
    assert provider.charge_status(intent=intent).status == "succeeded"
    # the checkout page's return: charging again does not confirm again
    again = provider.charge(
        amount_cents=2500, payment_method=card, idempotency_key="checkout-1", description="x", intent=intent
    )
    assert again == found and len(fake_stripe.all("charge")) == 1


def test_a_failed_3d_secure_check_charges_nothing_and_says_why(provider, fake_stripe):
    with pytest.raises(PaymentNeedsAction) as needs:
        pay(provider, card="pm_card_threeDSecure2Required")
    fake_stripe.complete_3ds(needs.value.reference, succeed=False)

    status = provider.charge_status(intent=needs.value.reference)
    assert status.status == "requires_payment_method" and status.message == AUTHENTICATION_FAILED
    assert provider.find_charge(idempotency_key="checkout-1", intent=needs.value.reference) is None
    assert fake_stripe.balance() == 0


def test_trying_the_same_card_after_a_failed_check_reports_the_payment_as_it_is_now(provider, fake_stripe):
    with pytest.raises(PaymentNeedsAction) as needs:
        pay(provider, card="pm_card_threeDSecure2Required")
    fake_stripe.complete_3ds(needs.value.reference, succeed=False)

    # the confirm call with the same key is replayed by Stripe; its old "requires_action" answer is stale
    with pytest.raises(CardDeclined, match="unable to authenticate"):
        pay(provider, card="pm_card_threeDSecure2Required")
    assert len(confirms(fake_stripe)) == 2


def test_a_processing_payment_is_unknown_until_the_bank_answers(provider, fake_stripe):
    with pytest.raises(ProviderUnavailable):
        pay(provider, card="pm_fake_processing")
    intent = fake_stripe.all("payment_intent")[0]["id"]
    with pytest.raises(ProviderUnavailable):
        provider.find_charge(idempotency_key="checkout-1", intent=intent)

    fake_stripe.settle_intent(intent, succeed=True)
    assert provider.find_charge(idempotency_key="checkout-1", intent=intent).amount_cents == 2500


def test_find_charge_without_a_payment_intent_finds_nothing(provider, fake_stripe):
    assert provider.find_charge(idempotency_key="never", intent="") is None
    assert fake_stripe.requests == []


def test_a_double_submit_returns_the_first_charge_without_confirming_again(provider, fake_stripe):
    intent, first = pay(provider)
    second = provider.charge(
        amount_cents=2500, payment_method="pm_card_visa", idempotency_key="checkout-1", description="x", intent=intent
    )

    assert second == first
    assert len(fake_stripe.all("charge")) == 1 and len(confirms(fake_stripe)) == 1


def test_the_same_key_with_other_details_is_refused(provider, fake_stripe):
    provider.prepare_charge(amount_cents=2500, idempotency_key="k", description="x", transfer_group="")
    with pytest.raises(ProviderError, match="idempotency key with different details"):
        provider.prepare_charge(amount_cents=2500, idempotency_key="k", description="y", transfer_group="")
    assert len(fake_stripe.all("payment_intent")) == 1


def test_a_changed_amount_updates_the_payment_intent_before_confirming(provider, fake_stripe):
    intent = provider.prepare_charge(amount_cents=2500, idempotency_key="c", description="x", transfer_group="")
    result = provider.charge(
        amount_cents=3100, payment_method="pm_card_visa", idempotency_key="c", description="x", intent=intent
    )

    assert result.amount_cents == 3100
    assert fake_stripe.get(intent)["amount"] == 3100 and fake_stripe.balance() == 3100


def test_charge_without_a_prepared_intent_opens_one(provider, fake_stripe):
    result = provider.charge(amount_cents=1200, payment_method="pm_card_visa", idempotency_key="c", description="x")
    assert result.reference == fake_stripe.all("payment_intent")[0]["id"] and result.amount_cents == 1200


def test_a_wrong_payment_method_is_a_provider_error_not_a_crash(provider, fake_stripe):
    with pytest.raises(ProviderError, match="refused the request"):
        pay(provider, card="pm_does_not_exist")


# --- Refunds ---------------------------------------------------------------------------------------
def test_a_full_refund_returns_everything_to_the_card(provider, fake_stripe):
    intent, _ = pay(provider, 2500)
    refund = provider.refund(charge_reference=intent, amount_cents=2500, idempotency_key="refund-1")

    assert refund.reference.startswith("re_") and refund.amount_cents == 2500
    assert fake_stripe.get(fake_stripe.get(intent)["latest_charge"])["refunded"] is True
    assert fake_stripe.balance() == 0 and fake_stripe.events_of("charge.refunded")


def test_partial_refunds_add_up_and_an_over_refund_is_refused(provider, fake_stripe):
    intent, _ = pay(provider, 2500)
    provider.refund(charge_reference=intent, amount_cents=1000, idempotency_key="r1")
    provider.refund(charge_reference=intent, amount_cents=1000, idempotency_key="r1")  # a retry: no second refund
    provider.refund(charge_reference=intent, amount_cents=1000, idempotency_key="r2")

    with pytest.raises(ProviderError, match="cannot exceed what was charged"):
        provider.refund(charge_reference=intent, amount_cents=501, idempotency_key="r3")
    assert [r["amount"] for r in fake_stripe.all("refund")] == [1000, 1000]
    assert fake_stripe.balance() == 500


# --- Transfers and payouts -------------------------------------------------------------------------
def test_a_transfer_moves_money_to_the_sellers_account(provider, fake_stripe):
    pay(provider, 5000)
    account = onboarded_account(provider, fake_stripe)

    result = provider.transfer(account=account, amount_cents=4000, idempotency_key="clear-1", description="Batch 1")
    again = provider.transfer(account=account, amount_cents=4000, idempotency_key="clear-1", description="Batch 1")

    assert result == again and result.reference.startswith("tr_")
    transfer = fake_stripe.get(result.reference)
    assert transfer["destination"] == account and transfer["metadata"] == {"idempotency_key": "clear-1"}
    assert fake_stripe.balance() == 1000 and fake_stripe.balance(account) == 4000
    assert len(fake_stripe.events_of("transfer.created")) == 1


def test_a_transfer_to_an_account_that_is_not_set_up_or_beyond_the_balance_is_refused(provider, fake_stripe):
    pay(provider, 1000)
    fresh = provider.account_create(seller=seller_with(), idempotency_key="a1")
    with pytest.raises(ProviderError, match="cannot receive transfers yet"):
        provider.transfer(account=fresh, amount_cents=500, idempotency_key="t1", description="x")
    ready = onboarded_account(provider, fake_stripe, key="a2")
    with pytest.raises(ProviderError, match="not enough money"):
        provider.transfer(account=ready, amount_cents=1001, idempotency_key="t2", description="x")
    assert fake_stripe.all("transfer") == []


def funded_seller(provider, fake, amount=3000):
    pay(provider, amount)
    account = onboarded_account(provider, fake)
    provider.transfer(account=account, amount_cents=amount, idempotency_key="clear", description="x")
    return account, seller_with(account)


def test_a_payout_is_pending_until_the_bank_pays_it(provider, fake_stripe):
    account, seller = funded_seller(provider, fake_stripe)

    first = provider.payout(seller=seller, amount_cents=2000, idempotency_key="w1")
    assert first.pending and first.amount_cents == 2000
    assert ("POST", "/v1/payouts", account) in fake_stripe.requests
    assert fake_stripe.balance(account) == 1000

    fake_stripe.payout_settle(first.reference, paid=True)
    again = provider.payout(seller=seller, amount_cents=2000, idempotency_key="w1")
    assert again.reference == first.reference and not again.pending
    assert len(fake_stripe.all("payout")) == 1 and fake_stripe.events_of("payout.paid")[0]["account"] == account


def test_a_failed_payout_is_refused_and_the_money_goes_back(provider, fake_stripe):
    account, seller = funded_seller(provider, fake_stripe)
    first = provider.payout(seller=seller, amount_cents=3000, idempotency_key="w1")
    fake_stripe.payout_settle(first.reference, paid=False)

    with pytest.raises(ProviderError, match="bank account has been closed"):
        provider.payout(seller=seller, amount_cents=3000, idempotency_key="w1")
    assert fake_stripe.balance(account) == 3000 and fake_stripe.events_of("payout.failed")


def test_a_payout_without_a_payout_account_or_beyond_its_balance_is_refused(provider, fake_stripe):
    with pytest.raises(ProviderError, match="Set up your payout account"):
        provider.payout(seller=seller_with(), amount_cents=1000, idempotency_key="w1")
    account, seller = funded_seller(provider, fake_stripe, 1000)
    with pytest.raises(ProviderError, match="not enough money"):
        provider.payout(seller=seller, amount_cents=1001, idempotency_key="w2")
    fake_stripe.require(account)
    with pytest.raises(ProviderError, match="cannot receive payouts yet"):
        provider.payout(seller=seller, amount_cents=500, idempotency_key="w3")
    assert fake_stripe.all("payout") == []


# --- Connected accounts ----------------------------------------------------------------------------
def test_an_express_account_onboards_through_its_account_link(provider, fake_stripe):
    account = provider.account_create(seller=seller_with(email="s@example.com"), idempotency_key="a1")
    assert provider.account_create(seller=seller_with(email="s@example.com"), idempotency_key="a1") == account
    created = fake_stripe.get(account)
    assert created["type"] == "express" and created["country"] == "US" and created["email"] == "s@example.com"
    assert created["capabilities"] == {"transfers": "inactive"}
    before = provider.account_status(account=account)
    assert not before.payouts_enabled and not before.transfers_active and not before.details_submitted
    assert "external_account" in before.requirements_due and before.disabled_reason == "requirements.past_due"

    url = provider.account_link(account=account, refresh_url="http://app/refresh", return_url="http://app/back")
    page = requests.get(url, timeout=5)
    assert page.status_code == 200 and "<form" in page.text
    done = requests.post(url, data={"action": "complete"}, timeout=5, allow_redirects=False)
    assert done.status_code == 303 and done.headers["Location"] == "http://app/back"

    assert provider.account_status(account=account) == AccountStatus(
        payouts_enabled=True, transfers_active=True, details_submitted=True, requirements_due=(), disabled_reason=""
    )
    assert fake_stripe.events_of("account.updated")[0]["account"] == account


def test_a_used_or_expired_account_link_sends_the_seller_to_refresh(provider, fake_stripe):
    account = provider.account_create(seller=seller_with(), idempotency_key="a1")
    url = provider.account_link(account=account, refresh_url="http://app/refresh", return_url="http://app/back")
    requests.get(url, timeout=5)
    again = requests.get(url, timeout=5, allow_redirects=False)
    assert again.status_code == 303 and again.headers["Location"] == "http://app/refresh"

    other = provider.account_link(account=account, refresh_url="http://app/refresh", return_url="http://app/back")
    fake_stripe.expire_link(other)
    stale = requests.get(other, timeout=5, allow_redirects=False)
    assert stale.headers["Location"] == "http://app/refresh"
    assert not provider.account_status(account=account).details_submitted


# --- Webhooks ----------------------------------------------------------------------------------------
def event_payload(fake_stripe, provider):
    pay(provider)
    return json.dumps(fake_stripe.events_of("payment_intent.succeeded")[0]).encode()


def test_a_signed_event_is_accepted(provider, fake_stripe):
    payload = event_payload(fake_stripe, provider)
    event = provider.verify_event(payload=payload, signature=fake_stripe.sign(payload))
    assert event["type"] == "payment_intent.succeeded" and event["data"]["object"]["status"] == "succeeded"


def test_a_bad_signature_or_an_altered_body_is_refused(provider, fake_stripe):
    payload = event_payload(fake_stripe, provider)
    with pytest.raises(ProviderError, match="signature is not valid"):
        provider.verify_event(payload=payload, signature=fake_stripe.sign(payload, secret="whsec_other"))
    with pytest.raises(ProviderError, match="signature is not valid"):
        provider.verify_event(payload=payload.replace(b"succeeded", b"failed"), signature=fake_stripe.sign(payload))
    with pytest.raises(ProviderError):
        provider.verify_event(payload=payload, signature="")


def test_a_stale_timestamp_is_refused_within_the_configured_tolerance(provider, fake_stripe, settings):
    payload = event_payload(fake_stripe, provider)
    old = int(time.time()) - 400
    with pytest.raises(ProviderError):
        provider.verify_event(payload=payload, signature=fake_stripe.sign(payload, timestamp=old))
    settings.STRIPE_WEBHOOK_TOLERANCE = 600
    assert (
        provider.verify_event(payload=payload, signature=fake_stripe.sign(payload, timestamp=old))["object"] == "event"
    )


# --- Reconciliation ----------------------------------------------------------------------------------
def test_records_list_every_page_of_what_stripe_holds(provider, fake_stripe, monkeypatch):
    for n in range(5):
        pay(provider, 1000 + n, key=f"c{n}")
    first = fake_stripe.all("payment_intent")[0]["id"]
    provider.refund(charge_reference=first, amount_cents=400, idempotency_key="r1")
    account = onboarded_account(provider, fake_stripe)
    for n in range(3):
        provider.transfer(account=account, amount_cents=100, idempotency_key=f"t{n}", description="x")
    payout = provider.payout(seller=seller_with(account), amount_cents=250, idempotency_key="w1")
    monkeypatch.setattr(stripe_module, "_connected_accounts", lambda: [account])
    fake_stripe.page_cap = 2

    records = provider.records()

    assert isinstance(records, ProviderRecords)
    assert records.charges == {pi["id"]: pi["amount_received"] for pi in fake_stripe.all("payment_intent")}
    assert len(records.charges) == 5
    assert list(records.refunds.values()) == [(first, 400)]
    assert sorted(records.transfers.values()) == [(account, 100, f"t{n}") for n in range(3)]
    assert records.payouts == {payout.reference: (account, 250, "pending")}
    assert records.balance_available == fake_stripe.balance() == 5010 - 400 - 300
    pages = [r for r in fake_stripe.requests if r[:2] == ("GET", "/v1/payment_intents")]
    assert len(pages) == 3  # 2 + 2 + 1


# --- Faults ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("status", [500, 503, 429, None])
def test_a_failure_before_stripe_acts_is_unavailable_and_moves_nothing(provider, fake_stripe, status):
    intent = provider.prepare_charge(amount_cents=2500, idempotency_key="c", description="x", transfer_group="")
    fake_stripe.inject_fault("POST", r"/confirm$", status=status)

    with pytest.raises(ProviderUnavailable):
        provider.charge(amount_cents=2500, payment_method="pm_card_visa", idempotency_key="c", description="x",
                        intent=intent)  # fmt: skip
    assert fake_stripe.get(intent)["status"] == "requires_confirmation" or fake_stripe.get(intent)["status"] == (
        "requires_payment_method"
    )
    assert fake_stripe.all("charge") == [] and fake_stripe.balance() == 0

    result = provider.charge(
        amount_cents=2500, payment_method="pm_card_visa", idempotency_key="c", description="x", intent=intent
    )
    assert result.reference == intent and len(fake_stripe.all("charge")) == 1


def test_a_lost_answer_after_stripe_acted_is_unavailable_and_the_retry_does_not_repeat_it(provider, fake_stripe):
    intent = provider.prepare_charge(amount_cents=2500, idempotency_key="c", description="x", transfer_group="")
    fake_stripe.inject_fault("POST", r"/confirm$", after=True)
    with pytest.raises(ProviderUnavailable):
        provider.charge(amount_cents=2500, payment_method="pm_card_visa", idempotency_key="c", description="x",
                        intent=intent)  # fmt: skip
    assert fake_stripe.get(intent)["status"] == "succeeded"  # Stripe did charge
    assert provider.find_charge(idempotency_key="c", intent=intent).reference == intent

    pay(provider, 3000, key="other")
    fake_stripe.inject_fault("POST", r"^/v1/refunds$", after=True)
    with pytest.raises(ProviderUnavailable):
        provider.refund(charge_reference=intent, amount_cents=1000, idempotency_key="r1")
    refund = provider.refund(charge_reference=intent, amount_cents=1000, idempotency_key="r1")
    assert [r["id"] for r in fake_stripe.all("refund")] == [refund.reference]
    assert len(fake_stripe.all("charge")) == 2 and fake_stripe.balance() == 2500 + 3000 - 1000


def test_a_lost_payout_answer_is_retried_to_the_same_payout(provider, fake_stripe):
    account, seller = funded_seller(provider, fake_stripe)
    fake_stripe.inject_fault("POST", r"^/v1/payouts$", after=True, status=None)
    with pytest.raises(ProviderUnavailable):
        provider.payout(seller=seller, amount_cents=1000, idempotency_key="w1")
    result = provider.payout(seller=seller, amount_cents=1000, idempotency_key="w1")
    assert [p["id"] for p in fake_stripe.all("payout")] == [result.reference]
    assert fake_stripe.balance(account) == 2000


def test_a_wrong_secret_key_is_a_configuration_error(provider, fake_stripe, settings):
    settings.STRIPE_SECRET_KEY = "sk_test_wrong"
    with pytest.raises(ProviderError, match="not set up"):
        get_provider().prepare_charge(amount_cents=900, idempotency_key="c", description="x", transfer_group="")
    settings.STRIPE_SECRET_KEY = ""
    with pytest.raises(ProviderError, match="not set up"):
        get_provider().prepare_charge(amount_cents=900, idempotency_key="c", description="x", transfer_group="")


# --- The fake refuses what Stripe refuses ------------------------------------------------------------
def test_the_fake_parses_nested_form_keys_like_stripe():
    assert parse_form("amount=5&metadata[a]=1&expand[0]=x&expand[1]=y&c[t][requested]=true&l[]=p&l[]=q") == {
        "amount": "5",
        "metadata": {"a": "1"},
        "expand": ["x", "y"],
        "c": {"t": {"requested": "true"}},
        "l": ["p", "q"],
    }


@pytest.mark.parametrize(
    ("data", "code", "param"),
    [
        ({"currency": "usd"}, "parameter_missing", "amount"),
        ({"amount": "1000"}, "parameter_missing", "currency"),
        ({"amount": "10.5", "currency": "usd"}, "parameter_invalid_integer", "amount"),
        ({"amount": "0", "currency": "usd"}, "parameter_invalid_integer", "amount"),
        ({"amount": "-100", "currency": "usd"}, "parameter_invalid_integer", "amount"),
        ({"amount": "10", "currency": "usd"}, "amount_too_small", "amount"),
        ({"amount": "1000", "currency": "usd", "amount_cents": "1000"}, "parameter_unknown", "amount_cents"),
        ({"amount": "1000", "currency": "usd", "metadata[a][b]": "1"}, None, "metadata[a]"),
        (
            {"amount": "1000", "currency": "usd", "payment_method_types[0]": "card"},
            "payment_method_types_no_longer_supported",
            "payment_method_types",
        ),
        ({"amount": "1000", "currency": "usd", "expand[0]": "customer"}, None, "expand"),
    ],
)
def test_the_fake_refuses_a_payment_intent_stripe_would_refuse(fake_stripe, data, code, param):
    status, body = raw(fake_stripe, "POST", "/v1/payment_intents", data)
    assert status == 400 and body["error"]["type"] == "invalid_request_error"
    assert body["error"].get("code") == code and body["error"]["param"] == param
    assert fake_stripe.all("payment_intent") == []


def test_the_fake_wants_the_secret_key(fake_stripe):
    data = {"amount": "1000", "currency": "usd"}
    assert raw(fake_stripe, "POST", "/v1/payment_intents", data, key=False)[0] == 401
    assert raw(fake_stripe, "POST", "/v1/payment_intents", data, key="sk_test_other")[0] == 401
    status, body = raw(fake_stripe, "POST", "/v1/payment_intents", data, key=fake_stripe.publishable_key)
    assert status == 401 and "publishable" in body["error"]["message"]
    assert raw(fake_stripe, "GET", "/v1/balance", headers={"Stripe-Account": "acct_nobody"})[0] == 403
    assert fake_stripe.all("payment_intent") == []


def test_the_fake_replays_an_idempotent_request_and_refuses_a_changed_one(fake_stripe):
    data = {"amount": "1000", "currency": "usd"}
    key = {"Idempotency-Key": "k1"}
    first = requests.post(
        fake_stripe.url + "/v1/payment_intents",
        data=data,
        headers={"Authorization": f"Bearer {fake_stripe.secret_key}", **key},
        timeout=5,
    )
    again = requests.post(
        fake_stripe.url + "/v1/payment_intents",
        data=data,
        headers={"Authorization": f"Bearer {fake_stripe.secret_key}", **key},
        timeout=5,
    )
    assert first.json() == again.json() and again.headers["Idempotent-Replayed"] == "true"
    status, body = raw(fake_stripe, "POST", "/v1/payment_intents", {**data, "amount": "2000"}, headers=key)
    assert status == 400 and body["error"]["type"] == "idempotency_error"
    # a request refused by validation is not saved: the same key may be used again, fixed
    assert (
        raw(fake_stripe, "POST", "/v1/payment_intents", {"amount": "1.5"}, headers={"Idempotency-Key": "k2"})[0] == 400
    )
    assert raw(fake_stripe, "POST", "/v1/payment_intents", data, headers={"Idempotency-Key": "k2"})[0] == 200
    assert len(fake_stripe.all("payment_intent")) == 2


def test_the_fake_keeps_connected_accounts_objects_apart(provider, fake_stripe):
    account, seller = funded_seller(provider, fake_stripe)
    payout = provider.payout(seller=seller, amount_cents=1000, idempotency_key="w1")
    assert raw(fake_stripe, "GET", f"/v1/payouts/{payout.reference}")[0] == 404  # not on the platform
    assert raw(fake_stripe, "GET", f"/v1/payouts/{payout.reference}", headers={"Stripe-Account": account})[0] == 200
