"""Concurrent approvals and approve-vs-dispute races, through the web and the sweeps (PostgreSQL).

(The service-level races live beside their services: tests/milestones/test_concurrency.py and
tests/orders/test_disputes_concurrency.py; these add the HTTP layer, the timers and shared accounts.)
"""

import threading

import pytest
from django.db import connections
from django.test import Client

from milestones import services, timers
from milestones.models import State, TimelineEvent
from orders.models import Dispute
from payments import services as payments
from tests.concurrency import race
from tests.factories import UserFactory
from tests.orders.builders import deliver, fund, make_order, ms

from .conftest import assert_consistent, assert_no_notification_twice

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def posts_at_once(*requests):
    """Each request is (user, path, data); they are sent by separate browsers at the same moment."""
    barrier = threading.Barrier(len(requests))
    statuses = [None] * len(requests)

    def run(i, user, path, data):
        client = Client(raise_request_exception=False)
        client.force_login(user)
        barrier.wait()
        try:
            statuses[i] = client.post(path, data).status_code
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, *r)) for i, r in enumerate(requests)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    return statuses


def test_two_browsers_approving_at_once_release_once(require_postgres):
    order = make_order(10000, 10000)
    first = deliver(fund(ms(order, 1)))
    fund(ms(order, 2))
    approve = (order.buyer, f"/milestones/{first.pk}/approve", {"expected_state": "delivered"})
    # one approves; the other gets the page back (400) saying it changed
    assert sorted(posts_at_once(approve, approve)) == [302, 400]
    assert ms(order, 1).state == State.APPROVED and ms(order, 2).state == State.IN_PROGRESS
    assert TimelineEvent.objects.filter(milestone=first, action="approve").count() == 1
    assert payments.balances_for(order.seller).pending_cents == 8000
    assert_consistent()
    assert_no_notification_twice()


def test_approve_racing_a_dispute_from_the_web_ends_in_one_state(require_postgres):
    order = make_order(10000)
    first = deliver(fund(ms(order, 1)))
    statuses = posts_at_once(
        (order.buyer, f"/milestones/{first.pk}/approve", {"expected_state": "delivered"}),
        (
            order.seller,
            f"/milestones/{first.pk}/dispute/open",
            {"reason": "no_response", "description": "No answer.", "expected_state": "delivered"},
        ),
    )
    assert sorted(statuses) == [302, 400]  # one wins; the other is refused in place
    final = ms(order, 1)
    if final.state == State.APPROVED:
        assert not Dispute.objects.exists()
        assert payments.balances_for(order.seller).pending_cents == 8000
    else:
        assert final.state == State.DISPUTED and Dispute.objects.count() == 1
        assert payments.escrow_balance_cents(milestone_id=first.pk) == 10000
    assert_consistent()


def test_the_buyer_approving_as_the_window_closes_races_the_sweep(require_postgres, clock):
    order = make_order(10000)
    first = deliver(fund(ms(order, 1)))
    clock.advance(days=3, seconds=1)  # the review window just ended
    results = race(
        lambda: services.milestone_approve(milestone_id=first.pk, actor=order.buyer, expected_state="delivered"),
        lambda: timers.sweep_auto_approve(),
    )
    assert ms(order, 1).state == State.APPROVED
    assert TimelineEvent.objects.filter(milestone=first, action__in=["approve", "auto_approve"]).count() == 1
    assert results[1] == "ok"
    assert_consistent()


def test_many_approvals_for_one_seller_at_once_neither_deadlock_nor_lose_money(require_postgres):
    """Every approval locks the seller's pending account and the platform's revenue account."""
    seller = UserFactory()
    orders = [make_order(10000, seller=seller) for _ in range(6)]
    milestones = [deliver(fund(ms(order, 1))) for order in orders]
    results = race(
        *[
            (lambda m=m, o=o: services.milestone_approve(milestone_id=m.pk, actor=o.buyer))
            for m, o in zip(milestones, orders, strict=True)
        ]
    )
    assert results == ["ok"] * 6
    assert payments.balances_for(seller).pending_cents == 6 * 8000
    assert_consistent()
