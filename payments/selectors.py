"""Reads the payments pages (and other apps) need, each in a fixed number of queries."""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time

from django.core.paginator import Page, Paginator
from django.db.models import Count, Q, Sum
from django.db.models.functions import TruncMonth
from django.shortcuts import get_object_or_404
from django.utils import timezone

from accounts.permissions import is_staff_member
from config import clock
from config.money import format_cents

from .chart import BarChart, bar_chart
from .checkout import get_purpose
from .fees import fee_quote
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
    TransactionKind,
)


# --- what a payment was for, in words ---------------------------------------------------------------
@dataclass(frozen=True)
class Named:
    """What a payment, earning or ledger posting was for, as a person calls it, and where to see it."""

    text: str
    url: str = ""


# Payments stores the other apps' ids as plain numbers (a milestone's, an order's); the apps that own them
# say what they are called (registered in their ``AppConfig.ready``):
# "milestone": ``fn(milestone_ids) -> {id: Named}``; "tip": ``fn(checkouts) -> {checkout_pk: Named}``.
_namers: dict[str, Callable] = {}


def register_namer(kind: str, namer: Callable) -> None:
    _namers[kind] = namer


def milestone_names(milestone_ids) -> dict[int, Named]:
    """``{milestone_id: Named}`` ("Order #3 · Milestone 2: Logo", linked to it) for the ids the milestones
    app knows (1 query)."""
    ids = {i for i in milestone_ids if i is not None}
    namer = _namers.get("milestone")
    return namer(ids) if ids and namer is not None else {}


def checkout_names(checkouts) -> dict[int, Named]:
    """``{checkout_pk: Named}``: a milestone's payment by its milestone (a package ordered and paid: by the
    milestone it made and funded), a tip by its order, anything else by its own description (3 queries at
    most)."""
    checkouts = list(checkouts)
    funded = {c.pk: c.reference_id for c in checkouts if c.purpose == "milestone"}
    # a purchase made when paid (a package order): named by the milestone its payment funded
    made = [c.pk for c in checkouts if c.purpose not in ("milestone", "tip") and c.paid_at is not None]
    if made:
        funded |= dict(
            LedgerTransaction.objects.filter(checkout_id__in=made, milestone_id__isnull=False)
            .values_list("checkout_id", "milestone_id")
            .order_by()
        )
    by_milestone = milestone_names(funded.values())
    tip_namer = _namers.get("tip")
    tips = tip_namer([c for c in checkouts if c.purpose == "tip"]) if tip_namer is not None else {}
    names = {}
    for c in checkouts:
        named = by_milestone.get(funded[c.pk]) if c.pk in funded else tips.get(c.pk)
        names[c.pk] = named or Named(c.description)
    return names


def _name_transactions(transactions) -> None:
    """Set ``for_label`` on each ledger transaction: its kind and what it was for, in words."""
    transactions = list(transactions)
    names = milestone_names(tx.milestone_id for tx in transactions)
    for tx in transactions:
        named = names.get(tx.milestone_id) if tx.milestone_id is not None else None
        tx.for_label = named or Named(tx.description)


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


@dataclass(frozen=True)
class EscrowOutcome:
    """Where the money paid into the escrow of some milestones went, in cents (from their ledger postings)."""

    released_cents: int = 0  # to the seller (their earnings and the platform's commission on them)
    refunded_cents: int = 0  # back to the buyer (their balance or their card)
    held_cents: int = 0  # still in escrow


def escrow_outcome(*, milestone_ids) -> EscrowOutcome:
    """What became of the escrow of ``milestone_ids``: released, refunded, still held (1 query).

    Every posting that takes money out of an escrow is a release, a refund or a dispute split; what the
    buyer got back is what those postings credited to the buyer (balance or card), the rest went to the
    seller's side.
    """
    ids = list(milestone_ids)
    if not ids:
        return EscrowOutcome()
    escrow = Q(account__kind=AccountKind.ESCROW, account__milestone_id__in=ids)
    to_buyer = Q(
        transaction__kind__in=[TransactionKind.REFUND, TransactionKind.SPLIT],
        account__kind__in=[AccountKind.BUYER_BALANCE, AccountKind.PROVIDER_CLEARING],
        amount_cents__gt=0,
    )
    sums = LedgerEntry.objects.filter(transaction__milestone_id__in=ids).aggregate(
        out=Sum("amount_cents", filter=escrow & Q(amount_cents__lt=0)),
        held=Sum("amount_cents", filter=escrow),
        refunded=Sum("amount_cents", filter=to_buyer),
    )
    out, refunded = -(sums["out"] or 0), sums["refunded"] or 0
    return EscrowOutcome(released_cents=out - refunded, refunded_cents=refunded, held_cents=sums["held"] or 0)


