"""Outages, as production has them: Redis stopped and Redis frozen while people use the site.

The web process runs with the production cache and broker settings (``settings.REDIS_CACHE``,
``REDIS_BROKER_TRANSPORT_OPTIONS``), pointed at a ``redis-server`` of the test's own (``private_redis``),
which is killed (stopped) or SIGSTOPped (frozen: it accepts connections and never answers) while buyers
and sellers sign up, sign in (and fail to), reset a password, message, send and accept an offer, pay by
card and from their balance, deliver and approve, all through the real views. Then Redis comes back.

Each request must answer without a 500 and within ``SLOW`` seconds; afterwards nothing was lost or done
twice: the ledger and every milestone's history hold, each notification email goes out exactly once
(what the frozen Redis accepted after all, run as a worker would, plus the resend sweep), and each
action created exactly one thing.
"""

import base64
import json
import logging
import re
import time
from collections import Counter

import pytest
from django.conf import settings
from django.core import mail
from django.core.cache import cache
from django.core.management import call_command
from django.db import DatabaseError
from django.test import Client

from accounts.models import Notification, User
from config.celery import app as celery_app
from marketplace import services as marketplace
from marketplace.models import Message
from milestones import services as milestone_services
from milestones.models import Order, OrderStatus, State
from orders import services as order_services
from orders.models import Offer
from orders.services import PlanItem
from payments import services as payments
from payments.models import Checkout
from payments.providers.sandbox import CARD_SUCCEEDS
from tests.factories import PASSWORD, UserFactory
from tests.orders.builders import fund, ms

from .conftest import assert_consistent, assert_no_notification_twice

pytestmark = [pytest.mark.redis, pytest.mark.django_db(transaction=True)]

SLOW = 5.0  # seconds: a request that takes longer "hangs" (gunicorn's own limit is 30 s)
HEALTH_SLOW = 1.0  # the load balancer's health check must answer within this
RETRY_AFTER = 1.0  # production_redis sets REDIS_RETRY_AFTER to 1 s (5 in production)


class Person:
    """A browser: every request it makes is timed, and none may fail with a 500 or hang."""

    def __init__(self, user=None):
        self.client = Client()
        self.user = user
        self.slowest = 0.0
        if user is not None:
            self.client.force_login(user)

    def _timed(self, method, path, data=None, **extra):
        started = time.monotonic()
        response = getattr(self.client, method)(path, data or {}, **extra)
        took = time.monotonic() - started
        self.slowest = max(self.slowest, took)
        assert response.status_code != 500, f"{method.upper()} {path}: 500"  # (the strict health check answers 503)
        assert took < SLOW, f"{method.upper()} {path} took {took:.1f} s"
        return response

    def get(self, path, **extra):
        return self._timed("get", path, **extra)

    def post(self, path, data=None, **extra):
        return self._timed("post", path, data, **extra)

    def form(self, path, data):
        """GET the form, then POST it with its hidden fields (so a one-time form key, if any, is sent back)."""
        page = self.get(path).content.decode()
        hidden = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', page))
        hidden.pop("csrfmiddlewaretoken", None)
        return self.post(path, {**hidden, **data})


def plan_post(*rows):
    data = {"plan-TOTAL_FORMS": str(len(rows)), "plan-INITIAL_FORMS": "0", "note": "", "plan-MIN_NUM_FORMS": "0"}
    for i, (title, amount) in enumerate(rows):
        data.update(
            {
                f"plan-{i}-title": title,
                f"plan-{i}-description": "Deliverables",
                f"plan-{i}-amount": amount,
                f"plan-{i}-delivery_days": "3",
                f"plan-{i}-due_date": "",
                f"plan-{i}-revisions_allowed": "1",
            }
        )
    return data


def messages_of(response):
    return [str(m) for m in response.context["messages"]] if response.context else []


def run_what_redis_accepted(server):
    """Run every task the (thawed or restarted) Redis holds, as a worker would."""
    client = server.client()
    ran = 0
    for key in client.scan_iter():
        if client.type(key) != b"list":
            continue
        while raw := client.lpop(key):
            message = json.loads(raw)
            args, kwargs, _embed = json.loads(base64.b64decode(message["body"]))
            celery_app.tasks[message["headers"]["task"]](*args, **kwargs)
            ran += 1
    return ran


