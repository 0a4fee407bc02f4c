"""POST /payments/stripe/webhook: Stripe's signature scheme (HMAC-SHA256 over "timestamp.payload"), each event
stored once, replays and events out of order changing nothing twice, and every event the app acts on."""

import json
import time

import pytest

from payments import connect, services
from payments.integrity import ledger_breaches
from payments.models import CardDispute, Checkout, CheckoutStatus, Earning, PayoutAccount, ProviderEvent
from payments.selectors import balances_for

from .conftest import open_milestone_checkout

pytestmark = pytest.mark.django_db

URL = "/payments/stripe/webhook"


@pytest.fixture(autouse=True)
def _ledger_clean_after(fake_stripe):
    yield
    assert ledger_breaches() == []


def _paid(buyer, milestone_id=41, cents=5000):
    checkout = open_milestone_checkout(buyer, milestone_id, cents)
    return services.checkout_pay(checkout=checkout, actor=buyer, payment_method="pm_card_visa")


def _post(client, payload: bytes, signature: str):
    return client.post(URL, data=payload, content_type="application/json", HTTP_STRIPE_SIGNATURE=signature)


# --- the signature ------------------------------------------------------------
def test_a_signed_event_is_stored_once_and_a_replay_changes_nothing(client, buyer, milestone_purpose, fake_stripe):
    paid = _paid(buyer)
    [event] = fake_stripe.events_of("payment_intent.succeeded")
    first = fake_stripe.deliver(event, client)
    assert first.status_code == 200
    row = ProviderEvent.objects.get(event_id=event["id"])
    assert row.processed_at is not None and "paid" in row.outcome
    again = fake_stripe.deliver(event, client)
    assert again.status_code == 200 and ProviderEvent.objects.count() == 1
    assert Checkout.objects.get(pk=paid.pk).status == CheckoutStatus.PAID
    assert milestone_purpose.paid == [41]  # paid once, not once per delivery


@pytest.mark.parametrize(
    "tamper",
    [
        "no_header",
        "wrong_secret",
        "changed_payload",
        "stale_timestamp",
        "garbage_header",
    ],
)
def test_an_event_whose_signature_does_not_hold_is_refused_and_not_stored(client, fake_stripe, tamper):
    event = {"id": "evt_forged", "object": "event", "type": "payout.paid", "data": {"object": {"id": "po_x"}}}
    payload = json.dumps(event).encode()
    signature = fake_stripe.sign(payload)
    if tamper == "no_header":
        signature = ""
    elif tamper == "wrong_secret":
        signature = fake_stripe.sign(payload, secret="whsec_not_ours")
    elif tamper == "changed_payload":
        payload = payload.replace(b"po_x", b"po_y")
    elif tamper == "stale_timestamp":
        signature = fake_stripe.sign(payload, timestamp=int(time.time()) - 301)
    else:
        signature = "t=abc,v1=zzz"
    response = _post(client, payload, signature)
    assert response.status_code == 400
    assert ProviderEvent.objects.count() == 0


def test_a_signature_within_the_tolerance_is_accepted(client, fake_stripe):
    event = {"id": "evt_late_ok", "object": "event", "type": "ping", "data": {"object": {}}}
    payload = json.dumps(event).encode()
    response = _post(client, payload, fake_stripe.sign(payload, timestamp=int(time.time()) - 200))
    assert response.status_code == 200
    assert ProviderEvent.objects.get().outcome == "not used by this app"


def test_only_post_and_no_csrf_needed(fake_stripe):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    assert client.get(URL).status_code == 405
    event = {"id": "evt_csrf", "object": "event", "type": "ping", "data": {"object": {}}}
    payload = json.dumps(event).encode()
    assert _post(client, payload, fake_stripe.sign(payload)).status_code == 200


def test_an_oversized_body_is_refused(client, fake_stripe):
    payload = b"{" + b" " * (600 * 1024) + b"}"
    assert _post(client, payload, fake_stripe.sign(payload)).status_code == 413


# --- what each event does ------------------------------------------------------------
def test_payment_failed_after_3d_secure_reopens_the_checkout(client, buyer, milestone_purpose, fake_stripe):
    checkout = open_milestone_checkout(buyer, 42, 5000)
    with pytest.raises(services.PaymentError):
        services.checkout_pay(checkout=checkout, actor=buyer, payment_method="pm_card_threeDSecure2Required")
    checkout.refresh_from_db()
    assert checkout.status == CheckoutStatus.PROCESSING
    fake_stripe.complete_3ds(checkout.provider_intent, succeed=False)
    [failed] = fake_stripe.events_of("payment_intent.payment_failed")
    assert fake_stripe.deliver(failed, client).status_code == 200
    checkout.refresh_from_db()
    assert checkout.status == CheckoutStatus.OPEN and milestone_purpose.paid == []


