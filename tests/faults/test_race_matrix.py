"""Every pair of money actions, raced: each pair runs at the same moment on PostgreSQL, on the same objects.

``ACTIONS`` lists every action that moves money or changes a milestone's state, as people and timers take
it (through the same services). The pairs are generated from that list, and ``test_every_transition_and_
payment_path_is_raced`` fails when the milestone's state machine gains a transition, or the payments app a
checkout purpose, that no action exercises, so a new action joins the matrix.

After each race: neither action crashed (a deadlock or an integrity error is a crash, not a refusal);
when both act on the same thing (``claims``), exactly one of them succeeded; ``ledger_check`` passes (the
provider's totals equal the ledger); every milestone's timeline is one unbroken chain ending in its
state; escrow matches each milestone's state; every approval was released and earned exactly once; and
no sweep logged a failure.

``RACE_ROUNDS`` (default 1) runs every pair that many times, each on a fresh world.
"""

import itertools
import logging
import os
import threading
import uuid
from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.db import close_old_connections, connection

from config import clock as project_clock
from marketplace import services as marketplace
from marketplace.categories import ensure_category_tree
from marketplace.models import Category, PackageTier
from marketplace.services import PackageData
from milestones import services as milestone_services
from milestones import timers
from milestones.exceptions import OrderError
from milestones.models import Milestone
from orders import disputes
from orders import services as order_services
from orders.services import PRICE_TIER
from payments import services as payments
from payments.checkout import registered_purposes
from payments.exceptions import PaymentError
from payments.models import PaymentSource
from payments.providers.sandbox import CARD_SUCCEEDS
from tests.factories import UserFactory
from tests.orders.builders import approve, deliver, fund, make_order, ms

from .conftest import assert_consistent

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

ROUNDS = int(os.environ.get("RACE_ROUNDS", "1"))
TIP_CENTS = 10_000
# Covers the funding of the after-approval order's second milestone ($100 + $5.50 fee) or a $100 tip: not both.
BALANCE_CENTS = 10_600


class World:
    """Only the parts a pair needs, built through the services; then the clock moves 15 days on."""

    def __init__(self, needs):
        self.buyer = UserFactory(display_name="Race Buyer")
        self.seller = UserFactory(display_name="Race Seller")
        people = {"buyer": self.buyer, "seller": self.seller}
        if "available" in needs:  # a cleared earning the seller can withdraw
            approve(deliver(fund(ms(make_order(5000, **people), 1))))
            project_clock.advance(timedelta(days=15))
            payments.earnings_clear()
        if "delivered" in needs:  # 1 delivered (review window will be over), 2 funded ahead, 3 awaiting money
            self.o1 = make_order(10000, 20000, 30000, **people)
            deliver(fund(ms(self.o1, 1)))
            fund(ms(self.o1, 2))
        if "late" in needs:  # 1 in progress, late past the grace period, the seller asked to cancel
            self.o2 = make_order(10000, 20000, days=2, **people)
            fund(ms(self.o2, 1))
            fund(ms(self.o2, 2))
            self.cancellation = milestone_services.cancellation_request(
                milestone_id=ms(self.o2, 1).pk, actor=self.seller, reason="I cannot finish"
            )
        if "disputed" in needs:  # 1 disputed by the buyer, answered, with the seller's split proposal pending
            self.o3 = make_order(10000, **people)
            disputed = deliver(fund(ms(self.o3, 1)))
            self.dispute = disputes.dispute_open(
                milestone_id=disputed.pk, actor=self.buyer, reason="quality", description="Blurry."
            )
            disputes.dispute_answer(dispute_id=self.dispute.pk, actor=self.seller, body="It is as agreed.")
            self.proposal = disputes.settlement_propose(
                dispute_id=self.dispute.pk, actor=self.seller, outcome="split", seller_amount_cents=6000
            )
            self.support = UserFactory(is_staff=True, display_name="Race Support")
            self.support.groups.add(Group.objects.get_or_create(name="Support")[0])
        if "after_approval" in needs:  # 1 approved, 2 waiting for money (checkout open), 3 proposed by the seller
            self.o4 = make_order(5000, 10000, **people)
            approve(deliver(fund(ms(self.o4, 1))))
            self.checkout = milestone_services.milestone_fund_checkout(milestone=ms(self.o4, 2), actor=self.buyer)
            self.proposed = milestone_services.milestone_propose(
                order_id=self.o4.pk,
                actor=self.seller,
                title="Extra",
                description="More work",
                amount_cents=5000,
                delivery_days=2,
                revisions_allowed=1,
            )
        if "gig" in needs:  # a gig sold as packages ($100 + $5.50 basic: the balance pays it) and one at $150
            ensure_category_tree()
            category = Category.objects.filter(parent__isnull=False).first()
            tiers = [
                PackageData(t, t.title(), f"{t} package", 10000 * (i + 1), 3, 1)
                for i, t in enumerate(PackageTier.values)
            ]
            self.gig = marketplace.gig_create(
                seller=self.seller, title="Race logo", description="A logo.", category=category, packages=tiers
            )
            self.single_gig = marketplace.gig_create(
                seller=self.seller,
                title="Race banner",
                description="A banner.",
                category=category,
                price_cents=15000,
                delivery_days=3,
            )
        if "balance" in needs:  # the buyer's balance: a refunded milestone
            spare = make_order(5000, BALANCE_CENTS, **people)
            fund(ms(spare, 1))
            fund(ms(spare, 2))
            milestone_services.milestone_cancel(milestone_id=ms(spare, 2).pk, actor=self.buyer)
        if "due_earning" in needs:  # an earning that clears once the clock has moved
            approve(deliver(fund(ms(make_order(7000, **people), 1))))
        project_clock.advance(timedelta(days=15))