@dataclass(frozen=True)
class Refund:
    """Money the buyer got back from a milestone's escrow (a refund, or the buyer's part of a split)."""

    amount_cents: int
    card_last4: str = ""  # refunded to this card; "" = added to the buyer's balance


def refunds_for(*, milestone_ids=None, since=None, transactions=None) -> list[Refund]:
    """What the ledger says the buyer got back from the escrow of ``milestone_ids`` (posted at or after
    ``since``; or in the given ledger ``transactions``), and where it went (1 query)."""
    entries = LedgerEntry.objects.all()
    if milestone_ids is not None:
        entries = entries.filter(transaction__milestone_id__in=list(milestone_ids))
    if transactions is not None:
        entries = entries.filter(transaction__in=[t.pk for t in transactions if t is not None])
    entries = (
        entries.filter(
            transaction__kind__in=[TransactionKind.REFUND, TransactionKind.SPLIT],
            account__kind__in=[AccountKind.BUYER_BALANCE, AccountKind.PROVIDER_CLEARING],
            amount_cents__gt=0,
        )
        .select_related("account", "transaction__checkout")
        .order_by("id")
    )
    if since is not None:
        entries = entries.filter(transaction__created_at__gte=since)
    found = []
    for entry in entries:
        card = entry.transaction.checkout if entry.account.kind == AccountKind.PROVIDER_CLEARING else None
        found.append(Refund(entry.amount_cents, card.card_last4 if card is not None else ""))
    return found


def refund_words(refunds, *, to_you: bool) -> str:
    """Where the refunds went, as a sentence: "$200.00 was added to your balance" ("the buyer's" when the
    reader is not the buyer); "" when nothing was refunded."""
    whose = "your" if to_you else "the buyer's"
    to_balance = sum(r.amount_cents for r in refunds if not r.card_last4)
    by_card: dict[str, int] = {}
    for r in refunds:
        if r.card_last4:
            by_card[r.card_last4] = by_card.get(r.card_last4, 0) + r.amount_cents
    parts = [f"{format_cents(to_balance)} was added to {whose} balance"] if to_balance else []
    parts += [f"{format_cents(cents)} was refunded to {whose} card ending {last4}" for last4, cents in by_card.items()]
    return " and ".join(parts)


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
    paid = get_object_or_404(checkouts, uuid=checkout_uuid)
    paid.for_label = checkout_names([paid])[paid.pk]  # type: ignore[attr-defined]
    paid.receipt_number = receipt_number(paid)  # type: ignore[attr-defined]
    return paid


def receipt_number(checkout: Checkout) -> str:
    """The number a receipt is known by (the checkout's row, zero-padded): short, for people to quote."""
    return f"R-{checkout.pk:06d}"


def receipt_transactions(checkout: Checkout) -> list[LedgerTransaction]:
    return list(LedgerTransaction.objects.filter(checkout=checkout).order_by("created_at"))


@dataclass
class BuyerHistory:
    balances: Balances
    payments: list[Checkout]
    open_checkouts: list[Checkout]
    balance_movements: list[LedgerEntry] = field(default_factory=list)


