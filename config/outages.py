"""Riding out an outage of Redis (the cache and the Celery broker) without making people wait on it.

A ``Breaker`` remembers, per process, that a dependency just failed: for ``REDIS_RETRY_AFTER`` seconds
after a failure callers skip it at once instead of paying its timeout again, then one call tries it
again. The log gets one warning when the dependency goes away (saying what that means for users), a
reminder at most every ``REPORT_EVERY`` seconds while it stays away, and one line when it is back,
never a line per request.
"""

import logging
import threading
import time

from django.conf import settings

logger = logging.getLogger(__name__)

REPORT_EVERY = 60.0  # seconds between "still unreachable" reminders of one process


def describe(error):
    return f"{type(error).__name__}: {error}"[:200]


class Breaker:
    """``allows()`` before calling the dependency, then ``succeeded()`` or ``failed(error)``."""

    def __init__(self, name, *, consequence):
        self.name = name
        self.consequence = consequence
        self._lock = threading.Lock()
        self.reset()

    def reset(self):
        """Forget earlier failures (a new broker address, a test)."""
        self._retry_at = 0.0
        self._down_since = None
        self._reported_at = 0.0
        self._skipped = 0
        self.last_error = ""

    @property
    def down(self):
        return self._down_since is not None

    def allows(self):
        if time.monotonic() >= self._retry_at:
            return True
        self._skipped += 1
        return False

    def failed(self, error):
        now = time.monotonic()
        retry_after = float(settings.REDIS_RETRY_AFTER)
        with self._lock:
            self._retry_at = now + retry_after
            self.last_error = describe(error)
            if self._down_since is None:
                self._down_since = self._reported_at = now
                logger.warning(
                    "%s unreachable (%s): %s. Not tried again for %.0f s.",
                    self.name,
                    self.last_error,
                    self.consequence,
                    retry_after,
                )
            elif now - self._reported_at >= REPORT_EVERY:
                logger.warning(
                    "%s still unreachable after %.0f s (%s); %d calls skipped since the last report.",
                    self.name,
                    now - self._down_since,
                    self.last_error,
                    self._skipped,
                )
                self._reported_at, self._skipped = now, 0

    def succeeded(self):
        if self._down_since is None:
            return
        with self._lock:
            if self._down_since is not None:
                logger.info("%s answers again after %.0f s.", self.name, time.monotonic() - self._down_since)
            self.reset()
