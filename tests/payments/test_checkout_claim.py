"""One path for a checkout's payment: a card payment claims the checkout before any money moves.

The defect this guards against: with a balance that covers the total, "Pay from balance" in one tab and
the card form in another paid twice (the card was charged before the checkout was locked, and the card
tab then said "You were not charged again").

The sweep, the credits and the card-vs-balance race run on both providers (``provider``); the rest stay on the
sandbox: the page tests post the sandbox's card form, and the claim tests count SandboxOperation rows
(``_charged_for``) while ``_charge_during`` wraps the sandbox's charge.
"""

import threading

import pytest
from django.conf import settings
from django.db import close_old_connections, connection
from django.test import Client

from payments import services
from payments.exceptions import (
    CheckoutAlreadyPaid,
    CheckoutCredited,
    PaymentError,
    PaymentInProgress,
    ProviderUnavailable,
)
from payments.integrity import ledger_breaches
from payments.models import Checkout, CheckoutStatus, LedgerTransaction, SandboxOperation, TransactionKind
from payments.providers import get_provider
from payments.providers.sandbox import CARD_SUCCEEDS, SandboxProvider
from payments.selectors import balances_for, escrow_balance_cents

from .conftest import fund_milestone, open_milestone_checkout

pytestmark = pytest.mark.django_db

CARD = {"pay_with": "card", "card_number": "4242 4242 4242 4242", "expiry": "12/34", "cvc": "123"}


def _give_balance(buyer, amount, card=CARD_SUCCEEDS):
    fund_milestone(buyer, 900, amount, card=card)
    services.escrow_refund(milestone_id=900, buyer=buyer)


def _charged_for(checkout):
    return SandboxOperation.objects.filter(kind="charge", idempotency_key=checkout.charge_idempotency_key)


def _charge_during(monkeypatch, during, provider_class=SandboxProvider):
    """Make the provider run ``during()`` while a card charge is in flight (after the provider charged)."""
    real_charge = provider_class.charge
    seen = []

    def charge(self, **kwargs):
        result = real_charge(self, **kwargs)
        if not seen:
            seen.append(during())
        return result

    monkeypatch.setattr(provider_class, "charge", charge)
    return seen


# --- the claim ------------------------------------------------------------------------
def test_paying_from_balance_while_the_card_is_being_charged_takes_nothing(buyer, milestone_purpose, monkeypatch):
    _give_balance(buyer, 20000)
    checkout = open_milestone_checkout(buyer, 11, 5000)

    def pay_from_balance():
        try:
            services.checkout_pay(checkout=checkout, actor=buyer, use_balance=True)
        except PaymentError as error:
            return error
        return "paid"

    seen = _charge_during(monkeypatch, pay_from_balance)
    services.checkout_pay(checkout=checkout, actor=buyer, payment_method=CARD_SUCCEEDS)

    assert isinstance(seen[0], PaymentInProgress)
    assert "Nothing more was charged or taken from your balance" in seen[0].message
    checkout.refresh_from_db()
    assert (checkout.status, checkout.paid_with) == (CheckoutStatus.PAID, "card")
    assert balances_for(buyer).buyer_balance_cents == 20000  # the balance was not touched
    assert _charged_for(checkout).count() == 1
    assert LedgerTransaction.objects.filter(kind=TransactionKind.FUND, milestone_id=11).count() == 1
    assert ledger_breaches() == []


def test_a_second_card_submit_while_the_first_is_in_flight_charges_nothing(buyer, milestone_purpose, monkeypatch):
    checkout = open_milestone_checkout(buyer, 11, 5000)

    def second_submit():
        with pytest.raises(PaymentInProgress):
            services.checkout_pay(checkout=checkout, actor=buyer, payment_method=CARD_SUCCEEDS)
        return Checkout.objects.get(pk=checkout.pk).status

    seen = _charge_during(monkeypatch, second_submit)
    services.checkout_pay(checkout=checkout, actor=buyer, payment_method=CARD_SUCCEEDS)
    assert seen == [CheckoutStatus.PROCESSING]
    assert _charged_for(checkout).count() == 1
    assert ledger_breaches() == []


def test_after_a_balance_payment_the_card_is_refused_before_any_charge(buyer, milestone_purpose):
    _give_balance(buyer, 20000)
    checkout = open_milestone_checkout(buyer, 11, 5000)
    services.checkout_pay(checkout=checkout, actor=buyer, use_balance=True)
    with pytest.raises(CheckoutAlreadyPaid, match="not charged again"):
        services.checkout_pay(checkout=checkout, actor=buyer, payment_method=CARD_SUCCEEDS)
    assert not _charged_for(checkout).exists()
    assert ledger_breaches() == []


