"""Support staff and operators: staff actions outside disputes (who counts as support:
``accounts.permissions``; the audit log: ``accounts.audit``)."""

from django.db import transaction
from django.db.models import Count, Q, Sum

from accounts.audit import staff_action_record
from accounts.notifications import notification_send
from accounts.permissions import is_support
from milestones.exceptions import OrderError, StaleAction
from milestones.models import Order, OrderStatus, State
from milestones.services import _after_close, _refund_all, _url, lock_milestone, role_of, run_transition
from payments.models import AccountKind, Earning, EarningStatus, LedgerAccount

from .models import DisputeStatus


def require_support(user):
    if not is_support(user):
        raise OrderError("Only support staff can do that.")


# Transitions an operator may trigger from the Django admin, and who the FSM must allow.
# "cancel" is a party's transition: support takes it on the buyer's behalf (recorded as such).
ADMIN_CANCEL_STATES = (State.AWAITING_FUNDING, State.FUNDED)


@transaction.atomic
def staff_milestone_cancel(*, milestone_id, actor, reason, expected_state=None):
    """Support cancels a milestone that has not started (a funded one is refunded in full to the buyer).

    The FSM lets support staff take ``cancel``; the timeline and the audit log
    name the staff member.
    """
    require_support(actor)
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
    run_transition(milestone, "cancel", actor, detail=f"cancelled by support: {reason[:300]}")
    _refund_all(milestone)
    staff_action_record(
        staff=actor,
        action="milestone_cancel",
        order=milestone.order,
        milestone=milestone,
        detail=f"Cancelled milestone “{milestone.title}” ({from_state}); any escrow refunded to the buyer's balance.",
        reason=reason,
    )
    for person in (milestone.order.buyer, milestone.order.seller):
        notification_send(
            user=person, text=f"Support cancelled “{milestone.title}”: {reason[:150]}", url=_url(milestone)
        )
    _after_close(milestone)
    return milestone


def operations_counts() -> dict:
    """The admin dashboard's numbers (four queries)."""
    from .models import Dispute

    orders = Order.objects.aggregate(open=Count("pk", filter=Q(status=OrderStatus.ACTIVE)))
    disputes = Dispute.objects.aggregate(
        open=Count("pk", filter=Q(status=DisputeStatus.OPEN)),
        waiting=Count("pk", filter=Q(status=DisputeStatus.WAITING_FOR_STAFF)),
    )
    escrow = LedgerAccount.objects.filter(kind=AccountKind.ESCROW).aggregate(total=Sum("balance_cents"))
    pending = Earning.objects.filter(status=EarningStatus.PENDING).aggregate(
        total=Sum("amount_cents"), held=Sum("amount_cents", filter=Q(on_hold=True))
    )
    return {
        "open_orders": orders["open"] or 0,
        "disputes_open": disputes["open"] or 0,
        "disputes_waiting": disputes["waiting"] or 0,
        "escrow_cents": escrow["total"] or 0,
        "pending_cents": pending["total"] or 0,
        "pending_on_hold_cents": pending["held"] or 0,
    }
