"""Disputes through the services: who may act, what the milestone and the money do, the deadline sweep."""

from datetime import timedelta

import pytest
from django.core.management import call_command

from accounts.models import Notification, StaffAction
from milestones import services as milestone_services
from milestones.exceptions import OrderError, StaleAction
from milestones.models import OrderStatus, State, TimelineEvent
from orders import disputes
from orders.models import (
    Dispute,
    DisputeEscalation,
    DisputeMessageKind,
    DisputeOutcome,
    DisputeReason,
    DisputeStatus,
    SettlementStatus,
)
from orders.tasks import run_sweeps
from payments import services as payments
from payments.models import Earning, LedgerTransaction
from tests.factories import UserFactory
from tests.orders.builders import approve, deliver, fund, make_order, ms
from tests.orders.dispute_builders import answered, delivered, open_dispute, support_user

pytestmark = pytest.mark.django_db


def balances(user):
    return payments.balances_for(user)


def held(milestone):
    return payments.escrow_balance_cents(milestone_id=milestone.pk)


def ledger_ok():
    call_command("ledger_check")  # exits non-zero (SystemExit) on any breach


def money_snapshot(order, milestone):
    return (
        held(milestone),
        balances(order.seller).pending_cents,
        balances(order.buyer).buyer_balance_cents,
        LedgerTransaction.objects.count(),
    )


# --- opening ---------------------------------------------------------------------
def test_buyer_opens_a_dispute_on_a_delivered_milestone_and_auto_approval_freezes(clock):
    order, milestone = delivered(10000)
    assert milestone.auto_approve_at is not None
    dispute = open_dispute(milestone)
    milestone = ms(order, 1)
    assert milestone.state == State.DISPUTED
    assert milestone.auto_approve_at is None
    assert dispute.status == DisputeStatus.OPEN
    assert dispute.state_before == State.DELIVERED
    assert dispute.opened_by == order.buyer
    assert dispute.answer_due_at == dispute.created_at + timedelta(days=4)
    assert dispute.messages.get().kind == DisputeMessageKind.OPENING
    assert Notification.objects.filter(user=order.seller, text__contains="opened a dispute").exists()
    assert TimelineEvent.objects.filter(milestone=milestone, action="open_dispute", to_state=State.DISPUTED).exists()
    # the review window passing changes nothing: the milestone is not approved
    clock.advance(days=10)
    assert milestone_services.milestone_auto_approve(milestone_id=milestone.pk) is None
    assert ms(order, 1).state == State.DISPUTED
    assert held(milestone) == 10000


def test_the_seller_can_open_a_dispute_on_a_milestone_in_progress():
    order = make_order(10000)
    milestone = fund(ms(order, 1))
    dispute = open_dispute(milestone, by="seller", reason=DisputeReason.NO_RESPONSE)
    assert dispute.state_before == State.IN_PROGRESS
    assert dispute.respondent_role == "buyer"
    assert ms(order, 1).state == State.DISPUTED


def test_only_the_parties_can_open_a_dispute():
    order, milestone = delivered()
    for outsider in (UserFactory(), support_user()):
        with pytest.raises(OrderError, match="Only the buyer or seller"):
            disputes.dispute_open(milestone_id=milestone.pk, actor=outsider, reason="quality", description="x")
    assert not Dispute.objects.exists()
    assert ms(order, 1).state == State.DELIVERED


def test_a_dispute_needs_a_reason_and_a_description():
    order, milestone = delivered()
    with pytest.raises(OrderError, match="reason"):
        disputes.dispute_open(milestone_id=milestone.pk, actor=order.buyer, reason="bad", description="x")
    with pytest.raises(OrderError, match="Describe"):
        disputes.dispute_open(milestone_id=milestone.pk, actor=order.buyer, reason="late", description="  ")
    assert ms(order, 1).state == State.DELIVERED


