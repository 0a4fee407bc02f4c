"""Every action on a milestone: who may act, the transition, money, timeline, notices.

Each service locks the order row, then the milestone row, so that all actions
on one order run one after another; it re-checks the state the person saw
(``expected_state``) so a stale page or a double click changes nothing.
"""

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef, Subquery
from django_fsm import can_proceed

from accounts.audit import staff_action_record
from accounts.permissions import is_support
from accounts.zones import Zoned
from config import clock, limits
from config.money import format_cents
from milestones.exceptions import OrderError, StaleAction
from milestones.models import Order, OrderStatus
from milestones.timeline import timeline_record
from payments import services as payments
from payments.selectors import Refund, refunds_for

from . import hooks, process
from .models import (
    ACTIVE_STATES,
    FINAL_STATES,
    PAID_STATES,
    SYSTEM,
    CancellationRequest,
    Delivery,
    DeliveryFile,
    ExtensionRequest,
    Milestone,
    PlanChange,
    RequestStatus,
    RevisionRequest,
    State,
    role_of,
)


def _verb(name):
    step = process.transition_steps().get(name)
    return step.verb if step else name


# --- locking and the transition runner -----------------------------------
def lock_milestone(milestone_id) -> Milestone:
    """Lock the order, then the milestone (always in this order: no deadlocks).

    The order comes with its buyer and seller (whom the services notify) and
    the seller's stats (their level sets when an earning clears), in one
    statement that finds it from the milestone and locks only the order row.
    """
    order = (
        Order.objects.select_for_update(of=("self",))
        .select_related("buyer", "seller", "seller__seller_stats")
        .filter(pk=Subquery(Milestone.objects.filter(pk=milestone_id).values("order_id")))
        .first()
    )
    if order is None:
        raise OrderError("This milestone does not exist.")
    # Whether requests wait on it comes with the row (no extra statement): closing the milestone closes them.
    milestone = (
        Milestone.objects.select_for_update(of=("self",))
        .annotate(
            **{
                name: Exists(model.objects.filter(milestone=OuterRef("pk"), status=RequestStatus.PENDING))
                for name, model in _OPEN_REQUESTS.items()
            }
        )
        .get(pk=milestone_id)
    )
    milestone.order = order
    return milestone


# The requests one side makes and the other answers; each is closed with its milestone.
_OPEN_REQUESTS: dict[str, type[ExtensionRequest | CancellationRequest | PlanChange]] = {
    "open_extension_requests": ExtensionRequest,
    "open_cancellation_requests": CancellationRequest,
    "open_plan_changes": PlanChange,
}


def milestone_requests_close(milestone, *, kinds=tuple(_OPEN_REQUESTS)) -> int:
    """Close every request still waiting on ``milestone`` (it has just ended); returns how many.

    A request that outlives its milestone could otherwise still be accepted: an extension moving the due
    date of a cancelled milestone, a cancellation of an approved one. Uses the flags ``lock_milestone``
    loaded with the row when it has them, so the usual approval writes nothing more.
    """
    closed = 0
    now = clock.now()
    for name in kinds:
        model = _OPEN_REQUESTS[name]
        if getattr(milestone, name, True):
            closed += model.objects.filter(milestone=milestone).close(now=now)
            setattr(milestone, name, False)
    return closed


def _check_expected(milestone, expected_state):
    if expected_state is not None and milestone.state != expected_state:
        raise StaleAction(
            f"This milestone changed while you were looking at it: it is now “{milestone.get_state_display()}”. "
            "Nothing was done; please check the page and try again."
        )


