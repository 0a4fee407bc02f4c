"""Checkout: open, pay by card or balance, and every way paying can go wrong.

Paying runs on both providers (``provider``: the sandbox, and Stripe against the fake Stripe API)."""

import pytest
from django.conf import settings

from payments import services
from payments.exceptions import (
    AlreadyProcessed,
    CardDeclined,
    CheckoutAlreadyPaid,
    CheckoutCredited,
    InsufficientFunds,
    InvalidAmount,
    PaymentError,
    ProviderUnavailable,
)
from payments.fees import buyer_service_fee_cents
from payments.integrity import ledger_breaches
from payments.models import CheckoutStatus, LedgerTransaction, TransactionKind
from payments.providers.sandbox import CARD_SUCCEEDS
from payments.selectors import balances_for, escrow_balance_cents

from .conftest import fund_milestone, open_milestone_checkout, pay_tip

pytestmark = pytest.mark.django_db


def _nothing_moved(provider=None):
    charged = provider.charges() if provider is not None else []
    return LedgerTransaction.objects.count() == 0 and charged == []


# --- Opening a checkout ------------------------------------------------------
def test_checkout_create_computes_fee_and_total(buyer, milestone_purpose):
    checkout = open_milestone_checkout(buyer, 11, 5000)
    assert (checkout.amount_cents, checkout.service_fee_cents, checkout.total_cents) == (5000, 575, 5575)
    assert checkout.status == CheckoutStatus.OPEN


def test_checkout_create_reuses_the_open_checkout_for_the_same_reference(buyer, milestone_purpose):
    first = open_milestone_checkout(buyer, 11, 5000)
    again = open_milestone_checkout(buyer, 11, 5000)
    assert again.pk == first.pk


def test_checkout_create_replaces_an_open_checkout_whose_amount_changed(buyer, milestone_purpose):
    first = open_milestone_checkout(buyer, 11, 5000)
    second = open_milestone_checkout(buyer, 11, 6000)
    first.refresh_from_db()
    assert second.pk != first.pk
    assert first.status == CheckoutStatus.CANCELLED
    with pytest.raises(PaymentError, match="replaced"):
        services.checkout_pay(checkout=first, actor=buyer, payment_method=CARD_SUCCEEDS)
    assert _nothing_moved()


@pytest.mark.parametrize("amount", [0, -500, 10.5, "100", None, True])
def test_checkout_create_refuses_amounts_that_are_not_positive_whole_cents(buyer, milestone_purpose, amount):
    with pytest.raises(InvalidAmount):
        open_milestone_checkout(buyer, 11, amount)


def test_checkout_create_refuses_an_amount_above_the_maximum(buyer, milestone_purpose, settings):
    with pytest.raises(InvalidAmount, match="at most"):
        open_milestone_checkout(buyer, 11, settings.PAYMENTS_MAX_CHECKOUT_CENTS + 1)


def test_checkout_create_refuses_an_unknown_purpose_and_an_outside_return_url(buyer, milestone_purpose):
    with pytest.raises(PaymentError):
        services.checkout_create(
            buyer=buyer, purpose="nope", reference_id=1, amount_cents=100, description="x", return_url="/"
        )
    for url in ("https://evil.example/", "//evil.example/", "javascript:alert(1)"):
        with pytest.raises(PaymentError, match="not on this site"):
            services.checkout_create(
                buyer=buyer, purpose="milestone", reference_id=1, amount_cents=100, description="x", return_url=url
            )


# --- Paying by card -----------------------------------------------------------
def test_paying_a_milestone_by_card_funds_escrow_and_revenue_in_one_go(provider, buyer, milestone_purpose):
    paid = fund_milestone(buyer, 11, 5000, card=provider.cards.succeeds)
    assert paid.status == CheckoutStatus.PAID
    assert paid.card_last4 == "4242"
    assert escrow_balance_cents(milestone_id=11) == 5000
    assert milestone_purpose.paid == [11]
    funding = LedgerTransaction.objects.get(kind=TransactionKind.FUND)
    assert sorted(funding.entries.values_list("amount_cents", flat=True)) == [-5575, 575, 5000]
    assert provider.charges() == [5575]
    assert ledger_breaches() == []


def test_a_declined_card_moves_nothing_and_the_buyer_can_retry(provider, buyer, milestone_purpose):
    checkout = open_milestone_checkout(buyer, 11, 5000)
    with pytest.raises(CardDeclined, match="declined"):
        services.checkout_pay(checkout=checkout, actor=buyer, payment_method=provider.cards.declined)
    checkout.refresh_from_db()
    assert checkout.status == CheckoutStatus.OPEN
    assert _nothing_moved(provider)
    services.checkout_pay(checkout=checkout, actor=buyer, payment_method=provider.cards.succeeds)
    assert escrow_balance_cents(milestone_id=11) == 5000
    assert provider.charges() == [5575]
    assert ledger_breaches() == []