def test_no_dispute_on_an_unstarted_or_finished_milestone_nor_twice():
    order = make_order(10000, 20000)
    first = deliver(fund(ms(order, 1)))
    second = fund(ms(order, 2))  # funded in advance, not started
    with pytest.raises(StaleAction):
        open_dispute(second)
    approve(first)
    with pytest.raises(StaleAction):
        open_dispute(ms(order, 1))
    active = ms(order, 2)  # started when the first was approved
    open_dispute(active)
    with pytest.raises(StaleAction):
        open_dispute(ms(order, 2), by="seller")
    assert Dispute.objects.count() == 1


# --- the thread ---------------------------------------------------------------------
def test_only_the_other_side_answers_and_only_once():
    order, milestone = delivered()
    dispute = open_dispute(milestone)
    with pytest.raises(OrderError, match="other side answers"):
        disputes.dispute_answer(dispute_id=dispute.pk, actor=order.buyer, body="me again")
    with pytest.raises(OrderError):
        disputes.dispute_answer(dispute_id=dispute.pk, actor=UserFactory(), body="hi")
    disputes.dispute_answer(dispute_id=dispute.pk, actor=order.seller, body="My side")
    with pytest.raises(StaleAction, match="already answered"):
        disputes.dispute_answer(dispute_id=dispute.pk, actor=order.seller, body="again")
    dispute.refresh_from_db()
    assert dispute.answered_at is not None
    assert [m.kind for m in dispute.messages.all()] == [DisputeMessageKind.OPENING, DisputeMessageKind.ANSWER]
    assert Notification.objects.filter(user=order.buyer, text__contains="answered your dispute").exists()


def test_support_messages_reach_both_parties_and_are_audit_logged():
    order, milestone = delivered()
    dispute = open_dispute(milestone)
    staff = support_user()
    disputes.dispute_message(dispute_id=dispute.pk, actor=staff, body="Please send the brief.")
    message = dispute.messages.last()
    assert message.kind == DisputeMessageKind.SUPPORT
    assert Notification.objects.filter(user=order.buyer, text__startswith="Support wrote").exists()
    assert Notification.objects.filter(user=order.seller, text__startswith="Support wrote").exists()
    log = StaffAction.objects.get()
    assert (log.staff, log.action, log.dispute_id, log.reason) == (
        staff,
        "dispute_message",
        dispute.pk,
        "Please send the brief.",
    )
    with pytest.raises(OrderError):
        disputes.dispute_message(dispute_id=dispute.pk, actor=UserFactory(is_staff=True), body="not support")


# --- settlements between the parties ------------------------------------------------
def test_a_settlement_accepted_by_the_other_side_closes_the_case_without_staff():
    order, milestone = delivered(10000)
    dispute = open_dispute(milestone)
    proposal = disputes.settlement_propose(
        dispute_id=dispute.pk, actor=order.buyer, outcome=DisputeOutcome.SPLIT, seller_amount_cents=7000
    )
    assert (proposal.seller_amount_cents, proposal.buyer_amount_cents) == (7000, 3000)
    disputes.settlement_accept(proposal_id=proposal.pk, actor=order.seller)

    dispute.refresh_from_db()
    proposal.refresh_from_db()
    assert dispute.status == DisputeStatus.RESOLVED
    assert dispute.settled_by_parties and dispute.decided_by is None
    assert (dispute.outcome, dispute.seller_amount_cents, dispute.buyer_amount_cents) == ("split", 7000, 3000)
    assert proposal.status == SettlementStatus.ACCEPTED
    assert ms(order, 1).state == State.SETTLED
    assert held(milestone) == 0
    assert balances(order.seller).pending_cents == 5600  # 70.00 - 20% commission
    assert balances(order.buyer).buyer_balance_cents == 3000
    # the system took the transition; the person who accepted is on the timeline too
    event = TimelineEvent.objects.get(milestone=milestone, action="resolve_split")
    assert event.actor is None
    assert TimelineEvent.objects.filter(milestone=milestone, action="settlement_accepted", actor=order.seller).exists()
    assert ms(order, 1).order.status == OrderStatus.COMPLETED
    ledger_ok()


