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
from accounts.permissions import is_support
from accounts.zones import Zoned
from config import clock
from config.money import format_cents
from config.uploads import max_attachments
from milestones import process
from milestones.exceptions import OrderError, StaleAction
from milestones.models import SYSTEM, State
from milestones.services import (
    lock_milestone,
    order_after_close,
    party_check,
    run_transition,
    seller_is_top_rated,
)
from milestones.timeline import timeline_record
from payments import services as payments
from payments.exceptions import PaymentError
from payments.selectors import refunds_for

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


# --- the rules: what each party action needs (the services raise them; the dispute page asks them) ----------
def answer_refusal(dispute, user) -> OrderError | None:
    if user.pk == dispute.opened_by_id:
        return OrderError("You opened this dispute; the other side answers it. Add a message instead.")
    if dispute.answered_at is not None:
        return StaleAction("You already answered this dispute; add a message instead.")
    return None


def ask_staff_refusal(dispute) -> OrderError | None:
    if dispute.status == DisputeStatus.WAITING_FOR_STAFF:
        return StaleAction("Support already has this case.")
    if dispute.answered_at is None and dispute.answer_due_at > clock.now():
        return OrderError(
            f"The other side has until {Zoned(dispute.answer_due_at):%d %b, %H:%M %Z} to answer; "
            "the case goes to support by itself if they do not."
        )
    return None


def withdraw_refusal(dispute, user) -> OrderError | None:
    if user.pk != dispute.opened_by_id:
        return OrderError("Only the one who opened the dispute can withdraw it.")
    return None


def proposal_answer_refusal(proposal, user) -> OrderError | None:
    if user.pk == proposal.proposed_by_id:
        return OrderError("The other side must accept your proposal.")
    return None


def resolve_refusal(dispute) -> OrderError | None:
    """Support decides once the other side answered or its time to answer has passed."""
    if dispute.status == DisputeStatus.RESOLVED:
        return StaleAction("This dispute is already resolved; a resolution is final. Nothing was moved.")
    if dispute.status == DisputeStatus.OPEN and dispute.answered_at is None and dispute.answer_due_at > clock.now():
        return OrderError(
            f"The {dispute.respondent_role} has until {Zoned(dispute.answer_due_at):%d %b %Y, %H:%M %Z} to answer. "
            "Decide once they answer or that time has passed."
        )
    return None


def _refuse(refusal):
    if refusal is not None:
        raise refusal


def _require_active(dispute):
    if dispute.status not in ACTIVE_DISPUTE_STATUSES:
        raise StaleAction(f"This dispute is {dispute.get_status_display().lower()}; nothing more can be done on it.")


def _dispute_url(dispute):
    return dispute.get_absolute_url()


def _add_message(dispute, author, kind, body, files=()):
    files = list(files or ())
    if len(files) > max_attachments():
        raise OrderError(f"Attach at most {max_attachments()} files.")
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
            f"A split gives each side a part of the {format_cents(held)} held in escrow: the seller's share must be "
            f"more than {format_cents(0)} and less than {format_cents(held)}. "
            "Use release or refund to give one side everything."
        )
    return seller_amount_cents, held - seller_amount_cents


def terms_text(outcome, seller_cents, buyer_cents):
    if outcome == DisputeOutcome.RELEASE:
        return f"all {format_cents(seller_cents)} released to the seller"
    if outcome == DisputeOutcome.REFUND:
        return f"all {format_cents(buyer_cents)} refunded to the buyer's {_refund_words()}"
    return (
        f"{format_cents(seller_cents)} to the seller, {format_cents(buyer_cents)} back to the buyer's {_refund_words()}"
    )


def _refund_words() -> str:
    """Where the buyer's part goes (``PAYMENTS_REFUND_TO``; a milestone paid partly from the balance goes back
    there either way)."""
    return "card (or balance, for what the balance paid)" if settings.PAYMENTS_REFUND_TO == "card" else "balance"


def _lapse_proposals(dispute):
    dispute.proposals.lapse(now=clock.now())