def test_a_declined_card_opens_the_checkout_again_for_the_balance(buyer, milestone_purpose):
    _give_balance(buyer, 20000)
    checkout = open_milestone_checkout(buyer, 11, 5000)
    with pytest.raises(PaymentError, match="declined"):
        services.checkout_pay(checkout=checkout, actor=buyer, payment_method="4000 0000 0000 0002")
    checkout.refresh_from_db()
    assert (checkout.status, checkout.processing_since, checkout.charge_unknown_since) == ("open", None, None)
    services.checkout_pay(checkout=checkout, actor=buyer, use_balance=True)
    assert ledger_breaches() == []


def test_a_claim_whose_request_died_can_be_taken_over_by_a_card_retry(buyer, milestone_purpose, clock):
    checkout = open_milestone_checkout(buyer, 11, 5000)
    Checkout.objects.filter(pk=checkout.pk).update(status=CheckoutStatus.PROCESSING, processing_since=clock.now())
    with pytest.raises(PaymentInProgress):
        services.checkout_pay(checkout=checkout, actor=buyer, payment_method=CARD_SUCCEEDS)
    clock.advance(seconds=settings.PAYMENTS_CHECKOUT_CLAIM.total_seconds() + 1)
    with pytest.raises(PaymentInProgress):  # the balance never takes over a card claim
        services.checkout_pay(checkout=checkout, actor=buyer, use_balance=True)
    services.checkout_pay(checkout=checkout, actor=buyer, payment_method=CARD_SUCCEEDS)
    assert Checkout.objects.get(pk=checkout.pk).status == CheckoutStatus.PAID
    assert ledger_breaches() == []


def test_a_new_checkout_for_the_same_thing_reuses_the_one_being_paid(buyer, milestone_purpose, monkeypatch):
    checkout = open_milestone_checkout(buyer, 11, 5000)
    seen = _charge_during(monkeypatch, lambda: open_milestone_checkout(buyer, 11, 5000).pk)
    services.checkout_pay(checkout=checkout, actor=buyer, payment_method=CARD_SUCCEEDS)
    assert seen == [checkout.pk]
    assert Checkout.objects.count() == 1


# --- through the pages: two tabs ---------------------------------------------------------
def test_two_tabs_card_and_balance_pay_once_and_say_what_happened(buyer, milestone_purpose, monkeypatch):
    _give_balance(buyer, 20000)
    checkout = open_milestone_checkout(buyer, 11, 5000)
    card_tab, balance_tab = Client(), Client()
    card_tab.force_login(buyer)
    balance_tab.force_login(buyer)
    url = checkout.get_absolute_url()
    seen = _charge_during(monkeypatch, lambda: balance_tab.post(url, {"pay_with": "balance"}, follow=True))

    card_page = card_tab.post(url, CARD, follow=True)

    balance_page = seen[0].content.decode()
    assert "A card payment for this checkout is already being processed" in balance_page
    assert "Payment of $55.75 received" in card_page.content.decode()
    assert "not charged" not in card_page.content.decode()
    assert balances_for(buyer).buyer_balance_cents == 20000
    assert _charged_for(checkout).count() == 1
    assert ledger_breaches() == []


def test_the_checkout_page_of_a_payment_in_progress_offers_no_form(buyer, milestone_purpose, client):
    checkout = open_milestone_checkout(buyer, 11, 5000)
    Checkout.objects.filter(pk=checkout.pk).update(
        status=CheckoutStatus.PROCESSING, processing_since=checkout.created_at
    )
    client.force_login(buyer)
    page = client.get(checkout.get_absolute_url()).content.decode()
    assert 'data-testid="checkout-processing"' in page
    assert 'data-testid="pay-card"' not in page and 'data-testid="pay-balance"' not in page


# --- the recovery sweep --------------------------------------------------------------------
def test_the_sweep_records_a_charge_whose_request_died_after_charging(provider, buyer, milestone_purpose, clock):
    checkout = open_milestone_checkout(buyer, 11, 5000)
    services._checkout_claim(checkout)
    charging = get_provider()
    charging.charge(
        amount_cents=checkout.total_cents,
        payment_method=provider.cards.succeeds,
        idempotency_key=checkout.charge_idempotency_key,
        description="",
        intent=services._checkout_intent(checkout, charging, amount_cents=checkout.total_cents),
    )  # ...and the process was killed before it recorded the charge
    assert services.checkouts_recover() == 0  # a fresh claim is left alone
    clock.advance(seconds=settings.PAYMENTS_CHECKOUT_CLAIM.total_seconds() + 1)
    assert services.checkouts_recover() == 1
    checkout.refresh_from_db()
    assert (checkout.status, checkout.paid_with) == (CheckoutStatus.PAID, "card")
    assert escrow_balance_cents(milestone_id=11) == 5000
    assert services.checkouts_recover() == 0  # twice changes nothing
    assert provider.charges() == [5575]
    assert ledger_breaches() == []