def run_transition(
    milestone, name, actor, *, expected_state=None, detail="", step=None, notice=None, announce=True, **kwargs
):
    """Take transition ``name`` as ``actor`` (a user or SYSTEM), record it, and send the notices of its step in
    the process declaration (``step``: another step that takes the same transition; ``notice``: the details
    its texts name; ``announce=False``: the caller sends them itself, once it knows those details)."""
    _check_expected(milestone, expected_state)
    method = getattr(milestone, name)
    label = _verb(name)
    if not can_proceed(method, check_conditions=False):
        raise StaleAction(
            f"You can’t {label} a milestone that is “{milestone.get_state_display()}”. Nothing was changed."
        )
    # permission alone (django_fsm.has_transition_perm would also test conditions)
    if not method._django_fsm.has_transition_perm(milestone, milestone.state, actor):
        raise OrderError(f"You are not the one who can {label} this milestone.")
    if not can_proceed(method):
        if name == "cancel_late":
            when = milestone.late_cancel_from
            raise OrderError(
                "You can cancel for lateness only once the milestone is late"
                + (f" and the grace period has passed (from {Zoned(when):%d %b %Y, %H:%M %Z})." if when else ".")
            )
        refusal = process.transition_steps()[name].refusal if name in process.transition_steps() else ""
        raise OrderError(refusal or f"You can’t {label} this milestone now.")
    from_state = milestone.state
    method(**kwargs)
    milestone.save()
    if milestone.state in FINAL_STATES:
        milestone_requests_close(milestone)
    elif from_state == State.IN_PROGRESS:
        # a mutual cancellation is agreed only while the work is in progress: once delivered (or
        # disputed) the request can no longer be accepted, so it closes rather than show a dead button
        milestone_requests_close(milestone, kinds=("open_cancellation_requests",))
    elif from_state == State.FUNDED:
        # a change applies only to a milestone that has not started: once it starts, it cannot
        milestone_requests_close(milestone, kinds=("open_plan_changes",))
    elif milestone.state == State.FUNDED and getattr(milestone, "open_plan_changes", True):
        # funded: a waiting change of its amount can no longer apply (the escrow is held at this amount)
        PlanChange.objects.filter(milestone=milestone).exclude(amount_cents=milestone.amount_cents).close(
            now=clock.now()
        )
    if from_state == State.AWAITING_FUNDING and milestone.state != State.FUNDED:
        _checkouts_close_after_commit(
            milestone.pk,
            f"The milestone is now “{milestone.get_state_display()}”: it no longer needs funding. Nothing was charged.",
        )
    timeline_record(
        order=milestone.order,
        milestone=milestone,
        actor=None if actor is SYSTEM else actor,
        action=name,
        from_state=from_state,
        to_state=milestone.state,
        detail=detail,
    )
    announced = process.STEPS[step or name]
    if announce and set(announced.details) <= set(notice or {}):
        # (a step whose notices name more than the milestone is announced by the service that has the details)
        process.announce_step(step or name, milestone, actor, **(notice or {}))
    return milestone


def _checkouts_close_after_commit(milestone_id, reason):
    """Close the milestone's open funding checkouts once this transaction has committed.

    Not inside it: a balance payment locks its checkout, then the order; closing the checkout while this
    transaction holds the order would take the two locks the other way round (a deadlock the raced pairs
    found). A payment that holds the checkout meanwhile fails its own check and leaves it open to close.
    """
    transaction.on_commit(
        lambda: payments.checkouts_close(purpose="milestone", reference_id=milestone_id, reason=reason), robust=True
    )


def party_check(milestone, actor, *roles):
    """``actor``'s role on the order, if it is one of ``roles`` (usually ``process.parties(step)``)."""
    role = role_of(milestone, actor)
    if role not in roles:
        raise OrderError("Only the " + " or ".join(roles) + " of this order can do that.")
    return role


def milestone_url(milestone):
    return milestone.order.get_absolute_url() + f"#milestone-{milestone.pk}"


def seller_is_top_rated(seller):
    """From the stats ``lock_milestone`` loaded with the seller (no query then)."""
    from marketplace.models import SellerLevel
    from marketplace.selectors import stats_of

    return stats_of(seller).level == SellerLevel.TOP_RATED


# --- sequencing and order status -------------------------------------------
def order_activate_next(*, order: Order) -> Milestone | None:
    """Start the next milestone in sequence if it is funded and nothing else is active.

    If the next one still needs money, the buyer is asked to fund it (once).
    Call with the order row locked.
    """
    milestones = list(order.milestones.select_for_update().order_by("position"))
    if any(m.state in ACTIVE_STATES for m in milestones):
        return None
    upcoming = [m for m in milestones if m.state in (State.AWAITING_FUNDING, State.FUNDED)]
    if not upcoming:
        return None
    nxt = upcoming[0]
    nxt.order = order
    if nxt.state == State.FUNDED:
        run_transition(nxt, "start", SYSTEM)
        return nxt
    if nxt.funding_due_at is None:
        # from now on the buyer is expected to fund it (the funding reminder counts from here)
        nxt.funding_due_at = clock.now()
        nxt.save(update_fields=["funding_due_at"])
        if any(m.state in PAID_STATES for m in milestones):
            process.announce("fund_next", milestone=nxt)
    return None


