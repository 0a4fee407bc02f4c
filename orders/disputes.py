"""Disputes: every action on a case, for the parties, support staff and the timer.

Each service is keyword-only and atomic; it locks the order and the milestone
(``lock_milestone``) and then the dispute row, re-checks the case under the
lock, and raises ``OrderError`` (``StaleAction`` when the case moved on) with a
message a person can read. Money moves only through ``payments.services`` and
only once per case: the milestone's ``resolve_*`` transition can be taken once,
and the payments services are idempotent per milestone.

Lifecycle of a case (``Dispute.status``)::

    open ──(answer, messages, settlement proposals)──▶ resolved   (settlement accepted: SYSTEM takes resolve_*)
      │  └─(no answer by answer_due_at, or a party asks)──▶ waiting_for_staff ──(staff decides)──▶ resolved
      └──(the opener withdraws)──▶ withdrawn   (milestone back to its state before the dispute)
"""

import logging

from django.conf import settings
from django.db import transaction

from accounts.audit import staff_action_record
from accounts.notifications import notification_send
from accounts.permissions import is_support
from config import clock
from milestones.exceptions import OrderError, StaleAction
from milestones.models import SYSTEM, State
from milestones.services import (
    _after_close,
    _is_top_rated,
    _party,
    _url,
    lock_milestone,
    run_transition,
)
from milestones.timeline import timeline_record
from payments import services as payments
from payments.exceptions import PaymentError
from payments.templatetags.money import money

from .models import (
    ACTIVE_DISPUTE_STATUSES,
    Dispute,
    DisputeAttachment,
    DisputeEscalation,
    DisputeMessage,
    DisputeMessageKind,
    DisputeOutcome,
    DisputeReason,
    DisputeStatus,
    SettlementProposal,
    SettlementStatus,
)

logger = logging.getLogger(__name__)

MAX_FILES = 5
RESOLVE_TRANSITIONS = {
    DisputeOutcome.RELEASE: "resolve_release",
    DisputeOutcome.REFUND: "resolve_refund",
    DisputeOutcome.SPLIT: "resolve_split",
}


# --- helpers -----------------------------------------------------------------
def _lock_dispute(dispute_id):
    """Lock the order, the milestone, then the dispute (the order every service uses)."""
    milestone_id = Dispute.objects.filter(pk=dispute_id).values_list("milestone_id", flat=True).first()
    if milestone_id is None:
        raise OrderError("This dispute does not exist.")
    milestone = lock_milestone(milestone_id)
    dispute = Dispute.objects.select_for_update().get(pk=dispute_id)
    dispute.milestone = milestone
    dispute.order = milestone.order
    return dispute, milestone


def _require_active(dispute):
    if dispute.status not in ACTIVE_DISPUTE_STATUSES:
        raise StaleAction(f"This dispute is {dispute.get_status_display().lower()}; nothing more can be done on it.")


def _dispute_url(dispute):
    return dispute.get_absolute_url()


def _add_message(dispute, author, kind, body, files=()):
    files = list(files or ())
    if len(files) > MAX_FILES:
        raise OrderError(f"Attach at most {MAX_FILES} files.")
    message = DisputeMessage.objects.create(dispute=dispute, author=author, kind=kind, body=body)
    for upload in files:
        DisputeAttachment.objects.create(message=message, file=upload.file, name=upload.name, size=upload.file.size)
    return message


def _held_cents(milestone):
    return payments.escrow_balance_cents(milestone_id=milestone.pk)


def _split_amounts(outcome, held, seller_amount_cents):
    """(seller's share, buyer's share) of what escrow holds; refuses a split outside (0, held)."""
    if outcome == DisputeOutcome.RELEASE:
        return held, 0
    if outcome == DisputeOutcome.REFUND:
        return 0, held
    if outcome != DisputeOutcome.SPLIT:
        raise OrderError("Choose release to the seller, refund to the buyer, or a split.")
    if type(seller_amount_cents) is not int:
        raise OrderError("Enter the seller's share of the split in dollars and cents.")
    if not 0 < seller_amount_cents < held:
        raise OrderError(
            f"A split gives each side a part of the {money(held)} held in escrow: the seller's share must be more "
            f"than {money(0)} and less than {money(held)}. Use release or refund to give one side everything."
        )
    return seller_amount_cents, held - seller_amount_cents