def test_a_network_failure_moves_nothing_and_the_buyer_can_retry(provider, buyer, milestone_purpose):
    checkout = open_milestone_checkout(buyer, 11, 5000)
    with pytest.raises(ProviderUnavailable, match="not be charged twice"):
        services.checkout_pay(checkout=checkout, actor=buyer, payment_method=provider.cards.network_error)
    assert _nothing_moved(provider)
    services.checkout_pay(checkout=checkout, actor=buyer, payment_method=provider.cards.succeeds)
    assert provider.charges() == [5575]
    assert ledger_breaches() == []


def test_a_lost_response_then_a_retry_charges_once(provider, buyer, milestone_purpose):
    """The provider charged but the answer never came back: the retry carries the same key."""
    checkout = open_milestone_checkout(buyer, 11, 5000)
    provider.fail_next("charge", after=True)
    with pytest.raises(ProviderUnavailable):
        services.checkout_pay(checkout=checkout, actor=buyer, payment_method=provider.cards.succeeds)
    assert provider.charges() == [5575]  # the provider did charge
    assert LedgerTransaction.objects.count() == 0
    assert ledger_breaches() != []  # ledger_check notices the unrecorded charge...
    services.checkout_pay(checkout=checkout, actor=buyer, payment_method=provider.cards.succeeds)
    assert provider.charges() == [5575]  # ...and the retry records it without charging again
    assert escrow_balance_cents(milestone_id=11) == 5000
    assert ledger_breaches() == []


def test_a_double_submitted_checkout_charges_once(provider, buyer, milestone_purpose):
    checkout = open_milestone_checkout(buyer, 11, 5000)
    services.checkout_pay(checkout=checkout, actor=buyer, payment_method=provider.cards.succeeds)
    with pytest.raises(CheckoutAlreadyPaid, match="not charged again"):
        services.checkout_pay(checkout=checkout, actor=buyer, payment_method=provider.cards.succeeds)
    assert provider.charges() == [5575]
    assert LedgerTransaction.objects.count() == 1
    assert escrow_balance_cents(milestone_id=11) == 5000


def test_a_second_submit_that_raced_past_the_first_check_still_posts_once(
    provider, buyer, milestone_purpose, monkeypatch, clock
):
    """Both requests reached the provider (same key → same charge); the second to record finds it paid.

    The first request stalls after the charge for longer than a claim lasts, so a retry takes the claim
    over, charges with the same key (the provider returns the same charge) and records it.
    """
    checkout = open_milestone_checkout(buyer, 11, 5000)
    card = provider.cards.succeeds
    real_charge = provider.cls.charge
    calls = []

    def charge_then_stall(self, **kwargs):
        result = real_charge(self, **kwargs)
        if not calls:
            calls.append("first")
            clock.advance(seconds=settings.PAYMENTS_CHECKOUT_CLAIM.total_seconds() + 1)
            services.checkout_pay(checkout=checkout, actor=buyer, payment_method=card)  # the retry
        return result

    monkeypatch.setattr(provider.cls, "charge", charge_then_stall)
    with pytest.raises(CheckoutAlreadyPaid, match="charged once"):
        services.checkout_pay(checkout=checkout, actor=buyer, payment_method=card)
    assert provider.charges() == [5575]
    assert LedgerTransaction.objects.count() == 1
    assert ledger_breaches() == []


def test_only_the_buyer_can_pay(buyer, other_user, milestone_purpose):
    checkout = open_milestone_checkout(buyer, 11, 5000)
    with pytest.raises(PaymentError, match="Only the buyer"):
        services.checkout_pay(checkout=checkout, actor=other_user, payment_method=CARD_SUCCEEDS)
    assert _nothing_moved()


def test_validate_refusing_stops_the_payment_before_the_card_is_charged(buyer, milestone_purpose):
    checkout = open_milestone_checkout(buyer, 11, 5000)
    milestone_purpose.refuse = "This milestone was cancelled."
    with pytest.raises(PaymentError, match="cancelled"):
        services.checkout_pay(checkout=checkout, actor=buyer, payment_method=CARD_SUCCEEDS)
    assert _nothing_moved()


def test_when_on_paid_fails_after_charging_the_money_goes_to_the_buyer_balance(provider, buyer, milestone_purpose):
    checkout = open_milestone_checkout(buyer, 11, 5000)
    milestone_purpose.fail_on_paid = PaymentError("The order was closed meanwhile.")
    with pytest.raises(CheckoutCredited, match="added to your balance") as raised:
        services.checkout_pay(checkout=checkout, actor=buyer, payment_method=provider.cards.succeeds)
    assert "The order was closed meanwhile." in raised.value.message
    checkout.refresh_from_db()
    assert checkout.status == CheckoutStatus.CREDITED
    assert escrow_balance_cents(milestone_id=11) == 0
    assert balances_for(buyer).buyer_balance_cents == 5575
    assert list(LedgerTransaction.objects.values_list("kind", flat=True)) == [TransactionKind.CREDIT]
    assert ledger_breaches() == []


def test_an_unexpected_error_in_on_paid_also_keeps_the_money(provider, buyer, milestone_purpose):
    checkout = open_milestone_checkout(buyer, 11, 5000)
    milestone_purpose.fail_on_paid = RuntimeError("bug")
    with pytest.raises(CheckoutCredited):
        services.checkout_pay(checkout=checkout, actor=buyer, payment_method=provider.cards.succeeds)
    assert balances_for(buyer).buyer_balance_cents == 5575
    assert ledger_breaches() == []