def test_a_release_settlement_pays_the_seller_and_a_refund_settlement_pays_the_buyer_back():
    order, milestone = delivered(10000)
    dispute = open_dispute(milestone, by="seller", reason=DisputeReason.NO_RESPONSE)
    proposal = disputes.settlement_propose(dispute_id=dispute.pk, actor=order.seller, outcome="release")
    disputes.settlement_accept(proposal_id=proposal.pk, actor=order.buyer)
    assert ms(order, 1).state == State.APPROVED
    assert balances(order.seller).pending_cents == 8000

    order2, milestone2 = delivered(5000)
    dispute2 = open_dispute(milestone2)
    proposal2 = disputes.settlement_propose(dispute_id=dispute2.pk, actor=order2.buyer, outcome="refund")
    disputes.settlement_accept(proposal_id=proposal2.pk, actor=order2.seller)
    assert ms(order2, 1).state == State.CANCELLED
    assert balances(order2.buyer).buyer_balance_cents == 5000
    assert ms(order2, 1).order.status == OrderStatus.CANCELLED
    ledger_ok()


def test_the_proposer_cannot_accept_their_own_proposal_and_a_new_one_replaces_it():
    order, milestone = delivered(10000)
    dispute = open_dispute(milestone)
    first = disputes.settlement_propose(dispute_id=dispute.pk, actor=order.buyer, outcome="refund")
    with pytest.raises(OrderError, match="other side must accept"):
        disputes.settlement_accept(proposal_id=first.pk, actor=order.buyer)
    counter = disputes.settlement_propose(
        dispute_id=dispute.pk, actor=order.seller, outcome="split", seller_amount_cents=9000
    )
    first.refresh_from_db()
    assert first.status == SettlementStatus.SUPERSEDED
    with pytest.raises(StaleAction):
        disputes.settlement_accept(proposal_id=first.pk, actor=order.seller)
    disputes.settlement_decline(proposal_id=counter.pk, actor=order.buyer)
    counter.refresh_from_db()
    assert counter.status == SettlementStatus.DECLINED
    assert ms(order, 1).state == State.DISPUTED
    assert held(milestone) == 10000


@pytest.mark.parametrize("amount", [0, 10000, 10001, -5])
def test_a_proposed_split_must_leave_each_side_a_part_of_the_escrow(amount):
    order, milestone = delivered(10000)
    dispute = open_dispute(milestone)
    with pytest.raises(OrderError, match="seller's share must be"):
        disputes.settlement_propose(
            dispute_id=dispute.pk, actor=order.buyer, outcome="split", seller_amount_cents=amount
        )
    assert not dispute.proposals.exists()


# --- withdrawal ------------------------------------------------------------------------
def test_only_the_opener_withdraws_and_the_milestone_goes_back(clock):
    order, milestone = delivered(10000)
    dispute = open_dispute(milestone)
    with pytest.raises(OrderError, match="Only the one who opened"):
        disputes.dispute_withdraw(dispute_id=dispute.pk, actor=order.seller)
    clock.advance(days=2)
    disputes.dispute_withdraw(dispute_id=dispute.pk, actor=order.buyer)
    dispute.refresh_from_db()
    milestone = ms(order, 1)
    assert dispute.status == DisputeStatus.WITHDRAWN
    assert milestone.state == State.DELIVERED
    assert milestone.auto_approve_at > clock.now() + timedelta(days=2)  # a fresh review window
    assert held(milestone) == 10000
    with pytest.raises(StaleAction):
        disputes.dispute_withdraw(dispute_id=dispute.pk, actor=order.buyer)
    # a new dispute can be opened later
    open_dispute(milestone, by="seller")
    assert Dispute.objects.filter(milestone=milestone).count() == 2


def test_a_withdrawn_dispute_on_a_milestone_in_progress_puts_it_back_in_progress():
    order = make_order(10000)
    milestone = fund(ms(order, 1))
    dispute = open_dispute(milestone, by="seller")
    disputes.dispute_withdraw(dispute_id=dispute.pk, actor=order.seller)
    assert ms(order, 1).state == State.IN_PROGRESS


