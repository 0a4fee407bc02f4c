"""``{{ due|countdown }}``: how long until a due date, in words ("3 days left", "5 hours left", "2 days late").

The words are ``accounts.zones.time_left``'s (calendar days in the person's zone, hours on the day itself,
from the one clock ``config.clock``); this adds the status the include styles by.
"""

from dataclasses import dataclass

from django import template

from accounts import zones
from config import clock

register = template.Library()


@dataclass(frozen=True)
class Countdown:
    text: str
    status: str  # "left", "today" or "late" (the include's class; the words say it too)


def countdown_for(due, now=None) -> Countdown | None:
    if due is None:
        return None
    now = now or clock.now()
    text = zones.time_left(due, now)
    if due < now:
        status = "late"
    elif zones.local(due).date() == zones.local(now).date():
        status = "today"
    else:
        status = "left"
    return Countdown(text, status)


@register.filter
def countdown(due):
    return countdown_for(due)
