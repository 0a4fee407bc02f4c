"""A real Celery worker consumes a task published by the project's own code."""

import uuid
from datetime import timedelta

import pytest
from celery import Celery
from celery.contrib.testing.worker import start_worker
from django.db import connection

from accounts.models import User
from accounts.tasks import purge_unverified_signups
from config import clock
from tests.factories import UserFactory


def make_app(broker_url, transport_options=None):
    app = Celery("test-worker")
    app.config_from_object("django.conf:settings", namespace="CELERY")
    app.conf.broker_url = broker_url
    app.conf.broker_transport_options = transport_options or {}
    app.conf.task_default_queue = f"test-{uuid.uuid4().hex[:8]}"
    return app


def wait_for(predicate, timeout=15.0):
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return False


def run_purge_through_worker(app):
    stale = UserFactory(verified=False)
    User.objects.filter(pk=stale.pk).update(date_joined=clock.now() - timedelta(days=30))
    task = app.tasks[purge_unverified_signups.name]
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
        task.apply_async()
        connection.close()  # the worker thread has its own connection
        assert wait_for(lambda: not User.objects.filter(pk=stale.pk).exists()), "the worker never ran the task"


@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_runs_a_task_from_redis(redis_url):
    run_purge_through_worker(make_app(redis_url))


@pytest.mark.django_db(transaction=True)
def test_a_real_worker_runs_a_task_from_the_embedded_filesystem_broker(tmp_path):
    queue = tmp_path / "queue"
    queue.mkdir()
    (tmp_path / "processed").mkdir()
    (tmp_path / "control").mkdir()
    options = {
        "data_folder_in": str(queue),
        "data_folder_out": str(queue),
        "processed_folder": str(tmp_path / "processed"),
        "control_folder": str(tmp_path / "control"),
    }
    run_purge_through_worker(make_app("filesystem://localhost//", options))


def test_beat_schedule_names_real_tasks():
    from django.conf import settings

    from config.celery import app

    app.loader.import_default_modules()
    for entry in settings.CELERY_BEAT_SCHEDULE.values():
        assert entry["task"] in app.tasks, entry["task"]


@pytest.mark.django_db(transaction=True)  # ordered after the worker tests above
def test_after_a_test_worker_shared_tasks_publish_through_the_project_app():
    """start_worker makes its app the current one; tests/conftest.py puts ours back."""
    from config.celery import app

    assert purge_unverified_signups._get_app() is app