def terms_text(outcome, seller_cents, buyer_cents):
    if outcome == DisputeOutcome.RELEASE:
        return f"all {money(seller_cents)} released to the seller"
    if outcome == DisputeOutcome.REFUND:
        return f"all {money(buyer_cents)} refunded to the buyer"
    return f"{money(seller_cents)} to the seller, {money(buyer_cents)} back to the buyer"


def _lapse_proposals(dispute):
    dispute.proposals.filter(status=SettlementStatus.PENDING).update(
        status=SettlementStatus.LAPSED, decided_at=clock.now()
    )


def _close_with_outcome(dispute, milestone, *, outcome, seller_amount_cents, actor, decision, decided_by):
    """Take the resolve_* transition, move the escrow once, release holds, close the case, start what is next."""
    held = _held_cents(milestone)
    if held <= 0:
        raise StaleAction("Nothing is held in escrow for this milestone any more; nothing was moved.")
    seller_cents, buyer_cents = _split_amounts(outcome, held, seller_amount_cents)
    terms = terms_text(outcome, seller_cents, buyer_cents)
    run_transition(milestone, RESOLVE_TRANSITIONS[outcome], actor, detail=f"{terms}. {decision}"[:2000])
    order = milestone.order
    try:
        if outcome == DisputeOutcome.RELEASE:
            payments.escrow_release(
                milestone_id=milestone.pk, seller=order.seller, top_rated=_is_top_rated(order.seller)
            )
        elif outcome == DisputeOutcome.REFUND:
            payments.escrow_refund(milestone_id=milestone.pk, buyer=order.buyer, destination="balance")
        else:
            payments.escrow_split(
                milestone_id=milestone.pk,
                seller=order.seller,
                buyer=order.buyer,
                seller_amount_cents=seller_cents,
                top_rated=_is_top_rated(order.seller),
            )
    except PaymentError as exc:  # the whole transaction rolls back: the milestone stays disputed
        raise OrderError(f"The money could not be moved: {exc.message} Nothing was changed.") from exc
    payments.earnings_hold(milestone_id=milestone.pk, hold=False)
    dispute.status = DisputeStatus.RESOLVED
    dispute.outcome = outcome
    dispute.seller_amount_cents = seller_cents
    dispute.buyer_amount_cents = buyer_cents
    dispute.decision = decision
    dispute.decided_by = decided_by
    dispute.settled_by_parties = decided_by is None
    dispute.closed_at = clock.now()
    dispute.save()
    _lapse_proposals(dispute)
    for person in (order.buyer, order.seller):
        notification_send(
            user=person,
            text=f"The dispute on “{milestone.title}” is resolved: {terms}.",
            url=_dispute_url(dispute),
        )
    _after_close(milestone)
    return dispute


# --- opening -------------------------------------------------------------------
@transaction.atomic
def dispute_open(*, milestone_id, actor, reason, description, files=(), expected_state=None) -> Dispute:
    """A party opens a dispute: the milestone becomes ``disputed`` (auto-approval frozen), clearance is held."""
    milestone = lock_milestone(milestone_id)
    _party(milestone, actor, "buyer", "seller")
    if reason not in DisputeReason.values:
        raise OrderError("Choose the reason for the dispute.")
    if not (description or "").strip():
        raise OrderError("Describe what happened: support and the other side read it first.")
    state_before = milestone.state
    label = DisputeReason(reason).label
    run_transition(
        milestone, "open_dispute", actor, expected_state=expected_state, detail=f"{label}: {description[:300]}"
    )
    now = clock.now()
    dispute = Dispute.objects.create(
        order=milestone.order,
        milestone=milestone,
        opened_by=actor,
        reason=reason,
        description=description,
        state_before=state_before,
        created_at=now,
        answer_due_at=now + settings.DISPUTE_ANSWER_WINDOW,
    )
    _add_message(dispute, actor, DisputeMessageKind.OPENING, description, files)
    payments.earnings_hold(milestone_id=milestone.pk, hold=True)
    other = milestone.order.other_party(actor)
    notification_send(
        user=other,
        text=f"{actor.public_name} opened a dispute on “{milestone.title}” ({label.lower()}). "
        f"Answer by {dispute.answer_due_at:%d %b, %H:%M} UTC, or support decides without your side.",
        url=_dispute_url(dispute),
    )
    return dispute


