"""Timers move with the clock: each fires exactly at its moment, once."""

from datetime import timedelta

import pytest
from django.core.management import call_command

from accounts.models import Notification
from milestones import services, timers
from milestones.models import State, TimerMark
from orders import timers as order_timers
from orders.models import OfferStatus
from payments import services as payments
from tests.orders.builders import deliver, fund, make_offer, make_order, ms

pytestmark = pytest.mark.django_db


def notes(user, text):
    return Notification.objects.filter(user=user, text__contains=text).count()


def test_an_unreviewed_delivery_is_auto_approved_exactly_at_the_end_of_the_window(clock):
    order = make_order(10000)
    first = deliver(fund(ms(order, 1)))
    clock.advance(days=3, seconds=-1)
    assert timers.sweep_auto_approve() == 0
    assert ms(order, 1).state == State.DELIVERED
    clock.advance(seconds=1)
    assert timers.sweep_auto_approve() == 1
    assert ms(order, 1).state == State.APPROVED
    assert timers.sweep_auto_approve() == 0  # twice: nothing more
    assert payments.balances_for(order.seller).pending_cents == 8000
    assert payments.escrow_balance_cents(milestone_id=first.pk) == 0


def test_a_revision_request_pauses_the_window_and_a_dispute_freezes_it(clock):
    order = make_order(10000, 10000, revisions=2)
    first = deliver(fund(ms(order, 1)))
    services.milestone_request_revision(milestone_id=first.pk, actor=order.buyer, feedback="more")
    clock.advance(days=10)
    assert timers.sweep_auto_approve() == 0
    assert ms(order, 1).state == State.REVISION_REQUESTED
    first = deliver(ms(order, 1))
    assert first.auto_approve_at == first.delivered_at + timedelta(days=3)
    # an open dispute freezes it: the transition clears the timer
    from django.db import transaction

    with transaction.atomic():
        locked = services.lock_milestone(first.pk)
        services.run_transition(locked, "open_dispute", order.buyer)
    clock.advance(days=30)
    assert timers.sweep_auto_approve() == 0
    assert ms(order, 1).state == State.DISPUTED


def test_review_reminders_once_each_one_day_after_delivery_and_one_day_before_auto_approval(clock):
    order = make_order(10000)
    deliver(fund(ms(order, 1)))
    assert timers.sweep_review_reminders() == 0
    clock.advance(days=1)
    assert timers.sweep_review_reminders() == 1
    assert timers.sweep_review_reminders() == 0
    assert notes(order.buyer, "was delivered a day ago") == 1
    clock.advance(days=1)
    assert timers.sweep_review_reminders() == 1
    assert notes(order.buyer, "will be approved automatically") == 1
    clock.advance(hours=12)
    assert timers.sweep_review_reminders() == 0


def test_a_new_delivery_is_a_new_reminder_moment(clock):
    order = make_order(10000, revisions=1)
    first = deliver(fund(ms(order, 1)))
    clock.advance(days=1)
    timers.sweep_review_reminders()
    services.milestone_request_revision(milestone_id=first.pk, actor=order.buyer, feedback="again")
    deliver(ms(order, 1))
    clock.advance(days=1)
    assert timers.sweep_review_reminders() == 1
    assert notes(order.buyer, "was delivered a day ago") == 2


def test_due_soon_late_and_cancel_open_notices(clock):
    order = make_order(10000, days=3)
    fund(ms(order, 1))
    clock.advance(days=2, minutes=1)
    assert timers.sweep_deadlines() == 1
    assert notes(order.seller, "” is due") == 1
    clock.advance(days=1)
    assert timers.sweep_deadlines() == 1  # late
    assert notes(order.buyer, "is late") == 1 and notes(order.seller, "is late") == 1
    clock.advance(days=1)
    assert timers.sweep_deadlines() == 1  # buyer may cancel now
    assert notes(order.buyer, "you can now cancel") == 1
    assert timers.sweep_deadlines() == 0


def test_an_accepted_extension_moves_the_due_reminders(clock):
    order = make_order(10000, days=3)
    first = fund(ms(order, 1))
    clock.advance(days=2, minutes=1)
    timers.sweep_deadlines()
    ext = services.extension_request(milestone_id=first.pk, actor=order.seller, days=2, reason="feedback came late")
    services.extension_decide(extension_id=ext.pk, actor=order.buyer, accept=True)
    clock.advance(days=1)
    assert timers.sweep_deadlines() == 0  # not late: the due date moved
    clock.advance(days=1)
    assert timers.sweep_deadlines() == 1  # due soon for the new date