def order_refresh_status(*, order: Order) -> Order:
    """active while anything is open; completed once all are final and one was paid; else cancelled."""
    states = list(order.milestones.values_list("state", flat=True))
    if not states or any(s not in FINAL_STATES for s in states):
        return order
    new_status = OrderStatus.COMPLETED if any(s in PAID_STATES for s in states) else OrderStatus.CANCELLED
    if order.status != new_status:
        old = order.status
        if new_status == OrderStatus.COMPLETED:
            order.complete()
        else:
            order.cancel()
        order.save(update_fields=["status", "ended_at"])
        timeline_record(order=order, action=f"order_{new_status}", from_state=old, to_state=new_status)
        process.announce(
            "order_ended",
            order=order,
            status=order.get_status_display().lower(),
            review_text=" You can now leave a review." if new_status == OrderStatus.COMPLETED else "",
        )
        if new_status == OrderStatus.COMPLETED:
            hooks.order_completed(order)
    return order


def order_after_close(milestone):
    order_activate_next(order=milestone.order)
    order_refresh_status(order=milestone.order)


# --- funding ---------------------------------------------------------------
def milestone_fund_checkout(*, milestone: Milestone, actor):
    """Open (or reuse) the buyer's checkout for this milestone's escrow."""
    milestone = Milestone.objects.select_related("order").get(pk=milestone.pk)
    party_check(milestone, actor, "buyer")
    if milestone.state != State.AWAITING_FUNDING:
        raise StaleAction(f"This milestone is “{milestone.get_state_display()}”: there is nothing to fund.")
    return payments.checkout_create(
        buyer=actor,
        purpose="milestone",
        reference_id=milestone.pk,
        amount_cents=milestone.amount_cents,
        description=f"Order #{milestone.order_id}, milestone {milestone.position}: {milestone.title}",
        payee=milestone.order.seller,
        return_url=milestone_url(milestone),
    )


def validate_milestone_checkout(checkout):
    """Before charging: is this milestone still waiting for this buyer's money?"""
    from payments.exceptions import PaymentError

    milestone = Milestone.objects.select_related("order").filter(pk=checkout.reference_id).first()
    if milestone is None or milestone.order.buyer_id != checkout.buyer_id:
        raise PaymentError("This milestone cannot be funded by you.")
    if milestone.state != State.AWAITING_FUNDING:
        raise PaymentError(f"This milestone is “{milestone.get_state_display()}” and no longer needs funding.")
    if milestone.amount_cents != checkout.amount_cents:
        raise PaymentError("The milestone's amount changed since this checkout was opened. Please start again.")


def milestone_transfer_group(checkout) -> str:
    """The provider's transfer group of a milestone's charge: its order (all of an order's money together)."""
    order_id = Milestone.objects.filter(pk=checkout.reference_id).values_list("order_id", flat=True).first()
    return f"order-{order_id}" if order_id else f"milestone-{checkout.reference_id}"


def milestone_funded(checkout):
    """After the escrow is posted (same transaction): fund, and start it if it is next."""
    from payments.exceptions import PaymentError

    milestone = lock_milestone(checkout.reference_id)
    if milestone.state != State.AWAITING_FUNDING:
        raise PaymentError(f"This milestone is “{milestone.get_state_display()}” and no longer needs funding.")
    if milestone.amount_cents != checkout.amount_cents:
        raise PaymentError("The milestone's amount changed while you were paying, so this payment could not fund it.")
    run_transition(milestone, "fund", milestone.order.buyer)
    order_activate_next(order=milestone.order)


# --- delivery and review ---------------------------------------------------
@transaction.atomic
def milestone_deliver(*, milestone_id, actor, message, links="", files=(), expected_state=None) -> Delivery:
    milestone = lock_milestone(milestone_id)
    party_check(milestone, actor, "seller")
    if not message.strip():
        raise OrderError("Describe what you are delivering.")
    number = milestone.deliveries.count() + 1
    run_transition(milestone, "deliver", actor, expected_state=expected_state, detail=f"Delivery {number}")
    delivery = Delivery.objects.create(milestone=milestone, number=number, message=message, links=links)
    for upload in files:
        DeliveryFile.objects.create(delivery=delivery, file=upload.file, name=upload.name, size=upload.file.size)
    return delivery


