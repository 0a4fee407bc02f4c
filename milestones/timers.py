"""Every timer of shared/DOMAIN.md "Time", as periodic sweeps over the database.

Each sweep selects the due rows in bounded batches (keyset pagination on the
due time, so memory does not grow with the backlog and the oldest are handled
first), then handles each row in its own transaction: lock it, re-check it is
still due, act through the same service a person would use, and record that it
did so. Running a sweep twice, or on two workers at once, acts once.
"""

import logging
from collections.abc import Callable, Iterator
from datetime import datetime

from django.conf import settings
from django.db import IntegrityError, transaction

from config import clock, sweeps
from config.paging import after_row

from . import process, services
from .models import State, TimerMark

logger = logging.getLogger(__name__)


def batches(queryset, time_field: str, batch_size: int) -> Iterator[list[tuple[int, datetime]]]:
    """(pk, due time) of matching rows, oldest first, ``batch_size`` at a time."""
    last = None
    while True:
        page = queryset
        if last is not None:
            moment, pk = last
            page = page.filter(after_row((time_field, "pk"), (moment, pk)))
        rows = list(page.order_by(time_field, "pk").values_list("pk", time_field)[:batch_size])
        if not rows:
            return
        yield rows
        last = (rows[-1][1], rows[-1][0])


def timer_mark(kind: str, target_id: int, moment: datetime) -> bool:
    """Record that (kind, target, moment) fired; False if it already had."""
    try:
        with transaction.atomic():
            TimerMark.objects.create(kind=kind, target_id=target_id, moment=moment)
    except IntegrityError:
        return False
    return True


def _remind(kind: str, milestone_id: int, moment: datetime, send: Callable) -> bool:
    """Lock the milestone, re-check with ``send`` (returns False if no longer due), mark, send."""
    with transaction.atomic():
        milestone = services.lock_milestone(milestone_id)
        if not timer_mark(kind, milestone_id, moment):
            return False
        if send(milestone) is False:
            transaction.set_rollback(True)  # not due any more: forget the mark too
            return False
        return True


# --- the sweeps ----------------------------------------------------------------
def sweep_auto_approve(*, now=None, batch_size=None) -> int:
    """Deliveries the buyer did not review in the window are approved (money released once)."""
    now = now or clock.now()
    batch_size = batch_size or settings.TIMER_BATCH_SIZE
    from .models import Milestone

    due = Milestone.objects.filter(state=State.DELIVERED, auto_approve_at__lte=now)
    done = 0
    for rows in batches(due, "auto_approve_at", batch_size):
        for pk, _moment in rows:
            try:
                if services.milestone_auto_approve(milestone_id=pk) is not None:
                    done += 1
            except Exception:  # one bad row must not stop the sweep; it is retried next run
                logger.exception("auto-approve of milestone %s failed", pk)
    return done


def sweep_review_reminders(*, now=None, batch_size=None) -> int:
    """Remind the buyer 1 day after a delivery and 1 day before auto-approval."""
    now = now or clock.now()
    batch_size = batch_size or settings.TIMER_BATCH_SIZE
    from .models import Milestone

    sent = 0
    after, before = settings.REVIEW_REMINDER_AFTER_DELIVERY, settings.REVIEW_REMINDER_BEFORE_AUTO_APPROVE
    delivered = Milestone.objects.filter(state=State.DELIVERED)

    def after_delivery(moment):
        def send(m):
            if m.state != State.DELIVERED or m.delivered_at != moment:
                return False
            process.announce("review_reminder", milestone=m)

        return send

    window = delivered.filter(delivered_at__lte=now - after, delivered_at__gt=now - settings.TIMER_CATCH_UP)
    for rows in batches(window, "delivered_at", batch_size):
        for pk, moment in rows:
            sent += _remind("review_after_delivery", pk, moment, after_delivery(moment))

    def before_auto(moment):
        def send(m):
            if m.state != State.DELIVERED or m.auto_approve_at != moment:
                return False
            process.announce("auto_approve_soon", milestone=m)

        return send

    soon = delivered.filter(auto_approve_at__lte=now + before, auto_approve_at__gt=now)
    for rows in batches(soon, "auto_approve_at", batch_size):
        for pk, moment in rows:
            sent += _remind("review_before_auto_approve", pk, moment, before_auto(moment))
    return sent