def test_funding_reminder_two_days_after_the_next_milestone_became_due(clock):
    order = make_order(10000, 20000)
    first = deliver(fund(ms(order, 1)))
    services.milestone_approve(milestone_id=first.pk, actor=order.buyer)
    clock.advance(days=2, seconds=-1)
    assert timers.sweep_funding_reminders() == 0
    clock.advance(seconds=1)
    assert timers.sweep_funding_reminders() == 1
    assert timers.sweep_funding_reminders() == 0
    assert notes(order.buyer, "The seller is waiting") == 1


def test_offer_expiry_sweep(clock):
    offer = make_offer(10000)
    clock.advance(days=7)
    assert order_timers.sweep_offer_expiry() == 1
    offer.refresh_from_db()
    assert offer.status == OfferStatus.EXPIRED


def test_clearance_after_14_days_not_a_second_earlier(clock):
    order = make_order(10000)
    first = deliver(fund(ms(order, 1)))
    services.milestone_approve(milestone_id=first.pk, actor=order.buyer)
    clock.advance(days=14, seconds=-1)
    timers.run_all()
    assert payments.balances_for(order.seller).available_cents == 0
    clock.advance(seconds=1)
    timers.run_all()
    balances = payments.balances_for(order.seller)
    assert (balances.pending_cents, balances.available_cents) == (0, 8000)


def test_clearance_after_7_days_for_top_rated_sellers(clock):
    from marketplace.models import SellerLevel, SellerStats

    order = make_order(10000)
    SellerStats.objects.update_or_create(seller=order.seller, defaults={"level": SellerLevel.TOP_RATED})
    first = deliver(fund(ms(order, 1)))
    services.milestone_approve(milestone_id=first.pk, actor=order.buyer)
    clock.advance(days=7, seconds=-1)
    timers.run_all()
    assert payments.balances_for(order.seller).available_cents == 0
    clock.advance(seconds=1)
    timers.run_all()
    assert payments.balances_for(order.seller).available_cents == 8000


def test_a_day_of_downtime_is_caught_up_in_order(clock):
    """Nothing ran for a day: the next sweep does everything that fell due."""
    orders = [make_order(10000) for _ in range(3)]
    for order in orders:
        deliver(fund(ms(order, 1)))
        clock.advance(hours=1)
    clock.advance(days=4)
    results = timers.run_all()
    assert results["auto_approve"] == 3
    approved = [ms(o, 1).approved_at for o in orders]
    assert approved == sorted(approved)


def test_run_timers_command_runs_every_sweep(clock):
    order = make_order(10000)
    deliver(fund(ms(order, 1)))
    clock.advance(days=1)
    call_command("run_timers")
    assert TimerMark.objects.filter(kind="review_after_delivery").count() == 1
    clock.advance(days=2)
    call_command("run_timers")
    assert ms(order, 1).state == State.APPROVED


def test_next_event_shows_what_the_timers_will_do(clock):
    order = make_order(10000)
    first = deliver(fund(ms(order, 1)))
    label, when = timers.next_event(first)
    assert label == "review reminder" and when == first.delivered_at + timedelta(days=1)
    clock.advance(days=2, hours=1)
    label, when = timers.next_event(ms(order, 1))
    assert label == "auto-approval" and when == first.auto_approve_at


def test_staff_see_the_next_scheduled_event_on_the_order_page_and_in_admin(client, clock):
    from django.urls import reverse

    from tests.factories import UserFactory

    order = make_order(10000)
    first = deliver(fund(ms(order, 1)))
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    body = client.get(reverse("orders:detail", args=[order.pk])).content.decode()
    assert "Next scheduled: review reminder" in body
    admin_list = client.get(reverse("admin:milestones_milestone_changelist")).content.decode()
    assert f"review reminder: {first.delivered_at + timedelta(days=1):%Y-%m-%d %H:%M}" in admin_list
    client.force_login(order.buyer)
    assert "Next scheduled" not in client.get(reverse("orders:detail", args=[order.pk])).content.decode()
