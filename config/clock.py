"""The one clock of the project.

Every module reads the time as ``clock.now()`` (``from config import clock``) so
that tests can move time with the ``clock`` fixture instead of sleeping.
"""

from django.utils import timezone

_offset = None


def now():
    current = timezone.now()
    if _offset is not None:
        current += _offset
    return current


def set_offset(delta):
    """Shift the clock (tests only). ``None`` puts it back."""
    global _offset
    _offset = delta


def advance(delta):
    """Move the clock ``delta`` further on (tests only); ``set_offset(None)`` puts it back."""
    set_offset((_offset or delta * 0) + delta)
