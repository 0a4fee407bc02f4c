"""Time zones: each person's own (``User.time_zone``), and how a moment is written for them.

The database holds UTC. A request is rendered in its user's zone (``accounts.middleware.TimeZoneMiddleware``
activates it; anonymous visitors get ``settings.TIME_ZONE``), a notification is written in its recipient's
(``in_zone_of``), and every time shown names its zone ("3 Dec 2026, 14:05 CET"; "UTC+04" where the zone has
no letters of its own). Deadlines also say how long is left (``time_left``: "3 days left", "due today",
"2 days late").
"""

import functools
import zoneinfo
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.dateformat import format as date_format

from config import clock

DEFAULT_FORMAT = "j M Y, H:i"
DEFAULT_DATE_FORMAT = "j M Y"


@functools.cache
def available() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def is_valid(name) -> bool:
    """An IANA zone name this machine knows ("Asia/Tokyo"); anything else (a typo, garbage, "") is not."""
    return isinstance(name, str) and name in available()


# Old names browsers still report (Chrome says "Asia/Calcutta"), for when the system's tzdata.zi is not there.
_OLD_NAMES = {
    "Asia/Calcutta": "Asia/Kolkata",
    "Asia/Saigon": "Asia/Ho_Chi_Minh",
    "Asia/Katmandu": "Asia/Kathmandu",
    "Asia/Rangoon": "Asia/Yangon",
    "Europe/Kiev": "Europe/Kyiv",
    "America/Buenos_Aires": "America/Argentina/Buenos_Aires",
    "Etc/UTC": "UTC",
    "Etc/GMT": "UTC",
    "GMT": "UTC",
    "Universal": "UTC",
    "Zulu": "UTC",
}


@functools.cache
def _links() -> dict[str, str]:
    """Old or alias zone names → their current name, from tzdata's own list of links where it is installed."""
    links = dict(_OLD_NAMES)
    for folder in zoneinfo.TZPATH:
        try:
            lines = (Path(folder) / "tzdata.zi").read_text(encoding="utf-8").splitlines()
        except OSError:
            continue
        for line in lines:
            if line.startswith("L "):
                _, target, name = line.split()[:3]
                links.setdefault(name, target)
        break
    return {name: ("UTC" if target in ("Etc/UTC", "Etc/GMT") else target) for name, target in links.items()}


def canonical(name: str) -> str:
    """The current name of a zone ("Asia/Calcutta" → "Asia/Kolkata"); a current name is itself."""
    return _links().get(name, name)


@functools.cache
def choices() -> list:
    """The zones for a select, grouped by region ("Europe": [("Europe/Paris", "Europe/Paris"), …]); UTC first."""
    groups: dict[str, list[tuple[str, str]]] = {}
    for name in sorted(available()):
        if "/" not in name or name.startswith(("Etc/", "SystemV/", "posix/", "right/")) or canonical(name) != name:
            continue  # aliases and old names ("EST5EDT", "Etc/GMT+3", "Asia/Calcutta"), not places a person picks
        region = name.split("/", 1)[0]
        groups.setdefault(region, []).append((name, name.replace("_", " ")))  # "America/New York": clear when closed
    return [("UTC", "UTC"), *sorted(groups.items())]


TIME_ZONE_HELP = "Every time on the site and in its emails is shown in this zone."


def default_time_zone() -> str:
    return settings.TIME_ZONE


def validate_time_zone(value) -> None:
    if not is_valid(value):
        raise ValidationError("Choose a time zone from the list (a place such as Europe/Paris).", code="invalid")


def zone_or_default(name) -> str:
    """``name`` (by its current name) if it is a known zone, else the site's default (a browser's guess may
    be anything)."""
    name = (name or "").strip() if isinstance(name, str) else ""
    return canonical(name) if is_valid(name) else settings.TIME_ZONE


