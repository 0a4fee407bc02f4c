"""Escrow: release, refund (balance or card, full or part) and dispute split.

Refunds and splits to the card run on both providers (the sandbox, and Stripe against the fake)."""

from datetime import timedelta

import pytest

from payments import services
from payments.exceptions import AlreadyProcessed, InsufficientFunds, InvalidAmount, PaymentError, ProviderUnavailable
from payments.integrity import ledger_breaches
from payments.models import Earning, LedgerTransaction, TransactionKind
from payments.selectors import balances_for, escrow_balance_cents

from .conftest import fund_milestone

pytestmark = pytest.mark.django_db


@pytest.fixture
def funded(buyer, milestone_purpose):
    fund_milestone(buyer, 21, 10000)
    return 21


def test_release_moves_escrow_to_seller_pending_minus_commission(funded, seller, clock):
    released = services.escrow_release(milestone_id=funded, seller=seller)
    assert released.kind == TransactionKind.RELEASE
    assert escrow_balance_cents(milestone_id=funded) == 0
    assert balances_for(seller).pending_cents == 8000
    earning = Earning.objects.get(seller=seller)
    assert (earning.gross_cents, earning.commission_cents, earning.amount_cents) == (10000, 2000, 8000)
    assert earning.clears_at == pytest.approx(clock.now() + timedelta(days=14), abs=timedelta(seconds=5))
    assert ledger_breaches() == []


def test_top_rated_sellers_clear_in_seven_days(funded, seller, clock):
    services.escrow_release(milestone_id=funded, seller=seller, top_rated=True)
    earning = Earning.objects.get(seller=seller)
    assert earning.clears_at == pytest.approx(clock.now() + timedelta(days=7), abs=timedelta(seconds=5))


def test_release_twice_releases_once(funded, seller):
    first = services.escrow_release(milestone_id=funded, seller=seller)
    again = services.escrow_release(milestone_id=funded, seller=seller)
    assert again.pk == first.pk
    assert balances_for(seller).pending_cents == 8000
    assert Earning.objects.count() == 1


def test_release_to_another_seller_after_release_is_refused(funded, seller, other_user):
    services.escrow_release(milestone_id=funded, seller=seller)
    with pytest.raises(AlreadyProcessed):
        services.escrow_release(milestone_id=funded, seller=other_user)


def test_release_of_an_empty_escrow_is_refused(seller, db):
    with pytest.raises(PaymentError, match="Nothing is held"):
        services.escrow_release(milestone_id=404, seller=seller)


def test_release_after_a_full_refund_is_refused(funded, buyer, seller):
    services.escrow_refund(milestone_id=funded, buyer=buyer)
    with pytest.raises(PaymentError, match="already released or refunded"):
        services.escrow_release(milestone_id=funded, seller=seller)
    assert balances_for(seller).pending_cents == 0


@pytest.mark.parametrize("bad_id", [0, -3, "21", 2.0, None])
def test_services_refuse_bad_milestone_ids(bad_id, seller, db):
    with pytest.raises(PaymentError):
        services.escrow_release(milestone_id=bad_id, seller=seller)


def test_full_refund_to_the_balance(funded, buyer):
    services.escrow_refund(milestone_id=funded, buyer=buyer)
    assert escrow_balance_cents(milestone_id=funded) == 0
    assert balances_for(buyer).buyer_balance_cents == 10000  # the service fee is not refunded
    with pytest.raises(PaymentError, match="Nothing is held"):
        services.escrow_refund(milestone_id=funded, buyer=buyer)
    assert ledger_breaches() == []


@pytest.fixture
def funded_by_card(provider, buyer, milestone_purpose):
    fund_milestone(buyer, 21, 10000, card=provider.cards.succeeds)
    return 21


def test_full_refund_to_the_card_goes_through_the_provider(provider, funded_by_card, buyer):
    refund = services.escrow_refund(milestone_id=funded_by_card, buyer=buyer, destination="card")
    assert "card ending 4242" in refund.description
    assert balances_for(buyer).buyer_balance_cents == 0
    assert provider.refunds() == [10000]
    assert ledger_breaches() == []