def _close_with_outcome(dispute, milestone, *, outcome, seller_amount_cents, actor, decision, decided_by):
    """Take the resolve_* transition, move the escrow once, release holds, close the case, start what is next."""
    held = _held_cents(milestone)
    if held <= 0:
        raise StaleAction("Nothing is held in escrow for this milestone any more; nothing was moved.")
    seller_cents, buyer_cents = _split_amounts(outcome, held, seller_amount_cents)
    terms = terms_text(outcome, seller_cents, buyer_cents)
    dispute.resolve(
        take=lambda m, name: run_transition(
            m,
            name,
            actor,
            detail=f"{terms}. {decision}"[:2000],
            notice={"terms": terms, "url": _dispute_url(dispute)},
        ),
        outcome=outcome,
        seller_amount_cents=seller_cents,
        buyer_amount_cents=buyer_cents,
        decision=decision,
        decided_by=decided_by,
    )
    order = milestone.order
    try:
        if outcome == DisputeOutcome.RELEASE:
            payments.escrow_release(
                milestone_id=milestone.pk, seller=order.seller, top_rated=seller_is_top_rated(order.seller)
            )
        elif outcome == DisputeOutcome.REFUND:
            payments.escrow_refund(
                milestone_id=milestone.pk, buyer=order.buyer, destination=settings.PAYMENTS_REFUND_TO
            )
        else:
            payments.escrow_split(
                milestone_id=milestone.pk,
                seller=order.seller,
                buyer=order.buyer,
                seller_amount_cents=seller_cents,
                top_rated=seller_is_top_rated(order.seller),
                buyer_destination=settings.PAYMENTS_REFUND_TO,
            )
    except PaymentError as exc:  # the whole transaction rolls back: the milestone stays disputed
        raise OrderError(f"The money could not be moved: {exc.message} Nothing was changed.") from exc
    payments.earnings_hold(milestone_id=milestone.pk, hold=False)
    dispute.save()
    _lapse_proposals(dispute)
    order_after_close(milestone)
    return dispute


# --- opening -------------------------------------------------------------------
@transaction.atomic
def dispute_open(*, milestone_id, actor, reason, description, files=(), expected_state=None) -> Dispute:
    """A party opens a dispute: the milestone becomes ``disputed`` (auto-approval frozen), clearance is held."""
    milestone = lock_milestone(milestone_id)
    party_check(milestone, actor, "buyer", "seller")
    if reason not in DisputeReason.values:
        raise OrderError("Choose the reason for the dispute.")
    if not (description or "").strip():
        raise OrderError("Describe what happened: support and the other side read it first.")
    label = DisputeReason(reason).label
    dispute = Dispute.objects.open(
        milestone=milestone,
        take=lambda m, name: run_transition(
            m,
            name,
            actor,
            expected_state=expected_state,
            detail=f"{label}: {description[:300]}",
            announce=False,  # once the case exists: the notice links to it and names its answer deadline
        ),
        opened_by=actor,
        reason=reason,
        description=description,
        answer_window=settings.DISPUTE_ANSWER_WINDOW,
    )
    _add_message(dispute, actor, DisputeMessageKind.OPENING, description, files)
    payments.earnings_hold(milestone_id=milestone.pk, hold=True)
    process.announce_step(
        "open_dispute",
        milestone,
        actor,
        reason=label.lower(),
        answer_due=dispute.answer_due_at,
        url=_dispute_url(dispute),
    )
    return dispute


# --- the thread ----------------------------------------------------------------
@transaction.atomic
def dispute_answer(*, dispute_id, actor, body, files=()) -> DisputeMessage:
    """The other party gives their side (once); a late answer still reaches staff."""
    dispute, milestone = _lock_dispute(dispute_id)
    party_check(milestone, actor, "buyer", "seller")
    _require_active(dispute)
    _refuse(answer_refusal(dispute, actor))
    if not (body or "").strip():
        raise OrderError("Write your answer: what happened from your side?")
    message = _add_message(dispute, actor, DisputeMessageKind.ANSWER, body, files)
    dispute.answered_at = clock.now()
    dispute.save(update_fields=["answered_at"])
    timeline_record(
        order=milestone.order, milestone=milestone, actor=actor, action="dispute_answered", detail=body[:300]
    )
    process.announce("dispute_answered", milestone=milestone, actor=actor, url=_dispute_url(dispute))
    return message


@transaction.atomic
def dispute_message(*, dispute_id, actor, body, files=()) -> DisputeMessage:
    """A message in the case thread from a party or support staff (staff messages are audit-logged)."""
    dispute, milestone = _lock_dispute(dispute_id)
    order = milestone.order
    staff = actor.pk not in (order.buyer_id, order.seller_id) and is_support(actor)
    if not staff:
        party_check(milestone, actor, "buyer", "seller")
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
    process.announce(
        "dispute_support_message" if staff else "dispute_message",
        milestone=milestone,
        actor=actor,
        url=_dispute_url(dispute),
    )
    return message


@transaction.atomic
def dispute_ask_staff(*, dispute_id, actor) -> Dispute:
    """A party asks support to decide (once the other side answered, or the answer is overdue)."""
    dispute, milestone = _lock_dispute(dispute_id)
    party_check(milestone, actor, "buyer", "seller")
    _require_active(dispute)
    _refuse(ask_staff_refusal(dispute))
    _escalate(dispute, milestone, DisputeEscalation.REQUESTED, actor=actor)
    return dispute


def _escalate(dispute, milestone, escalation, *, actor=None):
    dispute.escalate(escalation=escalation)
    dispute.save(update_fields=["status", "escalation", "escalated_at"])
    label = DisputeEscalation(escalation).label
    timeline_record(order=milestone.order, milestone=milestone, actor=actor, action="dispute_escalated", detail=label)
    process.announce("dispute_escalated", milestone=milestone, how=label.lower(), url=_dispute_url(dispute))