# --- the thread ----------------------------------------------------------------
@transaction.atomic
def dispute_answer(*, dispute_id, actor, body, files=()) -> DisputeMessage:
    """The other party gives their side (once); a late answer still reaches staff."""
    dispute, milestone = _lock_dispute(dispute_id)
    _party(milestone, actor, "buyer", "seller")
    _require_active(dispute)
    if actor.pk == dispute.opened_by_id:
        raise OrderError("You opened this dispute; the other side answers it. Add a message instead.")
    if dispute.answered_at is not None:
        raise StaleAction("You already answered this dispute; add a message instead.")
    if not (body or "").strip():
        raise OrderError("Write your answer: what happened from your side?")
    message = _add_message(dispute, actor, DisputeMessageKind.ANSWER, body, files)
    dispute.answered_at = clock.now()
    dispute.save(update_fields=["answered_at"])
    timeline_record(
        order=milestone.order, milestone=milestone, actor=actor, action="dispute_answered", detail=body[:300]
    )
    notification_send(
        user=dispute.opened_by,
        text=f"{actor.public_name} answered your dispute on “{milestone.title}”.",
        url=_dispute_url(dispute),
    )
    return message


@transaction.atomic
def dispute_message(*, dispute_id, actor, body, files=()) -> DisputeMessage:
    """A message in the case thread from a party or support staff (staff messages are audit-logged)."""
    dispute, milestone = _lock_dispute(dispute_id)
    order = milestone.order
    staff = actor.pk not in (order.buyer_id, order.seller_id) and is_support(actor)
    if not staff:
        _party(milestone, actor, "buyer", "seller")
    _require_active(dispute)
    if not (body or "").strip():
        raise OrderError("Write a message.")
    kind = DisputeMessageKind.SUPPORT if staff else DisputeMessageKind.MESSAGE
    message = _add_message(dispute, actor, kind, body, files)
    if staff:
        staff_action_record(
            staff=actor,
            action="dispute_message",
            order=order,
            milestone=milestone,
            dispute=dispute,
            detail="Wrote to both parties in the case thread.",
            reason=body[:2000],
        )
        recipients: tuple = (order.buyer, order.seller)
    else:
        recipients = (order.other_party(actor),)
    for person in recipients:
        notification_send(
            user=person,
            text=f"{'Support' if staff else actor.public_name} wrote in the dispute on “{milestone.title}”.",
            url=_dispute_url(dispute),
        )
    return message


@transaction.atomic
def dispute_ask_staff(*, dispute_id, actor) -> Dispute:
    """A party asks support to decide (once the other side answered, or the answer is overdue)."""
    dispute, milestone = _lock_dispute(dispute_id)
    _party(milestone, actor, "buyer", "seller")
    _require_active(dispute)
    if dispute.status == DisputeStatus.WAITING_FOR_STAFF:
        raise StaleAction("Support already has this case.")
    if dispute.answered_at is None and dispute.answer_due_at > clock.now():
        raise OrderError(
            f"The other side has until {dispute.answer_due_at:%d %b, %H:%M} UTC to answer; "
            "the case goes to support by itself if they do not."
        )
    _escalate(dispute, milestone, DisputeEscalation.REQUESTED, actor=actor)
    return dispute


def _escalate(dispute, milestone, escalation, *, actor=None):
    dispute.status = DisputeStatus.WAITING_FOR_STAFF
    dispute.escalation = escalation
    dispute.escalated_at = clock.now()
    dispute.save(update_fields=["status", "escalation", "escalated_at"])
    label = DisputeEscalation(escalation).label
    timeline_record(order=milestone.order, milestone=milestone, actor=actor, action="dispute_escalated", detail=label)
    for person in (milestone.order.buyer, milestone.order.seller):
        notification_send(
            user=person,
            text=f"The dispute on “{milestone.title}” went to support ({label.lower()}). "
            "You can still agree a settlement until support decides.",
            url=_dispute_url(dispute),
        )