# --- support staff decides -------------------------------------------------------------------
@pytest.mark.parametrize(
    ("outcome", "seller_share", "state", "seller_pending", "buyer_balance"),
    [
        ("release", None, State.APPROVED, 8000, 0),
        ("refund", None, State.CANCELLED, 0, 10000),
        ("split", 6000, State.SETTLED, 4800, 4000),
    ],
)
def test_a_resolution_moves_exactly_the_stated_amounts(outcome, seller_share, state, seller_pending, buyer_balance):
    order, milestone = delivered(10000)
    dispute = answered(open_dispute(milestone))
    staff = support_user()
    disputes.dispute_resolve(
        dispute_id=dispute.pk,
        actor=staff,
        outcome=outcome,
        seller_amount_cents=seller_share,
        decision="The delivery matches most of the brief.",
    )
    dispute.refresh_from_db()
    assert dispute.status == DisputeStatus.RESOLVED
    assert dispute.decided_by == staff and not dispute.settled_by_parties
    assert dispute.decision == "The delivery matches most of the brief."
    assert ms(order, 1).state == state
    assert held(milestone) == 0
    assert balances(order.seller).pending_cents == seller_pending
    assert balances(order.buyer).buyer_balance_cents == buyer_balance
    assert dispute.seller_amount_cents + dispute.buyer_amount_cents == 10000
    log = StaffAction.objects.get(action="dispute_resolve")
    assert (log.staff, log.dispute_id, log.reason) == (staff, dispute.pk, dispute.decision)
    assert log.data["seller_amount_cents"] == dispute.seller_amount_cents
    for person in (order.buyer, order.seller):
        assert Notification.objects.filter(user=person, text__contains="is resolved").exists()
    ledger_ok()


def test_a_split_is_one_ledger_transaction_with_the_commission_on_the_seller_part():
    order, milestone = delivered(10000)
    dispute = answered(open_dispute(milestone))
    disputes.dispute_resolve(
        dispute_id=dispute.pk, actor=support_user(), outcome="split", seller_amount_cents=6000, decision="60/40"
    )
    split = LedgerTransaction.objects.get(kind="split", milestone_id=milestone.pk)
    amounts = sorted(e.amount_cents for e in split.entries.all())
    assert amounts == [-10000, 1200, 4000, 4800]
    earning = Earning.objects.get(milestone_id=milestone.pk)
    assert (earning.seller, earning.gross_cents, earning.amount_cents, earning.on_hold) == (
        order.seller,
        6000,
        4800,
        False,
    )


@pytest.mark.parametrize("amount", [10001, 10000, 0])
def test_a_split_that_exceeds_the_escrow_is_refused_and_nothing_moves(amount):
    order, milestone = delivered(10000)
    dispute = answered(open_dispute(milestone))
    before = money_snapshot(order, milestone)
    with pytest.raises(OrderError, match="seller's share must be"):
        disputes.dispute_resolve(
            dispute_id=dispute.pk, actor=support_user(), outcome="split", seller_amount_cents=amount, decision="x"
        )
    dispute.refresh_from_db()
    assert dispute.status == DisputeStatus.OPEN
    assert ms(order, 1).state == State.DISPUTED
    assert money_snapshot(order, milestone) == before
    assert not StaffAction.objects.exists()


def test_resolving_an_already_resolved_case_is_refused_and_nothing_moves():
    order, milestone = delivered(10000)
    dispute = answered(open_dispute(milestone))
    staff = support_user()
    disputes.dispute_resolve(dispute_id=dispute.pk, actor=staff, outcome="refund", decision="Refund.")
    before = money_snapshot(order, milestone)
    for outcome in ("release", "refund", "split"):
        with pytest.raises(StaleAction, match="already resolved"):
            disputes.dispute_resolve(
                dispute_id=dispute.pk, actor=support_user(), outcome=outcome, seller_amount_cents=5000, decision="Again"
            )
    assert money_snapshot(order, milestone) == before
    assert StaffAction.objects.filter(action="dispute_resolve").count() == 1
    ledger_ok()


