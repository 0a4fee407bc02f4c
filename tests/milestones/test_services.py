"""Each path of the lifecycle in shared/DOMAIN.md, walked through the services."""

from datetime import timedelta

import pytest
from django.core import mail

from accounts.models import Notification
from milestones import services
from milestones.exceptions import OrderError, StaleAction
from milestones.models import OrderStatus, State
from payments import services as payments
from tests.orders.builders import approve, deliver, fund, make_order, ms

pytestmark = pytest.mark.django_db


def pending_cents(user):
    return payments.balances_for(user).pending_cents


def test_funding_the_first_milestone_starts_it_with_a_due_date(clock):
    order = make_order(10000, 20000, days=5)
    first = fund(ms(order, 1))
    assert first.state == State.IN_PROGRESS
    assert first.due_at == first.started_at + timedelta(days=5)
    assert payments.escrow_balance_cents(milestone_id=first.pk) == 10000


def test_a_seller_cannot_deliver_an_unfunded_milestone():
    order = make_order(10000)
    with pytest.raises(StaleAction, match="Awaiting funding"):
        services.milestone_deliver(milestone_id=ms(order, 1).pk, actor=order.seller, message="work")
    assert ms(order, 1).state == State.AWAITING_FUNDING
    assert not ms(order, 1).deliveries.exists()


def test_a_buyer_cannot_approve_before_delivery():
    order = make_order(10000)
    first = fund(ms(order, 1))
    with pytest.raises(StaleAction):
        services.milestone_approve(milestone_id=first.pk, actor=order.buyer)
    assert payments.escrow_balance_cents(milestone_id=first.pk) == 10000


def test_only_the_buyer_approves_and_only_the_seller_delivers():
    order = make_order(10000)
    first = fund(ms(order, 1))
    with pytest.raises(OrderError):
        services.milestone_deliver(milestone_id=first.pk, actor=order.buyer, message="x")
    first = deliver(first)
    with pytest.raises(OrderError):
        services.milestone_approve(milestone_id=first.pk, actor=order.seller)
    assert ms(order, 1).state == State.DELIVERED


def test_approval_releases_the_right_amounts_and_starts_the_next_funded_milestone(clock):
    order = make_order(10000, 20000)
    first = fund(ms(order, 1))
    second = fund(ms(order, 2))  # funded in advance: waits in escrow
    assert second.state == State.FUNDED
    first = deliver(first)
    assert first.auto_approve_at == first.delivered_at + timedelta(days=3)
    first = approve(first)
    assert first.state == State.APPROVED
    assert payments.escrow_balance_cents(milestone_id=first.pk) == 0
    assert pending_cents(order.seller) == 8000  # 100.00 - 20% commission
    assert ms(order, 2).state == State.IN_PROGRESS


def test_approval_asks_the_buyer_to_fund_the_next_when_it_is_not_funded():
    order = make_order(10000, 20000)
    first = deliver(fund(ms(order, 1)))
    approve(first)
    second = ms(order, 2)
    assert second.state == State.AWAITING_FUNDING
    assert second.funding_due_at is not None
    assert Notification.objects.filter(user=order.buyer, text__contains="Fund the next milestone").exists()
    second = fund(second)
    assert second.state == State.IN_PROGRESS  # starts the moment it is funded


def test_a_buyer_cannot_approve_twice_and_money_moves_once():
    order = make_order(10000)
    first = deliver(fund(ms(order, 1)))
    approve(first)
    with pytest.raises(StaleAction):
        services.milestone_approve(milestone_id=first.pk, actor=order.buyer)
    assert pending_cents(order.seller) == 8000


def test_a_stale_form_changes_nothing():
    order = make_order(10000)
    first = deliver(fund(ms(order, 1)))
    with pytest.raises(StaleAction, match="changed while you were looking"):
        services.milestone_approve(milestone_id=first.pk, actor=order.buyer, expected_state=State.IN_PROGRESS)
    assert ms(order, 1).state == State.DELIVERED
    assert pending_cents(order.seller) == 0


def test_revision_pauses_the_review_window_and_a_new_delivery_restarts_it(clock):
    order = make_order(10000, revisions=1)
    first = deliver(fund(ms(order, 1)))
    services.milestone_request_revision(milestone_id=first.pk, actor=order.buyer, feedback="Bigger logo")
    first = ms(order, 1)
    assert first.state == State.REVISION_REQUESTED and first.auto_approve_at is None
    clock.advance(days=2)
    first = deliver(first, "Bigger logo done")
    assert first.auto_approve_at == first.delivered_at + timedelta(days=3)
    assert first.delivered_at >= clock.now() - timedelta(seconds=5)
    assert first.deliveries.count() == 2


def test_revision_feedback_is_required():
    order = make_order(10000)
    first = deliver(fund(ms(order, 1)))
    with pytest.raises(OrderError, match="feedback is required"):
        services.milestone_request_revision(milestone_id=first.pk, actor=order.buyer, feedback="  ")
    assert ms(order, 1).state == State.DELIVERED


