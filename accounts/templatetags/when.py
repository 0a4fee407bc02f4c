"""Times on pages, in the viewer's zone and naming it (``accounts.zones``): ``{% load when %}``.

- ``{{ dt|when }}`` → ``<time datetime="2026-12-03T14:05:00+01:00">3 Dec 2026, 14:05 CET</time>``;
  ``{{ dt|when:"d M, H:i" }}`` takes Django's date format for the part before the zone.
- ``{{ dt|when_date }}`` → ``<time datetime="2026-12-03">3 Dec 2026</time>`` (the day in the viewer's zone).
- ``{{ dt|time_left }}`` → "3 days left", "5 hours left", "due today", "2 days late".

Templates never write ``|date:`` with an hour in it (a test reads every template; ``scripts/tz_templates.py``
rewrites old ones).
"""

from datetime import date, datetime

from django import template
from django.utils.html import format_html

from accounts import zones

register = template.Library()


@register.filter
def when(value, fmt=None):
    if not isinstance(value, datetime):
        return value if value not in (None, "") else ""
    moment = zones.local(value)
    return format_html(
        '<time datetime="{}">{}</time>',
        moment.isoformat(timespec="seconds"),
        zones.when_text(moment, fmt or zones.DEFAULT_FORMAT),
    )


@register.filter
def when_date(value, fmt=None):
    if not isinstance(value, date):
        return value if value not in (None, "") else ""
    day = zones.local(value).date() if isinstance(value, datetime) else value
    return format_html(
        '<time datetime="{}">{}</time>', day.isoformat(), zones.date_text(value, fmt or zones.DEFAULT_DATE_FORMAT)
    )


@register.filter
def time_left(value):
    if not isinstance(value, date):
        return ""
    return zones.time_left(value)