def test_only_support_staff_resolve():
    order, milestone = delivered(10000)
    dispute = answered(open_dispute(milestone))
    before = money_snapshot(order, milestone)
    plain_staff = UserFactory(is_staff=True)  # staff, but not in Support
    group_member_not_staff = support_user()
    group_member_not_staff.is_staff = False
    group_member_not_staff.save()
    for person in (order.buyer, order.seller, UserFactory(), plain_staff, group_member_not_staff):
        person = type(person).objects.get(pk=person.pk)
        with pytest.raises(OrderError, match="Only support staff"):
            disputes.dispute_resolve(dispute_id=dispute.pk, actor=person, outcome="refund", decision="no")
    assert money_snapshot(order, milestone) == before
    assert ms(order, 1).state == State.DISPUTED


def test_a_support_agent_who_is_a_party_cannot_decide_their_own_case():
    agent = support_user()
    order, milestone = delivered(10000, buyer=agent)
    dispute = answered(open_dispute(milestone))
    with pytest.raises(OrderError, match="party to this order"):
        disputes.dispute_resolve(dispute_id=dispute.pk, actor=agent, outcome="refund", decision="mine")
    assert ms(order, 1).state == State.DISPUTED


def test_a_decision_needs_written_reasons():
    order, milestone = delivered(10000)
    dispute = answered(open_dispute(milestone))
    with pytest.raises(OrderError, match="Write the decision"):
        disputes.dispute_resolve(dispute_id=dispute.pk, actor=support_user(), outcome="release", decision=" ")
    assert ms(order, 1).state == State.DISPUTED


def test_staff_waits_for_the_answer_or_the_deadline(clock):
    order, milestone = delivered(10000)
    dispute = open_dispute(milestone)
    staff = support_user()
    with pytest.raises(OrderError, match="has until"):
        disputes.dispute_resolve(dispute_id=dispute.pk, actor=staff, outcome="refund", decision="early")
    clock.advance(days=4, minutes=1)
    disputes.dispute_resolve(dispute_id=dispute.pk, actor=staff, outcome="refund", decision="No answer came.")
    assert ms(order, 1).state == State.CANCELLED


def test_a_resolution_starts_the_next_funded_milestone():
    order = make_order(10000, 20000)
    first = deliver(fund(ms(order, 1)))
    fund(ms(order, 2))
    dispute = answered(open_dispute(first))
    disputes.dispute_resolve(dispute_id=dispute.pk, actor=support_user(), outcome="release", decision="Fine.")
    assert ms(order, 2).state == State.IN_PROGRESS
    assert ms(order, 2).order.status == OrderStatus.ACTIVE


def test_settling_or_withdrawing_after_the_case_closed_is_refused():
    order, milestone = delivered(10000)
    dispute = answered(open_dispute(milestone))
    pending = disputes.settlement_propose(dispute_id=dispute.pk, actor=order.seller, outcome="release")
    disputes.dispute_resolve(dispute_id=dispute.pk, actor=support_user(), outcome="refund", decision="Refund.")
    pending.refresh_from_db()
    assert pending.status == SettlementStatus.LAPSED
    with pytest.raises(StaleAction):
        disputes.settlement_accept(proposal_id=pending.pk, actor=order.buyer)
    with pytest.raises(StaleAction):
        disputes.dispute_withdraw(dispute_id=dispute.pk, actor=order.buyer)
    with pytest.raises(StaleAction):
        disputes.dispute_message(dispute_id=dispute.pk, actor=order.buyer, body="but")
    assert balances(order.seller).pending_cents == 0


# --- the deadline -------------------------------------------------------------------------
def test_unanswered_disputes_reach_staff_after_the_deadline(clock):
    order, milestone = delivered(10000)
    unanswered = open_dispute(milestone)
    order2, milestone2 = delivered(10000)
    answered_case = answered(open_dispute(milestone2))

    clock.advance(days=3, hours=23)
    assert disputes.disputes_escalate() == 0
    clock.advance(hours=1, minutes=1)
    assert run_sweeps()["dispute_deadlines"] == 1  # the Celery task runs the sweep
    assert disputes.disputes_escalate() == 0  # twice changes nothing

    unanswered.refresh_from_db()
    answered_case.refresh_from_db()
    assert unanswered.status == DisputeStatus.WAITING_FOR_STAFF
    assert unanswered.escalation == DisputeEscalation.UNANSWERED
    assert answered_case.status == DisputeStatus.OPEN
    assert ms(order, 1).state == State.DISPUTED  # still frozen, money still held
    assert held(milestone) == 10000
    assert Notification.objects.filter(user=order.seller, text__contains="went to support").exists()
    assert TimelineEvent.objects.filter(milestone=milestone, action="dispute_escalated").count() == 1


