"""The buyer's balance pays part of a checkout and the card the rest ("Use my balance").

Tests that charge a card run on both providers (``provider``); the page tests post the sandbox's card form, and
the tests that charge no card count SandboxOperation rows (``_charges``): those stay on the sandbox."""

import threading

import pytest
from django.core.management import call_command
from django.db import close_old_connections, connection
from django.test import Client
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from payments import fees, services
from payments.exceptions import CheckoutAlreadyPaid, CheckoutCredited, InsufficientFunds, PaymentError
from payments.integrity import ledger_breaches
from payments.models import (
    AccountKind,
    Checkout,
    CheckoutStatus,
    LedgerTransaction,
    PaymentSource,
    SandboxOperation,
    TransactionKind,
)
from payments.providers import get_provider
from payments.providers.sandbox import CARD_SUCCEEDS
from payments.selectors import balances_for, escrow_balance_cents

from .conftest import fund_milestone, open_milestone_checkout

CARD = {"pay_with": "card", "card_number": "4242 4242 4242 4242", "expiry": "12/34", "cvc": "123"}


def _give_balance(buyer, amount, milestone_id=900, card=CARD_SUCCEEDS):
    """A refund puts ``amount`` on the buyer's balance (what a cancelled milestone does)."""
    fund_milestone(buyer, milestone_id, amount, card=card)
    services.escrow_refund(milestone_id=milestone_id, buyer=buyer)


def _total(amount):
    return amount + fees.buyer_service_fee_cents(amount)


def _ledger_check_passes():
    call_command("ledger_check")  # exits non-zero (SystemExit) on any breach
    assert ledger_breaches() == []


def _charges(checkout):
    return SandboxOperation.objects.filter(kind="charge", idempotency_key=checkout.charge_idempotency_key)


def test_payment_split_takes_the_balance_first_then_the_card():
    assert services.payment_split(total_cents=10000, balance_cents=3000) == services.PaymentSplit(3000, 7000)
    assert services.payment_split(total_cents=10000, balance_cents=12000) == services.PaymentSplit(10000, 0)
    assert services.payment_split(total_cents=10000, balance_cents=0) == services.PaymentSplit(0, 10000)


@given(total=st.integers(min_value=1, max_value=10**9), balance=st.integers(min_value=0, max_value=10**9))
def test_payment_split_always_adds_up_and_never_overdraws(total, balance):
    split = services.payment_split(total_cents=total, balance_cents=balance)
    assert split.balance_cents + split.card_cents == total
    assert 0 <= split.balance_cents <= balance
    assert split.card_cents >= 0
    assert split.card_cents == 0 or split.balance_cents == balance  # the card pays only what the balance cannot


def test_balance_and_card_pay_one_milestone_in_one_posting(provider, buyer, milestone_purpose):
    _give_balance(buyer, 3000, card=provider.cards.succeeds)
    checkout = open_milestone_checkout(buyer, 11, 10000)
    total = checkout.total_cents

    paid = services.checkout_pay(
        checkout=checkout, actor=buyer, payment_method=provider.cards.succeeds, use_balance=True
    )

    assert paid.status == CheckoutStatus.PAID
    assert paid.paid_with == PaymentSource.BALANCE_AND_CARD
    assert (paid.balance_part_cents, paid.card_part_cents) == (3000, total - 3000)
    assert provider.charges(checkout) == [total - 3000]
    assert balances_for(buyer).buyer_balance_cents == 0
    assert escrow_balance_cents(milestone_id=11) == 10000
    funding = LedgerTransaction.objects.get(kind=TransactionKind.FUND, milestone_id=11)
    payer_legs = {
        entry.account.kind: entry.amount_cents
        for entry in funding.entries.select_related("account")
        if entry.amount_cents < 0
    }
    assert payer_legs == {AccountKind.BUYER_BALANCE: -3000, AccountKind.PROVIDER_CLEARING: -(total - 3000)}
    assert milestone_purpose.paid == [900, 11]
    _ledger_check_passes()


