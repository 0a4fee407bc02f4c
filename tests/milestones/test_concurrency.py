"""Two browsers acting on the same delivery at once end in one consistent state (PostgreSQL)."""

import pytest

from milestones import services
from milestones.models import State
from payments import services as payments
from tests.concurrency import race
from tests.orders.builders import deliver, fund, make_order, ms

pytestmark = pytest.mark.django_db(transaction=True)


def test_two_approvals_of_the_same_delivery_release_once(require_postgres):
    order = make_order(10000)
    first = deliver(fund(ms(order, 1)))
    approve = lambda: services.milestone_approve(milestone_id=first.pk, actor=order.buyer)  # noqa: E731
    results = race(approve, approve)
    assert results.count("ok") == 1
    assert ms(order, 1).state == State.APPROVED
    assert payments.balances_for(order.seller).pending_cents == 8000
    assert payments.escrow_balance_cents(milestone_id=first.pk) == 0


def test_approve_racing_a_revision_request_ends_in_one_state(require_postgres):
    order = make_order(10000)
    first = deliver(fund(ms(order, 1)))
    results = race(
        lambda: services.milestone_approve(milestone_id=first.pk, actor=order.buyer, expected_state="delivered"),
        lambda: services.milestone_request_revision(
            milestone_id=first.pk, actor=order.buyer, feedback="change it", expected_state="delivered"
        ),
    )
    assert results.count("ok") == 1
    final = ms(order, 1)
    pending = payments.balances_for(order.seller).pending_cents
    if final.state == State.APPROVED:
        assert pending == 8000 and not final.revision_requests.exists()
    else:
        assert final.state == State.REVISION_REQUESTED
        assert pending == 0 and payments.escrow_balance_cents(milestone_id=first.pk) == 10000