def test_the_sweep_works_in_batches():
    cases = [open_dispute(delivered(10000)[1]) for _ in range(3)]
    assert disputes.disputes_escalate(now=cases[-1].answer_due_at, batch_size=2) == 3
    assert Dispute.objects.filter(status=DisputeStatus.WAITING_FOR_STAFF).count() == 3


def test_a_late_answer_still_reaches_staff(clock):
    order, milestone = delivered(10000)
    dispute = open_dispute(milestone)
    clock.advance(days=5)
    disputes.disputes_escalate()
    disputes.dispute_answer(dispute_id=dispute.pk, actor=order.seller, body="Sorry, I was away.")
    dispute.refresh_from_db()
    assert dispute.status == DisputeStatus.WAITING_FOR_STAFF and dispute.answered_at is not None


def test_a_party_can_ask_support_once_the_other_side_answered():
    order, milestone = delivered(10000)
    dispute = open_dispute(milestone)
    with pytest.raises(OrderError, match="has until"):
        disputes.dispute_ask_staff(dispute_id=dispute.pk, actor=order.buyer)
    answered(dispute)
    disputes.dispute_ask_staff(dispute_id=dispute.pk, actor=order.seller)
    dispute.refresh_from_db()
    assert dispute.status == DisputeStatus.WAITING_FOR_STAFF
    assert dispute.escalation == DisputeEscalation.REQUESTED
    with pytest.raises(StaleAction):
        disputes.dispute_ask_staff(dispute_id=dispute.pk, actor=order.buyer)
    # the parties can still settle while support has the case
    proposal = disputes.settlement_propose(dispute_id=dispute.pk, actor=order.buyer, outcome="release")
    disputes.settlement_accept(proposal_id=proposal.pk, actor=order.seller)
    assert ms(order, 1).state == State.APPROVED


# --- anti-abuse ----------------------------------------------------------------------------
def test_a_buyer_cannot_take_money_back_for_a_delivered_milestone_except_through_a_dispute(clock):
    order, milestone = delivered(10000)
    clock.advance(days=2)
    buyer = order.buyer
    with pytest.raises(StaleAction):
        milestone_services.milestone_cancel(milestone_id=milestone.pk, actor=buyer)
    with pytest.raises(StaleAction):
        milestone_services.milestone_cancel_late(milestone_id=milestone.pk, actor=buyer)
    with pytest.raises(StaleAction):
        milestone_services.cancellation_request(milestone_id=milestone.pk, actor=buyer, reason="I want my money")
    with pytest.raises(OrderError):
        milestone_services.order_stop(order_id=order.pk, actor=buyer)
    assert ms(order, 1).state == State.DELIVERED
    assert held(milestone) == 10000
    assert balances(buyer).buyer_balance_cents == 0
    # the one way back: a dispute that support (or the seller) settles
    dispute = answered(open_dispute(milestone))
    disputes.dispute_resolve(dispute_id=dispute.pk, actor=support_user(), outcome="refund", decision="Not delivered.")
    assert balances(buyer).buyer_balance_cents == 10000


def test_a_pending_cancellation_request_cannot_refund_a_disputed_milestone():
    order = make_order(10000)
    milestone = fund(ms(order, 1))
    request = milestone_services.cancellation_request(milestone_id=milestone.pk, actor=order.seller, reason="busy")
    open_dispute(milestone)
    with pytest.raises(StaleAction):
        milestone_services.cancellation_decide(request_id=request.pk, actor=order.buyer, accept=True)
    assert held(milestone) == 10000
