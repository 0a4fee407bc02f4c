"""Sellers' accounts at the payment provider (Stripe Connect): onboarding, transfers of cleared earnings, and
card disputes. Used only when the provider holds sellers' accounts (``provider.connected_accounts``); the
sandbox pays sellers out from the platform and needs none of this.

Nothing here writes to the ledger: a transfer moves money the ledger already counts as the seller's available
earnings from the platform's provider balance to the seller's connected account (one transfer per clearance
posting, its key); a payout then leaves that account (``services.payout_request``).
"""

import logging

from django.db import transaction
from django.db.models import F
from django.urls import reverse

from accounts.audit import staff_action_record
from accounts.notifications import notification_send
from config import clock
from config.money import format_cents

from .exceptions import PaymentError, ProviderError, ProviderUnavailable
from .models import (
    CardDispute,
    CardDisputeStatus,
    Checkout,
    PayoutAccount,
    ProviderTransfer,
    TransferStatus,
)
from .providers import get_provider

logger = logging.getLogger(__name__)

# What Stripe's requirement names mean, for the earnings page (anything else is shown as Stripe names it).
REQUIREMENT_NAMES = {
    "external_account": "a bank account for payouts",
    "tos_acceptance.date": "accepting Stripe's terms",
    "tos_acceptance.ip": "accepting Stripe's terms",
    "business_type": "the kind of business",
    "individual.first_name": "your first name",
    "individual.last_name": "your last name",
    "individual.dob.day": "your date of birth",
    "individual.dob.month": "your date of birth",
    "individual.dob.year": "your date of birth",
    "individual.address.line1": "your address",
    "individual.address.city": "your address",
    "individual.address.postal_code": "your address",
    "individual.email": "your email address",
    "individual.phone": "your phone number",
    "individual.ssn_last_4": "the last 4 digits of your SSN",
    "individual.id_number": "your ID number",
    "individual.verification.document": "an identity document",
    "business_profile.url": "your website or profile",
    "business_profile.mcc": "your business category",
}


def requirements_in_words(codes) -> list[str]:
    """Stripe's requirement codes as a short list a seller can read, each once, in order."""
    words: list[str] = []
    for code in codes or ():
        word = REQUIREMENT_NAMES.get(code, code.replace("_", " ").replace(".", ": "))
        if word not in words:
            words.append(word)
    return words


def payout_account_refusal(seller) -> str:
    """Why ``seller`` cannot withdraw yet (empty when they can): no payout account, or one the provider
    cannot pay out to. The message says what to do."""
    account = PayoutAccount.objects.filter(seller=seller).first()
    if account is None:
        return (
            "Set up your payout account first (Set up payouts, above): Stripe pays your withdrawals out to your bank."
        )
    if not account.can_receive:
        needs = requirements_in_words(account.requirements_due)
        detail = f" Stripe still needs {', '.join(needs)}." if needs else ""
        return (
            "Your payout account cannot receive payouts yet." + detail + " Finish setting it up (Continue setup, "
            "above); withdrawals open as soon as Stripe enables payouts."
        )
    return ""


def payout_account_start(*, seller, refresh_url: str, return_url: str) -> str:
    """The provider's onboarding page for ``seller`` (an Express account made on first use): returns its URL.

    Also how a seller changes their payout details later (the same link updates the account)."""
    provider = get_provider()
    account = PayoutAccount.objects.filter(seller=seller).first()
    if account is None:
        account_id = provider.account_create(seller=seller, idempotency_key=f"payout-account:{seller.pk}")
        with transaction.atomic():
            account, _created = PayoutAccount.objects.get_or_create(seller=seller, defaults={"account_id": account_id})
    return provider.account_link(account=account.account_id, refresh_url=refresh_url, return_url=return_url)


def payout_account_refresh(*, account_id: str, status=None) -> PayoutAccount | None:
    """Store what the provider says of the account now (asked, or given by an ``account.updated`` event).
    A seller whose account just became able to receive gets their waiting transfers sent."""
    account = PayoutAccount.objects.filter(account_id=account_id).select_related("seller").first()
    if account is None:
        return None
    status = status or get_provider().account_status(account=account_id)
    could = account.can_receive
    PayoutAccount.objects.filter(pk=account.pk).update(
        payouts_enabled=status.payouts_enabled,
        transfers_active=status.transfers_active,
        details_submitted=status.details_submitted,
        requirements_due=list(status.requirements_due),
        disabled_reason=status.disabled_reason[:200],
        updated_at=clock.now(),
    )
    account.refresh_from_db()
    if account.can_receive and not could:
        notification_send(
            user=account.seller,
            text="Your payout account is set up: you can withdraw your available earnings.",
            url="/payments/earnings/",
        )
        transfers_send(seller=account.seller)
    return account