def test_events_out_of_order_cannot_move_a_payment_backwards(client, buyer, milestone_purpose, fake_stripe, clock):
    checkout = open_milestone_checkout(buyer, 43, 5000)
    with pytest.raises(services.PaymentError):
        services.checkout_pay(checkout=checkout, actor=buyer, payment_method="pm_card_threeDSecure2Required")
    checkout.refresh_from_db()
    fake_stripe.complete_3ds(checkout.provider_intent, succeed=False)
    clock.advance(minutes=3)  # the buyer never came back from the bank: a new card takes over the old claim
    services.checkout_pay(checkout=checkout, actor=buyer, payment_method="pm_card_visa")
    [failed] = fake_stripe.events_of("payment_intent.payment_failed")
    [succeeded] = fake_stripe.events_of("payment_intent.succeeded")
    # the success arrives first, the older failure after it: the checkout stays paid, once
    assert fake_stripe.deliver(succeeded, client).status_code == 200
    assert fake_stripe.deliver(failed, client).status_code == 200
    checkout.refresh_from_db()
    assert checkout.status == CheckoutStatus.PAID and milestone_purpose.paid == [43]


def test_a_card_dispute_opens_a_staff_case_holds_the_sellers_earnings_and_a_win_releases_them(
    client, buyer, seller, milestone_purpose, fake_stripe
):
    from django.contrib.auth.models import Group

    from tests.factories import UserFactory

    support = UserFactory(is_staff=True)
    support.groups.add(Group.objects.get_or_create(name="Support")[0])
    paid = _paid(buyer, 44, 5000)
    services.escrow_release(milestone_id=44, seller=seller)
    fake_stripe.dispute(paid.provider_reference, reason="fraudulent")
    [opened] = fake_stripe.events_of("charge.dispute.created")
    assert fake_stripe.deliver(opened, client).status_code == 200
    dispute = CardDispute.objects.get()
    assert dispute.checkout == paid and dispute.status == "open" and dispute.reason == "fraudulent"
    assert list(Earning.objects.filter(milestone_id=44).values_list("on_hold", flat=True)) == [True]
    assert support.notifications.filter(text__contains="disputed").count() == 1
    assert fake_stripe.deliver(opened, client).status_code == 200  # again: one case, one notice
    assert CardDispute.objects.count() == 1 and support.notifications.count() == 1
    # the case is on the resolution center's page
    client.force_login(support)
    queue = client.get("/staff/disputes/").content.decode()
    assert 'data-testid="card-dispute-row"' in queue and dispute.dispute_id in queue
    client.logout()

    closed = {**opened, "id": "evt_closed", "type": "charge.dispute.closed"}
    closed["data"] = {"object": {**opened["data"]["object"], "status": "won"}}
    assert fake_stripe.deliver(closed, client).status_code == 200
    dispute.refresh_from_db()
    assert dispute.status == "won"
    assert list(Earning.objects.filter(milestone_id=44).values_list("on_hold", flat=True)) == [False]


def test_account_updated_refreshes_the_payout_account_from_stripe_and_sends_waiting_transfers(
    client, buyer, seller, milestone_purpose, fake_stripe, clock
):
    _paid(buyer, 45, 10000)
    services.escrow_release(milestone_id=45, seller=seller)
    clock.advance(days=15)
    services.earnings_clear()
    connect.payout_account_start(seller=seller, refresh_url="http://testserver/r", return_url="http://testserver/b")
    account = PayoutAccount.objects.get(seller=seller)
    assert not account.can_receive
    fake_stripe.onboard(account.account_id)
    [updated] = fake_stripe.events_of("account.updated")[-1:]
    assert fake_stripe.deliver(updated, client).status_code == 200
    account.refresh_from_db()
    assert account.can_receive and account.requirements_due == []
    transfers = fake_stripe.all("transfer")
    assert [t["amount"] for t in transfers] == [balances_for(seller).available_cents]
    assert seller.notifications.filter(text__contains="payout account is set up").exists()


def test_a_refund_made_outside_the_app_is_named_not_booked(client, buyer, milestone_purpose, fake_stripe):
    import stripe

    paid = _paid(buyer, 46, 5000)
    stripe.StripeClient(fake_stripe.secret_key, base_addresses={"api": fake_stripe.url}).v1.refunds.create(
        params={"payment_intent": paid.provider_reference, "amount": 1000}
    )
    [refunded] = fake_stripe.events_of("charge.refunded")
    assert fake_stripe.deliver(refunded, client).status_code == 200
    assert "beyond the ledger" in ProviderEvent.objects.get(type="charge.refunded").outcome
    breaches = ledger_breaches()
    assert any("refunded 1000 cents to the card but the ledger refunded 0" in b for b in breaches)
    # what an operator does for a refund made in Stripe's dashboard: book it; then both sides agree again
    _book_outside_refund(paid, 1000)
    assert ledger_breaches() == []


def _book_outside_refund(checkout, cents):
    """What an operator does for a refund made in Stripe's dashboard: book it from escrow to the card's clearing
    account (the same movement a refund to the card posts)."""
    from django.db import transaction

    from payments.ledger import ledger_post, platform_account
    from payments.models import AccountKind, LedgerTransaction, TransactionKind
    from payments.services import _existing_escrow

    with transaction.atomic():
        ledger_post(
            kind=TransactionKind.REFUND,
            idempotency_key=f"outside_refund:{checkout.pk}",
            legs=[
                (_existing_escrow(checkout.reference_id), -cents, "refunded in Stripe's dashboard"),
                (platform_account(AccountKind.PROVIDER_CLEARING), cents, "refund to card"),
            ],
            description="Refund made in Stripe's dashboard",
            user=checkout.buyer,
            milestone_id=checkout.reference_id,
            checkout=checkout,
        )
    assert LedgerTransaction.objects.filter(idempotency_key=f"outside_refund:{checkout.pk}").exists()
