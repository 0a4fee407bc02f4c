"""What every fault test checks afterwards: the ledger holds, and no event was lost or doubled."""

from collections import Counter

from django.core.management import call_command

from accounts.models import Notification
from milestones.models import Milestone, State, TimelineEvent
from payments.models import AccountKind, Earning, LedgerTransaction, TransactionKind
from payments.services import escrow_balance_cents

HELD = (State.FUNDED, State.IN_PROGRESS, State.DELIVERED, State.REVISION_REQUESTED, State.DISPUTED)


def assert_consistent():
    """``ledger_check`` passes; each milestone's timeline is an unbroken chain ending in its state;
    escrow matches the state; an approved milestone was released (and earned) exactly once."""
    call_command("ledger_check")  # exits non-zero (SystemExit) on any breach
    for milestone in Milestone.objects.all():
        chain = list(
            TimelineEvent.objects.filter(milestone=milestone)
            .exclude(to_state="")
            .order_by("created_at", "pk")
            .values_list("action", "from_state", "to_state")
        )
        assert chain, f"milestone {milestone.pk} has no history"
        for (_a, _f, previous), (action, source, _t) in zip(chain, chain[1:], strict=False):
            assert source == previous, f"milestone {milestone.pk}: {action} from {source} after {previous}: {chain}"
        assert chain[-1][2] == milestone.state, f"milestone {milestone.pk} is {milestone.state}; history: {chain}"
        held = escrow_balance_cents(milestone_id=milestone.pk)
        assert held == (milestone.amount_cents if milestone.state in HELD else 0), (milestone.pk, milestone.state)
        releases = LedgerTransaction.objects.filter(kind=TransactionKind.RELEASE, milestone_id=milestone.pk).count()
        assert releases == (1 if milestone.state == State.APPROVED else 0), (milestone.pk, milestone.state)
        # a dispute split earns the seller their share, if any
        shares = LedgerTransaction.objects.filter(
            kind=TransactionKind.SPLIT,
            milestone_id=milestone.pk,
            entries__account__kind=AccountKind.SELLER_PENDING,
            entries__amount_cents__gt=0,
        ).count()
        assert shares <= (1 if milestone.state == State.SETTLED else 0), (milestone.pk, milestone.state)
        earnings = Earning.objects.filter(milestone_id=milestone.pk).count()
        assert earnings == releases + shares, (milestone.pk, earnings)


def assert_no_notification_twice():
    """Nobody got the same notice twice (a reminder or an email sent again after a fault)."""
    texts = Counter(Notification.objects.values_list("user_id", "text"))
    doubled = [key for key, n in texts.items() if n > 1]
    assert not doubled, doubled
