"""The ledger against what the provider reports, one record at a time (``manage.py ledger_check``).

A provider that keeps its own records elsewhere (Stripe) returns them from ``records()``; each of its charges,
refunds, transfers and payouts must match one record here, and the other way round. Every difference is named
(which object, what each side says), so that an operator can find it in the provider's dashboard and the admin.
"""

from collections import defaultdict

from django.db.models import Sum

from .models import (
    AccountKind,
    LedgerEntry,
    Payout,
    PayoutStatus,
    ProviderTransfer,
    TransactionKind,
    TransferStatus,
)

MAX_REPORTED = 50
# The postings that may refund a card (their leg back to the provider clearing account, with the checkout).
CARD_REFUND_KINDS = (TransactionKind.REFUND, TransactionKind.SPLIT)
# A credited charge's posting key: f"{checkout key}{CREDIT_MARK}{the provider's charge id}" (services._credit_charge).
CREDIT_MARK = ":credit:"


def provider_differences(records) -> list[str]:
    found: list[str] = []

    # Charges: every card payment recorded here is a charge there, for the card's part; and no charge there
    # is unknown here.
    # A payment names its charge on its checkout (``provider_reference``); a credit names the charge it credits in
    # its key (``services._credit_charge``), since its checkout may have been paid by other means (the balance)
    # and then names no charge at all.
    charged: dict[str, tuple] = {}  # provider charge -> (checkout uuid, cents the ledger took in from the card for it)
    for kind, key, reference, uuid, cents in LedgerEntry.objects.filter(
        account__kind=AccountKind.PROVIDER_CLEARING,
        amount_cents__lt=0,
        transaction__kind__in=[TransactionKind.FUND, TransactionKind.TIP, TransactionKind.CREDIT],
        transaction__checkout__isnull=False,
    ).values_list(
        "transaction__kind",
        "transaction__idempotency_key",
        "transaction__checkout__provider_reference",
        "transaction__checkout__uuid",
        "amount_cents",
    ):
        if kind == TransactionKind.CREDIT and CREDIT_MARK in key:
            reference = key.rsplit(CREDIT_MARK, 1)[1]
        if reference:
            charged[reference] = (uuid, charged.get(reference, (uuid, 0))[1] - cents)
    for reference, (uuid, cents) in charged.items():
        at_provider = records.charges.get(reference)
        if at_provider is None:
            found.append(f"checkout {uuid} was paid by card ({reference}) but the provider has no such charge")
        elif at_provider != cents:
            found.append(
                f"checkout {uuid}: the provider charged {at_provider} cents ({reference}) but the ledger "
                f"took in {cents} from the card"
            )
    for reference, amount in records.charges.items():
        if reference not in charged:
            found.append(
                f"the provider charged {amount} cents ({reference}) that no checkout records "
                "(a charge the recovery sweep has not settled yet, or one made outside this app)"
            )

    # Refunds to the card: per charge, what the ledger refunded to the card equals what the provider refunded
    # (an escrow refund, or the buyer's share of a dispute split sent back to the card).
    ledger_refunds: defaultdict[str, int] = defaultdict(int)
    for reference, amount in (
        LedgerEntry.objects.filter(
            transaction__kind__in=CARD_REFUND_KINDS, amount_cents__gt=0, transaction__checkout__isnull=False
        )
        .exclude(transaction__checkout__provider_reference="")
        .filter(account__kind=AccountKind.PROVIDER_CLEARING)
        .values_list("transaction__checkout__provider_reference")
        .annotate(total=Sum("amount_cents"))
        .order_by()
    ):
        ledger_refunds[reference] += amount
    provider_refunds: defaultdict[str, int] = defaultdict(int)
    for _refund, (charge, amount) in records.refunds.items():
        provider_refunds[charge] += amount
    for charge in sorted(set(ledger_refunds) | set(provider_refunds)):
        if ledger_refunds[charge] != provider_refunds[charge]:
            found.append(
                f"charge {charge}: the provider refunded {provider_refunds[charge]} cents to the card but the ledger "
                f"refunded {ledger_refunds[charge]}"
            )

    # Transfers: each sent transfer is one there, same amount; none there that is not sent here.
    sent = {
        row.provider_reference: row
        for row in ProviderTransfer.objects.filter(status=TransferStatus.SENT).select_related("seller__payout_account")
    }
    for reference, row in sent.items():
        at_provider = records.transfers.get(reference)
        if at_provider is None:
            found.append(f"transfer {reference} ({row.amount_cents} cents to {row.seller}) is not at the provider")
        elif at_provider[1] != row.amount_cents:
            found.append(
                f"transfer {reference}: the provider moved {at_provider[1]} cents, "
                f"the ledger cleared {row.amount_cents}"
            )
    for reference, (account, amount, _key) in records.transfers.items():
        if reference not in sent:
            found.append(f"the provider transferred {amount} cents to {account} ({reference}) that no clearance sent")

    # Payouts: each payout the provider made is a withdrawal here, same amount, and a paid one is paid here.
    payouts = {p.provider_reference: p for p in Payout.objects.exclude(provider_reference="")}
    for reference, (account, amount, status) in records.payouts.items():
        payout = payouts.get(reference)
        if payout is None:
            found.append(f"the provider paid out {amount} cents from {account} ({reference}) with no withdrawal here")
            continue
        if payout.amount_cents != amount:
            found.append(f"payout {reference}: {amount} cents at the provider, {payout.amount_cents} here")
        if status == "paid" and payout.status == PayoutStatus.FAILED:
            found.append(f"payout {reference} was paid by the provider but is marked failed here")
        if status in ("failed", "canceled") and payout.status == PayoutStatus.PAID:
            found.append(f"payout {reference} {status} at the provider but is marked paid here")
    for reference, payout in payouts.items():
        if reference not in records.payouts:
            found.append(f"withdrawal {payout.pk} ({reference}) is not among the provider's payouts")
    return found[:MAX_REPORTED]