def test_funding_the_same_milestone_twice_is_refused_and_the_second_charge_kept(provider, buyer, milestone_purpose):
    fund_milestone(buyer, 11, 5000, card=provider.cards.succeeds)
    with pytest.raises(CheckoutCredited, match="already paid for"):
        fund_milestone(buyer, 11, 5000, card=provider.cards.succeeds)
    assert provider.charges() == [5575, 5575]
    assert escrow_balance_cents(milestone_id=11) == 5000
    assert balances_for(buyer).buyer_balance_cents == 5575
    assert ledger_breaches() == []


def test_a_checkout_replaced_while_the_card_was_charged_credits_the_balance(
    provider, buyer, milestone_purpose, monkeypatch
):
    checkout = open_milestone_checkout(buyer, 11, 5000)
    real_charge = provider.cls.charge

    def charge_then_replace(self, **kwargs):
        result = real_charge(self, **kwargs)
        open_milestone_checkout(buyer, 11, 7000)  # e.g. the seller changed the amount meanwhile
        return result

    monkeypatch.setattr(provider.cls, "charge", charge_then_replace)
    with pytest.raises(CheckoutCredited, match="replaced"):
        services.checkout_pay(checkout=checkout, actor=buyer, payment_method=provider.cards.succeeds)
    assert balances_for(buyer).buyer_balance_cents == 5575
    assert escrow_balance_cents(milestone_id=11) == 0
    assert ledger_breaches() == []


# --- Paying from the balance --------------------------------------------------
def _give_balance(buyer, milestone_purpose, amount, card=CARD_SUCCEEDS):
    fund_milestone(buyer, 900, amount, card=card)
    services.escrow_refund(milestone_id=900, buyer=buyer)


def test_paying_from_the_balance_when_it_covers_the_total(provider, buyer, milestone_purpose):
    _give_balance(buyer, milestone_purpose, 20000, card=provider.cards.succeeds)
    paid = services.checkout_pay(checkout=open_milestone_checkout(buyer, 11, 5000), actor=buyer, use_balance=True)
    assert paid.paid_with == "balance"
    assert balances_for(buyer).buyer_balance_cents == 20000 - 5575
    assert escrow_balance_cents(milestone_id=11) == 5000
    assert provider.charges() == [20000 + buyer_service_fee_cents(20000)]  # only the first, by card
    assert ledger_breaches() == []


def test_paying_from_a_balance_that_is_too_small_is_refused(buyer, milestone_purpose):
    _give_balance(buyer, milestone_purpose, 1000)
    checkout = open_milestone_checkout(buyer, 11, 5000)
    before = LedgerTransaction.objects.count()
    with pytest.raises(InsufficientFunds, match=r"does not cover the total of \$55.75"):
        services.checkout_pay(checkout=checkout, actor=buyer, use_balance=True)
    checkout.refresh_from_db()
    assert checkout.status == CheckoutStatus.OPEN
    assert LedgerTransaction.objects.count() == before
    assert balances_for(buyer).buyer_balance_cents == 1000


def test_on_paid_failing_when_paying_from_balance_moves_nothing(buyer, milestone_purpose):
    _give_balance(buyer, milestone_purpose, 20000)
    checkout = open_milestone_checkout(buyer, 11, 5000)
    milestone_purpose.fail_on_paid = AlreadyProcessed("Already funded elsewhere.")
    with pytest.raises(PaymentError, match="Already funded elsewhere"):
        services.checkout_pay(checkout=checkout, actor=buyer, use_balance=True)
    checkout.refresh_from_db()
    assert checkout.status == CheckoutStatus.OPEN
    assert balances_for(buyer).buyer_balance_cents == 20000
    assert escrow_balance_cents(milestone_id=11) == 0


# --- Tips ----------------------------------------------------------------------
def test_a_tip_goes_to_the_seller_pending_minus_commission_without_service_fee(provider, buyer, seller):
    paid = pay_tip(buyer, seller, 5000, card=provider.cards.succeeds)
    assert paid.total_cents == 5000
    balances = balances_for(seller)
    assert balances.pending_cents == 4000
    assert seller.earnings.get().commission_cents == 1000
    assert ledger_breaches() == []


def test_nobody_can_tip_themselves(buyer):
    with pytest.raises(PaymentError, match="cannot pay yourself"):
        services.tip_send(buyer=buyer, seller=buyer, amount_cents=500, return_url="/")


def test_a_tip_to_a_deactivated_seller_is_refused_before_charging(buyer, seller):
    checkout = services.tip_send(buyer=buyer, seller=seller, amount_cents=500, return_url="/")
    seller.is_active = False
    seller.save()
    with pytest.raises(PaymentError, match="cannot receive tips"):
        services.checkout_pay(checkout=checkout, actor=buyer, payment_method=CARD_SUCCEEDS)
    assert _nothing_moved()
