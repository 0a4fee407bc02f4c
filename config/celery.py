"""The Celery app and the one way the project enqueues a task."""

import logging
import os
from pathlib import Path

from celery import Celery

from .outages import Breaker, describe

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("config")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

logger = logging.getLogger(__name__)


def ensure_broker_folders():
    """The filesystem broker needs its folders before a worker starts."""
    options = app.conf.broker_transport_options or {}
    for key in ("data_folder_in", "data_folder_out", "processed_folder", "control_folder"):
        if options.get(key):
            Path(options[key]).mkdir(parents=True, exist_ok=True)


broker_breaker = Breaker(
    "Celery broker",
    consequence="tasks are not queued (notification emails wait for the resend sweep; every timer is a sweep)",
)


def enqueue(task, *args, **kwargs):
    """Publish ``task`` now; never let a broker outage reach the user.

    Every scheduled job is also recoverable by a periodic sweep over the
    database, so a failed publish is logged and otherwise ignored. A publish
    waits at most the broker's socket timeouts (``BROKER_SOCKET_TIMEOUT``),
    and after a failure this process skips the broker for
    ``REDIS_RETRY_AFTER`` seconds, so a dead or frozen Redis costs a request
    about a second once, not a timeout per task.
    """
    if not broker_breaker.allows():
        logger.debug("not enqueueing %s: the broker failed moments ago", task.name)
        return None
    try:
        ensure_broker_folders()
        result = task.apply_async(args=args, kwargs=kwargs, retry=False)
    except Exception as error:  # noqa: BLE001 - any broker failure is non-fatal here
        broker_breaker.failed(error)
        logger.info("could not enqueue %s (%s); the periodic sweep will redo it", task.name, describe(error))
        return None
    broker_breaker.succeeded()
    return result


def enqueue_on_commit(task, *args, **kwargs):
    """Publish ``task`` once the current database transaction commits.

    ``robust``: whatever goes wrong after the commit is logged, never turned
    into an error page for an action that has already happened.
    """
    from django.db import transaction

    transaction.on_commit(lambda: enqueue(task, *args, **kwargs), robust=True)
