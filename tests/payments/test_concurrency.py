"""Real concurrency on PostgreSQL: threads with their own connections hit the same money at once.

Each race runs on both payment providers (the sandbox, and Stripe against the fake Stripe API).
"""

import threading
from collections import Counter

import pytest
from django.db import close_old_connections, connection

from payments import services
from payments.connect import transfers_send
from payments.exceptions import PaymentError
from payments.integrity import ledger_breaches
from payments.models import Earning, LedgerTransaction, Payout, ProviderTransfer, TransactionKind
from payments.selectors import balances_for, escrow_balance_cents

from .conftest import fund_milestone, open_milestone_checkout, pay_tip

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

THREADS = 20


def _race(work, count=THREADS):
    """Run ``work(index)`` in ``count`` threads released together; return the outcomes."""
    barrier = threading.Barrier(count)
    outcomes = [None] * count

    def run(index):
        try:
            barrier.wait(timeout=30)
            outcomes[index] = ("ok", work(index))
        except PaymentError as error:
            outcomes[index] = ("refused", error)
        except Exception as error:  # noqa: BLE001 - reported by the assertions below
            outcomes[index] = ("crashed", error)
        finally:
            connection.close()  # each thread had its own connection

    threads = [threading.Thread(target=run, args=(index,)) for index in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    close_old_connections()
    assert not [outcome for outcome in outcomes if outcome is None or outcome[0] == "crashed"], outcomes
    return outcomes


def test_twenty_threads_releasing_the_same_escrow_release_it_once(
    require_postgres, provider, buyer, seller, milestone_purpose
):
    fund_milestone(buyer, 77, 10000, card=provider.cards.succeeds)

    outcomes = _race(lambda index: services.escrow_release(milestone_id=77, seller=seller).pk)

    releases = LedgerTransaction.objects.filter(kind=TransactionKind.RELEASE, milestone_id=77)
    assert releases.count() == 1
    # Every thread either got that one release back or was told nothing is held any more.
    assert {value for kind, value in outcomes if kind == "ok"} == {releases.get().pk}
    assert Earning.objects.count() == 1
    assert escrow_balance_cents(milestone_id=77) == 0
    assert balances_for(seller).pending_cents == 8000
    assert ledger_breaches() == []


def test_twenty_threads_paying_the_same_checkout_charge_once(require_postgres, provider, buyer, milestone_purpose):
    checkout = open_milestone_checkout(buyer, 78, 5000)

    outcomes = _race(
        lambda index: services.checkout_pay(checkout=checkout, actor=buyer, payment_method=provider.cards.succeeds).pk
    )

    assert Counter(kind for kind, _ in outcomes)["ok"] >= 1
    assert provider.charges() == [5575]
    assert LedgerTransaction.objects.filter(kind=TransactionKind.FUND).count() == 1
    assert escrow_balance_cents(milestone_id=78) == 5000
    assert balances_for(buyer).buyer_balance_cents == 0
    assert ledger_breaches() == []


def test_twenty_withdrawals_at_once_never_take_more_than_is_available(require_postgres, provider, buyer, seller, clock):
    provider.seller_can_withdraw(seller)
    pay_tip(buyer, seller, 12500, card=provider.cards.succeeds)  # 10000 for the seller
    clock.advance(days=15)
    services.earnings_clear()

    outcomes = _race(
        lambda index: services.payout_request(seller=seller, amount_cents=1500, idempotency_key=f"form-{index}").pk
    )

    assert Counter(kind for kind, _ in outcomes) == {"ok": 6, "refused": 14}  # 6 × $15 fit in $100
    provider.bank_pays()
    assert Payout.objects.filter(status="paid").count() == 6
    assert provider.payouts() == [1500] * 6
    balances = balances_for(seller)
    assert (balances.available_cents, balances.withdrawn_cents) == (1000, 9000)
    assert ledger_breaches() == []


def test_the_same_withdrawal_form_submitted_by_twenty_threads_pays_out_once(
    require_postgres, provider, buyer, seller, clock
):
    provider.seller_can_withdraw(seller)
    pay_tip(buyer, seller, 12500, card=provider.cards.succeeds)
    clock.advance(days=15)
    services.earnings_clear()

    _race(lambda index: services.payout_request(seller=seller, amount_cents=5000, idempotency_key="same-form").pk)

    provider.bank_pays()
    assert Payout.objects.count() == 1
    assert Payout.objects.get().status == "paid"
    assert provider.payouts() == [5000]
    assert balances_for(seller).available_cents == 5000
    assert ledger_breaches() == []


def test_twenty_sweeps_at_once_clear_each_earning_once(require_postgres, provider, buyer, seller, clock):
    provider.seller_can_withdraw(seller)
    for _ in range(10):
        pay_tip(buyer, seller, 1000, card=provider.cards.succeeds)
    clock.advance(days=15)

    outcomes = _race(lambda index: services.earnings_clear(batch_size=3))

    assert sum(value for _kind, value in outcomes) == 10
    assert balances_for(seller).available_cents == 8000
    # with a provider that holds sellers' accounts, what cleared is queued to be transferred exactly once
    transfers_send(seller=seller)
    assert sum(ProviderTransfer.objects.values_list("amount_cents", flat=True)) == (
        8000 if provider.name == "stripe" else 0
    )
    assert ledger_breaches() == []