# --- settlements between the parties ------------------------------------------
@transaction.atomic
def settlement_propose(*, dispute_id, actor, outcome, seller_amount_cents=None, note="") -> SettlementProposal:
    """A party proposes how to end the case (release, refund, or a split by amount); replaces a pending one."""
    dispute, milestone = _lock_dispute(dispute_id)
    party_check(milestone, actor, "buyer", "seller")
    _require_active(dispute)
    held = _held_cents(milestone)
    if held <= 0:
        raise StaleAction("Nothing is held in escrow for this milestone; there is nothing to settle.")
    seller_cents, buyer_cents = _split_amounts(outcome, held, seller_amount_cents)
    dispute.proposals.supersede(now=clock.now())
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
    process.announce("settlement_proposed", milestone=milestone, actor=actor, terms=terms, url=_dispute_url(dispute))
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
    party_check(milestone, actor, "buyer", "seller")
    _require_active(dispute)
    _refuse(proposal_answer_refusal(proposal, actor))
    held = _held_cents(milestone)
    proposal.accept()
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


def settlement_answered_text(*, proposal_id, user, since) -> str:
    """What ``user`` is told after answering settlement proposal ``proposal_id`` (read after the answer): what
    became of it, and where the money went (from the ledger, since ``since``)."""
    proposal = SettlementProposal.objects.select_related("dispute__milestone__order").get(pk=proposal_id)
    if proposal.status == SettlementStatus.WITHDRAWN:
        return "You withdrew your settlement proposal. The dispute stays open."
    if proposal.status == SettlementStatus.DECLINED:
        return (
            "You declined the settlement proposal. The dispute stays open: you can propose other terms, or ask "
            "support to decide."
        )
    dispute, milestone = proposal.dispute, proposal.dispute.milestone
    terms = terms_text(proposal.outcome, dispute.seller_amount_cents or 0, dispute.buyer_amount_cents or 0)
    refund = process.refund_sentence(
        refunds_for(milestone_ids=[milestone.pk], since=since), to_you=user.pk == milestone.order.buyer_id
    )
    return f"You accepted the settlement: the dispute is closed ({terms}).{refund}"


@transaction.atomic
def settlement_decline(*, proposal_id, actor) -> SettlementProposal:
    """The other party declines a proposal, or its author withdraws it."""
    dispute, milestone, proposal = _lock_proposal(proposal_id)
    party_check(milestone, actor, "buyer", "seller")
    _require_active(dispute)
    mine = actor.pk == proposal.proposed_by_id
    if mine:
        proposal.withdraw()
    else:
        proposal.decline()
    proposal.save(update_fields=["status", "decided_at"])
    timeline_record(order=milestone.order, milestone=milestone, actor=actor, action=f"settlement_{proposal.status}")
    process.announce(
        "settlement_decided",
        milestone=milestone,
        actor=actor,
        status=proposal.get_status_display().lower(),
        url=_dispute_url(dispute),
    )
    return proposal


# --- withdrawal ------------------------------------------------------------------
@transaction.atomic
def dispute_withdraw(*, dispute_id, actor) -> Dispute:
    """The opener drops the case: the milestone goes back to where it was, holds are released."""
    dispute, milestone = _lock_dispute(dispute_id)
    party_check(milestone, actor, "buyer", "seller")
    _require_active(dispute)
    _refuse(withdraw_refusal(dispute, actor))
    if milestone.state != State.DISPUTED:
        raise StaleAction(f"This milestone is “{milestone.get_state_display()}”, not disputed; nothing was done.")
    dispute.withdraw(
        take=lambda m, name, **kw: run_transition(
            m, name, actor, detail="dispute withdrawn", notice={"state": State(dispute.state_before).label}, **kw
        )
    )
    payments.earnings_hold(milestone_id=milestone.pk, hold=False)
    dispute.save(update_fields=["status", "closed_at"])
    _lapse_proposals(dispute)

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
        _refuse(resolve_refusal(dispute))
    _require_active(dispute)
    _refuse(resolve_refusal(dispute))
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


# --- the admin's operator actions (registered in OrdersConfig.ready) ---------------------------------------
def active_dispute(milestone):
    return Dispute.objects.filter(milestone=milestone, status__in=ACTIVE_DISPUTE_STATUSES).first()


def operator_resolve(outcome):
    """Support resolves a milestone's open dispute from the admin (the same service as the staff page)."""

    def handler(*, milestone, actor, reason, seller_amount_cents=None, **_):
        dispute = active_dispute(milestone)
        if dispute is None:
            raise OrderError("This milestone has no open dispute.")
        return dispute_resolve(
            dispute_id=dispute.pk,
            actor=actor,
            outcome=outcome,
            decision=reason,
            seller_amount_cents=seller_amount_cents,
        )

    return handler
