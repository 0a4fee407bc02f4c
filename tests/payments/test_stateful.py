"""Hypothesis drives random sequences of every money movement against a simple model.

Fund (by card with every test card, or from the balance), double submit,
release, refund (balance or card, whole or part), split, tip, time passing +
clearance, holds, payouts (paid, refused, retried): including repeats of the
same event and invalid steps (wrong person, bad amounts, empty escrow). After
every step:

* ``ledger_breaches()`` is empty: every transaction balances, cached balances
  equal their entries, nothing negative, provider totals equal the ledger...
* every person's buyer balance, pending, available and withdrawn equal the model;
* each milestone's escrow holds what was funded minus partial refunds while
  open, and zero once released, split or fully refunded;
* what the provider saw (charged, refunded, paid out) equals the model.

It runs on both payment providers (the ``provider`` fixture): the sandbox, and Stripe against the fake
Stripe API, where ``ledger_breaches()`` also reconciles every charge, refund, transfer and payout with
the fake's records, and each sequence starts with the sellers' payout accounts set up.
"""

from dataclasses import dataclass, field
from datetime import timedelta

import pytest
from django.db import transaction
from django.db.models import Sum
from hypothesis import HealthCheck, event
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule, run_state_machine_as_test

from config import clock as project_clock
from payments import fees, services
from payments.exceptions import (
    AlreadyProcessed,
    CardDeclined,
    CheckoutAlreadyPaid,
    CheckoutCredited,
    InsufficientFunds,
    InvalidAmount,
    PaymentError,
    ProviderError,
    ProviderUnavailable,
)
from payments.integrity import ledger_breaches
from payments.models import AccountKind, Checkout, CheckoutStatus, LedgerAccount, LedgerEntry, Payout
from payments.providers import get_provider
from tests.factories import UserFactory

MILESTONES = st.integers(min_value=1, max_value=5)
PEOPLE = st.integers(min_value=0, max_value=2)
AMOUNTS = st.integers(min_value=1, max_value=30_000)
# Valid and invalid amounts alike: the services must refuse the bad ones and move nothing.
ANY_AMOUNT = st.one_of(AMOUNTS, st.integers(min_value=-500, max_value=0), st.sampled_from([1.5, "100", None]))
MIN_PAYOUT = 500
# Short clearance periods (settings) so that sequences of a few steps reach withdrawals.
CLEARANCE_DAYS = 3
CLEARANCE_DAYS_TOP_RATED = 1
# Most steps aim at something that exists (a funded milestone, its buyer, a seller with money);
# the rest pick at random, which makes plenty of invalid steps too.
TARGET = st.one_of(
    st.integers(min_value=0, max_value=99).map(lambda index: ("known", index)),
    MILESTONES.map(lambda milestone_id: ("any", milestone_id)),
)
WHO = st.one_of(st.just("right"), PEOPLE)
# A payout: a percentage of what is available (over 100 % is too much), or junk.
PORTION = st.one_of(
    st.integers(min_value=0, max_value=110).map(lambda percent: ("percent", percent)),
    st.sampled_from([-10, 1.5, "50"]),
)


@dataclass
class Person:
    balance: int = 0
    pending: int = 0
    available: int = 0
    withdrawn: int = 0


@dataclass
class Escrow:
    funder: int
    amount: int
    by_card: bool
    held: int
    released_to: int | None = None
    split: bool = False


@dataclass
class PendingEarning:
    seller: int
    amount: int
    created_day: int
    days: int
    milestone_id: int | None
    cleared: bool = False
    on_hold: bool = False


@dataclass
class Provider:
    charged: int = 0
    refunded: int = 0
    paid_out: int = 0


@dataclass
class Model:
    people: list[Person] = field(default_factory=lambda: [Person() for _ in range(3)])
    escrows: dict[int, Escrow] = field(default_factory=dict)
    earnings: list[PendingEarning] = field(default_factory=list)
    provider: Provider = field(default_factory=Provider)
    payout_keys: dict[tuple[int, str], int] = field(default_factory=dict)
    day: int = 0


