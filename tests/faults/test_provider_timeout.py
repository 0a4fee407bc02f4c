"""The payment provider times out (the sandbox's network-error card, or an answer lost after charging)."""

import pytest
from django.test import Client

from milestones import services as milestone_services
from milestones.models import State
from payments import services as payments
from payments.exceptions import ProviderUnavailable
from payments.models import CheckoutStatus, LedgerTransaction, SandboxOperation, TransactionKind
from payments.providers.sandbox import CARD_NETWORK_ERROR, CARD_SUCCEEDS, SandboxProvider
from tests.orders.builders import make_order, ms

from .conftest import assert_consistent

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_leftover_faults():
    SandboxProvider.clear_faults()
    yield
    SandboxProvider.clear_faults()


def card_form(number):
    return {"card_number": number, "expiry": "12/34", "cvc": "123"}


def test_a_network_error_charges_nothing_and_the_buyer_can_retry():
    order = make_order(10000)
    first = ms(order, 1)
    client = Client()
    client.force_login(order.buyer)
    checkout_url = client.post(f"/milestones/{first.pk}/fund")["Location"]

    response = client.post(checkout_url, card_form(CARD_NETWORK_ERROR), follow=True)
    assert response.status_code == 200
    assert ms(order, 1).state == State.AWAITING_FUNDING
    assert not SandboxOperation.objects.exists() and not LedgerTransaction.objects.exists()
    assert_consistent()

    client.post(checkout_url, card_form(CARD_SUCCEEDS))
    client.post(checkout_url, card_form(CARD_SUCCEEDS))  # a double click after the timeout
    assert ms(order, 1).state == State.IN_PROGRESS
    assert SandboxOperation.objects.count() == 1
    assert LedgerTransaction.objects.filter(kind=TransactionKind.FUND).count() == 1
    assert_consistent()


def test_a_lost_answer_after_the_charge_is_recorded_once_on_retry():
    """The provider charged, then the connection dropped before its answer arrived."""
    order = make_order(10000)
    checkout = milestone_services.milestone_fund_checkout(milestone=ms(order, 1), actor=order.buyer)
    SandboxProvider.inject_fault("charge", after=True)
    with pytest.raises(ProviderUnavailable):
        payments.checkout_pay(checkout=checkout, actor=order.buyer, payment_method=CARD_SUCCEEDS)
    checkout.refresh_from_db()
    assert checkout.status == CheckoutStatus.OPEN and ms(order, 1).state == State.AWAITING_FUNDING
    assert SandboxOperation.objects.count() == 1  # the provider has the charge; the ledger does not yet

    payments.checkout_pay(checkout=checkout, actor=order.buyer, payment_method=CARD_SUCCEEDS)  # same key
    assert SandboxOperation.objects.count() == 1  # charged once
    assert LedgerTransaction.objects.filter(kind=TransactionKind.FUND).count() == 1
    assert ms(order, 1).state == State.IN_PROGRESS
    assert_consistent()


def test_a_refund_that_times_out_changes_nothing_and_succeeds_later():
    order = make_order(10000)
    checkout = milestone_services.milestone_fund_checkout(milestone=ms(order, 1), actor=order.buyer)
    payments.checkout_pay(checkout=checkout, actor=order.buyer, payment_method=CARD_SUCCEEDS)
    SandboxProvider.inject_fault("refund")
    with pytest.raises(ProviderUnavailable):
        payments.escrow_refund(milestone_id=ms(order, 1).pk, buyer=order.buyer, destination="card")
    assert payments.escrow_balance_cents(milestone_id=ms(order, 1).pk) == 10000
    assert_consistent()
    payments.escrow_refund(milestone_id=ms(order, 1).pk, buyer=order.buyer, destination="card")
    assert payments.escrow_balance_cents(milestone_id=ms(order, 1).pk) == 0
    assert SandboxOperation.objects.filter(kind="refund").count() == 1