def test_a_balance_that_covers_the_total_charges_no_card(buyer, milestone_purpose):
    _give_balance(buyer, 20000)
    checkout = open_milestone_checkout(buyer, 11, 5000)

    paid = services.checkout_pay(checkout=checkout, actor=buyer, payment_method=CARD_SUCCEEDS, use_balance=True)

    assert paid.paid_with == PaymentSource.BALANCE
    assert paid.balance_part_cents == paid.total_cents
    assert not _charges(checkout).exists()
    assert balances_for(buyer).buyer_balance_cents == 20000 - paid.total_cents
    _ledger_check_passes()


def test_a_part_payment_without_a_card_is_refused_and_moves_nothing(buyer, milestone_purpose):
    _give_balance(buyer, 3000)
    checkout = open_milestone_checkout(buyer, 11, 10000)

    with pytest.raises(InsufficientFunds, match="enter your card details to pay the remaining"):
        services.checkout_pay(checkout=checkout, actor=buyer, use_balance=True)

    assert Checkout.objects.get(pk=checkout.pk).status == CheckoutStatus.OPEN
    assert balances_for(buyer).buyer_balance_cents == 3000
    assert not _charges(checkout).exists()


def test_submitting_twice_takes_the_balance_and_charges_the_card_once(buyer, milestone_purpose):
    _give_balance(buyer, 3000)
    checkout = open_milestone_checkout(buyer, 11, 10000)
    services.checkout_pay(checkout=checkout, actor=buyer, payment_method=CARD_SUCCEEDS, use_balance=True)

    with pytest.raises(CheckoutAlreadyPaid):
        services.checkout_pay(checkout=checkout, actor=buyer, payment_method=CARD_SUCCEEDS, use_balance=True)

    assert _charges(checkout).count() == 1
    assert LedgerTransaction.objects.filter(kind=TransactionKind.FUND, milestone_id=11).count() == 1
    assert balances_for(buyer).buyer_balance_cents == 0
    _ledger_check_passes()


def test_a_balance_spent_while_the_card_is_charged_credits_the_charge(provider, buyer, milestone_purpose, monkeypatch):
    """Another tab spends the balance between the claim and the posting: the posting refuses (the balance
    never goes negative) and the card part that was charged is credited to the balance."""
    _give_balance(buyer, 3000, card=provider.cards.succeeds)
    checkout = open_milestone_checkout(buyer, 11, 10000)
    other = open_milestone_checkout(buyer, 12, 2000)  # total 2000 + fee, under 3000
    real_charge = provider.cls.charge

    def charge(self, **kwargs):
        result = real_charge(self, **kwargs)
        if kwargs["idempotency_key"] == checkout.charge_idempotency_key:
            services.checkout_pay(checkout=other, actor=buyer, use_balance=True)
        return result

    monkeypatch.setattr(provider.cls, "charge", charge)
    card_part = checkout.total_cents - 3000

    with pytest.raises(CheckoutCredited, match="added to your balance"):
        services.checkout_pay(checkout=checkout, actor=buyer, payment_method=provider.cards.succeeds, use_balance=True)

    assert Checkout.objects.get(pk=checkout.pk).status == CheckoutStatus.CREDITED
    assert Checkout.objects.get(pk=other.pk).status == CheckoutStatus.PAID
    assert balances_for(buyer).buyer_balance_cents == 3000 - other.total_cents + card_part
    assert escrow_balance_cents(milestone_id=11) == 0
    _ledger_check_passes()


