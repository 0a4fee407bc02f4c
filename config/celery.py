"""The Celery app and the one way the project enqueues a task."""

import logging
import os
from pathlib import Path

from celery import Celery

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


def enqueue(task, *args, **kwargs):
    """Publish ``task`` now; never let a broker outage reach the user.

    Every scheduled job is also recoverable by a periodic sweep over the
    database, so a failed publish is logged and otherwise ignored.
    """
    try:
        ensure_broker_folders()
        return task.apply_async(args=args, kwargs=kwargs, retry=False)
    except Exception:  # noqa: BLE001 - any broker failure is non-fatal here
        logger.warning("could not enqueue %s; the periodic sweep will redo it", task.name, exc_info=True)
        return None


def enqueue_on_commit(task, *args, **kwargs):
    """Publish ``task`` once the current database transaction commits."""
    from django.db import transaction

    transaction.on_commit(lambda: enqueue(task, *args, **kwargs))