@dataclass(frozen=True)
class Action:
    needs: frozenset
    run: object  # World -> result; a falsy result (a sweep with nothing to do) counts as "did nothing"
    claims: object  # World -> the things it takes exclusively: two actions claiming one thing cannot both act
    covers: tuple  # milestone transitions, checkout purposes and payment sources it exercises


def action(needs, claims, covers):
    def wrap(run):
        return Action(frozenset(needs), run, claims, tuple(covers))

    return wrap


def _milestone(order, position):
    return Milestone.objects.get(order=order, position=position).pk


ACTIONS = {
    "fund_by_card": action(["after_approval"], lambda w: {"o4.2"}, ["fund", "start", "milestone", "card"])(
        lambda w: payments.checkout_pay(checkout=w.checkout, actor=w.buyer, payment_method=CARD_SUCCEEDS)
    ),
    "fund_from_balance": action(["after_approval", "balance"], lambda w: {"o4.2", "balance"}, ["fund", "balance"])(
        lambda w: payments.checkout_pay(checkout=w.checkout, actor=w.buyer, use_balance=True)
    ),
    "tip": action(["balance"], lambda w: {"balance"}, ["tip", "balance"])(
        lambda w: payments.checkout_pay(
            checkout=payments.tip_send(buyer=w.buyer, seller=w.seller, amount_cents=TIP_CENTS, return_url="/"),
            actor=w.buyer,
            use_balance=True,
        )
    ),
    "order_package": action(["gig", "balance"], lambda w: {"balance"}, ["package", "balance"])(
        lambda w: payments.checkout_pay(
            checkout=order_services.order_package_checkout(gig_id=w.gig.pk, tier="basic", buyer=w.buyer),
            actor=w.buyer,
            use_balance=True,
        )
    ),
    # the balance pays part, the card the rest
    "order_gig_price": action(["gig", "balance"], lambda w: {"balance"}, ["gig_price", "mixed", "balance"])(
        lambda w: payments.checkout_pay(
            checkout=order_services.order_package_checkout(gig_id=w.single_gig.pk, tier=PRICE_TIER, buyer=w.buyer),
            actor=w.buyer,
            payment_method=CARD_SUCCEEDS,
            use_balance=True,
        )
    ),
    "approve": action(["delivered"], lambda w: {"o1.1"}, ["approve", "start"])(
        lambda w: milestone_services.milestone_approve(
            milestone_id=_milestone(w.o1, 1), actor=w.buyer, expected_state="delivered"
        )
    ),
    "approve_and_end": action(["delivered"], lambda w: {"o1.1"}, ["approve", "cancel"])(
        lambda w: milestone_services.milestone_approve_and_end(
            milestone_id=_milestone(w.o1, 1), actor=w.buyer, expected_state="delivered"
        )
    ),
    "request_revision": action(["delivered"], lambda w: {"o1.1"}, ["request_revision"])(
        lambda w: milestone_services.milestone_request_revision(
            milestone_id=_milestone(w.o1, 1), actor=w.buyer, feedback="Bigger logo", expected_state="delivered"
        )
    ),
    "open_dispute": action(["delivered"], lambda w: {"o1.1"}, ["open_dispute"])(
        lambda w: disputes.dispute_open(
            milestone_id=_milestone(w.o1, 1),
            actor=w.buyer,
            reason="quality",
            description="Not as agreed.",
            expected_state="delivered",
        )
    ),
    "auto_approve_sweep": action(["delivered"], lambda w: {"o1.1"}, ["auto_approve"])(
        lambda w: timers.sweep_auto_approve()
    ),
    "cancel": action(["delivered"], lambda w: {"o1.2"}, ["cancel"])(
        lambda w: milestone_services.milestone_cancel(
            milestone_id=_milestone(w.o1, 2), actor=w.buyer, expected_state="funded"
        )
    ),
    "deliver": action(["late"], lambda w: {"o2.1"}, ["deliver"])(
        lambda w: milestone_services.milestone_deliver(
            milestone_id=_milestone(w.o2, 1), actor=w.seller, message="Finally done", expected_state="in_progress"
        )
    ),
    "cancel_when_late": action(["late"], lambda w: {"o2.1"}, ["cancel_late"])(
        lambda w: milestone_services.milestone_cancel_late(
            milestone_id=_milestone(w.o2, 1), actor=w.buyer, expected_state="in_progress"
        )
    ),
    "mutual_cancel": action(["late"], lambda w: {"o2.1"}, ["mutual_cancel"])(
        lambda w: milestone_services.cancellation_decide(request_id=w.cancellation.pk, actor=w.buyer, accept=True)
    ),
    "settle": action(["disputed"], lambda w: {"o3.1"}, ["resolve_split"])(
        lambda w: disputes.settlement_accept(proposal_id=w.proposal.pk, actor=w.buyer)
    ),
    "resolve_refund": action(["disputed"], lambda w: {"o3.1"}, ["resolve_refund"])(
        lambda w: disputes.dispute_resolve(
            dispute_id=w.dispute.pk, actor=w.support, outcome="refund", decision="Refund: the work was not done."
        )
    ),
    "resolve_release": action(["disputed"], lambda w: {"o3.1"}, ["resolve_release"])(
        lambda w: disputes.dispute_resolve(
            dispute_id=w.dispute.pk, actor=w.support, outcome="release", decision="Release: the work is as agreed."
        )
    ),
    "withdraw_dispute": action(["disputed"], lambda w: {"o3.1"}, ["withdraw_dispute"])(
        lambda w: disputes.dispute_withdraw(dispute_id=w.dispute.pk, actor=w.buyer)
    ),
    "end_order": action(["after_approval"], lambda w: {"o4"}, ["cancel", "decline"])(
        lambda w: milestone_services.order_stop(order_id=w.o4.pk, actor=w.buyer)
    ),
    "accept_proposal": action(["after_approval"], lambda w: {"o4.3"}, ["accept"])(
        lambda w: milestone_services.milestone_proposal_decide(
            milestone_id=w.proposed.pk, actor=w.buyer, decision="accept", expected_state="proposed"
        )
    ),
    "withdraw_proposal": action(["after_approval"], lambda w: {"o4.3"}, ["withdraw"])(
        lambda w: milestone_services.milestone_proposal_decide(
            milestone_id=w.proposed.pk, actor=w.seller, decision="withdraw", expected_state="proposed"
        )
    ),
    "withdraw_earnings": action(["available"], lambda w: {"available"}, ["payout"])(
        lambda w: payments.payout_request(
            seller=w.seller,
            amount_cents=payments.balances_for(w.seller).available_cents,
            idempotency_key=uuid.uuid4().hex,
        )
    ),
    "clearance_sweep": action(["due_earning"], lambda w: {"clearance"}, ["clearance"])(
        lambda w: payments.earnings_clear()
    ),
}

