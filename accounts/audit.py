"""The staff audit log: one row per thing support staff or an admin did (who, when, what, to what, why)."""

from .models import StaffAction


def staff_action_record(
    *, staff, action, detail="", reason="", order=None, milestone=None, dispute=None, target="", data=None
) -> StaffAction:
    """One line of the audit log; call inside the action's own transaction (it is undone with it).

    ``order``, ``milestone`` and ``dispute`` may be objects or ids; ``target`` names anything else
    (e.g. "gig 12", "earning 7").
    """

    def pk(value):
        return getattr(value, "pk", value)

    return StaffAction.objects.create(
        staff=staff,
        action=action,
        order_id=pk(order),
        milestone_id=pk(milestone),
        dispute_id=pk(dispute),
        target=target[:120],
        detail=detail,
        reason=reason,
        data=data or {},
    )