def test_the_sweep_opens_a_dead_claim_again_when_nothing_was_charged(buyer, milestone_purpose, clock):
    checkout = open_milestone_checkout(buyer, 11, 5000)
    services._checkout_claim(checkout)
    clock.advance(seconds=settings.PAYMENTS_CHECKOUT_CLAIM.total_seconds() + 1)
    assert services.checkouts_recover() == 1
    checkout.refresh_from_db()
    assert (checkout.status, checkout.processing_since) == (CheckoutStatus.OPEN, None)
    assert ledger_breaches() == []


def test_an_unanswered_charge_later_found_is_credited_when_the_balance_paid_meanwhile(
    provider, buyer, milestone_purpose, clock
):
    """The provider charged but its answer was lost; the buyer then paid from balance. When the sweep
    finds the charge, it cannot pay the checkout twice: the charged amount goes to the buyer's balance."""
    _give_balance(buyer, 20000, card=provider.cards.succeeds)
    checkout = open_milestone_checkout(buyer, 11, 5000)
    provider.fail_next("charge", after=True)
    with pytest.raises(ProviderUnavailable):
        services.checkout_pay(checkout=checkout, actor=buyer, payment_method=provider.cards.succeeds)
    checkout.refresh_from_db()
    assert checkout.status == CheckoutStatus.OPEN and checkout.charge_unknown_since is not None
    services.checkout_pay(checkout=checkout, actor=buyer, use_balance=True)
    assert balances_for(buyer).buyer_balance_cents == 20000 - 5575
    assert ledger_breaches() != []  # the provider has a charge the ledger does not, until the sweep

    clock.advance(seconds=settings.PAYMENTS_CHECKOUT_CLAIM.total_seconds() + 1)
    assert services.checkouts_recover() == 1
    checkout.refresh_from_db()
    assert (checkout.status, checkout.paid_with, checkout.charge_unknown_since) == ("paid", "balance", None)
    assert balances_for(buyer).buyer_balance_cents == 20000  # the card's 55.75 came back as balance
    credit = LedgerTransaction.objects.get(kind=TransactionKind.CREDIT, checkout=checkout)
    charge_reference = checkout.provider_intent or _charged_for(checkout).get().reference
    assert credit.idempotency_key.endswith(charge_reference)
    assert provider.charges(checkout) == [5575]
    assert services.checkouts_recover() == 0
    assert ledger_breaches() == []


def test_a_card_charge_that_finds_the_checkout_paid_by_other_means_is_credited_and_says_so(
    provider, buyer, milestone_purpose, monkeypatch
):
    """Belt and braces: should a charge ever go through for a checkout another path paid, it is credited."""
    _give_balance(buyer, 20000, card=provider.cards.succeeds)
    checkout = open_milestone_checkout(buyer, 11, 5000)

    def paid_from_balance_behind_the_claim():
        locked = Checkout.objects.get(pk=checkout.pk)
        services._record_payment(locked, services._purpose_of(locked), source="balance", result=None)

    _charge_during(monkeypatch, paid_from_balance_behind_the_claim, provider.cls)
    with pytest.raises(CheckoutCredited, match=r"already been paid by other means. Your card was charged \$55.75"):
        services.checkout_pay(checkout=checkout, actor=buyer, payment_method=provider.cards.succeeds)
    assert balances_for(buyer).buyer_balance_cents == 20000  # paid 55.75 from balance, credited 55.75 back
    assert Checkout.objects.get(pk=checkout.pk).status == CheckoutStatus.PAID
    assert ledger_breaches() == []


# --- the race itself, on PostgreSQL ----------------------------------------------------------
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_card_and_balance_at_the_same_moment_never_pay_twice(require_postgres, provider, buyer, milestone_purpose):
    _give_balance(buyer, 100_000, card=provider.cards.succeeds)
    for milestone_id in range(20, 32):
        checkout = open_milestone_checkout(buyer, milestone_id, 5000)
        barrier = threading.Barrier(2)
        outcomes = {}

        def pay(name, checkout=checkout, barrier=barrier, outcomes=outcomes):
            try:
                barrier.wait(timeout=10)
                if name == "card":
                    services.checkout_pay(checkout=checkout, actor=buyer, payment_method=provider.cards.succeeds)
                else:
                    services.checkout_pay(checkout=checkout, actor=buyer, use_balance=True)
                outcomes[name] = "paid"
            except PaymentError as error:
                outcomes[name] = error
            finally:
                connection.close()

        threads = [threading.Thread(target=pay, args=(name,)) for name in ("card", "balance")]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
        close_old_connections()

        assert list(outcomes.values()).count("paid") == 1, outcomes
        checkout.refresh_from_db()
        charged = bool(provider.charges(checkout))
        assert charged == (checkout.paid_with == "card"), (outcomes, checkout.paid_with)
        if charged:  # the card won: its tab never claims "not charged"
            assert outcomes["card"] == "paid"
        assert LedgerTransaction.objects.filter(kind=TransactionKind.FUND, milestone_id=milestone_id).count() == 1
        assert escrow_balance_cents(milestone_id=milestone_id) == 5000
        assert ledger_breaches() == [], outcomes
