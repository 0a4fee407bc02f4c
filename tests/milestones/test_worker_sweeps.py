"""A real Celery worker with beat (Redis, PostgreSQL) runs the sweeps; a kill mid-batch loses and doubles nothing."""

import os
import signal
import subprocess
import sys
import time
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection

from benchmarks.stack import stop_group
from milestones.models import State, TimelineEvent
from payments import services as payments
from tests.orders.builders import deliver, fund, make_order, ms

ROOT = Path(__file__).resolve().parents[2]
pytestmark = [pytest.mark.redis, pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def start_worker(tmp_path, redis_url, queue):
    db = connection.settings_dict
    env = {k: v for k, v in os.environ.items() if k not in {"DJANGO_SETTINGS_MODULE", "DJANGO_ALLOW_ASYNC_UNSAFE"}}
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        DJANGO_ENV="development",
        DATABASE_URL=f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}",
        REDIS_URL=redis_url,
        CELERY_QUEUE=queue,
        TIMER_SWEEP_SECONDS="1",
        VAR_DIR=str(tmp_path),
        TIMER_BATCH_SIZE="10",
    )
    log = open(tmp_path / f"worker-{time.monotonic_ns()}.log", "w")  # noqa: SIM115 - closed with the process
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "-B",
            "--pool",
            "solo",
            "-Q",
            queue,
            "--schedule",
            str(tmp_path / "beat-schedule"),
            "--loglevel",
            "INFO",
            "--without-heartbeat",
            "--without-gossip",
            "--without-mingle",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its beat is a child process: stopped with it (stop_worker), never left behind
    )


def stop_worker(worker, sig=signal.SIGTERM):
    """Signal the worker and its embedded beat (one process group); whatever is left is killed, so no beat
    outlives its test (a SIGKILLed worker used to leave its beat running)."""
    stop_group(worker, sig)


def due_deliveries(clock, count):
    """``count`` deliveries made 4 days ago: their 3-day review window has ended."""
    clock.advance(days=-4)
    orders = [make_order(10000) for _ in range(count)]
    for order in orders:
        deliver(fund(ms(order, 1)))
    clock.advance(days=4)
    return orders


def approved(orders):
    return sum(ms(o, 1).state == State.APPROVED for o in orders)


def wait_until(predicate, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.2)
    return False


def assert_each_released_once(orders):
    for order in orders:
        first = ms(order, 1)
        assert first.state == State.APPROVED
        assert TimelineEvent.objects.filter(milestone=first, action="auto_approve").count() == 1
        assert payments.escrow_balance_cents(milestone_id=first.pk) == 0
        assert payments.balances_for(order.seller).pending_cents == 8000
    call_command("ledger_check")  # exits non-zero (SystemExit) on any breach


def test_beat_scheduled_sweeps_run_and_act(require_postgres, redis_url, tmp_path, clock):
    orders = due_deliveries(clock, 5)
    worker = start_worker(tmp_path, redis_url, f"test-{uuid.uuid4().hex[:8]}")
    try:
        assert wait_until(lambda: approved(orders) == 5, 60), "beat never ran the sweep"
    finally:
        stop_worker(worker)
    assert_each_released_once(orders)


def test_killing_the_worker_mid_batch_loses_nothing_and_doubles_nothing(require_postgres, redis_url, tmp_path, clock):
    orders = due_deliveries(clock, 60)
    queue = f"test-{uuid.uuid4().hex[:8]}"
    worker = start_worker(tmp_path, redis_url, queue)
    try:
        assert wait_until(lambda: approved(orders) >= 3, 60), "the worker never started approving"
    finally:
        stop_worker(worker, signal.SIGKILL)
    done_before_restart = approved(orders)
    worker = start_worker(tmp_path, redis_url, queue)
    try:
        assert wait_until(lambda: approved(orders) == len(orders), 120), "the restarted worker did not finish"
    finally:
        stop_worker(worker)
    assert done_before_restart <= len(orders)
    assert_each_released_once(orders)


def test_sweep_delay_setting_is_what_beat_uses(settings):
    assert settings.CELERY_BEAT_SCHEDULE["timers-sweep"]["schedule"] == timedelta(seconds=settings.TIMER_SWEEP_SECONDS)
