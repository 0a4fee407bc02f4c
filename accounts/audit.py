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


def admin_edit_record(*, staff, verb, obj, message="") -> StaffAction:
    """The row for a record added, changed or deleted by hand in the Django admin (``accounts.admin_audit``).

    ``target`` names the record ("marketplace.tag 4"); ``detail`` says what changed, in the admin's words.
    """
    opts = obj._meta
    label = str(obj)[:200]
    done = {"add": "Added", "change": "Changed", "delete": "Deleted"}[verb]
    detail = f"{done} {opts.verbose_name} “{label}” in the admin" + (f": {message}" if message else ".")
    return staff_action_record(
        staff=staff,
        action=f"admin_{verb}",
        target=f"{opts.label_lower} {obj.pk}",
        detail=detail,
        data={"model": opts.label_lower, "pk": str(obj.pk)},
    )
