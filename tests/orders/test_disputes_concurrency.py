"""Racing actions on one dispute end in one consistent state, with the money moved once (PostgreSQL)."""

import pytest
from django.core.management import call_command

from accounts.models import StaffAction
from milestones import services as milestone_services
from milestones.models import State
from orders import disputes
from orders.models import Dispute, DisputeStatus
from payments import services as payments
from tests.concurrency import race
from tests.orders.builders import ms
from tests.orders.dispute_builders import answered, delivered, open_dispute, support_user

pytestmark = pytest.mark.django_db(transaction=True)


def test_two_agents_resolving_the_same_case_move_the_money_once(require_postgres):
    order, milestone = delivered(10000)
    dispute = answered(open_dispute(milestone))
    first, second = support_user(), support_user()
    results = race(
        lambda: disputes.dispute_resolve(dispute_id=dispute.pk, actor=first, outcome="refund", decision="Refund."),
        lambda: disputes.dispute_resolve(
            dispute_id=dispute.pk, actor=second, outcome="split", seller_amount_cents=6000, decision="Split."
        ),
    )
    assert results.count("ok") == 1
    dispute.refresh_from_db()
    assert dispute.status == DisputeStatus.RESOLVED
    assert StaffAction.objects.filter(action="dispute_resolve").count() == 1
    assert payments.escrow_balance_cents(milestone_id=milestone.pk) == 0
    buyer = payments.balances_for(order.buyer).buyer_balance_cents
    seller = payments.balances_for(order.seller).pending_cents
    assert (buyer, seller) in ((10000, 0), (4000, 4800))
    call_command("ledger_check")


def test_accepting_a_settlement_while_the_opener_withdraws_ends_in_one_state(require_postgres):
    order, milestone = delivered(10000)
    dispute = answered(open_dispute(milestone))
    proposal = disputes.settlement_propose(dispute_id=dispute.pk, actor=order.seller, outcome="release")
    results = race(
        lambda: disputes.settlement_accept(proposal_id=proposal.pk, actor=order.buyer),
        lambda: disputes.dispute_withdraw(dispute_id=dispute.pk, actor=order.buyer),
    )
    assert results.count("ok") == 1
    dispute = Dispute.objects.get()
    if dispute.status == DisputeStatus.RESOLVED:
        assert ms(order, 1).state == State.APPROVED
        assert payments.balances_for(order.seller).pending_cents == 8000
    else:
        assert dispute.status == DisputeStatus.WITHDRAWN
        assert ms(order, 1).state == State.DELIVERED
        assert payments.escrow_balance_cents(milestone_id=milestone.pk) == 10000
    call_command("ledger_check")


def test_a_dispute_racing_the_buyers_approval_ends_in_one_state(require_postgres):
    order, milestone = delivered(10000)
    results = race(
        lambda: open_dispute(milestone, by="seller"),
        lambda: milestone_services.milestone_approve(milestone_id=milestone.pk, actor=order.buyer),
    )
    assert results.count("ok") == 1
    final = ms(order, 1)
    if final.state == State.APPROVED:
        assert not Dispute.objects.exists()
    else:
        assert final.state == State.DISPUTED and Dispute.objects.count() == 1
        assert payments.escrow_balance_cents(milestone_id=milestone.pk) == 10000
