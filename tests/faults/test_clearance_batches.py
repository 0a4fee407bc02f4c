"""The clearance sweep posts whole batches; a batch the ledger refuses is cleared row by row instead."""

import pytest

from payments import services as payments
from payments.models import Earning, EarningStatus, LedgerTransaction, TransactionKind
from tests.factories import UserFactory
from tests.orders.builders import approve, deliver, fund, make_order, ms

from .conftest import assert_consistent

pytestmark = pytest.mark.django_db


def approved_orders(clock, count):
    clock.advance(days=-15)
    orders = [make_order(10000) for _ in range(count)]
    for order in orders:
        approve(deliver(fund(ms(order, 1))))
    clock.advance(days=15)
    return orders


def test_a_backlog_clears_in_batches_once(clock):
    orders = approved_orders(clock, 7)
    assert payments.earnings_clear(batch_size=3) == 7
    assert payments.earnings_clear(batch_size=3) == 0
    for order in orders:
        assert payments.balances_for(order.seller).available_cents == 8000
    assert LedgerTransaction.objects.filter(kind=TransactionKind.CLEARANCE).count() == 7
    for earning in Earning.objects.all():
        assert earning.status == EarningStatus.CLEARED
        assert earning.cleared_transaction.idempotency_key == f"earning_clear:{earning.pk}"
    assert_consistent()


def test_one_bad_earning_does_not_stop_the_others(clock):
    orders = approved_orders(clock, 4)
    # An earning whose seller's pending account never received the money (a corrupt row).
    stranger = UserFactory()
    bad = Earning.objects.create(
        seller=stranger,
        description="corrupt",
        gross_cents=5000,
        commission_cents=1000,
        amount_cents=4000,
        clears_at=clock.now(),
        released_transaction=LedgerTransaction.objects.filter(kind=TransactionKind.FUND).first(),
    )
    assert payments.earnings_clear(batch_size=10) == 4  # the batch is refused, then cleared one by one
    bad.refresh_from_db()
    assert bad.status == EarningStatus.PENDING
    for order in orders:
        assert payments.balances_for(order.seller).available_cents == 8000
    assert payments.balances_for(stranger).available_cents == 0


def test_a_sellers_earnings_in_a_batch_clear_in_one_ledger_transaction(clock):
    seller, other = UserFactory(), UserFactory()
    clock.advance(days=-15)
    mine = [make_order(10000, seller=seller) for _ in range(5)]
    theirs = [make_order(5000, seller=other) for _ in range(2)]
    for order in mine + theirs:
        approve(deliver(fund(ms(order, 1))))
    clock.advance(days=15)

    # Batches of 3 in (seller, id) order: one seller's five earnings span two batches.
    assert payments.earnings_clear(batch_size=3) == 7
    assert payments.earnings_clear(batch_size=3) == 0

    assert payments.balances_for(seller).available_cents == 5 * 8000
    assert payments.balances_for(seller).pending_cents == 0
    assert payments.balances_for(other).available_cents == 2 * 4000
    clearances = LedgerTransaction.objects.filter(kind=TransactionKind.CLEARANCE)
    # batches [s1, s1, s1], [s1, s1, s2], [s2]: four clearances, not seven
    assert sorted(clearances.values_list("idempotency_key", flat=True)) == sorted(
        f"earning_clear:{keys}" for keys in _expected_groups()
    )
    for earning in Earning.objects.select_related("cleared_transaction"):
        assert earning.status == EarningStatus.CLEARED
        tx = earning.cleared_transaction
        assert tx.user_id == earning.seller_id
        shared = Earning.objects.filter(cleared_transaction=tx)
        assert sum(e.amount_cents for e in shared) == sum(
            entry.amount_cents for entry in tx.entries.all() if entry.amount_cents > 0
        )
    assert_consistent()


def _expected_groups():
    ids = list(Earning.objects.order_by("seller_id", "pk").values_list("pk", flat=True))
    return [f"{ids[0]}..{ids[2]}", f"{ids[3]}..{ids[4]}", f"{ids[5]}", f"{ids[6]}"]