# --- settlements between the parties ------------------------------------------
@transaction.atomic
def settlement_propose(*, dispute_id, actor, outcome, seller_amount_cents=None, note="") -> SettlementProposal:
    """A party proposes how to end the case (release, refund, or a split by amount); replaces a pending one."""
    dispute, milestone = _lock_dispute(dispute_id)
    _party(milestone, actor, "buyer", "seller")
    _require_active(dispute)
    held = _held_cents(milestone)
    if held <= 0:
        raise StaleAction("Nothing is held in escrow for this milestone; there is nothing to settle.")
    seller_cents, buyer_cents = _split_amounts(outcome, held, seller_amount_cents)
    dispute.proposals.filter(status=SettlementStatus.PENDING).update(
        status=SettlementStatus.SUPERSEDED, decided_at=clock.now()
    )
    proposal = SettlementProposal.objects.create(
        dispute=dispute,
        proposed_by=actor,
        outcome=outcome,
        seller_amount_cents=seller_cents,
        buyer_amount_cents=buyer_cents,
        note=note or "",
    )
    terms = terms_text(outcome, seller_cents, buyer_cents)
    timeline_record(order=milestone.order, milestone=milestone, actor=actor, action="settlement_proposed", detail=terms)
    notification_send(
        user=milestone.order.other_party(actor),
        text=f"{actor.public_name} proposes to settle the dispute on “{milestone.title}”: {terms}.",
        url=_dispute_url(dispute),
    )
    return proposal


def _lock_proposal(proposal_id):
    dispute_id = SettlementProposal.objects.filter(pk=proposal_id).values_list("dispute_id", flat=True).first()
    if dispute_id is None:
        raise OrderError("This settlement proposal does not exist.")
    dispute, milestone = _lock_dispute(dispute_id)
    proposal = SettlementProposal.objects.select_for_update().get(pk=proposal_id)
    if proposal.status != SettlementStatus.PENDING:
        raise StaleAction(f"This proposal is no longer open: {proposal.get_status_display().lower()}.")
    return dispute, milestone, proposal


@transaction.atomic
def settlement_accept(*, proposal_id, actor) -> Dispute:
    """The other party accepts: the case closes without staff (the system takes the resolve_* transition)."""
    dispute, milestone, proposal = _lock_proposal(proposal_id)
    _party(milestone, actor, "buyer", "seller")
    _require_active(dispute)
    if actor.pk == proposal.proposed_by_id:
        raise OrderError("The other side must accept your proposal.")
    held = _held_cents(milestone)
    proposal.status = SettlementStatus.ACCEPTED
    proposal.decided_at = clock.now()
    proposal.save(update_fields=["status", "decided_at"])
    seller_cents, buyer_cents = _split_amounts(proposal.outcome, held, proposal.seller_amount_cents)
    decision = (
        f"Settled by agreement: {proposal.proposed_by.public_name} proposed "
        f"{terms_text(proposal.outcome, seller_cents, buyer_cents)}, and {actor.public_name} accepted."
    )
    timeline_record(
        order=milestone.order, milestone=milestone, actor=actor, action="settlement_accepted", detail=decision
    )
    return _close_with_outcome(
        dispute,
        milestone,
        outcome=proposal.outcome,
        seller_amount_cents=proposal.seller_amount_cents,
        actor=SYSTEM,
        decision=decision,
        decided_by=None,
    )


@transaction.atomic
def settlement_decline(*, proposal_id, actor) -> SettlementProposal:
    """The other party declines a proposal, or its author withdraws it."""
    dispute, milestone, proposal = _lock_proposal(proposal_id)
    _party(milestone, actor, "buyer", "seller")
    _require_active(dispute)
    mine = actor.pk == proposal.proposed_by_id
    proposal.status = SettlementStatus.WITHDRAWN if mine else SettlementStatus.DECLINED
    proposal.decided_at = clock.now()
    proposal.save(update_fields=["status", "decided_at"])
    timeline_record(order=milestone.order, milestone=milestone, actor=actor, action=f"settlement_{proposal.status}")
    notification_send(
        user=milestone.order.other_party(actor),
        text=f"The settlement proposal on “{milestone.title}” was {proposal.get_status_display().lower()}.",
        url=_dispute_url(dispute),
    )
    return proposal


