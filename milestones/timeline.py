"""The order's history: every transition and request is one timeline event (who, what, when, from, to)."""

from .models import TimelineEvent


def timeline_record(*, order, action, actor=None, milestone=None, from_state="", to_state="", detail=""):
    return TimelineEvent.objects.create(
        order=order,
        milestone=milestone,
        actor=actor if getattr(actor, "pk", None) else None,
        action=action,
        from_state=from_state or "",
        to_state=to_state or "",
        detail=detail,
    )