class LedgerMachine(RuleBasedStateMachine):
    people: list = []
    side = None  # the provider adapter (tests/payments/providers.py), set by the test

    def __init__(self):
        super().__init__()
        self._atomic = transaction.atomic()
        self._atomic.__enter__()
        project_clock.set_offset(None)
        self.side.reset()  # the provider forgets the last sequence as the database does
        self.cards = self.side.cards
        self.min_card = get_provider().min_charge_cents  # Stripe refuses card charges under $0.50
        self.users = self.people  # created once per test run; everything else rolls back per sequence
        for user in self.users:  # anyone may sell here; with Stripe a seller needs a payout account
            self.side.seller_can_withdraw(user)
        self.model = Model()
        self.paid_checkouts: list[int] = []

    def teardown(self):
        try:
            # The whole-ledger check (the one ``ledger_check`` runs) at the end of every sequence.
            assert ledger_breaches() == []
        finally:
            self.side.reset()
            project_clock.set_offset(None)
            transaction.set_rollback(True)
            self._atomic.__exit__(None, None, None)

    # --- helpers ---------------------------------------------------------------
    def _earn(self, seller, gross, *, days, milestone_id):
        net = gross - fees.seller_commission_cents(gross)
        self.model.people[seller].pending += net
        if net > 0:
            self.model.earnings.append(PendingEarning(seller, net, self.model.day, days, milestone_id))

    def _milestone(self, pick):
        kind, value = pick
        if kind == "known" and self.model.escrows:
            known = sorted(self.model.escrows)
            return known[value % len(known)]
        return value if kind == "any" else 1 + value % 5

    @staticmethod
    def _part_of(whole, portion):
        """A percentage of ``whole`` (PORTION gives ints 0..110), or the raw value (junk, absolute cents)."""
        if isinstance(portion, tuple):
            return whole * portion[1] // 100
        return portion

    def _person(self, who, right):
        return right if who == "right" and right is not None else (who if who != "right" else 0)

    def _checkout(self, buyer, milestone_id, amount):
        return services.checkout_create(
            buyer=self.users[buyer],
            purpose="milestone",
            reference_id=milestone_id,
            amount_cents=amount,
            description=f"Milestone {milestone_id}",
            return_url="/",
        )

    @initialize(buyer=PEOPLE, first=AMOUNTS, second=AMOUNTS, tip=st.integers(min_value=MIN_PAYOUT, max_value=30_000))
    def start_with_money_in_the_system(self, buyer, first, second, tip):
        """Every sequence starts with two funded milestones and a seller with available earnings."""
        self.fund_by_card(buyer, 1, first, "good")
        self.fund_by_card((buyer + 1) % 3, 2, second, "good")
        self.tip(buyer, (buyer + 2) % 3, tip, True)
        self.time_passes_and_the_sweep_runs(CLEARANCE_DAYS, False)

    # --- funding ----------------------------------------------------------------
    @rule(
        buyer=PEOPLE,
        milestone_id=MILESTONES,
        amount=AMOUNTS,
        card=st.sampled_from(["good", "declined", "network", "lost_response"]),
    )
    def fund_by_card(self, buyer, milestone_id, amount, card):
        checkout = self._checkout(buyer, milestone_id, amount)
        cards = self.cards
        number = {"good": cards.succeeds, "declined": cards.declined, "network": cards.network_error}.get(
            card, cards.succeeds
        )
        if card == "lost_response":
            self.side.fail_next("charge", after=True)
            with pytest.raises(ProviderUnavailable):
                services.checkout_pay(checkout=checkout, actor=self.users[buyer], payment_method=number)
            card = "good"  # the buyer retries: same key, so the same (single) charge is recorded
        if card == "declined":
            with pytest.raises(CardDeclined):
                services.checkout_pay(checkout=checkout, actor=self.users[buyer], payment_method=number)
            return
        if card == "network":
            with pytest.raises(ProviderUnavailable):
                services.checkout_pay(checkout=checkout, actor=self.users[buyer], payment_method=number)
            return
        total = amount + fees.buyer_service_fee_cents(amount)
        self.model.provider.charged += total
        if milestone_id in self.model.escrows:
            with pytest.raises(CheckoutCredited):
                services.checkout_pay(checkout=checkout, actor=self.users[buyer], payment_method=number)
            self.model.people[buyer].balance += total
            event("card charged for an already funded milestone: credited to balance")
        else:
            services.checkout_pay(checkout=checkout, actor=self.users[buyer], payment_method=number)
            self.model.escrows[milestone_id] = Escrow(buyer, amount, True, amount)
            event("milestone funded by card")
        self.paid_checkouts.append(checkout.pk)

    @rule(buyer=PEOPLE, milestone_id=MILESTONES, amount=AMOUNTS)
    def fund_from_balance(self, buyer, milestone_id, amount):
        checkout = self._checkout(buyer, milestone_id, amount)
        total = amount + fees.buyer_service_fee_cents(amount)
        if milestone_id in self.model.escrows:
            with pytest.raises((AlreadyProcessed, InsufficientFunds)):
                services.checkout_pay(checkout=checkout, actor=self.users[buyer], use_balance=True)
        elif self.model.people[buyer].balance < total:
            with pytest.raises(InsufficientFunds):
                services.checkout_pay(checkout=checkout, actor=self.users[buyer], use_balance=True)
        else:
            services.checkout_pay(checkout=checkout, actor=self.users[buyer], use_balance=True)
            self.model.people[buyer].balance -= total
            self.model.escrows[milestone_id] = Escrow(buyer, amount, False, amount)
            event("milestone funded from balance")
            self.paid_checkouts.append(checkout.pk)

    @rule(buyer=PEOPLE, milestone_id=MILESTONES, amount=AMOUNTS)
    def fund_from_balance_and_card(self, buyer, milestone_id, amount):
        """ "Use my balance" with a card: the balance pays min(balance, total), the card the rest."""
        checkout = self._checkout(buyer, milestone_id, amount)
        total = amount + fees.buyer_service_fee_cents(amount)
        person = self.model.people[buyer]
        from_balance = min(person.balance, total)
        by_card = total - from_balance
        if 0 < by_card < self.min_card:  # the card pays at least the provider's smallest charge
            by_card = min(self.min_card, total)
            from_balance = total - by_card
        pay = lambda: services.checkout_pay(  # noqa: E731
            checkout=checkout, actor=self.users[buyer], payment_method=self.cards.succeeds, use_balance=True
        )
        if milestone_id in self.model.escrows:
            if by_card == 0:
                with pytest.raises((AlreadyProcessed, InsufficientFunds)):
                    pay()
                return
            with pytest.raises(CheckoutCredited):  # the card part was charged, then credited: nothing lost
                pay()
            self.model.provider.charged += by_card
            person.balance += by_card
            self.paid_checkouts.append(checkout.pk)
            return
        paid = pay()
        assert (paid.balance_part_cents, paid.card_part_cents) == (from_balance, by_card)
        self.model.provider.charged += by_card
        person.balance -= from_balance
        # a refund "to the card" goes to the card only for a card-only payment (else to the balance)
        self.model.escrows[milestone_id] = Escrow(buyer, amount, from_balance == 0, amount)
        event("milestone funded from balance and card" if from_balance and by_card else "funded (one source)")
        self.paid_checkouts.append(checkout.pk)

    @rule(index=st.integers(min_value=0, max_value=50), card=st.sampled_from(["succeeds", "declined"]))
    def submit_a_paid_checkout_again(self, index, card):
        if not self.paid_checkouts:
            return
        checkout = Checkout.objects.get(pk=self.paid_checkouts[index % len(self.paid_checkouts)])
        assert checkout.status in (CheckoutStatus.PAID, CheckoutStatus.CREDITED)
        with pytest.raises(CheckoutAlreadyPaid):
            services.checkout_pay(checkout=checkout, actor=checkout.buyer, payment_method=getattr(self.cards, card))

    # --- escrow -------------------------------------------------------------------
    @rule(pick=TARGET, seller=PEOPLE, top_rated=st.booleans())
    def release(self, pick, seller, top_rated):
        milestone_id = self._milestone(pick)
        escrow = self.model.escrows.get(milestone_id)
        call = lambda: services.escrow_release(  # noqa: E731
            milestone_id=milestone_id, seller=self.users[seller], top_rated=top_rated
        )
        if escrow is not None and escrow.released_to is not None:
            if escrow.released_to == seller:
                call()  # the same release again: returns the first one, moves nothing
            else:
                with pytest.raises(AlreadyProcessed):
                    call()
            return
        if escrow is None or escrow.held == 0:
            with pytest.raises(PaymentError):
                call()
            return
        call()
        self._earn(
            seller,
            escrow.held,
            days=CLEARANCE_DAYS_TOP_RATED if top_rated else CLEARANCE_DAYS,
            milestone_id=milestone_id,
        )
        escrow.held = 0
        escrow.released_to = seller
        event("escrow released")

    @rule(pick=TARGET, who=WHO, portion=st.one_of(st.none(), PORTION, ANY_AMOUNT), to_card=st.booleans())
    def refund(self, pick, who, portion, to_card):
        milestone_id = self._milestone(pick)
        escrow = self.model.escrows.get(milestone_id)
        buyer = self._person(who, escrow.funder if escrow else None)
        amount = self._part_of(escrow.held if escrow else 0, portion)
        call = lambda: services.escrow_refund(  # noqa: E731
            milestone_id=milestone_id,
            buyer=self.users[buyer],
            amount_cents=amount,
            destination="card" if to_card else "balance",
        )
        if escrow is None or escrow.funder != buyer or escrow.held == 0:
            with pytest.raises(PaymentError):
                call()
            return
        if amount is not None and (type(amount) is not int or amount <= 0 or amount > escrow.held):
            with pytest.raises((InvalidAmount, InsufficientFunds)):
                call()
            return
        refunded = escrow.held if amount is None else amount
        call()
        escrow.held -= refunded
        if to_card and escrow.by_card:
            self.model.provider.refunded += refunded
            event("refund to card")
        else:
            self.model.people[buyer].balance += refunded

    @rule(pick=TARGET, seller=PEOPLE, who=WHO, portion=st.one_of(PORTION, ANY_AMOUNT))
    def split(self, pick, seller, who, portion):
        milestone_id = self._milestone(pick)
        escrow = self.model.escrows.get(milestone_id)
        buyer = self._person(who, escrow.funder if escrow else None)
        share = self._part_of(escrow.held if escrow else 0, portion)
        call = lambda: services.escrow_split(  # noqa: E731
            milestone_id=milestone_id, seller=self.users[seller], buyer=self.users[buyer], seller_amount_cents=share
        )
        if type(share) is not int or share < 0:
            with pytest.raises(InvalidAmount):
                call()
            return
        if escrow is not None and escrow.split and escrow.funder == buyer:
            call()  # the same settlement again returns the first one
            return
        if escrow is None or escrow.funder != buyer or escrow.held == 0 or share > escrow.held:
            with pytest.raises(PaymentError):
                call()
            return
        call()
        self._earn(seller, share, days=CLEARANCE_DAYS, milestone_id=milestone_id)
        self.model.people[buyer].balance += escrow.held - share
        escrow.held = 0
        escrow.split = True
        event("dispute split")

    # --- tips -----------------------------------------------------------------------
    # a tip is at least TIPS_MIN_CENTS (one rule for every tip path since the tip paths were made one)
    @rule(buyer=PEOPLE, seller=PEOPLE, amount=st.integers(min_value=100, max_value=30_000), good_card=st.booleans())
    def tip(self, buyer, seller, amount, good_card):
        if buyer == seller:
            with pytest.raises(PaymentError):
                services.tip_send(
                    buyer=self.users[buyer], seller=self.users[seller], amount_cents=amount, return_url="/"
                )
            return
        checkout = services.tip_send(
            buyer=self.users[buyer], seller=self.users[seller], amount_cents=amount, return_url="/"
        )
        if not good_card:
            with pytest.raises(CardDeclined):
                services.checkout_pay(checkout=checkout, actor=self.users[buyer], payment_method=self.cards.declined)
            return
        services.checkout_pay(checkout=checkout, actor=self.users[buyer], payment_method=self.cards.succeeds)
        self.model.provider.charged += amount
        self._earn(seller, amount, days=CLEARANCE_DAYS, milestone_id=None)
        self.paid_checkouts.append(checkout.pk)

    # --- time, clearance, holds ---------------------------------------------------------
    @rule(days=st.integers(min_value=0, max_value=4), twice=st.booleans())
    def time_passes_and_the_sweep_runs(self, days, twice):
        self.model.day += days
        project_clock.set_offset(timedelta(days=self.model.day))
        services.earnings_clear()
        if twice:
            assert services.earnings_clear() == 0
        for earning in self.model.earnings:
            due = self.model.day - earning.created_day >= earning.days
            if not earning.cleared and due and not earning.on_hold:
                earning.cleared = True
                event("earning cleared")
                self.model.people[earning.seller].pending -= earning.amount
                self.model.people[earning.seller].available += earning.amount

    @rule(pick=TARGET, hold=st.booleans())
    def hold(self, pick, hold):
        milestone_id = self._milestone(pick)
        changed = services.earnings_hold(milestone_id=milestone_id, hold=hold)
        # A hold applies to the milestone's earnings pending now (a dispute opened after release).
        expected = 0
        for earning in self.model.earnings:
            if earning.milestone_id == milestone_id and not earning.cleared:
                expected += earning.on_hold != hold
                earning.on_hold = hold
        assert changed == expected

    # --- payouts ----------------------------------------------------------------------------
    @rule(
        who=WHO,
        portion=PORTION,
        key=st.sampled_from(["a", "b", "c"]),
        outcome=st.sampled_from(["paid", "paid", "refused", "lost_response"]),
    )
    def payout(self, who, portion, key, outcome):
        richest = max(range(3), key=lambda index: self.model.people[index].available)
        seller = self._person(who, richest)
        person = self.model.people[seller]
        amount = self._part_of(person.available, portion)
        call = lambda: services.payout_request(  # noqa: E731
            seller=self.users[seller], amount_cents=amount, idempotency_key=key
        )
        if type(amount) is not int or amount <= 0:
            with pytest.raises(InvalidAmount):
                call()
            return
        if (seller, key) in self.model.payout_keys:
            if self.model.payout_keys[(seller, key)] == amount:
                call()  # the same form again: nothing new
            else:
                with pytest.raises(PaymentError):
                    call()
            return
        if amount < MIN_PAYOUT:
            with pytest.raises(InvalidAmount):
                call()
            return
        if amount > person.available:
            with pytest.raises(InsufficientFunds):
                call()
            return
        if outcome == "refused":
            self.side.fail_next("payout", error=ProviderError)
        elif outcome == "lost_response":
            self.side.fail_next("payout", after=True)
        payout = call()
        self.model.payout_keys[(seller, key)] = amount
        if outcome == "refused":
            assert payout.status == "failed"
            event("payout refused by the provider")
            return
        if outcome == "lost_response":
            assert payout.status == "processing"
            payout = services.payout_send(payout=payout)  # the retry sweep asks again with the same key
        self.side.bank_pays()  # Stripe: the payout reaches the bank later, and its webhook says so
        payout.refresh_from_db()
        assert payout.status == "paid"
        event(f"payout paid ({outcome})")
        person.available -= amount
        person.withdrawn += amount
        self.model.provider.paid_out += amount

    # --- invariants -------------------------------------------------------------------------
    @invariant()
    def balances_match_the_model(self):
        # Two queries for everyone (balances_for itself is tested with the pages).
        held = {
            (user_id, kind): cents
            for user_id, kind, cents in LedgerAccount.objects.filter(user__in=self.users).values_list(
                "user_id", "kind", "balance_cents"
            )
        }
        withdrawn = dict(
            Payout.objects.filter(status="paid")
            .values("seller_id")
            .annotate(total=Sum("amount_cents"))
            .values_list("seller_id", "total")
            .order_by()
        )
        for user, person in zip(self.users, self.model.people, strict=True):
            assert held.get((user.pk, AccountKind.BUYER_BALANCE), 0) == person.balance
            assert held.get((user.pk, AccountKind.SELLER_PENDING), 0) == person.pending
            assert held.get((user.pk, AccountKind.SELLER_AVAILABLE), 0) == person.available
            assert withdrawn.get(user.pk, 0) == person.withdrawn
            assert min(person.balance, person.pending, person.available) >= 0

    @invariant()
    def escrow_holds_the_amount_or_nothing(self):
        held_by_milestone = dict(
            LedgerAccount.objects.filter(kind=AccountKind.ESCROW).values_list("milestone_id", "balance_cents")
        )
        for milestone_id in range(1, 6):
            escrow = self.model.escrows.get(milestone_id)
            held = held_by_milestone.get(milestone_id, 0)
            if escrow is None:
                assert held == 0
            else:
                assert held == escrow.held
                if escrow.released_to is not None or escrow.split:
                    assert held == 0

    @invariant()
    def every_posting_balances_and_no_account_is_negative(self):
        # Cheap per-step checks; the full ledger_breaches() runs at the end of each sequence.
        assert LedgerEntry.objects.aggregate(total=Sum("amount_cents"))["total"] in (None, 0)
        assert (
            not LedgerAccount.objects.filter(balance_cents__lt=0).exclude(kind=AccountKind.PROVIDER_CLEARING).exists()
        )

    @invariant()
    def the_provider_saw_what_the_model_expects(self):
        totals = {
            "charged": sum(self.side.charges()),
            "refunded": sum(self.side.refunds()),
            "paid_out": sum(self.side.payouts()),
        }
        assert totals == {
            "charged": self.model.provider.charged,
            "refunded": self.model.provider.refunded,
            "paid_out": self.model.provider.paid_out,
        }


@pytest.mark.django_db
def test_random_sequences_of_money_movements_keep_the_ledger_sound(provider, milestone_purpose, settings, monkeypatch):
    monkeypatch.setattr(LedgerMachine, "people", [UserFactory() for _ in range(3)])
    monkeypatch.setattr(LedgerMachine, "side", provider)
    settings.PAYMENTS_MIN_PAYOUT_CENTS = MIN_PAYOUT
    settings.PAYMENTS_CLEARANCE_DAYS = CLEARANCE_DAYS
    settings.PAYMENTS_CLEARANCE_DAYS_TOP_RATED = CLEARANCE_DAYS_TOP_RATED
    run_state_machine_as_test(
        LedgerMachine,
        settings=settings_for_machine(),
    )


def settings_for_machine():
    return hypothesis_settings(
        max_examples=150,
        stateful_step_count=15,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
        database=None,
    )
