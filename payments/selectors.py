"""Reads the payments pages (and other apps) need, each in a fixed number of queries."""

from dataclasses import dataclass, field
from datetime import date, datetime, time

from django.core.paginator import Page, Paginator
from django.db.models import Count, Q, Sum
from django.db.models.functions import TruncMonth
from django.shortcuts import get_object_or_404
from django.utils import timezone

from accounts.permissions import is_staff_member
from config import clock

from .chart import BarChart, bar_chart
from .models import (
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
)


@dataclass(frozen=True)
class Balances:
    """What one person holds, in cents."""

    buyer_balance_cents: int = 0
    pending_cents: int = 0
    available_cents: int = 0
    withdrawn_cents: int = 0
    in_transit_cents: int = 0  # withdrawals sent to the provider, not yet confirmed


def balances_for(user) -> Balances:
    """Buyer balance and seller pending / available / withdrawn (2 queries)."""
    by_kind = dict(
        LedgerAccount.objects.filter(user=user, milestone_id=None).values_list("kind", "balance_cents").order_by()
    )
    payouts = Payout.objects.filter(seller=user).aggregate(
        withdrawn=Sum("amount_cents", filter=Q(status=PayoutStatus.PAID)),
        in_transit=Sum("amount_cents", filter=Q(status=PayoutStatus.PROCESSING)),
    )
    return Balances(
        buyer_balance_cents=by_kind.get(AccountKind.BUYER_BALANCE, 0),
        pending_cents=by_kind.get(AccountKind.SELLER_PENDING, 0),
        available_cents=by_kind.get(AccountKind.SELLER_AVAILABLE, 0),
        withdrawn_cents=payouts["withdrawn"] or 0,
        in_transit_cents=payouts["in_transit"] or 0,
    )


def escrow_balance_cents(*, milestone_id: int) -> int:
    """What is held in escrow for the milestone right now (0 if nothing ever was)."""
    balance = (
        LedgerAccount.objects.filter(kind=AccountKind.ESCROW, milestone_id=milestone_id)
        .values_list("balance_cents", flat=True)
        .first()
    )
    return balance or 0


def checkout_for_buyer(*, user, checkout_uuid) -> Checkout:
    """The checkout, only for its buyer (anyone else gets a 404)."""
    return get_object_or_404(Checkout.objects.select_related("payee", "buyer"), uuid=checkout_uuid, buyer=user)


def receipt_for(*, user, checkout_uuid) -> Checkout:
    """A paid (or credited) checkout of the buyer; staff may open anyone's."""
    checkouts = Checkout.objects.select_related("payee", "buyer").filter(
        status__in=[CheckoutStatus.PAID, CheckoutStatus.CREDITED]
    )
    if not is_staff_member(user):
        checkouts = checkouts.filter(buyer=user)
    return get_object_or_404(checkouts, uuid=checkout_uuid)


def receipt_transactions(checkout: Checkout) -> list[LedgerTransaction]:
    return list(LedgerTransaction.objects.filter(checkout=checkout).order_by("created_at"))


@dataclass
class BuyerHistory:
    balances: Balances
    payments: list[Checkout]
    open_checkouts: list[Checkout]
    balance_movements: list[LedgerEntry] = field(default_factory=list)


def buyer_history(*, user, limit: int = 100) -> BuyerHistory:
    """The buyer's payments (newest first), open checkouts and balance movements (5 queries)."""
    checkouts = Checkout.objects.filter(buyer=user).select_related("payee")
    payments = list(checkouts.filter(status__in=[CheckoutStatus.PAID, CheckoutStatus.CREDITED])[:limit])
    open_checkouts = list(checkouts.filter(status__in=[CheckoutStatus.OPEN, CheckoutStatus.PROCESSING])[:20])
    movements = list(
        LedgerEntry.objects.filter(account__user=user, account__kind=AccountKind.BUYER_BALANCE)
        .select_related("transaction", "transaction__checkout")
        .order_by("-transaction__created_at", "-id")[:limit]
    )
    return BuyerHistory(
        balances=balances_for(user), payments=payments, open_checkouts=open_checkouts, balance_movements=movements
    )


def _month_start(day: date) -> date:
    return day.replace(day=1)


def _months_back(start: date, count: int) -> list[date]:
    months = []
    year, month = start.year, start.month
    for _ in range(count):
        months.append(date(year, month, 1))
        month -= 1
        if month == 0:
            year, month = year - 1, 12
    return list(reversed(months))


def monthly_earnings(*, user, months: int = 12, today: date | None = None) -> list[tuple[date, int]]:
    """Net earnings credited to the seller per month, oldest first, the current month last (1 query)."""
    today = today or clock.now().date()
    month_list = _months_back(_month_start(today), months)
    since = datetime.combine(month_list[0], time.min, tzinfo=timezone.get_current_timezone())
    rows = (
        Earning.objects.filter(seller=user, created_at__gte=since)
        .annotate(month=TruncMonth("created_at"))
        .values("month")
        .annotate(total=Sum("amount_cents"))
        .order_by()
    )
    totals: dict[date, int] = {}
    for row in rows:
        month = row["month"]
        month = month.date() if hasattr(month, "date") else month
        totals[_month_start(month)] = totals.get(_month_start(month), 0) + row["total"]
    return [(month, totals.get(month, 0)) for month in month_list]


@dataclass
class EarningsOverview:
    balances: Balances
    pending: Page  # of Earning
    payouts: list[Payout]
    chart: BarChart
    months: list[tuple[date, int]]
    earned_total_cents: int
    commission_total_cents: int
    earnings_count: int


PENDING_PAGE_SIZE = 20


def earnings_overview(*, user, payouts_limit: int = 20, pending_page=None) -> EarningsOverview:
    """Everything the seller's earnings page shows (7 queries, whatever the number of earnings).

    Pending earnings are paged (``pending_page``), soonest to clear first.
    """
    months = monthly_earnings(user=user)
    totals = Earning.objects.filter(seller=user).aggregate(
        earned=Sum("amount_cents"), commission=Sum("commission_cents"), count=Count("id")
    )
    return EarningsOverview(
        balances=balances_for(user),
        pending=Paginator(
            Earning.objects.filter(seller=user, status=EarningStatus.PENDING).order_by("clears_at", "id"),
            PENDING_PAGE_SIZE,
        ).get_page(pending_page),
        payouts=list(Payout.objects.filter(seller=user)[:payouts_limit]),
        chart=bar_chart(months),
        months=months,
        earned_total_cents=totals["earned"] or 0,
        commission_total_cents=totals["commission"] or 0,
        earnings_count=totals["count"],
    )