@transaction.atomic
def milestone_request_revision(*, milestone_id, actor, feedback, expected_state=None) -> RevisionRequest:
    milestone = lock_milestone(milestone_id)
    party_check(milestone, actor, "buyer")
    if not feedback.strip():
        raise OrderError("Tell the seller what to change: feedback is required.")
    delivery = milestone.deliveries.order_by("-number").first()
    run_transition(milestone, "request_revision", actor, expected_state=expected_state, detail=feedback[:500])
    assert delivery is not None  # only a delivered milestone can be sent back
    request = RevisionRequest.objects.create(milestone=milestone, delivery=delivery, feedback=feedback)
    return request


@transaction.atomic
def milestone_grant_revision(*, milestone_id, actor) -> Milestone:
    """The seller gives one more revision than agreed (when the allowance is used up)."""
    milestone = lock_milestone(milestone_id)
    party_check(milestone, actor, *process.parties("grant_revision"))
    process.require("grant_revision", milestone, stale=StaleAction)
    milestone.extra_revisions += 1
    milestone.save(update_fields=["extra_revisions"])
    timeline_record(order=milestone.order, milestone=milestone, actor=actor, action="grant_revision")
    process.announce_step("grant_revision", milestone, actor)
    return milestone


def _release(milestone, actor, action, *, end_order=False):
    run_transition(milestone, action, actor, announce=not end_order)
    top_rated = seller_is_top_rated(milestone.order.seller)
    if end_order:
        order = milestone.order
        others = list(order.milestones.select_for_update().order_by("position"))
        payments.escrow_settlement_lock(
            release_milestone_id=milestone.pk,
            refund_milestone_ids=[m.pk for m in others if m.state == State.FUNDED],
            buyer=order.buyer,
            seller=order.seller,
        )
        ended = _cancel_unstarted(order, actor, detail="order ended at approval", milestones=others)
        timeline_record(order=milestone.order, actor=actor, action="order_stopped", detail="at approval")
        process.announce_step(
            "approve_end",
            milestone,
            actor,
            ended_text=f":{process.ended_sentence(ended)[:-1]}" if ended else "",
        )
        order_refresh_status(order=milestone.order)
    else:
        order_after_close(milestone)
    # The money moves last, in the same transaction: the release locks the platform's revenue account,
    # which every approval shares, so taking it just before the commit keeps approvals from queueing
    # on it while the rest of the work is done (measured by ``make bench``).
    # (no savepoint: this runs inside the approval's own atomic block, which an error rolls back whole)
    payments.escrow_release(
        milestone_id=milestone.pk, seller=milestone.order.seller, top_rated=top_rated, savepoint=False
    )
    return milestone


@transaction.atomic
def milestone_approve(*, milestone_id, actor, expected_state=None) -> Milestone:
    milestone = lock_milestone(milestone_id)
    party_check(milestone, actor, "buyer")
    _check_expected(milestone, expected_state)
    return _release(milestone, actor, "approve")


@transaction.atomic
def milestone_approve_and_end(*, milestone_id, actor, expected_state=None) -> Milestone:
    """ "Approve and end the order here": approve this delivery, then cancel every milestone that has not
    started and refund its escrow exactly, in one transaction.

    Needed because a milestone paid ahead starts the moment the previous one is approved, which would
    leave the buyer no moment at which "End order" is allowed. Work already delivered on another milestone
    can only be taken back through a dispute, so this ends only what has not started.
    """
    milestone = lock_milestone(milestone_id)
    party_check(milestone, actor, "buyer")
    _check_expected(milestone, expected_state)
    return _release(milestone, actor, "approve", end_order=True)


@transaction.atomic
def milestone_auto_approve(*, milestone_id) -> Milestone | None:
    """The review window ended with no answer: approve as the system. Safe to call twice."""
    milestone = lock_milestone(milestone_id)
    if milestone.state != State.DELIVERED or not can_proceed(milestone.auto_approve):
        return None
    return _release(milestone, SYSTEM, "auto_approve")


