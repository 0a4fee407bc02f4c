"""Redis stopped in the middle of an order, and a Celery worker killed in the middle of its sweeps.

Both run a real worker with beat (``start_worker`` of tests/milestones/test_worker_sweeps.py) against
Redis and the test database. The web process is pointed at a dead broker for the outage (the machine's
Redis, which other tests use, keeps running).
"""

import signal
import uuid

import pytest
import redis
from django.core import mail
from django.test import Client

from accounts.models import Notification
from config.celery import app as celery_app
from milestones import timers
from milestones.models import State, TimelineEvent
from payments import services as payments
from payments.models import Earning, EarningStatus, LedgerTransaction, TransactionKind
from payments.providers.sandbox import CARD_SUCCEEDS
from tests.milestones.test_worker_sweeps import approved, due_deliveries, start_worker, stop_worker, wait_until
from tests.orders.builders import approve, deliver, fund, make_order, ms
from tests.redis_server import point_broker_at

from .conftest import assert_consistent, assert_no_notification_twice

pytestmark = [pytest.mark.redis, pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
DEAD_BROKER = "redis://127.0.0.1:1/0"  # nothing listens there


@pytest.fixture
def broker(redis_url):
    """This process publishes to Redis on a queue of its own; ``broker.stop()`` / ``broker.start()``."""
    queue = f"faults-{uuid.uuid4().hex[:8]}"
    saved = celery_app.conf.broker_url, celery_app.conf.task_default_queue

    switch = point_broker_at  # forgets the pools (and an earlier failure), as a restart would

    class Broker:
        name = queue

        @staticmethod
        def stop():
            switch(DEAD_BROKER)

        @staticmethod
        def start():
            switch(redis_url)

    celery_app.conf.task_default_queue = queue
    Broker.start()
    yield Broker
    switch(saved[0])
    celery_app.conf.task_default_queue = saved[1]
    redis.Redis.from_url(redis_url).delete(queue)


def stop(worker, sig=signal.SIGTERM):
    stop_worker(worker, sig)


def emailed_all():
    return not Notification.objects.filter(email_wanted=True, emailed_at=None).exists()


def test_redis_stopped_mid_flow_loses_no_event(require_postgres, redis_url, broker, tmp_path, clock):
    worker = start_worker(tmp_path, redis_url, broker.name)
    try:
        order = make_order(10000, 10000)
        fund(ms(order, 1))
        assert wait_until(emailed_all, 60), "the worker never sent the emails while Redis was up"
        sent_by_worker = Notification.objects.count()

        broker.stop()  # Redis goes away for the web process, in the middle of the order
        seller, buyer = Client(), Client()
        seller.force_login(order.seller)
        buyer.force_login(order.buyer)
        first = ms(order, 1)
        response = seller.post(f"/milestones/{first.pk}/deliver", {"message": "Done", "expected_state": "in_progress"})
        assert response.status_code == 302
        response = buyer.post(f"/milestones/{first.pk}/approve", {"expected_state": "delivered"}, follow=True)
        assert response.status_code == 200 and "Approved." in response.content.decode()
        checkout_url = buyer.post(f"/milestones/{ms(order, 2).pk}/fund")["Location"]
        response = buyer.post(checkout_url, {"card_number": CARD_SUCCEEDS, "expiry": "12/34", "cvc": "123"})
        assert response.status_code == 302 and ms(order, 2).state == State.IN_PROGRESS
        dropped = Notification.objects.filter(email_wanted=True, emailed_at=None).count()
        assert dropped >= 3  # their emails could not be queued; nothing else failed

        broker.start()  # Redis is back: the next sweep sends what was dropped, once
        clock.advance(minutes=3)
        results = timers.run_all()
        assert results["notification_emails"] == dropped
        assert len(mail.outbox) == dropped
        assert timers.run_all()["notification_emails"] == 0
        second = ms(order, 2)
        seller.post(f"/milestones/{second.pk}/deliver", {"message": "Done", "expected_state": "in_progress"})
        assert wait_until(emailed_all, 60), "after the outage the worker sends new emails again"
    finally:
        stop(worker)
    assert Notification.objects.count() > sent_by_worker + dropped
    assert_consistent()
    assert_no_notification_twice()


def test_a_worker_killed_mid_sweep_loses_nothing_and_doubles_nothing(require_postgres, redis_url, tmp_path, clock):
    """Auto-approvals, reminders and clearances due at once; the worker is killed while it works through them."""
    clock.advance(days=-16)
    earned = [make_order(10000) for _ in range(10)]
    for order in earned:
        approve(deliver(fund(ms(order, 1))))  # approved 16 days ago: due to clear
    clock.advance(days=16)
    waiting = due_deliveries(clock, 30)  # delivered 4 days ago: due for auto-approval (and a reminder)

    queue = f"faults-{uuid.uuid4().hex[:8]}"
    worker = start_worker(tmp_path, redis_url, queue)
    try:
        assert wait_until(lambda: approved(waiting) >= 3, 60), "the worker never started"
    finally:
        stop(worker, signal.SIGKILL)  # mid-sweep: no chance to finish or clean up
    done_at_kill = approved(waiting)
    worker = start_worker(tmp_path, redis_url, queue)
    try:
        assert wait_until(
            lambda: (
                approved(waiting) == len(waiting)
                and not Earning.objects.filter(
                    status=EarningStatus.PENDING, milestone_id__in=[ms(o, 1).pk for o in earned]
                ).exists()
            ),
            120,
        ), "the restarted worker did not catch up"
    finally:
        stop(worker)
    assert done_at_kill <= len(waiting)
    for order in waiting:
        first = ms(order, 1)
        assert TimelineEvent.objects.filter(milestone=first, action="auto_approve").count() == 1
    for order in earned:
        assert payments.balances_for(order.seller).available_cents == 8000
    clearances = LedgerTransaction.objects.filter(kind=TransactionKind.CLEARANCE).count()
    assert clearances == Earning.objects.filter(status=EarningStatus.CLEARED).count() >= len(earned)
    assert_consistent()
    assert_no_notification_twice()