def emails_by_notification():
    """How many emails each wanted notification got (mail.outbox matched by recipient, text and link)."""
    sent = Counter((m.to[0], m.body) for m in mail.outbox)
    return {
        n.pk: sent[(n.user.email, f"{n.text}\n\n{settings.SITE_URL}{n.url}\n")]
        for n in Notification.objects.filter(email_wanted=True).select_related("user")
    }


def make_titled_order(buyer, seller, *milestones):
    """An order of (title, cents) milestones (titles of their own: each notice's text is unique)."""
    conversation = marketplace.conversation_start(buyer=buyer, seller=seller)
    items = [PlanItem(title, f"Deliverables of {title}", cents, 3, 1) for title, cents in milestones]
    offer = order_services.offer_create(conversation=conversation, author=seller, items=items)
    return order_services.offer_accept(offer_id=offer.pk, actor=buyer)


def give_balance(buyer, seller, cents):
    """The buyer's balance holds ``cents``: a milestone paid ahead by card, then cancelled by the seller."""
    order = make_titled_order(buyer, seller, ("Kickoff", 10000), ("Paid ahead", cents))
    fund(ms(order, 1))
    paid_ahead = fund(ms(order, 2))
    milestone_services.milestone_cancel(milestone_id=paid_ahead.pk, actor=seller)
    assert payments.balances_for(buyer).buyer_balance_cents == cents


