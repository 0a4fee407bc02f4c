"""Ending an order with milestones paid ahead, and requests that must not outlive their milestone."""

import pytest
from django.test import Client

from milestones import services
from milestones.exceptions import OrderError, StaleAction
from milestones.models import OrderStatus, RequestStatus, State, TimelineEvent
from payments import services as payments
from payments.integrity import ledger_breaches
from tests.orders.builders import approve, deliver, fund, make_order, ms

pytestmark = pytest.mark.django_db


def balance(user):
    return payments.balances_for(user).buyer_balance_cents


# --- "Approve and end the order here" ---------------------------------------------------
def test_with_every_milestone_paid_ahead_a_plain_approval_starts_the_next_and_end_order_is_refused():
    """The defect: the buyer could no longer stop once the next milestone was paid ahead."""
    order = make_order(10000, 20000, 30000)
    first = deliver(fund(ms(order, 1)))
    fund(ms(order, 2)), fund(ms(order, 3))
    approve(first)
    assert ms(order, 2).state == State.IN_PROGRESS  # started at once, as the seeds describe
    with pytest.raises(OrderError, match="still in progress"):
        services.order_stop(order_id=order.pk, actor=order.buyer)


def test_approve_and_end_approves_then_cancels_and_refunds_exactly_the_unstarted_escrow():
    order = make_order(10000, 20000, 30000)
    first = deliver(fund(ms(order, 1)))
    second, third = fund(ms(order, 2)), fund(ms(order, 3))
    before = balance(order.buyer)

    services.milestone_approve_and_end(milestone_id=first.pk, actor=order.buyer, expected_state=State.DELIVERED)

    assert [ms(order, i).state for i in (1, 2, 3)] == [State.APPROVED, State.CANCELLED, State.CANCELLED]
    assert balance(order.buyer) - before == 20000 + 30000  # exactly the two escrows, no fee
    assert payments.escrow_balance_cents(milestone_id=second.pk) == 0
    assert payments.escrow_balance_cents(milestone_id=third.pk) == 0
    assert payments.balances_for(order.seller).pending_cents == 8000
    order.refresh_from_db()
    assert order.status == OrderStatus.COMPLETED
    actions = list(TimelineEvent.objects.filter(order=order).values_list("action", flat=True))
    assert "order_stopped" in actions and "start" not in actions[actions.index("approve") :]
    assert ledger_breaches() == []


def test_approve_and_end_also_closes_proposed_and_unfunded_milestones():
    order = make_order(10000, 20000)
    first = deliver(fund(ms(order, 1)))
    proposal = services.milestone_propose(
        order_id=order.pk,
        actor=order.seller,
        title="Extra",
        description="More work",
        amount_cents=5000,
        delivery_days=2,
        revisions_allowed=1,
    )
    services.milestone_approve_and_end(milestone_id=first.pk, actor=order.buyer)
    assert ms(order, 2).state == State.CANCELLED
    proposal.refresh_from_db()
    assert proposal.state == State.CANCELLED
    order.refresh_from_db()
    assert order.status == OrderStatus.COMPLETED
    assert ledger_breaches() == []


def test_only_the_buyer_may_approve_and_end_and_a_stale_page_changes_nothing():
    order = make_order(10000, 20000)
    first = deliver(fund(ms(order, 1)))
    fund(ms(order, 2))
    with pytest.raises(OrderError):
        services.milestone_approve_and_end(milestone_id=first.pk, actor=order.seller)
    with pytest.raises(StaleAction):
        services.milestone_approve_and_end(milestone_id=first.pk, actor=order.buyer, expected_state=State.IN_PROGRESS)
    assert [ms(order, i).state for i in (1, 2)] == [State.DELIVERED, State.FUNDED]
    assert ledger_breaches() == []


def test_the_order_page_offers_approve_and_end_only_while_something_has_not_started():
    order = make_order(10000, 20000)
    first = deliver(fund(ms(order, 1)))
    buyer, seller = Client(), Client()
    buyer.force_login(order.buyer)
    seller.force_login(order.seller)
    assert 'data-testid="approve-end"' in buyer.get(order.get_absolute_url()).content.decode()
    assert 'data-testid="approve-end"' not in seller.get(order.get_absolute_url()).content.decode()

    response = buyer.post(f"/milestones/{first.pk}/approve_end", {"expected_state": "delivered"}, follow=True)
    assert "the order ended here" in response.content.decode()
    assert [ms(order, i).state for i in (1, 2)] == [State.APPROVED, State.CANCELLED]

    last = make_order(10000)
    deliver(fund(ms(last, 1)))
    buyer.force_login(last.buyer)
    assert 'data-testid="approve-end"' not in buyer.get(last.get_absolute_url()).content.decode()


