"""Whole-ledger invariants, checked by ``manage.py ledger_check`` and by the tests.

``ledger_breaches()`` returns a list of readable sentences, one per breach; an
empty list means every invariant holds. Each check is one aggregate query, so
it runs over the whole ledger in a fixed number of queries.
"""

from django.db.models import Count, Exists, F, OuterRef, Q, Sum
from django.db.models.functions import Coalesce

from .models import (
    NEGATIVE_ALLOWED_KINDS,
    AccountKind,
    Checkout,
    CheckoutStatus,
    Earning,
    EarningStatus,
    LedgerAccount,
    LedgerEntry,
    LedgerTransaction,
    Payout,
    PayoutStatus,
    TransactionKind,
)
from .providers import get_provider

# The kinds whose entries may release money from an escrow account.
SETTLING_KINDS = (TransactionKind.RELEASE, TransactionKind.SPLIT)
MAX_REPORTED = 50  # per check: enough to act on, short enough to read


def _limited(rows):
    return list(rows[:MAX_REPORTED])


def _platform_balance(kind: str) -> int:
    account = LedgerAccount.objects.filter(kind=kind, user=None, milestone_id=None).first()
    return account.balance_cents if account else 0


def ledger_breaches() -> list[str]:
    breaches: list[str] = []

    # 1. Every transaction has two or more entries summing to zero.
    for row in _limited(
        LedgerTransaction.objects.annotate(n=Count("entries"), total=Coalesce(Sum("entries__amount_cents"), 0))
        .filter(Q(n__lt=2) | ~Q(total=0))
        .values("id", "idempotency_key", "n", "total")
        .order_by("created_at")
    ):
        breaches.append(
            f"transaction {row['id']} ({row['idempotency_key']}) is unbalanced: "
            f"{row['n']} entries summing to {row['total']} cents"
        )

    # 2. No entry without its transaction row (a half-written posting).
    # NOT EXISTS (an anti-join): a NOT IN over every transaction id stops fitting in memory on a big
    # ledger and turns quadratic (found by ``make bench``: minutes on 400,000 transactions).
    orphans = LedgerEntry.objects.filter(~Exists(LedgerTransaction.objects.filter(pk=OuterRef("transaction_id"))))
    for entry in _limited(orphans.values("id", "transaction_id")):
        breaches.append(f"entry {entry['id']} belongs to transaction {entry['transaction_id']}, which does not exist")

    # 3. Every cached balance equals the sum of the account's entries; 4. none is negative.
    accounts = LedgerAccount.objects.annotate(total=Coalesce(Sum("entries__amount_cents"), 0))
    for account in _limited(accounts.exclude(balance_cents=F("total")).select_related("user")):
        breaches.append(
            f"{account} (account {account.pk}) caches {account.balance_cents} cents "
            f"but its entries sum to {account.total} cents"
        )
    for account in _limited(
        accounts.filter(Q(total__lt=0) | Q(balance_cents__lt=0))
        .exclude(kind__in=NEGATIVE_ALLOWED_KINDS)
        .select_related("user")
    ):
        breaches.append(f"{account} (account {account.pk}) is negative: {account.total} cents")

    # 5. All money sums to zero over the whole ledger (each transaction does).
    grand_total = LedgerEntry.objects.aggregate(total=Coalesce(Sum("amount_cents"), 0))["total"]
    if grand_total != 0:
        breaches.append(f"all entries together sum to {grand_total} cents instead of 0")

    # 6. What the provider saw equals what the ledger says came in and went out.
    totals = get_provider().totals()
    if totals is not None:
        net_in = totals["charged"] - totals["refunded"] - totals["paid_out"]
        clearing = _platform_balance(AccountKind.PROVIDER_CLEARING)
        if net_in != -clearing:
            breaches.append(
                f"the provider saw {totals['charged']} cents charged, {totals['refunded']} refunded and "
                f"{totals['paid_out']} paid out (net {net_in}), but the ledger's provider clearing account "
                f"says {-clearing}"
            )

    # 7. Payouts in transit equal the payouts still processing.
    processing = Payout.objects.filter(status=PayoutStatus.PROCESSING).aggregate(
        total=Coalesce(Sum("amount_cents"), 0)
    )["total"]
    in_transit = _platform_balance(AccountKind.PAYOUTS_IN_TRANSIT)
    if processing != in_transit:
        breaches.append(f"payouts in transit hold {in_transit} cents but processing payouts add up to {processing}")

    # 8. Each seller's pending account equals their uncleared earnings.
    pending_by_seller = dict(
        Earning.objects.filter(status=EarningStatus.PENDING)
        .values("seller_id")
        .annotate(total=Sum("amount_cents"))
        .values_list("seller_id", "total")
        .order_by()
    )
    for user_id, balance in LedgerAccount.objects.filter(kind=AccountKind.SELLER_PENDING).values_list(
        "user_id", "balance_cents"
    ):
        expected = pending_by_seller.pop(user_id, 0)
        if balance != expected:
            breaches.append(f"user {user_id}: pending earnings add up to {expected} cents but pending holds {balance}")
    for user_id, expected in pending_by_seller.items():
        breaches.append(f"user {user_id}: pending earnings add up to {expected} cents but there is no pending account")

    # 9. A settled (released or split) milestone holds nothing in escrow any more.
    settled = LedgerTransaction.objects.filter(kind__in=SETTLING_KINDS).values("milestone_id")
    for account in _limited(
        LedgerAccount.objects.filter(kind=AccountKind.ESCROW, milestone_id__in=settled, balance_cents__gt=0)
    ):
        breaches.append(f"milestone #{account.milestone_id} was settled but escrow still holds {account.balance_cents}")

    # 10. Every paid checkout has its posting; every credited one its credit.
    paid_without_posting = Checkout.objects.filter(status=CheckoutStatus.PAID).filter(
        ~Exists(
            LedgerTransaction.objects.filter(
                checkout=OuterRef("pk"), kind__in=[TransactionKind.FUND, TransactionKind.TIP]
            )
        )
    )
    for checkout in _limited(paid_without_posting):
        breaches.append(f"checkout {checkout.uuid} is paid but has no ledger posting")
    credited_without_credit = Checkout.objects.filter(status=CheckoutStatus.CREDITED).filter(
        ~Exists(LedgerTransaction.objects.filter(checkout=OuterRef("pk"), kind=TransactionKind.CREDIT))
    )
    for checkout in _limited(credited_without_credit):
        breaches.append(f"checkout {checkout.uuid} is marked credited but nothing was credited")

    # 11. One to one with the provider's own records, where it reports them (Stripe: charges, refunds,
    # transfers, payouts): every difference named.
    records = get_provider().records()
    if records is not None:
        from .reconcile import provider_differences

        breaches.extend(provider_differences(records))

    return breaches