# --- deadlines -------------------------------------------------------------
# --- requests one side makes and the other answers (extension, cancellation, plan change) -----------------
# One shape: a MilestoneRequest model per kind, made by ``request_make`` and answered by ``request_answer``;
# who may make one, when, its notices and its answers come from the step of the same name in process.STEPS.
# kind: (model, what it is called, said when one is already waiting, the timeline's name for one made)
REQUESTS: dict[str, tuple[type[ExtensionRequest | CancellationRequest | PlanChange], str, str, str]] = {
    "extension": (
        ExtensionRequest,
        "extension request",
        "There is already an extension request waiting for the buyer.",
        "extension_requested",
    ),
    "cancellation": (
        CancellationRequest,
        "cancellation request",
        "A cancellation request is already waiting for an answer.",
        "cancellation_requested",
    ),
    "change": (PlanChange, "change", "A change to this milestone is already waiting for an answer.", "change_proposed"),
}


def request_make(kind, milestone, actor, *, detail, notice=None, **fields):
    """``actor`` asks for ``kind`` on the locked ``milestone``: the step's who and when, one waiting at a
    time, the timeline event and the step's notices."""
    model, _, waiting, made = REQUESTS[kind]
    party_check(milestone, actor, *process.parties(kind))
    process.require(kind, milestone, stale=StaleAction)
    if model.objects.filter(milestone=milestone, status=RequestStatus.PENDING).exists():
        raise OrderError(waiting)
    request = model.objects.create(milestone=milestone, requested_by=actor, **fields)
    timeline_record(order=milestone.order, milestone=milestone, actor=actor, action=made, detail=detail)
    process.announce_step(kind, milestone, actor, **(notice or {}))
    return request


def request_answer(kind, request_id, actor, accept, *, effect=None, detail=None, takes=None):
    """The other side accepts or declines request ``request_id`` of ``kind``; the one who asked may withdraw
    it where the step has a withdraw answer. An accepted request has its ``effect`` (``takes``: the milestone
    transition it takes, which records itself); then the timeline and the ``<kind>_decided`` notices."""
    model, what, _, _ = REQUESTS[kind]
    milestone, request = _lock_request(model, request_id, what)
    step = process.STEPS[kind]
    may_withdraw = bool(step.answers[2])
    answerers = (
        ("buyer", "seller") if may_withdraw else tuple(r for r in ("buyer", "seller") if r not in process.parties(kind))
    )
    party_check(milestone, actor, *answerers)
    if actor.pk == request.requested_by_id:
        if accept:
            raise OrderError(step.own_request_refusal)
        request.withdraw()
    elif accept:
        request.accept()
    else:
        request.decline()
    request.save(update_fields=["status", "decided_at"])
    accepted = request.status == RequestStatus.ACCEPTED
    if accepted and effect is not None:
        effect(milestone, request)
    if not (accepted and takes):
        timeline_record(
            order=milestone.order,
            milestone=milestone,
            actor=actor,
            action=f"{kind}_{request.status}",
            detail=detail(request) if detail else "",
        )
    process.announce(
        f"{kind}_decided",
        milestone=milestone,
        actor=actor,
        status=request.get_status_display().lower(),
        refunds=getattr(request, "refunds", None),
    )
    return request


def _lock_request(model, pk, what):
    """Lock the milestone, then the still-pending request ``pk`` of ``model``."""
    milestone_id = model.objects.filter(pk=pk).values_list("milestone_id", flat=True).first()
    if milestone_id is None:
        raise OrderError(f"This {what} does not exist.")
    milestone = lock_milestone(milestone_id)
    request = model.objects.select_for_update().get(pk=pk)
    if request.status != RequestStatus.PENDING:
        raise StaleAction(f"This {what} was already {request.get_status_display().lower()}.")
    return milestone, request


@transaction.atomic
def extension_request(*, milestone_id, actor, days, reason) -> ExtensionRequest:
    milestone = lock_milestone(milestone_id)
    if not 1 <= int(days) <= limits.max_extension_days():
        raise OrderError(f"Ask for between 1 and {limits.max_extension_days()} more days.")
    if not reason.strip():
        raise OrderError("Give the buyer a reason for the extension.")
    return request_make(
        "extension",
        milestone,
        actor,
        detail=f"{process.plural(int(days), 'more day', 'more days')}: {reason[:300]}",
        notice={"days": days},
        days=days,
        reason=reason,
    )


