"""Withdrawals: available → provider, with a minimum, never above available, never twice.

On both providers: the sandbox pays out at once; with Stripe (the fake) the seller's payout account is set
up first, cleared earnings are transferred to it, and a payout is paid when the bank pays it (webhook)."""

from datetime import timedelta

import pytest

from payments import services, tasks
from payments.exceptions import InsufficientFunds, InvalidAmount, PaymentError, ProviderError
from payments.integrity import ledger_breaches
from payments.models import Payout, PayoutStatus
from payments.selectors import balances_for

from .conftest import pay_tip

pytestmark = pytest.mark.django_db


@pytest.fixture
def available(provider, buyer, seller, clock):
    provider.seller_can_withdraw(seller)
    pay_tip(buyer, seller, 10000, card=provider.cards.succeeds)  # 8000 for the seller after commission
    clock.advance(days=15)
    services.earnings_clear()
    assert balances_for(seller).available_cents == 8000
    return 8000


def test_a_payout_moves_available_money_out_through_the_provider(provider, available, seller):
    payout = services.payout_request(seller=seller, amount_cents=5000, idempotency_key="form-1")
    if provider.name == "stripe":  # on its way to the bank until the bank pays it
        assert (payout.status, balances_for(seller).in_transit_cents) == (PayoutStatus.PROCESSING, 5000)
        assert ledger_breaches() == []
        assert provider.bank_pays() == 1
        payout.refresh_from_db()
    assert payout.status == PayoutStatus.PAID
    assert payout.provider_reference.startswith({"sandbox": "sbx_", "stripe": "po_"}[provider.name])
    balances = balances_for(seller)
    assert (balances.available_cents, balances.withdrawn_cents, balances.in_transit_cents) == (3000, 5000, 0)
    assert provider.payouts() == [5000]
    assert ledger_breaches() == []


def test_the_same_form_submitted_twice_pays_out_once(provider, available, seller):
    first = services.payout_request(seller=seller, amount_cents=5000, idempotency_key="form-1")
    again = services.payout_request(seller=seller, amount_cents=5000, idempotency_key="form-1")
    assert again.pk == first.pk
    assert Payout.objects.count() == 1
    assert balances_for(seller).available_cents == 3000
    assert provider.payouts() == [5000]
    assert ledger_breaches() == []


def test_the_same_form_key_with_another_amount_is_refused(available, seller):
    services.payout_request(seller=seller, amount_cents=5000, idempotency_key="form-1")
    with pytest.raises(PaymentError, match="already used"):
        services.payout_request(seller=seller, amount_cents=1000, idempotency_key="form-1")


def test_a_payout_above_the_available_balance_is_refused(available, seller):
    with pytest.raises(InsufficientFunds, match=r"at most \$80.00"):
        services.payout_request(seller=seller, amount_cents=8001, idempotency_key="form-1")
    assert Payout.objects.count() == 0
    assert balances_for(seller).available_cents == 8000


def test_pending_money_cannot_be_withdrawn(provider, buyer, seller):
    provider.seller_can_withdraw(seller)
    pay_tip(buyer, seller, 10000, card=provider.cards.succeeds)
    with pytest.raises(InsufficientFunds):
        services.payout_request(seller=seller, amount_cents=5000, idempotency_key="k")
    assert balances_for(seller).pending_cents == 8000


def test_a_payout_below_the_minimum_is_refused(available, seller):
    with pytest.raises(InvalidAmount, match=r"smallest withdrawal is \$10.00"):
        services.payout_request(seller=seller, amount_cents=999, idempotency_key="k")


@pytest.mark.parametrize("amount", [0, -5000, 50.0, "5000", None])
def test_negative_or_non_numeric_payout_amounts_are_refused(available, seller, amount):
    with pytest.raises(InvalidAmount):
        services.payout_request(seller=seller, amount_cents=amount, idempotency_key="k")
    assert Payout.objects.count() == 0


def test_a_payout_needs_an_idempotency_key(available, seller):
    with pytest.raises(PaymentError, match="Reload"):
        services.payout_request(seller=seller, amount_cents=5000, idempotency_key="")


def test_a_refused_payout_returns_the_money_to_available(provider, available, seller):
    provider.fail_next("payout", error=ProviderError)
    payout = services.payout_request(seller=seller, amount_cents=5000, idempotency_key="k")
    assert payout.status == PayoutStatus.FAILED
    assert balances_for(seller).available_cents == 8000
    assert provider.payouts() == []
    assert ledger_breaches() == []


def test_an_unanswered_payout_stays_processing_and_the_retry_pays_it_once(provider, available, seller, clock):
    provider.fail_next("payout", after=True)  # made, but the answer was lost
    payout = services.payout_request(seller=seller, amount_cents=5000, idempotency_key="k")
    assert payout.status == PayoutStatus.PROCESSING
    balances = balances_for(seller)
    assert (balances.available_cents, balances.in_transit_cents) == (3000, 5000)
    provider.bank_pays()  # Stripe: the bank pays it meanwhile (its webhook names a payout the app never heard of)
    assert services.payouts_retry() == 0  # too recent
    clock.advance(minutes=10)
    assert tasks.retry_payouts.apply().get() == 1
    payout.refresh_from_db()
    assert payout.status == PayoutStatus.PAID
    assert payout.attempts == 2
    assert provider.payouts() == [5000]
    assert balances_for(seller).withdrawn_cents == 5000
    assert ledger_breaches() == []


def test_the_payout_retry_is_on_the_beat_schedule(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["payments-retry-payouts"]
    assert entry["task"] == "payments.tasks.retry_payouts"
    assert entry["schedule"] <= timedelta(minutes=15)


def test_a_payout_the_bank_fails_returns_the_money_to_available_and_it_can_be_withdrawn_again(
    fake_stripe, buyer, seller, clock
):
    """Stripe only: a payout fails after it was accepted (the bank refused it), which the sandbox never does."""
    from django.test import Client

    from .providers import StripeSide

    side = StripeSide(fake_stripe)
    side.seller_can_withdraw(seller)
    pay_tip(buyer, seller, 10000, card=side.cards.succeeds)
    clock.advance(days=15)
    services.earnings_clear()
    payout = services.payout_request(seller=seller, amount_cents=5000, idempotency_key="k")
    fake_stripe.payout_settle(payout.provider_reference, paid=False)
    assert fake_stripe.deliver(fake_stripe.events_of("payout.failed")[-1], Client()).status_code == 200
    payout.refresh_from_db()
    assert payout.status == PayoutStatus.FAILED
    assert balances_for(seller).available_cents == 8000
    assert ledger_breaches() == []
    again = services.payout_request(seller=seller, amount_cents=8000, idempotency_key="k2")
    assert side.bank_pays() == 1
    again.refresh_from_db()
    assert again.status == PayoutStatus.PAID and balances_for(seller).withdrawn_cents == 8000
    assert ledger_breaches() == []