def test_partial_refunds_to_the_card_then_release_of_the_rest(provider, funded_by_card, buyer, seller):
    services.escrow_refund(milestone_id=funded_by_card, buyer=buyer, amount_cents=2500, destination="card")
    services.escrow_refund(milestone_id=funded_by_card, buyer=buyer, amount_cents=1500, destination="card")
    services.escrow_release(milestone_id=funded_by_card, seller=seller)
    assert provider.refunds() == [2500, 1500]
    assert balances_for(seller).pending_cents == 4800
    assert balances_for(buyer).buyer_balance_cents == 0
    assert ledger_breaches() == []


def test_a_card_refund_the_provider_cannot_make_moves_nothing(provider, funded_by_card, buyer):
    provider.fail_next("refund", error=ProviderUnavailable)
    with pytest.raises(ProviderUnavailable):
        services.escrow_refund(milestone_id=funded_by_card, buyer=buyer, destination="card")
    assert escrow_balance_cents(milestone_id=funded_by_card) == 10000
    assert provider.refunds() == []
    assert ledger_breaches() == []


def test_a_card_refund_whose_answer_was_lost_is_refunded_once_by_the_retry(provider, funded_by_card, buyer):
    provider.fail_next("refund", after=True)
    with pytest.raises(ProviderUnavailable):
        services.escrow_refund(milestone_id=funded_by_card, buyer=buyer, amount_cents=4000, destination="card")
    assert escrow_balance_cents(milestone_id=funded_by_card) == 10000
    services.escrow_refund(milestone_id=funded_by_card, buyer=buyer, amount_cents=4000, destination="card")
    assert provider.refunds() == [4000]
    assert escrow_balance_cents(milestone_id=funded_by_card) == 6000
    assert ledger_breaches() == []


def test_a_card_refund_of_a_milestone_paid_from_balance_goes_to_the_balance(provider, buyer, milestone_purpose):
    fund_milestone(buyer, 30, 20000, card=provider.cards.succeeds)
    services.escrow_refund(milestone_id=30, buyer=buyer)
    checkout = services.checkout_create(
        buyer=buyer, purpose="milestone", reference_id=31, amount_cents=10000, description="m", return_url="/"
    )
    services.checkout_pay(checkout=checkout, actor=buyer, use_balance=True)
    services.escrow_refund(milestone_id=31, buyer=buyer, destination="card")
    assert balances_for(buyer).buyer_balance_cents == 20000 - 10550 + 10000
    assert provider.refunds() == []
    assert ledger_breaches() == []


def test_partial_refunds_then_release_of_the_rest(funded, buyer, seller):
    services.escrow_refund(milestone_id=funded, buyer=buyer, amount_cents=2500)
    services.escrow_refund(milestone_id=funded, buyer=buyer, amount_cents=2500)
    assert escrow_balance_cents(milestone_id=funded) == 5000
    services.escrow_release(milestone_id=funded, seller=seller)
    assert balances_for(seller).pending_cents == 4000
    assert balances_for(buyer).buyer_balance_cents == 5000
    assert ledger_breaches() == []


def test_a_partial_refund_with_a_key_is_safe_to_retry(funded, buyer):
    first = services.escrow_refund(milestone_id=funded, buyer=buyer, amount_cents=2500, idempotency_key="r1")
    again = services.escrow_refund(milestone_id=funded, buyer=buyer, amount_cents=2500, idempotency_key="r1")
    assert again.pk == first.pk
    assert escrow_balance_cents(milestone_id=funded) == 7500


@pytest.mark.parametrize("amount", [0, -1, 10001, 12.5])
def test_refund_amount_must_be_within_what_escrow_holds(funded, buyer, amount):
    with pytest.raises((InvalidAmount, InsufficientFunds)):
        services.escrow_refund(milestone_id=funded, buyer=buyer, amount_cents=amount)
    assert escrow_balance_cents(milestone_id=funded) == 10000