# --- withdrawal ------------------------------------------------------------------
@transaction.atomic
def dispute_withdraw(*, dispute_id, actor) -> Dispute:
    """The opener drops the case: the milestone goes back to where it was, holds are released."""
    dispute, milestone = _lock_dispute(dispute_id)
    _party(milestone, actor, "buyer", "seller")
    _require_active(dispute)
    if actor.pk != dispute.opened_by_id:
        raise OrderError("Only the one who opened the dispute can withdraw it.")
    if milestone.state != State.DISPUTED:
        raise StaleAction(f"This milestone is “{milestone.get_state_display()}”, not disputed; nothing was done.")
    run_transition(milestone, "withdraw_dispute", actor, detail="dispute withdrawn", back_to=dispute.state_before)
    payments.earnings_hold(milestone_id=milestone.pk, hold=False)
    dispute.status = DisputeStatus.WITHDRAWN
    dispute.closed_at = clock.now()
    dispute.save(update_fields=["status", "closed_at"])
    _lapse_proposals(dispute)
    notification_send(
        user=milestone.order.other_party(actor),
        text=f"{actor.public_name} withdrew the dispute on “{milestone.title}”; the milestone is "
        f"“{milestone.get_state_display()}” again.",
        url=_url(milestone),
    )
    return dispute


# --- support staff -------------------------------------------------------------------
@transaction.atomic
def dispute_resolve(*, dispute_id, actor, outcome, decision, seller_amount_cents=None) -> Dispute:
    """Support decides: release, refund, or split by amount, with a written decision. Final and audit-logged.

    ``seller_amount_cents`` (splits only) is the seller's share of what escrow
    holds, before the seller commission; the rest goes back to the buyer's
    balance.
    """
    if not is_support(actor):
        raise OrderError("Only support staff can resolve a dispute.")
    decision = (decision or "").strip()
    if not decision:
        raise OrderError("Write the decision: both parties read it.")
    dispute, milestone = _lock_dispute(dispute_id)
    order = milestone.order
    if actor.pk in (order.buyer_id, order.seller_id):
        raise OrderError("You are a party to this order; another support agent must decide.")
    if dispute.status == DisputeStatus.RESOLVED:
        raise StaleAction("This dispute is already resolved; a resolution is final. Nothing was moved.")
    _require_active(dispute)
    if dispute.status == DisputeStatus.OPEN and dispute.answered_at is None and dispute.answer_due_at > clock.now():
        raise OrderError(
            f"The {dispute.respondent_role} has until {dispute.answer_due_at:%d %b %Y, %H:%M} UTC to answer. "
            "Decide once they answer or that time has passed."
        )
    held = _held_cents(milestone)
    _close_with_outcome(
        dispute,
        milestone,
        outcome=outcome,
        seller_amount_cents=seller_amount_cents,
        actor=actor,
        decision=decision,
        decided_by=actor,
    )
    staff_action_record(
        staff=actor,
        action="dispute_resolve",
        order=order,
        milestone=milestone,
        dispute=dispute,
        detail=f"{DisputeOutcome(outcome).label}: "
        + terms_text(outcome, dispute.seller_amount_cents, dispute.buyer_amount_cents),
        reason=decision,
        data={
            "outcome": outcome,
            "held_cents": held,
            "seller_amount_cents": dispute.seller_amount_cents,
            "buyer_amount_cents": dispute.buyer_amount_cents,
        },
    )
    return dispute


# --- the timer ---------------------------------------------------------------------
def disputes_escalate(*, now=None, batch_size=500) -> int:
    """Send every open dispute left unanswered past its deadline to staff; returns how many moved.

    One transaction per case, re-checked under its lock, so running it twice
    (or alongside a late answer) changes nothing the second time.
    """
    now = now or clock.now()
    moved = 0
    last_pk = 0
    while True:
        ids = list(
            Dispute.objects.filter(
                status=DisputeStatus.OPEN, answered_at__isnull=True, answer_due_at__lte=now, pk__gt=last_pk
            )
            .order_by("pk")
            .values_list("pk", flat=True)[:batch_size]
        )
        if not ids:
            return moved
        for pk in ids:
            try:
                with transaction.atomic():
                    dispute, milestone = _lock_dispute(pk)
                    if (
                        dispute.status != DisputeStatus.OPEN
                        or dispute.answered_at is not None
                        or dispute.answer_due_at > now
                    ):
                        continue
                    _escalate(dispute, milestone, DisputeEscalation.UNANSWERED)
                    moved += 1
            except OrderError:  # never expected; one bad case must not stop the sweep
                logger.exception("dispute %s could not be escalated", pk)
        last_pk = ids[-1]