def buyer_history(*, user, limit: int = 100) -> BuyerHistory:
    """The buyer's payments (newest first), open checkouts and balance movements, each named by what it was
    for (at most 8 queries)."""
    checkouts = Checkout.objects.filter(buyer=user).select_related("payee")
    payments = list(checkouts.filter(status__in=[CheckoutStatus.PAID, CheckoutStatus.CREDITED])[:limit])
    open_checkouts = list(checkouts.filter(status__in=[CheckoutStatus.OPEN, CheckoutStatus.PROCESSING])[:20])
    movements = list(
        LedgerEntry.objects.filter(account__user=user, account__kind=AccountKind.BUYER_BALANCE)
        .select_related("transaction", "transaction__checkout")
        .order_by("-transaction__created_at", "-id")[:limit]
    )
    names = checkout_names([*payments, *open_checkouts])
    for checkout in (*payments, *open_checkouts):
        checkout.for_label = names[checkout.pk]  # type: ignore[attr-defined]
    _name_transactions(entry.transaction for entry in movements)
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
    """Everything the seller's earnings page shows (8 queries, whatever the number of earnings), each pending
    earning named by what it was for (``for_label``).

    Pending earnings are paged (``pending_page``), soonest to clear first.
    """
    months = monthly_earnings(user=user)
    totals = Earning.objects.filter(seller=user).aggregate(
        earned=Sum("amount_cents"), commission=Sum("commission_cents"), count=Count("id")
    )
    pending = Paginator(
        Earning.objects.filter(seller=user, status=EarningStatus.PENDING)
        .select_related("released_transaction")
        .order_by("clears_at", "id"),
        PENDING_PAGE_SIZE,
    ).get_page(pending_page)
    pending.object_list = list(pending.object_list)
    names = milestone_names(e.milestone_id for e in pending.object_list)
    for earning in pending.object_list:
        named = names.get(earning.milestone_id) if earning.milestone_id is not None else None
        if named is not None and earning.released_transaction.kind == TransactionKind.SPLIT:
            named = Named(f"{named.text} (dispute settlement)", named.url)
        earning.for_label = named or Named(earning.description)  # type: ignore[attr-defined]
    return EarningsOverview(
        balances=balances_for(user),
        pending=pending,
        payouts=list(Payout.objects.filter(seller=user)[:payouts_limit]),
        chart=bar_chart(months),
        months=months,
        earned_total_cents=totals["earned"] or 0,
        commission_total_cents=totals["commission"] or 0,
        earnings_count=totals["count"],
    )


def open_card_disputes(*, limit: int = 50) -> list:
    """Card payments disputed with the buyer's bank and not decided yet, oldest first (the resolution center's
    list: the bank decides, Stripe says so by webhook; the seller's earnings stay held meanwhile)."""
    from .models import CardDispute, CardDisputeStatus

    return list(
        CardDispute.objects.filter(status=CardDisputeStatus.OPEN)
        .select_related("checkout__buyer", "checkout__payee")
        .order_by("opened_at", "pk")[:limit]
    )


# --- a checkout that pays the first step of a plan ------------------------------------------------------
@dataclass(frozen=True)
class PlanRow:
    position: int
    title: str
    amount_cents: int
    delivery_days: int
    service_fee_cents: int
    total_cents: int
    paid_now: bool


@dataclass(frozen=True)
class PlanSummary:
    """A package's milestone plan on its checkout page: each step with the fee the buyer will pay on it
    (``payments.fees``, per payment as every milestone is funded), what this payment is, and the order's whole."""

    rows: tuple[PlanRow, ...]
    problem: str
    back_url: str
    amount_cents: int
    service_fee_cents: int
    total_cents: int
    later_cents: int  # what is left to fund later, fees included


def checkout_plan_summary(checkout: Checkout) -> PlanSummary | None:
    """What the checkout's purpose says it is the first payment of (``register_purpose(plan=...)``); None for
    a single payment. Only while it can be paid: a paid checkout's receipt says what was paid."""
    purpose = get_purpose(checkout.purpose)
    payable = checkout.status in (CheckoutStatus.OPEN, CheckoutStatus.PROCESSING)
    if purpose is None or purpose.plan is None or not payable:
        return None
    plan = purpose.plan(checkout)
    if plan is None:
        return None
    rows = []
    for position, step in enumerate(plan.steps, start=1):
        quote = fee_quote(step.amount_cents, service_fee=purpose.service_fee)
        rows.append(
            PlanRow(
                position=position,
                title=step.title,
                amount_cents=step.amount_cents,
                delivery_days=step.delivery_days,
                service_fee_cents=quote.service_fee_cents,
                total_cents=quote.total_cents,
                paid_now=position == 1,
            )
        )
    total = sum(row.total_cents for row in rows)
    return PlanSummary(
        rows=tuple(rows),
        problem=plan.problem,
        back_url=plan.back_url,
        amount_cents=sum(row.amount_cents for row in rows),
        service_fee_cents=sum(row.service_fee_cents for row in rows),
        total_cents=total,
        later_cents=total - (rows[0].total_cents if rows else 0),
    )