def test_a_balance_changed_before_the_charge_refuses_without_charging(buyer, milestone_purpose, monkeypatch):
    _give_balance(buyer, 3000)
    checkout = open_milestone_checkout(buyer, 11, 10000)
    real_balances = services.balances_for
    calls = []

    def balances(user):  # the page saw 3000; by the claim another payment took 1000 of it
        calls.append(user)
        found = real_balances(user)
        if len(calls) == 2:
            return type(found)(buyer_balance_cents=found.buyer_balance_cents - 1000)
        return found

    monkeypatch.setattr(services, "balances_for", balances)
    with pytest.raises(InsufficientFunds, match="Nothing was charged"):
        services.checkout_pay(checkout=checkout, actor=buyer, payment_method=CARD_SUCCEEDS, use_balance=True)
    assert not _charges(checkout).exists()
    assert Checkout.objects.get(pk=checkout.pk).status == CheckoutStatus.OPEN


@hypothesis_settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(balance=st.integers(min_value=1, max_value=50_000), amount=st.integers(min_value=1, max_value=50_000))
def test_any_balance_and_amount_pay_exactly_the_total(provider, buyer, milestone_purpose, balance, amount):
    # each example on fresh milestone ids (the database is shared by the examples of this test)
    base = 1000 + 3 * Checkout.objects.count()
    _give_balance(buyer, balance, milestone_id=base, card=provider.cards.succeeds)
    before = balances_for(buyer).buyer_balance_cents
    checkout = open_milestone_checkout(buyer, base + 1, amount)
    total = _total(amount)

    paid = services.checkout_pay(
        checkout=checkout, actor=buyer, payment_method=provider.cards.succeeds, use_balance=True
    )

    from_balance = min(before, total)
    assert paid.balance_part_cents == from_balance
    assert paid.card_part_cents == total - from_balance
    assert sum(provider.charges(checkout)) == total - from_balance
    assert balances_for(buyer).buyer_balance_cents == before - from_balance
    assert escrow_balance_cents(milestone_id=base + 1) == amount
    assert ledger_breaches() == []


def test_the_checkout_page_offers_the_balance_and_the_receipt_shows_both_parts(buyer, milestone_purpose):
    _give_balance(buyer, 3000)
    checkout = open_milestone_checkout(buyer, 11, 10000)
    client = Client()
    client.force_login(buyer)

    page = client.get(checkout.get_absolute_url()).content.decode()
    assert "Use my balance ($30.00)" in page
    assert f"${(checkout.total_cents - 3000) / 100:,.2f} charged to your card" in page
    assert f"the money goes to {services.refund_destination()}" in page

    response = client.post(checkout.get_absolute_url(), {**CARD, "split_payment": "on"}, follow=True)
    assert "$30.00 from your balance" in response.content.decode()
    receipt = client.get(Checkout.objects.get(pk=checkout.pk).get_receipt_url()).content.decode()
    assert "From your balance" in receipt and "$30.00" in receipt
    assert "Charged to card •••• 4242" in receipt
    assert f"${(checkout.total_cents - 3000) / 100:,.2f}" in receipt
    _ledger_check_passes()


def test_not_ticking_the_box_pays_all_by_card(buyer, milestone_purpose):
    _give_balance(buyer, 3000)
    checkout = open_milestone_checkout(buyer, 11, 10000)
    client = Client()
    client.force_login(buyer)
    client.post(checkout.get_absolute_url(), CARD)
    paid = Checkout.objects.get(pk=checkout.pk)
    assert (paid.paid_with, paid.card_part_cents) == (PaymentSource.CARD, paid.total_cents)
    assert balances_for(buyer).buyer_balance_cents == 3000