PAIRS = list(itertools.combinations_with_replacement(sorted(ACTIONS), 2))


def test_every_transition_and_payment_path_is_raced():
    covered = {name for act in ACTIONS.values() for name in act.covers}
    transitions = {t.name for t in Milestone._meta.get_field("state").get_all_transitions(Milestone)}
    assert transitions - covered == set(), "milestone transitions no raced action takes"
    assert set(registered_purposes()) - covered == set(), "checkout purposes no raced action pays"
    assert set(PaymentSource.values) - covered == set(), "payment sources no raced action uses"
    assert {"payout", "clearance"} <= covered


def _race(world, names):
    barrier = threading.Barrier(len(names))
    outcomes = [None] * len(names)

    def run(index, name):
        try:
            barrier.wait(timeout=30)
            outcomes[index] = "ok" if ACTIONS[name].run(world) else "nothing"
        except (OrderError, PaymentError) as error:
            outcomes[index] = f"refused: {error}"
        except Exception as error:  # noqa: BLE001 - a crash, reported below
            outcomes[index] = f"crashed: {error!r}"
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, name)) for i, name in enumerate(names)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    close_old_connections()
    return outcomes


@pytest.fixture
def moved_clock():
    yield
    project_clock.set_offset(None)


@pytest.mark.parametrize(("first", "second"), PAIRS, ids=[f"{a}+{b}" for a, b in PAIRS])
def test_two_money_actions_at_the_same_moment(require_postgres, moved_clock, caplog, first, second):
    for _round in range(ROUNDS):
        world = World(ACTIONS[first].needs | ACTIONS[second].needs)
        caplog.clear()
        with caplog.at_level(logging.WARNING):
            outcomes = _race(world, [first, second])

        assert not [o for o in outcomes if o is None or o.startswith("crashed")], outcomes
        if ACTIONS[first].claims(world) & ACTIONS[second].claims(world):
            assert outcomes.count("ok") == 1, f"{first} and {second} both claim the same thing: {outcomes}"
        failures = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
        assert not failures, failures
        assert_consistent()
