"""``{{ due|countdown }}``: how long until a due date, in words ("3 days left", "Due today", "2 days late").

Counted in calendar days of the current time zone (the person's own once it is activated), from the one clock
(``config.clock``), so the server says it and tests can move time.
"""

from dataclasses import dataclass

from django import template
from django.utils import timezone

from config import clock

register = template.Library()


@dataclass(frozen=True)
class Countdown:
    text: str
    status: str  # "left", "today" or "late" (the include's class; the words say it too)


def _days(count: int) -> str:
    return f"{count} day{'' if count == 1 else 's'}"


def countdown_for(due, now=None) -> Countdown | None:
    if due is None:
        return None
    now = now or clock.now()
    days = (timezone.localtime(due).date() - timezone.localtime(now).date()).days
    if due < now:
        late = max(-days, 0)
        return Countdown(f"{_days(late)} late" if late else "Late: it was due today", "late")
    if days == 0:
        return Countdown("Due today", "today")
    return Countdown(f"{_days(days)} left", "left")


@register.filter
def countdown(due):
    return countdown_for(due)