def test_revision_past_the_allowance_is_refused_until_the_seller_grants_one():
    order = make_order(10000, revisions=1)
    first = deliver(fund(ms(order, 1)))
    services.milestone_request_revision(milestone_id=first.pk, actor=order.buyer, feedback="one")
    first = deliver(ms(order, 1))
    with pytest.raises(OrderError, match="No revisions are left"):
        services.milestone_request_revision(milestone_id=first.pk, actor=order.buyer, feedback="two")
    assert ms(order, 1).state == State.DELIVERED
    services.milestone_grant_revision(milestone_id=first.pk, actor=order.seller)
    services.milestone_request_revision(milestone_id=first.pk, actor=order.buyer, feedback="two")
    assert ms(order, 1).state == State.REVISION_REQUESTED


def test_cancel_when_late_only_after_the_grace_period(clock):
    order = make_order(10000, days=2)
    first = fund(ms(order, 1))
    with pytest.raises(OrderError, match="late"):
        services.milestone_cancel_late(milestone_id=first.pk, actor=order.buyer)
    clock.advance(days=2, minutes=1)
    assert ms(order, 1).is_late
    with pytest.raises(OrderError, match="grace period"):
        services.milestone_cancel_late(milestone_id=first.pk, actor=order.buyer)
    clock.advance(hours=24)
    with pytest.raises(OrderError):
        services.milestone_cancel_late(milestone_id=first.pk, actor=order.seller)
    services.milestone_cancel_late(milestone_id=first.pk, actor=order.buyer)
    assert ms(order, 1).state == State.CANCELLED
    assert payments.escrow_balance_cents(milestone_id=first.pk) == 0
    assert payments.balances_for(order.buyer).buyer_balance_cents == 10000
    order.refresh_from_db()
    assert order.status == OrderStatus.CANCELLED


def test_extension_accepted_moves_the_due_date(clock):
    order = make_order(10000, days=3)
    first = fund(ms(order, 1))
    due = first.due_at
    ext = services.extension_request(milestone_id=first.pk, actor=order.seller, days=2, reason="Client feedback")
    with pytest.raises(OrderError):
        services.extension_decide(extension_id=ext.pk, actor=order.seller, accept=True)
    services.extension_decide(extension_id=ext.pk, actor=order.buyer, accept=True)
    assert ms(order, 1).due_at == due + timedelta(days=2)
    with pytest.raises(StaleAction):
        services.extension_decide(extension_id=ext.pk, actor=order.buyer, accept=True)
    assert ms(order, 1).due_at == due + timedelta(days=2)


def test_stopping_the_order_refunds_exactly_the_unstarted_escrow():
    order = make_order(10000, 20000, 30000, 40000)
    first = deliver(fund(ms(order, 1)))
    approve(first)
    fund(ms(order, 2))
    second = deliver(ms(order, 2))
    with pytest.raises(OrderError, match="still in progress"):
        services.order_stop(order_id=order.pk, actor=order.buyer)
    approve(second)
    fund(ms(order, 3))  # starts at once (nothing else active) -> cannot stop
    with pytest.raises(OrderError):
        services.order_stop(order_id=order.pk, actor=order.buyer)
    # refused twice: nothing came back
    assert payments.balances_for(order.buyer).buyer_balance_cents == 0
    # the fourth is paid ahead; ending the order at the third's approval refunds exactly its escrow
    fourth = fund(ms(order, 4))
    assert fourth.state == State.FUNDED
    third = deliver(ms(order, 3))
    services.milestone_approve_and_end(milestone_id=third.pk, actor=order.buyer)
    assert [ms(order, i).state for i in (3, 4)] == [State.APPROVED, State.CANCELLED]
    assert payments.balances_for(order.buyer).buyer_balance_cents == 40000
    assert payments.escrow_balance_cents(milestone_id=fourth.pk) == 0
    assert payments.escrow_balance_cents(milestone_id=third.pk) == 0  # released to the seller, not refunded


def test_stop_after_an_approved_milestone_cancels_and_refunds_the_rest():
    order = make_order(10000, 20000, 30000)
    approve(deliver(fund(ms(order, 1))))
    # fund the third in advance; the second stays unfunded
    third = fund(ms(order, 3))
    assert third.state == State.FUNDED
    with pytest.raises(OrderError):
        services.order_stop(order_id=order.pk, actor=order.seller)
    services.order_stop(order_id=order.pk, actor=order.buyer)
    assert [ms(order, i).state for i in (1, 2, 3)] == [State.APPROVED, State.CANCELLED, State.CANCELLED]
    assert payments.balances_for(order.buyer).buyer_balance_cents == 30000
    assert payments.escrow_balance_cents(milestone_id=third.pk) == 0
    order.refresh_from_db()
    assert order.status == OrderStatus.COMPLETED


