"""The Stripe Connect provider: card payments on the platform, Express accounts for sellers.

Separate charges and transfers: a checkout is ONE PaymentIntent on the platform (``prepare_charge``,
then ``charge`` confirms it with the PaymentMethod Stripe.js made in the browser); clearance is a
Transfer to the seller's connected account; a withdrawal is a Payout on that account (``Stripe-Account``);
a refund is a Refund of the PaymentIntent.

Every call goes through the official SDK (``stripe.StripeClient``) at ``settings.STRIPE_API_BASE`` with
no retries of its own (``max_network_retries=0``): the app's sweeps retry with the same idempotency keys.
Errors become the payments layer's: a card error -> ``CardDeclined`` with Stripe's message; no answer,
a 5xx or a rate limit -> ``ProviderUnavailable`` (outcome unknown, retry with the same key); any other
refusal -> ``ProviderError`` with a message for people (the detail goes to the log).
"""

import json
import logging
from contextlib import contextmanager

import stripe
from django.conf import settings
from stripe.params import PaymentIntentCreateParams

from ..exceptions import CardDeclined, PaymentNeedsAction, ProviderError, ProviderUnavailable
from . import AccountStatus, IntentStatus, ProviderRecords, ProviderResult

logger = logging.getLogger(__name__)

# Stripe's error codes whose meaning a person can act on; anything else gets the generic message.
REFUSALS = {
    "amount_too_large": "A card refund cannot exceed what was charged to the card.",
    "charge_already_refunded": "This card payment was already refunded in full.",
    "amount_too_small": "This amount is below the smallest card payment the payment provider accepts.",
    "balance_insufficient": "There is not enough money available at the payment provider for this yet.",
    "payouts_not_allowed": "Your payout account cannot receive payouts yet. Finish setting it up on the earnings page.",
    "insufficient_capabilities_for_transfer": "The seller's payout account cannot receive transfers yet.",
    "payment_intent_unexpected_state": "This card payment cannot be changed any more. Reload the page.",
    "payment_intent_authentication_failure": "Your bank could not confirm this payment. Try again or use another card.",
}
# Stripe's minimum charge per currency, in its smallest unit (docs.stripe.com/currencies, minimum charge amounts).
MINIMUM_CHARGE = {"usd": 50, "eur": 50, "gbp": 30, "cad": 50, "aud": 50, "chf": 50, "jpy": 50}
GENERIC_REFUSAL = "The payment provider refused the request. Nothing was moved; please contact support."
NOT_CONFIGURED = "Card payments are not set up on this site (the payment provider's keys are missing)."
STILL_PROCESSING = "Your bank is still processing this payment. We will update the order as soon as it answers."


def _account_of(seller) -> str:
    """The seller's connected account id (``PayoutAccount.account_id``), or a refusal saying what to do."""
    payout_account = getattr(seller, "payout_account", None)
    account_id = getattr(payout_account, "account_id", "")
    if not account_id:
        raise ProviderError("Set up your payout account on the earnings page before withdrawing.")
    return account_id


def _connected_accounts() -> list[str]:
    """Every seller's connected account id, for listing payouts in ``records``."""
    from payments.models import PayoutAccount

    return [account for account in PayoutAccount.objects.values_list("account_id", flat=True) if account]


def _last4(intent) -> str:
    charge = intent.get("latest_charge")
    if isinstance(charge, str) or not charge:
        return ""
    card = (charge.get("payment_method_details") or {}).get("card") or {}
    return card.get("last4") or ""


