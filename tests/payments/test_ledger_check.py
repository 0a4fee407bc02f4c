"""manage.py ledger_check: silent success, loud failure (exit 1 and the breaches printed)."""

import pytest
from django.core.management import call_command
from django.db import connection

from payments import services
from payments.models import LedgerAccount, Payout, SandboxOperation

from .conftest import fund_milestone, pay_tip

pytestmark = pytest.mark.django_db


@pytest.fixture
def busy_ledger(buyer, seller, milestone_purpose, clock):
    fund_milestone(buyer, 1, 10000)
    fund_milestone(buyer, 2, 5000)
    services.escrow_release(milestone_id=1, seller=seller)
    services.escrow_refund(milestone_id=2, buyer=buyer, amount_cents=1000)
    pay_tip(buyer, seller, 2000)
    clock.advance(days=15)
    services.earnings_clear()
    services.payout_request(seller=seller, amount_cents=5000, idempotency_key="p")


def _run(capsys):
    try:
        call_command("ledger_check")
    except SystemExit as exit_:
        code = exit_.code
    else:
        code = 0
    out = capsys.readouterr()
    return code, out.out + out.err


def test_ledger_check_passes_on_a_healthy_ledger(busy_ledger, capsys):
    code, output = _run(capsys)
    assert code == 0
    assert "Ledger OK" in output


def _force(sql, params):
    """Break the ledger behind the services' back (bypassing the ORM's checks)."""
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def test_ledger_check_reports_a_cached_balance_that_drifted(busy_ledger, capsys, seller):
    account = LedgerAccount.objects.get(user=seller, kind="seller_available")
    _force("UPDATE payments_ledgeraccount SET balance_cents = balance_cents + 1 WHERE id = %s", [account.pk])
    code, output = _run(capsys)
    assert code == 1
    assert "FAILED" in output
    assert "entries sum to" in output


def test_ledger_check_reports_provider_totals_that_disagree(busy_ledger, capsys):
    SandboxOperation.objects.create(kind="charge", idempotency_key="ghost", reference="sbx_ghost", amount_cents=700)
    code, output = _run(capsys)
    assert code == 1
    assert "the provider saw" in output


def test_ledger_check_reports_payouts_in_transit_that_disagree(busy_ledger, capsys):
    Payout.objects.update(status="processing")
    code, output = _run(capsys)
    assert code == 1
    assert "payouts in transit" in output


def test_ledger_check_reports_pending_earnings_that_disagree(busy_ledger, capsys, seller):
    seller.earnings.update(status="pending")
    code, output = _run(capsys)
    assert code == 1
    assert "pending earnings add up to" in output