def test_cancelling_a_funded_milestone_refunds_in_full():
    order = make_order(10000, 20000)
    first = fund(ms(order, 1))
    second = fund(ms(order, 2))
    services.milestone_cancel(milestone_id=second.pk, actor=order.buyer)
    assert ms(order, 2).state == State.CANCELLED
    assert payments.balances_for(order.buyer).buyer_balance_cents == 20000
    with pytest.raises(StaleAction):  # in progress: only mutual cancel, late cancel or a dispute
        services.milestone_cancel(milestone_id=first.pk, actor=order.buyer)


def test_mutual_cancellation_of_an_in_progress_milestone():
    order = make_order(10000)
    first = fund(ms(order, 1))
    request = services.cancellation_request(milestone_id=first.pk, actor=order.seller, reason="Can't do it")
    with pytest.raises(OrderError):
        services.cancellation_decide(request_id=request.pk, actor=order.seller, accept=True)
    services.cancellation_decide(request_id=request.pk, actor=order.buyer, accept=True)
    assert ms(order, 1).state == State.CANCELLED
    assert payments.balances_for(order.buyer).buyer_balance_cents == 10000


def test_order_completes_when_all_are_approved():
    order = make_order(10000, 20000)
    approve(deliver(fund(ms(order, 1))))
    approve(deliver(fund(ms(order, 2))))
    order.refresh_from_db()
    assert order.status == OrderStatus.COMPLETED and order.ended_at


def test_adding_a_milestone_needs_the_other_side():
    order = make_order(10000)
    added = services.milestone_propose(
        order_id=order.pk,
        actor=order.seller,
        title="Extra",
        description="More pages",
        amount_cents=5000,
        delivery_days=2,
        revisions_allowed=1,
    )
    assert added.state == State.PROPOSED
    with pytest.raises(OrderError):
        services.milestone_proposal_decide(milestone_id=added.pk, actor=order.seller, decision="accept")
    services.milestone_proposal_decide(milestone_id=added.pk, actor=order.buyer, decision="accept")
    assert ms(order, 2).state == State.AWAITING_FUNDING


def test_changing_an_unstarted_milestone_applies_on_acceptance():
    order = make_order(10000, 20000)
    second = ms(order, 2)
    change = services.plan_change_propose(
        milestone_id=second.pk,
        actor=order.buyer,
        title="Smaller",
        description="Less",
        amount_cents=15000,
        delivery_days=4,
        revisions_allowed=2,
    )
    assert ms(order, 2).amount_cents == 20000
    services.plan_change_decide(change_id=change.pk, actor=order.seller, accept=True)
    second = ms(order, 2)
    assert (second.title, second.amount_cents, second.delivery_days) == ("Smaller", 15000, 4)


def test_started_milestones_are_never_edited():
    order = make_order(10000)
    first = fund(ms(order, 1))
    with pytest.raises(StaleAction):
        services.plan_change_propose(
            milestone_id=first.pk,
            actor=order.buyer,
            title="x",
            description="y",
            amount_cents=5000,
            delivery_days=1,
            revisions_allowed=0,
        )


def test_auto_approve_only_after_the_window_and_only_once(clock):
    order = make_order(10000)
    first = deliver(fund(ms(order, 1)))
    assert services.milestone_auto_approve(milestone_id=first.pk) is None
    clock.advance(days=3)
    assert services.milestone_auto_approve(milestone_id=first.pk) is not None
    assert services.milestone_auto_approve(milestone_id=first.pk) is None
    assert ms(order, 1).state == State.APPROVED
    assert pending_cents(order.seller) == 8000


def test_notifications_reach_the_other_party_by_email(django_capture_on_commit_callbacks, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    from config.celery import app

    app.conf.task_always_eager = True
    try:
        order = make_order(10000)
        with django_capture_on_commit_callbacks(execute=True):
            fund(ms(order, 1))
    finally:
        app.conf.task_always_eager = False
    assert any(order.seller.email in m.to for m in mail.outbox)


@pytest.mark.django_db(transaction=True)
def test_an_approval_costs_the_same_few_statements_whatever_the_order_and_the_sellers_history():
    """make bench measures approvals per second; their cost is the statements, so it must not creep up."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def statements(order):
        first = deliver(fund(ms(order, 1)))
        with CaptureQueriesContext(connection) as ctx:
            services.milestone_approve(milestone_id=first.pk, actor=order.buyer, expected_state=State.DELIVERED)
        return [q["sql"] for q in ctx.captured_queries]

    seller = make_order(5000).seller
    approve(deliver(fund(ms(make_order(5000, seller=seller), 1))))  # the seller's first earning opens accounts
    few = statements(make_order(10000, 20000, seller=seller))
    for _ in range(3):
        approve(deliver(fund(ms(make_order(5000, seller=seller), 1))))
    many = statements(make_order(*([10000] * 6), seller=seller))
    assert len(few) == len(many), "\n".join(many)
    # begin, lock order and milestone, transition, timeline, notification, the buyer's notifications about it
    # marked read (one UPDATE), next milestone x3, order status, ledger x5 (SQLite updates the three balances
    # one by one: x7), earning, commit
    assert len(many) <= (18 if connection.vendor == "postgresql" else 20), "\n".join(many)