@pytest.mark.parametrize("outage", ["stopped", "frozen"])
def test_people_sign_in_trade_pay_and_approve_through_a_redis_outage(production_redis, outage, clock, caplog):
    caplog.set_level(logging.INFO)
    seller, buyer = UserFactory(), UserFactory()
    give_balance(buyer, seller, 30000)
    conversation = marketplace.conversation_start(buyer=buyer, seller=seller)
    order = make_titled_order(buyer, seller, ("Logo", 10000), ("Website", 10000))
    before = {"users": User.objects.count(), "orders": Order.objects.count(), "offers": Offer.objects.count()}
    cache.set("warm", 1)  # pooled connections to the cache (and, from the setup, the broker), as a running node has

    # --- Redis goes away -------------------------------------------------
    production_redis.stop() if outage == "stopped" else production_redis.freeze()
    newcomer, anonymous, health = Person(), Person(), Person()

    response = newcomer.post(
        "/accounts/signup/",
        {"email": "newcomer@example.com", "password1": "a-Strong-pass-4821", "password2": "a-Strong-pass-4821"},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    for attempt in range(12):  # more than the limits allow: they fail open while the cache is away
        response = anonymous.post("/accounts/login/", {"login": seller.email, "password": f"wrong-{attempt}"})
        assert response.status_code == 200
        assert "Too many failed login attempts" not in response.content.decode()
    time.sleep(RETRY_AFTER)  # Redis is tried again (and fails again) in the middle of the outage
    sellers = Person()
    assert sellers.post("/accounts/login/", {"login": seller.email, "password": PASSWORD}).status_code == 302
    assert sellers.get("/dashboard/").status_code == 200
    response = anonymous.post("/accounts/password/reset/", {"email": buyer.email})
    assert response.status_code == 302
    assert any("password" in m.subject.lower() and buyer.email in m.to for m in mail.outbox)

    response = sellers.form(conversation.get_absolute_url(), {"body": "Here is my plan."})
    assert response.status_code == 302
    response = sellers.form(f"/conversations/{conversation.pk}/offer", plan_post(("Design", "100"), ("Build", "150")))
    assert response.status_code == 302
    offer = Offer.objects.filter(conversation=conversation).latest("pk")

    buyers = Person(buyer)
    response = buyers.post(f"/offers/{offer.pk}/accept")
    assert response.status_code == 302
    new_order = Order.objects.get(offer=offer)
    # Pay the new order's first milestone from the balance and the older order's by card.
    checkout_url = buyers.post(f"/milestones/{ms(new_order, 1).pk}/fund")["Location"]
    assert buyers.post(checkout_url, {"pay_with": "balance"}).status_code == 302
    checkout_url = buyers.post(f"/milestones/{ms(order, 1).pk}/fund")["Location"]
    response = buyers.post(checkout_url, {"card_number": CARD_SUCCEEDS, "expiry": "12/34", "cvc": "123"})
    assert response.status_code == 302
    assert ms(new_order, 1).state == ms(order, 1).state == State.IN_PROGRESS

    time.sleep(RETRY_AFTER)
    first = ms(order, 1)
    response = sellers.post(f"/milestones/{first.pk}/deliver", {"message": "Done", "expected_state": "in_progress"})
    assert response.status_code == 302 and ms(order, 1).state == State.DELIVERED
    response = buyers.post(f"/milestones/{first.pk}/approve", {"expected_state": "delivered"}, follow=True)
    assert "Approved." in response.content.decode()
    assert ms(order, 1).state == State.APPROVED
    assert buyers.get(order.get_absolute_url()).status_code == 200

    # The load balancer's check keeps this node in rotation; the strict one (for alerts) says what is down.
    started = time.monotonic()
    response = health.get("/healthz")
    assert time.monotonic() - started < HEALTH_SLOW
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "degraded"
    assert body["checks"] == {"database": "ok", "broker": "down", "cache": "down"}
    started = time.monotonic()
    response = health.get("/healthz?strict=1")
    assert time.monotonic() - started < HEALTH_SLOW
    assert response.status_code == 503
    assert set(response.json()["failures"]) == {"broker", "cache"}

    # The log says what happened, once per outage, not once per request.
    warnings = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING and r.name == "config.outages"]
    assert len([w for w in warnings if w.startswith("Redis cache unreachable")]) == 1, warnings
    assert len([w for w in warnings if w.startswith("Celery broker unreachable")]) == 1, warnings
    assert "rate limits are not enforced" in " ".join(warnings)
    dropped = Notification.objects.filter(email_wanted=True, emailed_at=None).count()
    assert dropped >= 5  # the offer, its acceptance, two payments, the delivery and the approval

    # --- Redis comes back ------------------------------------------------
    production_redis.thaw() if outage == "frozen" else production_redis.start()
    time.sleep(RETRY_AFTER + 0.2)
    assert health.get("/healthz?strict=1").json() == {
        "status": "ok",
        "checks": {"database": "ok", "broker": "ok", "cache": "ok"},
    }
    # The limits hold again: 5 failed logins for one address block the next try.
    for attempt in range(6):
        response = anonymous.post("/accounts/login/", {"login": buyer.email, "password": f"wrong-{attempt}"})
    assert "Too many failed login attempts" in response.content.decode()
    # New work is queued again, and whatever the frozen Redis took in after all runs as a worker would.
    second = ms(order, 2)
    checkout_url = buyers.post(f"/milestones/{second.pk}/fund")["Location"]
    buyers.post(checkout_url, {"card_number": CARD_SUCCEEDS, "expiry": "12/34", "cvc": "123"})
    assert run_what_redis_accepted(production_redis) >= 1
    clock.advance(minutes=3)
    call_command("run_timers")  # the resend sweep sends the rest
    assert not Notification.objects.filter(email_wanted=True, emailed_at=None).exists()
    assert set(emails_by_notification().values()) == {1}, emails_by_notification()
    assert len([m for m in caplog.records if m.getMessage().startswith("Redis cache answers again")]) == 1
    assert len([m for m in caplog.records if m.getMessage().startswith("Celery broker answers again")]) == 1

    # Nothing done twice, nothing lost.
    assert User.objects.count() == before["users"] + 1
    assert Offer.objects.count() == before["offers"] + 1
    assert Order.objects.count() == before["orders"] + 1
    assert Message.objects.filter(conversation=conversation, body="Here is my plan.").count() == 1
    paid_from_balance = Checkout.objects.get(paid_with="balance", reference_id=ms(new_order, 1).pk)
    assert payments.balances_for(buyer).buyer_balance_cents == 30000 - paid_from_balance.total_cents
    assert_consistent()
    assert_no_notification_twice()
    assert max(p.slowest for p in (newcomer, anonymous, sellers, buyers, health)) < SLOW


def test_an_action_that_committed_never_answers_500_for_what_runs_after_the_commit(monkeypatch, caplog):
    """Approving the last milestone completes the order; the seller's stats, refreshed after the commit, fail."""
    seller, buyer = UserFactory(), UserFactory()
    order = make_titled_order(buyer, seller, ("Only", 10000))
    milestone_services.milestone_deliver(milestone_id=fund(ms(order, 1)).pk, actor=seller, message="Done")

    def broken(*, seller):
        raise DatabaseError("the stats table is locked")

    monkeypatch.setattr(order_services, "seller_stats_refresh", broken)
    response = Person(buyer).post(f"/milestones/{ms(order, 1).pk}/approve", {"expected_state": "delivered"})
    assert response.status_code == 302
    assert ms(order, 1).state == State.APPROVED
    assert Order.objects.get(pk=order.pk).status == OrderStatus.COMPLETED
    assert "the stats table is locked" in caplog.text  # logged by Django's robust on_commit
    assert_consistent()