@transaction.atomic
def extension_decide(*, extension_id, actor, accept: bool) -> ExtensionRequest:
    def more_time(milestone, ext):
        if milestone.due_at:
            milestone.due_at += timedelta(days=ext.days)
            milestone.delivery_days += ext.days
            milestone.save(update_fields=["due_at", "delivery_days"])

    return request_answer(
        "extension",
        extension_id,
        actor,
        accept,
        effect=more_time,
        detail=lambda ext: process.plural(ext.days, "day", "days"),
    )


# --- cancellations ---------------------------------------------------------
def milestone_escrow_refund(milestone, destination=None) -> list[Refund]:
    """Refund what escrow holds for ``milestone``; returns what went back to the buyer and where (the ledger's
    word, for the notices)."""
    if payments.escrow_balance_cents(milestone_id=milestone.pk) > 0:
        posted = payments.escrow_refund(
            milestone_id=milestone.pk,
            buyer=milestone.order.buyer,
            destination=destination or settings.PAYMENTS_REFUND_TO,
        )
        return refunds_for(transactions=[posted])
    return []


@transaction.atomic
def milestone_cancel(*, milestone_id, actor, expected_state=None) -> Milestone:
    """Cancel a milestone that has not started; a funded one is refunded in full."""
    milestone = lock_milestone(milestone_id)
    party_check(milestone, actor, *process.parties("cancel"))
    run_transition(milestone, "cancel", actor, expected_state=expected_state)  # announced once refunded:
    process.announce_step("cancel", milestone, actor, refunds=milestone_escrow_refund(milestone))
    order_after_close(milestone)
    return milestone


@transaction.atomic
def milestone_cancel_late(*, milestone_id, actor, expected_state=None) -> Milestone:
    """The buyer cancels a late milestone alone once the grace period passed; escrow comes back."""
    milestone = lock_milestone(milestone_id)
    party_check(milestone, actor, *process.parties("cancel_late"))
    run_transition(milestone, "cancel_late", actor, expected_state=expected_state, detail="late")
    process.announce_step("cancel_late", milestone, actor, refunds=milestone_escrow_refund(milestone))
    order_after_close(milestone)
    return milestone


@transaction.atomic
def cancellation_request(*, milestone_id, actor, reason) -> CancellationRequest:
    milestone = lock_milestone(milestone_id)
    if not reason.strip():
        raise OrderError("Say why you want to cancel.")
    return request_make("cancellation", milestone, actor, detail=reason[:300], reason=reason)


@transaction.atomic
def cancellation_decide(*, request_id, actor, accept: bool) -> CancellationRequest:
    def cancel(milestone, request):
        run_transition(milestone, "mutual_cancel", actor, detail="mutual cancellation", announce=False)
        request.refunds = milestone_escrow_refund(milestone)  # named in the "cancellation_decided" notices
        order_after_close(milestone)

    return request_answer("cancellation", request_id, actor, accept, effect=cancel, takes="mutual_cancel")


@transaction.atomic
def order_stop(*, order_id, actor) -> Order:
    """The buyer ends the order after an approved milestone: unstarted ones are cancelled and refunded."""
    order = Order.objects.select_for_update().get(pk=order_id)
    if actor.pk != order.buyer_id:
        raise OrderError("Only the buyer can end the order early.")
    if order.status != OrderStatus.ACTIVE:
        raise StaleAction(f"This order is already {order.get_status_display().lower()}; nothing was changed.")
    milestones = list(order.milestones.select_for_update().order_by("position"))
    refusal = order_stop_refusal(milestones)
    if refusal:
        raise OrderError(refusal)
    _cancel_unstarted(order, actor, detail="order ended early", milestones=milestones)
    timeline_record(order=order, actor=actor, action="order_stopped")
    order_refresh_status(order=order)
    return order


def order_stop_refusal(milestones) -> str:
    """Why an active order with these milestones cannot be ended early now ("" if it can): the service's rule,
    which the order page also asks before it offers "End order"."""
    if not any(m.state in PAID_STATES for m in milestones):
        return "You can end the order early once at least one milestone is approved."
    if any(m.state in ACTIVE_STATES for m in milestones):
        return (
            "A milestone is still in progress or in review. Approve it, agree a cancellation with the seller, "
            "or open a dispute first."
        )
    return ""