# --- two checkouts racing for the same balance (real threads, PostgreSQL) ------------------------
def _race(*works):
    barrier = threading.Barrier(len(works))
    outcomes = [None] * len(works)

    def run(index, work):
        try:
            barrier.wait(timeout=30)
            outcomes[index] = ("ok", work())
        except PaymentError as error:
            outcomes[index] = ("refused", error)
        except Exception as error:  # noqa: BLE001 - reported by the assertion below
            outcomes[index] = ("crashed", error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, work)) for i, work in enumerate(works)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    close_old_connections()
    assert not [o for o in outcomes if o is None or o[0] == "crashed"], outcomes
    return outcomes


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("with_card", [True, False], ids=["balance+card", "balance only"])
def test_two_checkouts_racing_for_the_same_balance_spend_it_once(
    require_postgres, provider, buyer, milestone_purpose, with_card
):
    # balance+card: each total is above the balance (the balance pays part of each, the card the rest);
    # balance only: each total is under the balance, both together above it
    start = 3000 if with_card else 6000
    _give_balance(buyer, start, card=provider.cards.succeeds)
    first, second = open_milestone_checkout(buyer, 21, 4000), open_milestone_checkout(buyer, 22, 4000)
    card = provider.cards.succeeds if with_card else None

    outcomes = _race(
        *(
            lambda checkout=checkout: services.checkout_pay(
                checkout=checkout, actor=buyer, payment_method=card, use_balance=True
            )
            for checkout in (first, second)
        )
    )

    paid = [Checkout.objects.get(pk=c.pk) for c in (first, second)]
    charged = sum(amount for c in paid for amount in provider.charges(c))
    balance = balances_for(buyer).buyer_balance_cents
    assert balance >= 0
    _ledger_check_passes()
    # Whatever the interleaving, the money adds up: ``start`` was on the balance and the cards were charged
    # ``charged``; the escrows, the fees and the balance left hold exactly that.
    fees_paid = sum(c.service_fee_cents for c in paid if c.status == CheckoutStatus.PAID)
    held = escrow_balance_cents(milestone_id=21) + escrow_balance_cents(milestone_id=22)
    assert held + fees_paid + balance == start + charged
    assert [o[0] for o in outcomes].count("ok") == 1
    winner = next(c for c in paid if c.status == CheckoutStatus.PAID)
    assert winner.balance_part_cents == (start if with_card else winner.total_cents)
    loser = next(c for c in paid if c is not winner)
    if with_card:
        # refused before its card was charged, or charged and that charge credited to the balance
        assert loser.status in (CheckoutStatus.OPEN, CheckoutStatus.CREDITED)
        assert balance == (charged - winner.card_part_cents)
    else:
        assert charged == 0 and loser.status == CheckoutStatus.OPEN
        assert balance == start - winner.total_cents


@given(
    total=st.integers(min_value=50, max_value=10**9),
    balance=st.integers(min_value=0, max_value=10**9),
    minimum=st.integers(min_value=1, max_value=100),
)
def test_a_card_part_is_never_below_the_providers_minimum(total, balance, minimum):
    split = services.payment_split(total_cents=total, balance_cents=balance, min_card_cents=minimum)
    assert split.balance_cents + split.card_cents == total
    assert 0 <= split.balance_cents <= balance
    assert split.card_cents == 0 or split.card_cents >= min(minimum, total)


def test_a_balance_that_leaves_less_than_the_smallest_card_charge_pays_that_much_less(
    provider, buyer, milestone_purpose
):
    """Found on Stripe: a balance that covered all but 30 cents left a 30-cent card charge, which Stripe refuses
    (amount_too_small; its minimum is 50 cents), so "Use my balance" could not pay. The card now pays the
    provider's minimum and the balance the rest."""
    checkout = open_milestone_checkout(buyer, 11, 10000)
    _give_balance(buyer, checkout.total_cents - 30, card=provider.cards.succeeds)
    minimum = get_provider().min_charge_cents

    paid = services.checkout_pay(
        checkout=checkout, actor=buyer, payment_method=provider.cards.succeeds, use_balance=True
    )

    card = max(30, minimum)
    assert (paid.status, paid.card_part_cents, paid.balance_part_cents) == ("paid", card, checkout.total_cents - card)
    assert provider.charges(checkout) == [card]
    assert balances_for(buyer).buyer_balance_cents == card - 30
    _ledger_check_passes()
