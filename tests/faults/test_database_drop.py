"""The database connection drops in the middle of an approval: no half-written money, and a retry works."""

import psycopg
import pytest
from django.db import OperationalError, connection
from django.test import Client

from accounts.models import Notification
from milestones import services
from milestones.models import State, TimelineEvent
from payments import services as payments
from payments.models import Earning, LedgerTransaction, TransactionKind
from tests.orders.builders import deliver, fund, make_order, ms

from .conftest import assert_consistent


def snapshot(order):
    first = ms(order, 1)
    return {
        "state": first.state,
        "escrow": payments.escrow_balance_cents(milestone_id=first.pk),
        "releases": LedgerTransaction.objects.filter(kind=TransactionKind.RELEASE).count(),
        "earnings": Earning.objects.count(),
        "pending": payments.balances_for(order.seller).pending_cents,
        "approvals": TimelineEvent.objects.filter(milestone=first, action="approve").count(),
        "notifications": Notification.objects.count(),
        "next": ms(order, 2).state,
    }


def release_then(fail):
    """``escrow_release`` that does its work (entries, balances, earning) and then hits ``fail``."""
    real = payments.escrow_release

    def release(**kwargs):
        posted = real(**kwargs)
        fail()
        return posted

    return release


@pytest.mark.django_db
def test_a_failure_after_the_release_rolls_the_whole_approval_back(monkeypatch):
    order = make_order(10000, 20000)
    first = deliver(fund(ms(order, 1)))
    fund(ms(order, 2))
    before = snapshot(order)

    def drop():
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(payments, "escrow_release", release_then(drop))
    with pytest.raises(OperationalError):
        services.milestone_approve(milestone_id=first.pk, actor=order.buyer)
    assert snapshot(order) == before  # transition, release, earning, timeline, next milestone: all undone
    assert_consistent()

    monkeypatch.undo()
    services.milestone_approve(milestone_id=first.pk, actor=order.buyer)  # the buyer clicks again
    assert ms(order, 1).state == State.APPROVED and ms(order, 2).state == State.IN_PROGRESS
    assert payments.balances_for(order.seller).pending_cents == 8000
    assert_consistent()


def terminate_this_connection():
    """Kill this process's PostgreSQL backend from another connection, as a network cut or a restart would."""
    pid = connection.connection.info.backend_pid
    settings = connection.settings_dict
    dsn = f"host={settings['HOST'] or '127.0.0.1'} port={settings['PORT'] or 5432} user={settings['USER']} " + (
        f"dbname={settings['NAME']}"
    )
    with psycopg.connect(dsn, password=settings.get("PASSWORD") or None, autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", [pid])


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_real_connection_cut_during_an_approval_writes_no_money(require_postgres, monkeypatch):
    order = make_order(10000, 20000)
    first = deliver(fund(ms(order, 1)))
    fund(ms(order, 2))
    before = snapshot(order)

    monkeypatch.setattr(payments, "escrow_release", release_then(terminate_this_connection))
    with pytest.raises((OperationalError, psycopg.OperationalError)):
        services.milestone_approve(milestone_id=first.pk, actor=order.buyer)
    connection.close()  # the next query opens a fresh connection, as the next request would
    assert snapshot(order) == before
    assert_consistent()

    monkeypatch.undo()
    services.milestone_approve(milestone_id=first.pk, actor=order.buyer)
    assert ms(order, 1).state == State.APPROVED
    assert LedgerTransaction.objects.filter(kind=TransactionKind.RELEASE).count() == 1
    assert_consistent()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_connection_cut_during_the_approve_request_shows_an_error_and_changes_nothing(require_postgres, monkeypatch):
    order = make_order(10000)
    first = deliver(fund(ms(order, 1)))
    before = (ms(order, 1).state, LedgerTransaction.objects.count(), Earning.objects.count())
    monkeypatch.setattr(payments, "escrow_release", release_then(terminate_this_connection))
    client = Client(raise_request_exception=False)
    client.force_login(order.buyer)
    response = client.post(f"/milestones/{first.pk}/approve", {"expected_state": "delivered"})
    assert response.status_code == 500
    connection.close()
    assert (ms(order, 1).state, LedgerTransaction.objects.count(), Earning.objects.count()) == before
    monkeypatch.undo()
    client.force_login(order.buyer)
    response = client.post(f"/milestones/{first.pk}/approve", {"expected_state": "delivered"})
    assert response.status_code == 302
    assert ms(order, 1).state == State.APPROVED
    assert Earning.objects.count() == 1
    assert_consistent()