def test_the_lifecycle_help_page_explains_ending_early(client):
    page = client.get("/help/milestones/").content.decode()
    assert "Approve and end the order here" in page


# --- requests are closed with their milestone --------------------------------------------
def test_an_extension_left_pending_cannot_be_accepted_after_the_milestone_was_cancelled_for_lateness(clock):
    """The defect: accepting it moved a cancelled milestone's due date and logged after "cancel_late"."""
    order = make_order(10000, days=2)
    first = fund(ms(order, 1))
    ext = services.extension_request(milestone_id=first.pk, actor=order.seller, days=3, reason="Need more time")
    clock.advance(days=3, hours=1)
    services.milestone_cancel_late(milestone_id=first.pk, actor=order.buyer)
    due = ms(order, 1).due_at

    with pytest.raises(StaleAction, match="closed with the milestone"):
        services.extension_decide(extension_id=ext.pk, actor=order.buyer, accept=True)

    ext.refresh_from_db()
    assert ext.status == RequestStatus.CLOSED
    assert ms(order, 1).due_at == due
    assert not TimelineEvent.objects.filter(order=order, action="extension_accepted").exists()


def _extension(order):
    first = fund(ms(order, 1))
    return services.extension_request(milestone_id=first.pk, actor=order.seller, days=2, reason="More time")


def _cancellation(order):
    first = fund(ms(order, 1))
    return services.cancellation_request(milestone_id=first.pk, actor=order.seller, reason="Can't finish")


def _plan_change(order):
    return services.plan_change_propose(
        milestone_id=ms(order, 2).pk,
        actor=order.seller,
        title="Changed",
        description="Changed deliverables",
        amount_cents=25000,
        delivery_days=4,
        revisions_allowed=1,
    )


def _decide_extension(request, actor):
    services.extension_decide(extension_id=request.pk, actor=actor, accept=True)


def _decide_cancellation(request, actor):
    services.cancellation_decide(request_id=request.pk, actor=actor, accept=True)


def _decide_plan_change(request, actor):
    services.plan_change_decide(change_id=request.pk, actor=actor, accept=True)


# For every kind of request the services close (``_OPEN_REQUESTS``): how to make one, how the other side
# accepts it, and how its milestone ends while it waits. A new kind of request fails until it is listed.
REQUEST_KINDS = {
    "open_extension_requests": (_extension, _decide_extension, lambda order: approve(deliver(ms(order, 1)))),
    "open_cancellation_requests": (_cancellation, _decide_cancellation, lambda order: approve(deliver(ms(order, 1)))),
    "open_plan_changes": (
        _plan_change,
        _decide_plan_change,
        lambda order: services.milestone_cancel(milestone_id=ms(order, 2).pk, actor=order.buyer),
    ),
}


def test_every_kind_of_request_has_a_closing_case():
    assert set(REQUEST_KINDS) == set(services._OPEN_REQUESTS)


@pytest.mark.parametrize("kind", sorted(services._OPEN_REQUESTS))
def test_a_request_is_closed_when_its_milestone_ends_and_cannot_be_accepted_after(kind):
    make, decide, end = REQUEST_KINDS[kind]
    order = make_order(10000, 20000)
    request = make(order)
    end(order)
    request.refresh_from_db()
    assert request.status == RequestStatus.CLOSED and request.decided_at is not None
    with pytest.raises(StaleAction, match="closed with the milestone"):
        decide(request, order.buyer)
    assert ledger_breaches() == []


def test_an_order_that_has_ended_cannot_be_ended_again():
    """Found by the raced pairs: two "End order" clicks both succeeded and logged the order stopped twice."""
    order = make_order(10000, 20000)
    approve(deliver(fund(ms(order, 1))))
    services.order_stop(order_id=order.pk, actor=order.buyer)
    with pytest.raises(StaleAction, match="already completed"):
        services.order_stop(order_id=order.pk, actor=order.buyer)
    assert TimelineEvent.objects.filter(order=order, action="order_stopped").count() == 1