def _cancel_unstarted(order, actor, *, detail, milestones=None) -> int:
    """Cancel every milestone of ``order`` that has not started (refunding exactly its escrow) and close
    every proposed one; returns how many. Call with the order locked."""
    if milestones is None:
        milestones = list(order.milestones.select_for_update().order_by("position"))
    ended = 0
    for milestone in milestones:
        milestone.order = order
        if milestone.state in (State.AWAITING_FUNDING, State.FUNDED):
            run_transition(milestone, "cancel", actor, detail=detail, announce=False)
            milestone_escrow_refund(milestone)
        elif milestone.state == State.PROPOSED:
            name = "withdraw" if milestone.proposed_by_id == actor.pk else "decline"
            run_transition(milestone, name, actor, detail=detail, announce=False)
        else:
            continue
        ended += 1
    return ended


# --- changing the plan -----------------------------------------------------
def validate_plan_item(*, title, description, amount_cents, delivery_days, revisions_allowed):
    if not title.strip() or not description.strip():
        raise OrderError("Each milestone needs a title and a description of its deliverables.")
    if not isinstance(amount_cents, int) or amount_cents < settings.ORDERS_MIN_MILESTONE_CENTS:
        raise OrderError(f"Each milestone must be at least {format_cents(settings.ORDERS_MIN_MILESTONE_CENTS)}.")
    if amount_cents > settings.ORDERS_MAX_MILESTONE_CENTS:
        raise OrderError(f"A milestone can be at most {format_cents(settings.ORDERS_MAX_MILESTONE_CENTS)}.")
    if not 1 <= delivery_days <= limits.max_delivery_days():
        raise OrderError(f"Delivery time must be between 1 and {limits.max_delivery_days()} days.")
    if not 0 <= revisions_allowed <= limits.max_revisions():
        raise OrderError(f"Revisions must be between 0 and {limits.max_revisions()}.")


@transaction.atomic
def milestone_propose(*, order_id, actor, title, description, amount_cents, delivery_days, revisions_allowed):
    """Either side proposes an extra milestone (an upsell); it waits in ``proposed``."""
    order = Order.objects.select_for_update().get(pk=order_id)
    if actor.pk not in (order.buyer_id, order.seller_id):
        raise OrderError("Only the buyer or the seller can change the plan.")
    if order.status != OrderStatus.ACTIVE:
        raise OrderError("This order has ended; start a new offer in the conversation instead.")
    validate_plan_item(
        title=title,
        description=description,
        amount_cents=amount_cents,
        delivery_days=delivery_days,
        revisions_allowed=revisions_allowed,
    )
    open_count = order.milestones.exclude(state=State.CANCELLED).count()
    if open_count >= settings.ORDERS_MAX_MILESTONES:
        raise OrderError(f"An order can have at most {settings.ORDERS_MAX_MILESTONES} milestones.")
    position = (order.milestones.order_by("-position").values_list("position", flat=True).first() or 0) + 1
    milestone = Milestone.objects.create(
        order=order,
        position=position,
        title=title,
        description=description,
        amount_cents=amount_cents,
        delivery_days=delivery_days,
        revisions_allowed=revisions_allowed,
        proposed_by=actor,
    )
    timeline_record(
        order=order,
        milestone=milestone,
        actor=actor,
        action="milestone_proposed",
        to_state=State.PROPOSED,
        detail=f"{title} — {format_cents(amount_cents)}",
    )
    process.announce("milestone_proposed", milestone=milestone, actor=actor)
    return milestone


@transaction.atomic
def milestone_proposal_decide(*, milestone_id, actor, decision, expected_state=None) -> Milestone:
    """accept / decline (the other side) or withdraw (the proposer) a proposed milestone."""
    if decision not in ("accept", "decline", "withdraw"):
        raise OrderError("Unknown decision.")
    milestone = lock_milestone(milestone_id)
    party_check(milestone, actor, "buyer", "seller")
    run_transition(milestone, decision, actor, expected_state=expected_state)
    if decision == "accept":
        order_activate_next(order=milestone.order)
    else:
        order_refresh_status(order=milestone.order)
    return milestone