def sweep_deadlines(*, now=None, batch_size=None) -> int:
    """Due-soon reminders to the seller, late flags to both, and 'you may cancel now' to the buyer."""
    now = now or clock.now()
    batch_size = batch_size or settings.TIMER_BATCH_SIZE
    from .models import Milestone

    working = Milestone.objects.filter(state__in=[State.IN_PROGRESS, State.REVISION_REQUESTED])
    sent = 0

    def due_soon(moment):
        def send(m):
            if m.state not in (State.IN_PROGRESS, State.REVISION_REQUESTED) or m.due_at != moment:
                return False
            process.announce("due_soon", milestone=m)

        return send

    for rows in batches(
        working.filter(due_at__gt=now, due_at__lte=now + settings.DUE_SOON_REMINDER_BEFORE), "due_at", batch_size
    ):
        for pk, moment in rows:
            sent += _remind("due_soon", pk, moment, due_soon(moment))

    def late(moment):
        def send(m):
            if m.state not in (State.IN_PROGRESS, State.REVISION_REQUESTED) or m.due_at != moment:
                return False
            process.announce("late", milestone=m)

        return send

    overdue = working.filter(due_at__lte=now, due_at__gt=now - settings.TIMER_CATCH_UP)
    for rows in batches(overdue, "due_at", batch_size):
        for pk, moment in rows:
            sent += _remind("late", pk, moment, late(moment))

    def cancel_open(moment):
        def send(m):
            if m.state != State.IN_PROGRESS or m.due_at != moment:
                return False
            process.announce("late_cancel_open", milestone=m)

        return send

    grace = settings.MILESTONE_LATE_CANCEL_GRACE
    cancellable = working.filter(
        state=State.IN_PROGRESS, due_at__lte=now - grace, due_at__gt=now - grace - settings.TIMER_CATCH_UP
    )
    for rows in batches(cancellable, "due_at", batch_size):
        for pk, moment in rows:
            sent += _remind("late_cancel_open", pk, moment, cancel_open(moment))
    return sent


def sweep_funding_reminders(*, now=None, batch_size=None) -> int:
    """Ask the buyer again to fund the next milestone 2 days after it became due for funding."""
    now = now or clock.now()
    batch_size = batch_size or settings.TIMER_BATCH_SIZE
    from .models import Milestone

    def send_for(moment):
        def send(m):
            if m.state != State.AWAITING_FUNDING or m.funding_due_at != moment:
                return False
            process.announce("funding_reminder", milestone=m)

        return send

    waiting = Milestone.objects.filter(
        state=State.AWAITING_FUNDING,
        order__status="active",
        funding_due_at__lte=now - settings.FUNDING_REMINDER_AFTER,
        funding_due_at__gt=now - settings.FUNDING_REMINDER_AFTER - settings.TIMER_CATCH_UP,
    )
    sent = 0
    for rows in batches(waiting, "funding_due_at", batch_size):
        for pk, moment in rows:
            sent += _remind("funding_reminder", pk, moment, send_for(moment))
    return sent


SWEEPS = {
    "auto_approve": sweep_auto_approve,
    "review_reminders": sweep_review_reminders,
    "deadlines": sweep_deadlines,
    "funding_reminders": sweep_funding_reminders,
}


def run_all(*, now=None) -> dict[str, int]:
    """Every app's sweeps once, in their fixed order (``manage.py run_timers`` and the tests)."""
    return sweeps.run(now=now)


# --- what happens next (admin, staff and order page) ----------------------------
def next_event(milestone, now=None):
    """(label, when) of the next thing the timers will do for this milestone, or None."""
    now = now or clock.now()
    m = milestone
    if m.state == State.DELIVERED and m.auto_approve_at:
        before = m.auto_approve_at - settings.REVIEW_REMINDER_BEFORE_AUTO_APPROVE
        after = m.delivered_at + settings.REVIEW_REMINDER_AFTER_DELIVERY if m.delivered_at else None
        for label, when in (("review reminder", after), ("last review reminder", before)):
            if when and when > now:
                return label, when
        return "auto-approval", m.auto_approve_at
    if m.state in (State.IN_PROGRESS, State.REVISION_REQUESTED) and m.due_at:
        if m.due_at - settings.DUE_SOON_REMINDER_BEFORE > now:
            return "due-soon reminder", m.due_at - settings.DUE_SOON_REMINDER_BEFORE
        if m.due_at > now:
            return "late flag", m.due_at
        if m.state == State.IN_PROGRESS and m.late_cancel_from > now:
            return "buyer may cancel (late)", m.late_cancel_from
        return None
    if m.state == State.AWAITING_FUNDING and m.funding_due_at:
        when = m.funding_due_at + settings.FUNDING_REMINDER_AFTER
        return ("funding reminder", when) if when > now else None
    return None
