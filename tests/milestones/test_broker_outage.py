"""With the broker down, people still fund, deliver and approve; the sweep catches up later."""

import pytest
from django.core import mail
from django.urls import reverse

from accounts.models import Notification
from config.celery import app as celery_app
from milestones import timers
from milestones.models import State
from payments.providers.sandbox import CARD_SUCCEEDS
from tests.orders.builders import make_order, ms

pytestmark = pytest.mark.django_db


@pytest.fixture
def dead_broker():
    old = celery_app.conf.broker_url
    celery_app.conf.broker_url = "redis://127.0.0.1:1/0"  # nothing listens there
    celery_app._pool = None
    yield
    celery_app.conf.broker_url = old
    celery_app._pool = None


def test_the_web_keeps_working_while_the_broker_is_down(client, dead_broker, clock, django_capture_on_commit_callbacks):
    order = make_order(10000)
    first = ms(order, 1)
    with django_capture_on_commit_callbacks(execute=True):
        client.force_login(order.buyer)
        response = client.post(reverse("orders:milestone_action", args=[first.pk, "fund"]))
        checkout_url = response["Location"]
        response = client.post(checkout_url, {"card_number": CARD_SUCCEEDS, "expiry": "12/34", "cvc": "123"})
        assert response.status_code == 302
        assert ms(order, 1).state == State.IN_PROGRESS

        client.force_login(order.seller)
        response = client.post(
            reverse("orders:milestone_action", args=[first.pk, "deliver"]),
            {"message": "All done", "expected_state": "in_progress"},
        )
        assert ms(order, 1).state == State.DELIVERED

        client.force_login(order.buyer)
        response = client.post(
            reverse("orders:milestone_action", args=[first.pk, "approve"]), {"expected_state": "delivered"}, follow=True
        )
        assert response.status_code == 200
        assert "Approved." in response.content.decode()
    assert ms(order, 1).state == State.APPROVED
    # The emails could not be queued: nothing went out, nothing was lost.
    unsent = Notification.objects.filter(email_wanted=True, emailed_at=None)
    assert unsent.count() >= 3
    assert not mail.outbox


def test_once_the_broker_is_back_the_sweep_sends_what_was_dropped(
    clock, dead_broker, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        order = make_order(10000)
    wanted = Notification.objects.filter(email_wanted=True).count()
    assert wanted and not mail.outbox
    clock.advance(minutes=3)
    results = timers.run_all()
    assert results["notification_emails"] == wanted
    assert len(mail.outbox) == wanted
    assert any(order.buyer.email in m.to for m in mail.outbox)
    assert timers.run_all()["notification_emails"] == 0  # never twice