class StripeProvider:
    name = "stripe"
    connected_accounts = True

    @property
    def min_charge_cents(self) -> int:
        return MINIMUM_CHARGE.get(settings.STRIPE_CURRENCY, 50)

    def __init__(self):
        self._client_instance: stripe.StripeClient | None = None

    @property
    def _client(self) -> stripe.StripeClient:
        if self._client_instance is None:
            if not settings.STRIPE_SECRET_KEY:
                raise ProviderError(NOT_CONFIGURED)
            base = settings.STRIPE_API_BASE
            self._client_instance = stripe.StripeClient(
                settings.STRIPE_SECRET_KEY,
                base_addresses={"api": base, "connect": base, "files": base},
                max_network_retries=0,
            )
        return self._client_instance

    @contextmanager
    def _calling(self, what: str):
        """Turn the SDK's errors into the payments layer's (see the module's docstring)."""
        try:
            yield
        except stripe.CardError as error:
            raise CardDeclined(error.user_message or None) from error
        except (stripe.APIConnectionError, stripe.RateLimitError) as error:
            logger.warning("Stripe %s: no answer (%s)", what, error)
            raise ProviderUnavailable() from error
        except stripe.IdempotencyError as error:
            logger.error("Stripe %s: idempotency key reused with other parameters: %s", what, error.user_message)
            raise ProviderError("This request reuses an idempotency key with different details.") from error
        except stripe.StripeError as error:
            status = error.http_status or 0
            if status >= 500 or isinstance(error, stripe.APIError):
                logger.warning("Stripe %s: server error %s (%s)", what, status, error.user_message)
                raise ProviderUnavailable() from error
            logger.error(
                "Stripe %s refused (%s, code %s, request %s): %s",
                what,
                status,
                error.code,
                error.request_id,
                error.user_message,
            )
            if isinstance(error, stripe.AuthenticationError | stripe.PermissionError):
                raise ProviderError(NOT_CONFIGURED if status == 401 else GENERIC_REFUSAL) from error
            raise ProviderError(REFUSALS.get(error.code or "", GENERIC_REFUSAL)) from error

    # --- Card payments -------------------------------------------------------------------------
    def prepare_charge(self, *, amount_cents, idempotency_key, description, transfer_group, intent="") -> str:
        """The checkout's one PaymentIntent: ``intent`` when the checkout already has one (``charge`` then
        updates its amount if the card's part changed), else a new one. Its key holds the amount: an intent
        opened but never saved on the checkout (a crash in between) was never confirmed, so another amount
        may open another without an idempotency error."""
        if intent:
            return intent
        params: PaymentIntentCreateParams = {
            "amount": amount_cents,
            "currency": settings.STRIPE_CURRENCY,
            # cards only; API version 2026-09-30.endive (what this SDK pins) refuses the older
            # payment_method_types with payment_method_types_no_longer_supported
            "allowed_payment_method_types": ["card"],
            "description": description[:1000],
            "metadata": {"checkout_key": idempotency_key},
        }
        if transfer_group:
            params["transfer_group"] = transfer_group
        with self._calling("create PaymentIntent"):
            intent = self._client.v1.payment_intents.create(
                params=params, options={"idempotency_key": f"{idempotency_key}:intent:{amount_cents}"}
            )
        return intent.id

    def _retrieve_intent(self, intent_id) -> dict:
        with self._calling("retrieve PaymentIntent"):
            return self._client.v1.payment_intents.retrieve(intent_id, params={"expand": ["latest_charge"]}).to_dict()

    def charge(self, *, amount_cents, payment_method, idempotency_key, description, intent="") -> ProviderResult:
        if not intent:
            intent = self.prepare_charge(
                amount_cents=amount_cents, idempotency_key=idempotency_key, description=description, transfer_group=""
            )
        current = self._retrieve_intent(intent)
        if current["status"] in ("succeeded", "processing"):  # a double submit: the first one is under way or done
            return self._outcome(current)
        if current["amount"] != amount_cents:
            with self._calling("update PaymentIntent amount"):
                self._client.v1.payment_intents.update(
                    intent,
                    params={"amount": amount_cents},
                    options={"idempotency_key": f"{idempotency_key}:amount:{amount_cents}"},
                )
        with self._calling("confirm PaymentIntent"):
            confirmed = self._client.v1.payment_intents.confirm(
                intent,
                params={"payment_method": payment_method, "expand": ["latest_charge"]},
                options={"idempotency_key": f"{idempotency_key}:confirm:{payment_method}"},
            )
        replayed = confirmed.last_response is not None and confirmed.last_response.headers.get("Idempotent-Replayed")
        if replayed:  # the same card was confirmed before: that answer is old, so ask how the payment is now
            return self._outcome(self._retrieve_intent(intent))
        return self._outcome(confirmed.to_dict())

    def _outcome(self, intent: dict) -> ProviderResult:
        if intent["status"] == "succeeded":
            return ProviderResult(intent["id"], intent["amount_received"], _last4(intent))
        if intent["status"] == "requires_action":
            raise PaymentNeedsAction(reference=intent["id"], client_secret=intent["client_secret"])
        if intent["status"] == "processing":
            raise ProviderUnavailable(STILL_PROCESSING)
        error = intent.get("last_payment_error") or {}
        raise CardDeclined(error.get("message") or None)

    def find_charge(self, *, idempotency_key, intent="") -> ProviderResult | None:
        if not intent:
            return None  # no PaymentIntent was opened, so nothing was confirmed
        current = self._retrieve_intent(intent)
        if current["status"] == "succeeded":
            return ProviderResult(current["id"], current["amount_received"], _last4(current))
        if current["status"] == "processing":
            raise ProviderUnavailable(STILL_PROCESSING)
        return None

    def charge_status(self, *, intent) -> IntentStatus:
        current = self._retrieve_intent(intent)
        error = current.get("last_payment_error") or {}
        return IntentStatus(
            status=current["status"],
            client_secret=current.get("client_secret") or "",
            message=error.get("message") or "",
            amount_cents=current["amount_received"] if current["status"] == "succeeded" else current["amount"],
            card_last4=_last4(current),
        )

    def refund(self, *, charge_reference, amount_cents, idempotency_key) -> ProviderResult:
        with self._calling("create Refund"):
            refund = self._client.v1.refunds.create(
                params={
                    "payment_intent": charge_reference,
                    "amount": amount_cents,
                    "metadata": {"idempotency_key": idempotency_key[:500]},
                },
                options={"idempotency_key": idempotency_key},
            )
        return ProviderResult(refund.id, refund.amount)

    # --- Connect: transfers, payouts, accounts -------------------------------------------------
    def transfer(self, *, account, amount_cents, idempotency_key, description) -> ProviderResult:
        with self._calling("create Transfer"):
            transfer = self._client.v1.transfers.create(
                params={
                    "amount": amount_cents,
                    "currency": settings.STRIPE_CURRENCY,
                    "destination": account,
                    "description": description[:1000],
                    "metadata": {"idempotency_key": idempotency_key[:500]},
                },
                options={"idempotency_key": idempotency_key},
            )
        return ProviderResult(transfer.id, transfer.amount)

    def payout(self, *, seller, amount_cents, idempotency_key) -> ProviderResult:
        account = _account_of(seller)
        options: stripe.RequestOptions = {"stripe_account": account}
        with self._calling("create Payout"):
            payout = self._client.v1.payouts.create(
                params={
                    "amount": amount_cents,
                    "currency": settings.STRIPE_CURRENCY,
                    "metadata": {"idempotency_key": idempotency_key[:500]},
                },
                options={**options, "idempotency_key": idempotency_key},
            )
        if payout.status in ("pending", "in_transit"):  # a retry finds out whether it was paid meanwhile
            with self._calling("retrieve Payout"):
                payout = self._client.v1.payouts.retrieve(payout.id, options=options)
        if payout.status in ("failed", "canceled"):
            raise ProviderError(payout.failure_message or "The bank refused the payout. Check your payout account.")
        return ProviderResult(payout.id, payout.amount, pending=payout.status != "paid")

    def account_create(self, *, seller, idempotency_key) -> str:
        with self._calling("create Account"):
            account = self._client.v1.accounts.create(
                params={
                    "type": "express",
                    "country": settings.STRIPE_COUNTRY,
                    "email": seller.email,
                    "capabilities": {"transfers": {"requested": True}},
                    "metadata": {"seller": str(seller.pk)},
                },
                options={"idempotency_key": idempotency_key},
            )
        return account.id

    def account_link(self, *, account, refresh_url, return_url) -> str:
        with self._calling("create AccountLink"):
            link = self._client.v1.account_links.create(
                params={
                    "account": account,
                    "type": "account_onboarding",
                    "refresh_url": refresh_url,
                    "return_url": return_url,
                }
            )
        return link.url

    def account_status(self, *, account) -> AccountStatus:
        with self._calling("retrieve Account"):
            found = self._client.v1.accounts.retrieve(account).to_dict()
        requirements = found.get("requirements") or {}
        capabilities = found.get("capabilities") or {}
        due = [*(requirements.get("past_due") or []), *(requirements.get("currently_due") or [])]
        return AccountStatus(
            payouts_enabled=bool(found.get("payouts_enabled")),
            transfers_active=capabilities.get("transfers") == "active",
            details_submitted=bool(found.get("details_submitted")),
            requirements_due=tuple(dict.fromkeys(due)),
            disabled_reason=requirements.get("disabled_reason") or "",
        )

    # --- Webhooks and reconciliation -----------------------------------------------------------
    def verify_event(self, *, payload: bytes, signature: str) -> dict:
        if not settings.STRIPE_WEBHOOK_SECRET:
            raise ProviderError("The webhook signing secret is not set (STRIPE_WEBHOOK_SECRET).")
        try:
            text = payload.decode("utf-8")
            stripe.WebhookSignature.verify_header(
                text, signature, settings.STRIPE_WEBHOOK_SECRET, settings.STRIPE_WEBHOOK_TOLERANCE
            )
            event = json.loads(text)
        except (stripe.SignatureVerificationError, UnicodeDecodeError, ValueError) as error:
            logger.warning("Stripe webhook refused: %s", error)
            raise ProviderError("The webhook's signature is not valid.") from error
        if not isinstance(event, dict) or event.get("object") != "event":
            raise ProviderError("The webhook's body is not a Stripe event.")
        return event

    def records(self) -> ProviderRecords:
        currency = settings.STRIPE_CURRENCY
        records = ProviderRecords()
        with self._calling("list PaymentIntents"):
            for intent in self._client.v1.payment_intents.list(params={"limit": 100}).auto_paging_iter():
                if intent.status == "succeeded":
                    records.charges[intent.id] = intent.amount_received
            for refund in self._client.v1.refunds.list(params={"limit": 100}).auto_paging_iter():
                if refund.status in ("succeeded", "pending"):
                    records.refunds[refund.id] = (str(refund.payment_intent or ""), refund.amount)
            for transfer in self._client.v1.transfers.list(params={"limit": 100}).auto_paging_iter():
                key = transfer.metadata.to_dict().get("idempotency_key", "") if transfer.metadata else ""
                destination = str(transfer.destination or "")  # an id: not expanded
                records.transfers[transfer.id] = (destination, transfer.amount - transfer.amount_reversed, key)
            for account in _connected_accounts():
                listing = self._client.v1.payouts.list(params={"limit": 100}, options={"stripe_account": account})
                for payout in listing.auto_paging_iter():
                    records.payouts[payout.id] = (account, payout.amount, payout.status)
            balance = self._client.v1.balance.retrieve()
        available = [entry.amount for entry in balance.available if entry.currency == currency]
        return ProviderRecords(
            charges=records.charges,
            refunds=records.refunds,
            transfers=records.transfers,
            payouts=records.payouts,
            balance_available=sum(available) if available else 0,
        )

    def totals(self) -> None:
        return None  # reconciliation uses records()