def zone_of(user) -> zoneinfo.ZoneInfo:
    """The zone ``user``'s times are shown in (the default for anonymous users and unknown names)."""
    return zoneinfo.ZoneInfo(zone_or_default(getattr(user, "time_zone", "")))


@contextmanager
def in_zone_of(user):
    """Render times in ``user``'s zone inside the block (an email, a notification), then restore the zone."""
    previous = timezone.get_current_timezone()
    timezone.activate(zone_of(user))
    try:
        yield
    finally:
        timezone.activate(previous)


def zone_label(moment: datetime) -> str:
    """The zone's abbreviation at ``moment`` ("CET", "JST", "EDT"), or its offset ("UTC+04", "UTC+05:30")."""
    name = moment.tzname() or ""
    if name and name[0] not in "+-":
        return name
    offset = moment.utcoffset() or timedelta(0)
    if not offset:
        return "UTC"
    sign = "+" if offset >= timedelta(0) else "-"
    minutes = abs(int(offset.total_seconds())) // 60
    hours, minutes = divmod(minutes, 60)
    return f"UTC{sign}{hours:02d}" + (f":{minutes:02d}" if minutes else "")


def local(moment: datetime) -> datetime:
    """``moment`` in the active zone (a naive one is taken as UTC)."""
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment, zoneinfo.ZoneInfo("UTC"))
    return timezone.localtime(moment)


def when_text(moment: datetime, fmt: str = DEFAULT_FORMAT) -> str:
    """ "3 Dec 2026, 14:05 CET": ``moment`` in the active zone, in Django's date format ``fmt``, zone named."""
    moment = local(moment)
    return f"{date_format(moment, fmt)} {zone_label(moment)}"


def date_text(moment: datetime | date, fmt: str = DEFAULT_DATE_FORMAT) -> str:
    """The day of ``moment`` in the active zone ("3 Dec 2026"); no zone named, since no hour is shown."""
    if isinstance(moment, datetime):
        moment = local(moment)
    return date_format(moment, fmt)


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def time_left(moment: datetime | date, now: datetime | None = None) -> str:
    """How long until ``moment`` (a deadline), in words: "3 days left", "5 hours left", "due today",
    "2 hours late", "1 day late".

    Days are calendar days in the active zone: something due tomorrow at 09:00 is "1 day left" at 23:00
    tonight. On the day itself the hours (or minutes) are counted, either side of the moment; a date
    without an hour, or less than a minute either side, is "due today".
    """
    now = local(now or clock.now())
    if isinstance(moment, datetime):
        moment = local(moment)
        day = moment.date()
    else:
        day, moment = moment, None
    days = (day - now.date()).days
    if days > 0:
        return _plural(days, "day") + " left"
    if days < 0:
        return _plural(-days, "day") + " late"
    if moment is None:
        return "due today"
    seconds = int((moment - now).total_seconds())
    word = "left" if seconds > 0 else "late"
    seconds = abs(seconds)
    if seconds >= 3600:
        return f"{_plural(seconds // 3600, 'hour')} {word}"
    if seconds >= 60:
        return f"{_plural(seconds // 60, 'minute')} {word}"
    return "due today"


class Zoned:
    """A moment for ``str.format`` in a zone: ``"{due:%d %b, %H:%M %Z}"`` gives "03 Dec, 14:05 JST"
    (``%Z`` is the zone's label, ``zone_label``). Notification texts are formatted with these."""

    def __init__(self, moment: datetime):
        self.moment = local(moment)

    def __format__(self, spec: str) -> str:
        spec = spec or "%d %b %Y, %H:%M %Z"
        return self.moment.strftime(spec.replace("%Z", zone_label(self.moment).replace("%", "%%")))

    def __str__(self) -> str:
        return format(self)


def zoned(values: dict, user) -> dict:
    """``values`` with each datetime made a ``Zoned`` in ``user``'s zone (for a notification's text)."""
    with in_zone_of(user):
        return {key: Zoned(value) if isinstance(value, datetime) else value for key, value in values.items()}
