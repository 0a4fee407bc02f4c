"""The operators' dashboard numbers. (Support's own actions outside disputes, such as cancelling a milestone
from the admin, live with what they act on: ``milestones.services.staff_milestone_cancel``.)"""

from django.db.models import Count, Q, Sum

from milestones.models import Order, OrderStatus
from payments.models import AccountKind, Earning, EarningStatus, LedgerAccount

from .models import DisputeStatus


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