def test_refund_only_to_the_buyer_who_paid(funded, other_user):
    with pytest.raises(PaymentError, match="another account"):
        services.escrow_refund(milestone_id=funded, buyer=other_user)
    assert escrow_balance_cents(milestone_id=funded) == 10000


def test_refund_destination_must_be_balance_or_card(funded, buyer):
    with pytest.raises(PaymentError):
        services.escrow_refund(milestone_id=funded, buyer=buyer, destination="cash")


def test_split_pays_the_seller_part_and_refunds_the_rest(funded, buyer, seller):
    split = services.escrow_split(milestone_id=funded, seller=seller, buyer=buyer, seller_amount_cents=6000)
    assert split.kind == TransactionKind.SPLIT
    assert escrow_balance_cents(milestone_id=funded) == 0
    assert balances_for(seller).pending_cents == 4800  # 6000 - 20 %
    assert balances_for(buyer).buyer_balance_cents == 4000
    assert Earning.objects.get().amount_cents == 4800
    again = services.escrow_split(milestone_id=funded, seller=seller, buyer=buyer, seller_amount_cents=6000)
    assert again.pk == split.pk
    assert ledger_breaches() == []


@pytest.mark.parametrize(("share", "pending", "refund"), [(0, 0, 10000), (10000, 8000, 0)])
def test_split_at_the_edges(funded, buyer, seller, share, pending, refund):
    services.escrow_split(milestone_id=funded, seller=seller, buyer=buyer, seller_amount_cents=share)
    assert balances_for(seller).pending_cents == pending
    assert balances_for(buyer).buyer_balance_cents == refund
    assert ledger_breaches() == []


@pytest.mark.parametrize("share", [-1, 10001, "5000", 50.0])
def test_split_refuses_shares_outside_what_escrow_holds(funded, buyer, seller, share):
    with pytest.raises(PaymentError):
        services.escrow_split(milestone_id=funded, seller=seller, buyer=buyer, seller_amount_cents=share)
    assert escrow_balance_cents(milestone_id=funded) == 10000


def test_split_after_release_is_refused(funded, buyer, seller):
    services.escrow_release(milestone_id=funded, seller=seller)
    with pytest.raises(PaymentError, match="Nothing is held"):
        services.escrow_split(milestone_id=funded, seller=seller, buyer=buyer, seller_amount_cents=100)
    assert LedgerTransaction.objects.filter(kind=TransactionKind.SPLIT).count() == 0


def test_a_split_refunds_the_buyers_share_to_the_card(provider, funded_by_card, buyer, seller):
    """A dispute settled with the buyer's share back to the card: a partial refund through the provider."""
    split = services.escrow_split(
        milestone_id=funded_by_card, seller=seller, buyer=buyer, seller_amount_cents=6000, buyer_destination="card"
    )
    assert escrow_balance_cents(milestone_id=funded_by_card) == 0
    assert balances_for(seller).pending_cents == 4800
    assert balances_for(buyer).buyer_balance_cents == 0
    assert provider.refunds() == [4000]
    again = services.escrow_split(
        milestone_id=funded_by_card, seller=seller, buyer=buyer, seller_amount_cents=6000, buyer_destination="card"
    )
    assert again.pk == split.pk and provider.refunds() == [4000]
    assert ledger_breaches() == []


def test_the_refund_webhook_of_a_split_to_the_card_finds_it_in_the_ledger(
    fake_stripe, buyer, seller, milestone_purpose
):
    """Stripe's ``charge.refunded`` for the buyer's share of a split: the ledger has it (a SPLIT posting)."""
    from django.test import Client

    from payments.models import ProviderEvent

    fund_milestone(buyer, 21, 10000, card="pm_card_visa")
    services.escrow_split(
        milestone_id=21, seller=seller, buyer=buyer, seller_amount_cents=6000, buyer_destination="card"
    )
    fake_stripe.deliver(fake_stripe.events_of("charge.refunded")[-1], Client())
    assert ProviderEvent.objects.get(type="charge.refunded").outcome.startswith("refund of checkout")
