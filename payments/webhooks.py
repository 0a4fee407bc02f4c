"""The provider's webhook events: verified, stored once, and acted on through the same services as everything else.

``event_receive`` checks the signature (the provider's ``verify_event``: Stripe's HMAC-SHA256 over
``timestamp.payload`` with the signing secret, and a timestamp tolerance), stores the event under its unique
id, and hands it to its handler. A replayed event finds its row already processed and changes nothing; a
handler asks the provider for the object's state now rather than trusting the event's copy, so events that
arrive out of order cannot move anything backwards.
"""

import logging

from django.db import IntegrityError, transaction

from config import clock

from .exceptions import PaymentError, ProviderUnavailable
from .models import Checkout, ProviderEvent

logger = logging.getLogger(__name__)


def _payment_intent(obj) -> str:
    checkout = Checkout.objects.filter(provider_intent=obj.get("id", "")).first()
    if checkout is None:
        return "no checkout of this app"
    from .services import checkout_settle

    try:
        settled = checkout_settle(checkout=checkout)
    except PaymentError as error:
        return f"checkout {checkout.uuid}: {error.message}"
    return f"checkout {checkout.uuid}: {settled.status}"


def _charge_refunded(obj) -> str:
    from django.db.models import Sum

    from .models import AccountKind, LedgerEntry
    from .reconcile import CARD_REFUND_KINDS

    checkout = Checkout.objects.filter(provider_intent=obj.get("payment_intent") or "").first()
    if checkout is None:
        return "no checkout of this app"

    recorded = (
        LedgerEntry.objects.filter(
            transaction__checkout=checkout,
            transaction__kind__in=CARD_REFUND_KINDS,
            account__kind=AccountKind.PROVIDER_CLEARING,
            amount_cents__gt=0,
        ).aggregate(total=Sum("amount_cents"))["total"]
        or 0
    )
    refunded = int(obj.get("amount_refunded") or 0)
    if refunded > recorded:
        logger.warning("checkout %s: %s refunded at the provider, %s in the ledger", checkout.uuid, refunded, recorded)
        return f"refunded at the provider beyond the ledger ({refunded} > {recorded} cents): see ledger_check"
    return f"refund of checkout {checkout.uuid} already in the ledger"


def _dispute_created(obj) -> str:
    from .connect import card_dispute_open

    dispute = card_dispute_open(
        dispute_id=obj.get("id", ""),
        intent=obj.get("payment_intent") or "",
        amount_cents=int(obj.get("amount") or 0),
        reason=obj.get("reason") or "",
    )
    return "no checkout of this app" if dispute is None else f"case opened for {dispute.checkout.uuid}"


def _dispute_closed(obj) -> str:
    from .connect import card_dispute_close

    dispute = card_dispute_close(dispute_id=obj.get("id", ""), won=obj.get("status") == "won")
    return "unknown dispute" if dispute is None else f"dispute {dispute.get_status_display().lower()}"


def _payout(paid: bool):
    def handle(obj) -> str:
        from .services import payout_settle

        payout = payout_settle(reference=obj.get("id", ""), paid=paid, message=obj.get("failure_message") or "")
        return "no payout of this app" if payout is None else f"payout {payout.pk}: {payout.status}"

    return handle


def _account_updated(obj) -> str:
    from .connect import payout_account_refresh

    account = payout_account_refresh(account_id=obj.get("id", ""))
    return "no account of this app" if account is None else f"account of seller {account.seller_id} refreshed"


HANDLERS = {
    "payment_intent.succeeded": _payment_intent,
    "payment_intent.payment_failed": _payment_intent,
    "payment_intent.canceled": _payment_intent,
    "payment_intent.processing": _payment_intent,
    "charge.refunded": _charge_refunded,
    "charge.dispute.created": _dispute_created,
    "charge.dispute.closed": _dispute_closed,
    "payout.paid": _payout(paid=True),
    "payout.failed": _payout(paid=False),
    "account.updated": _account_updated,
}


def event_receive(*, payload: bytes, signature: str) -> ProviderEvent:
    """Verify, store once, act. Raises ``ProviderError`` for a payload whose signature does not hold (nothing
    stored) and ``ProviderUnavailable`` when acting needs the provider and it does not answer (the event stays
    unprocessed; the provider sends it again and it is acted on then)."""
    from .providers import get_provider

    event = get_provider().verify_event(payload=payload, signature=signature)
    try:
        with transaction.atomic():
            row, _created = ProviderEvent.objects.get_or_create(
                event_id=str(event["id"])[:100],
                defaults={"type": str(event.get("type", ""))[:100], "payload": event},
            )
    except IntegrityError:  # the same event delivered twice at the same moment
        row = ProviderEvent.objects.get(event_id=str(event["id"])[:100])
    return event_process(row)


def event_process(row: ProviderEvent) -> ProviderEvent:
    """Act on a stored event once (a processed one is left alone)."""
    with transaction.atomic():
        locked = ProviderEvent.objects.select_for_update().get(pk=row.pk)
        if locked.processed_at is not None:
            return locked
        handler = HANDLERS.get(locked.type)
        obj = (locked.payload.get("data") or {}).get("object") or {}
        try:
            outcome = handler(obj) if handler else "not used by this app"
        except ProviderUnavailable:
            raise
        locked.outcome = outcome[:300]
        locked.processed_at = clock.now()
        locked.save(update_fields=["outcome", "processed_at"])
    return locked