def transfers_send(*, seller=None, now=None, limit: int = 500) -> int:
    """Send queued transfers (cleared earnings) to sellers' connected accounts; returns how many were sent.

    A periodic sweep (and, for one seller, right before a withdrawal). Each transfer carries its clearance's
    key, so a retry after a lost answer never transfers twice. Sellers without an account that can receive
    keep theirs queued. Safe to run twice at once: each row is locked while it is sent.
    """
    provider = get_provider()
    if not provider.connected_accounts:
        return 0
    rows = ProviderTransfer.objects.filter(
        status=TransferStatus.PENDING,
        seller__payout_account__payouts_enabled=True,
        seller__payout_account__transfers_active=True,
    )
    if seller is not None:
        rows = rows.filter(seller=seller)
    sent = 0
    for pk in list(rows.order_by("pk").values_list("pk", flat=True)[:limit]):
        with transaction.atomic():
            row = (
                ProviderTransfer.objects.select_for_update(skip_locked=True, of=("self",))
                .select_related("clearance", "seller__payout_account")
                .filter(pk=pk, status=TransferStatus.PENDING)
                .first()
            )
            if row is None:
                continue
            ProviderTransfer.objects.filter(pk=pk).update(attempts=F("attempts") + 1)
            try:
                result = provider.transfer(
                    account=row.seller.payout_account.account_id,
                    amount_cents=row.amount_cents,
                    idempotency_key=row.idempotency_key,
                    description=f"Cleared earnings ({format_cents(row.amount_cents)})",
                )
            except (ProviderUnavailable, ProviderError) as exc:
                logger.warning("transfer %s: not sent (%s); it stays queued", pk, exc)
                ProviderTransfer.objects.filter(pk=pk).update(last_error=str(exc)[:300])
                continue
            row.sent(reference=result.reference)
            row.save(update_fields=["status", "provider_reference", "sent_at", "last_error"])
            sent += 1
    return sent


def card_dispute_open(*, dispute_id: str, intent: str, amount_cents: int, reason: str) -> CardDispute | None:
    """The buyer's bank opened a dispute on a card payment: a case for support staff, and the seller's pending
    earnings of what it paid for are held. Once per dispute (its id). None if the charge is not this app's."""
    from .services import earnings_hold

    checkout = Checkout.objects.filter(provider_intent=intent).first() or (
        Checkout.objects.filter(provider_reference=intent).first()
    )
    if checkout is None:
        return None
    with transaction.atomic():
        dispute, created = CardDispute.objects.get_or_create(
            dispute_id=dispute_id,
            defaults={"checkout": checkout, "amount_cents": amount_cents, "reason": reason[:100]},
        )
        if created and checkout.purpose == "milestone":
            earnings_hold(milestone_id=checkout.reference_id, hold=True)
    if created:
        for person in _support_staff():
            notification_send(
                user=person,
                text=f"A card payment of {format_cents(amount_cents)} was disputed with the buyer's bank "
                f"({reason or 'no reason given'}); the seller's earnings from it are held.",
                url=reverse("staff_disputes"),
            )
    return dispute


def _support_staff():
    from django.contrib.auth import get_user_model

    from accounts.permissions import SUPPORT_MEMBERS

    return get_user_model().objects.filter(SUPPORT_MEMBERS).distinct()


def card_dispute_close(*, dispute_id: str, won: bool, actor=None) -> CardDispute | None:
    """The bank decided. Won: the hold on the seller's earnings is lifted. Lost: they stay held for support
    staff to settle with the seller (the bank already took the money back from the platform)."""
    from .services import earnings_hold

    with transaction.atomic():
        dispute = (
            CardDispute.objects.select_for_update().select_related("checkout").filter(dispute_id=dispute_id).first()
        )
        if dispute is None or dispute.status != CardDisputeStatus.OPEN:
            return dispute
        dispute.won() if won else dispute.lost()
        dispute.save(update_fields=["status", "closed_at"])
        if won and dispute.checkout.purpose == "milestone":
            earnings_hold(milestone_id=dispute.checkout.reference_id, hold=False)
        if actor is not None:
            staff_action_record(
                staff=actor,
                action="card_dispute_closed",
                milestone=dispute.checkout.reference_id if dispute.checkout.purpose == "milestone" else None,
                target=str(dispute),
                detail=f"Marked the card dispute {dispute.get_status_display().lower()}.",
            )
    return dispute


__all__ = [
    "PaymentError",
    "card_dispute_close",
    "card_dispute_open",
    "payout_account_refresh",
    "payout_account_refusal",
    "payout_account_start",
    "requirements_in_words",
    "transfers_send",
]
