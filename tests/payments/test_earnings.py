"""Clearance: pending earnings become available when due, in batches, once."""

from datetime import timedelta

import pytest

from payments import services, tasks
from payments.integrity import ledger_breaches
from payments.models import Earning, EarningStatus
from payments.selectors import balances_for

from .conftest import fund_milestone, pay_tip

pytestmark = pytest.mark.django_db


@pytest.fixture
def released(buyer, seller, milestone_purpose):
    fund_milestone(buyer, 41, 10000)
    services.escrow_release(milestone_id=41, seller=seller)
    return 41


def test_nothing_clears_before_the_clearance_date(released, seller, clock):
    clock.advance(days=13, hours=23)
    assert services.earnings_clear() == 0
    assert balances_for(seller).pending_cents == 8000


def test_earnings_clear_after_fourteen_days(released, seller, clock):
    clock.advance(days=14, minutes=1)
    assert services.earnings_clear() == 1
    balances = balances_for(seller)
    assert (balances.pending_cents, balances.available_cents) == (0, 8000)
    assert Earning.objects.get().status == EarningStatus.CLEARED
    assert ledger_breaches() == []


def test_running_the_sweep_twice_changes_nothing(released, seller, clock):
    clock.advance(days=15)
    assert services.earnings_clear() == 1
    assert services.earnings_clear() == 0
    assert balances_for(seller).available_cents == 8000


def test_held_earnings_do_not_clear_until_the_hold_is_lifted(released, seller, clock):
    assert services.earnings_hold(milestone_id=released, hold=True) == 1
    clock.advance(days=30)
    assert services.earnings_clear() == 0
    assert balances_for(seller).pending_cents == 8000
    assert services.earnings_hold(milestone_id=released, hold=False) == 1
    assert services.earnings_clear() == 1
    assert balances_for(seller).available_cents == 8000


def test_the_sweep_works_in_bounded_batches(buyer, seller, clock):
    for _ in range(7):
        pay_tip(buyer, seller, 1000)
        # each tip is a new checkout: the previous one is paid, so not reused
    clock.advance(days=15)
    assert services.earnings_clear(batch_size=3) == 7
    assert balances_for(seller).available_cents == 7 * 800
    assert ledger_breaches() == []


def test_the_celery_task_runs_the_sweep(released, seller, clock):
    clock.advance(days=15)
    assert tasks.run_sweeps.apply().get()["clearance"] == 1
    assert balances_for(seller).available_cents == 8000


def test_the_sweep_is_on_the_beat_schedule(settings, released, seller, clock):
    # one beat entry runs every timer sweep, clearance included
    entry = settings.CELERY_BEAT_SCHEDULE["timers-sweep"]
    assert entry["task"] == "milestones.tasks.run_sweeps"
    assert entry["schedule"] <= timedelta(minutes=15)
    from milestones import timers

    clock.advance(days=15)
    assert timers.run_all()["clearance"] == 1
    assert balances_for(seller).available_cents == 8000