@transaction.atomic
def plan_change_propose(
    *, milestone_id, actor, title, description, amount_cents, delivery_days, revisions_allowed
) -> PlanChange:
    milestone = lock_milestone(milestone_id)
    party_check(milestone, actor, *process.parties("change"))
    process.require("change", milestone, stale=StaleAction)
    validate_plan_item(
        title=title,
        description=description,
        amount_cents=amount_cents,
        delivery_days=delivery_days,
        revisions_allowed=revisions_allowed,
    )
    if milestone.state == State.FUNDED and amount_cents != milestone.amount_cents:
        raise OrderError("The amount of a funded milestone can't change; cancel it (refund) and add a new one.")
    return request_make(
        "change",
        milestone,
        actor,
        detail=f"{title} — {format_cents(amount_cents)}, {process.plural(delivery_days, 'day', 'days')}",
        title=title,
        description=description,
        amount_cents=amount_cents,
        delivery_days=delivery_days,
        revisions_allowed=revisions_allowed,
    )


@transaction.atomic
def plan_change_decide(*, change_id, actor, accept: bool) -> PlanChange:
    def apply(milestone, change):
        if milestone.state not in (State.AWAITING_FUNDING, State.FUNDED):
            raise StaleAction("This milestone has started meanwhile; the change can no longer apply.")
        if milestone.state == State.FUNDED and change.amount_cents != milestone.amount_cents:
            raise StaleAction("This milestone was funded meanwhile; its amount can no longer change.")
        if change.amount_cents != milestone.amount_cents:
            _checkouts_close_after_commit(
                milestone.pk,
                "The milestone's amount changed, so this checkout can no longer be paid; nothing was "
                "charged. Fund the milestone again from the order page.",
            )
        for field in ("title", "description", "amount_cents", "delivery_days", "revisions_allowed"):
            setattr(milestone, field, getattr(change, field))
        milestone.save(update_fields=["title", "description", "amount_cents", "delivery_days", "revisions_allowed"])

    return request_answer("change", change_id, actor, accept, effect=apply)


# --- support ---------------------------------------------------------------
# Transitions an operator may trigger from the Django admin, and who the FSM must allow.
# "cancel" is a party's transition: support takes it on the buyer's behalf (recorded as such).
ADMIN_CANCEL_STATES = (State.AWAITING_FUNDING, State.FUNDED)


@transaction.atomic
def staff_milestone_cancel(*, milestone_id, actor, reason, expected_state=None):
    """Support cancels a milestone that has not started (a funded one is refunded in full to the buyer).

    The FSM lets support staff take ``cancel``; the timeline and the audit log
    name the staff member.
    """
    if not is_support(actor):
        raise OrderError("Only support staff can do that.")
    if not (reason or "").strip():
        raise OrderError("Write why the milestone is cancelled; both parties see it.")
    milestone = lock_milestone(milestone_id)
    if role_of(milestone, actor) in ("buyer", "seller"):
        raise OrderError("You are a party to this order; another support agent must act on it.")
    if expected_state is not None and milestone.state != expected_state:
        raise StaleAction(
            f"This milestone changed meanwhile: it is now “{milestone.get_state_display()}”. Nothing was done."
        )
    if milestone.state not in ADMIN_CANCEL_STATES:
        raise StaleAction(
            "Only a milestone that has not started can be cancelled here; "
            f"this one is “{milestone.get_state_display()}”."
        )
    from_state = milestone.state
    run_transition(milestone, "cancel", actor, detail=f"cancelled by support: {reason[:300]}", announce=False)
    refunds = milestone_escrow_refund(milestone)
    staff_action_record(
        staff=actor,
        action="milestone_cancel",
        order=milestone.order,
        milestone=milestone,
        detail=f"Cancelled milestone “{milestone.title}” ({from_state}); any escrow refunded to the buyer's balance.",
        reason=reason,
    )
    process.announce("staff_cancelled", milestone=milestone, actor=actor, detail=reason[:150], refunds=refunds)
    order_after_close(milestone)
    return milestone


def _operator_cancel(*, milestone, actor, reason, expected_state=None, **_):
    return staff_milestone_cancel(milestone_id=milestone.pk, actor=actor, reason=reason, expected_state=expected_state)


hooks.register_operator_action("cancel", _operator_cancel)
