"""The payment provider interface: where card charges, refunds and payouts leave the app.

The app talks to a provider only through ``get_provider()``, which builds the
class named in ``settings.PAYMENTS_PROVIDER`` (default: the built-in sandbox).
A provider implements ``PaymentProvider`` below. Rules every implementation
keeps:

* Every call carries an ``idempotency_key``. Calling again with the same key
  must never move money a second time: it returns the first call's result.
  (The sandbox keeps this promise for successful operations; a real provider
  keeps it on its side, e.g. Stripe's ``Idempotency-Key`` header.)
* A definite refusal raises ``CardDeclined`` or ``ProviderError``; an unknown
  outcome (timeout, connection lost) raises ``ProviderUnavailable``, and the
  caller retries later with the SAME key.
* ``payment_method`` is what the checkout form posted: for the sandbox, a
  test card number; for a real provider, a token made by its browser library
  (e.g. a Stripe ``pm_...`` id), so card numbers never reach this server.

See "Plugging in a real provider" in README.md.
"""

from dataclasses import dataclass, field
from typing import Protocol

from django.conf import settings
from django.utils.module_loading import import_string


@dataclass(frozen=True)
class ProviderResult:
    reference: str  # the provider's id for the operation (charge, refund, transfer or payout)
    amount_cents: int
    card_last4: str = ""
    pending: bool = False  # a payout the provider accepted but has not paid yet (its outcome comes later)


@dataclass(frozen=True)
class AccountStatus:
    """What the provider says about a seller's connected account."""

    payouts_enabled: bool
    transfers_active: bool  # the account can receive transfers from the platform
    details_submitted: bool
    requirements_due: tuple[str, ...] = ()  # what the provider still needs (its field names)
    disabled_reason: str = ""


@dataclass(frozen=True)
class IntentStatus:
    """A card payment's state at the provider (Stripe's PaymentIntent status and what goes with it)."""

    status: str  # "succeeded", "processing", "requires_action", "requires_payment_method", "canceled", ...
    client_secret: str = ""
    message: str = ""  # the last payment error, as the provider words it for the buyer
    amount_cents: int = 0
    card_last4: str = ""


@dataclass(frozen=True)
class ProviderRecords:
    """What the provider has on record, for reconciliation (``manage.py ledger_check``)."""

    charges: dict[str, int] = field(default_factory=dict)  # payment id -> amount received
    refunds: dict[str, tuple[str, int]] = field(default_factory=dict)  # refund id -> (payment id, amount)
    # transfer id -> (destination account, amount, the idempotency key kept in its metadata)
    transfers: dict[str, tuple[str, int, str]] = field(default_factory=dict)
    payouts: dict[str, tuple[str, int, str]] = field(default_factory=dict)  # payout id -> (account, amount, status)
    balance_available: int | None = None  # the platform's available balance, in cents


class PaymentProvider(Protocol):
    name: str
    # True when sellers hold accounts at the provider (onboarding, transfers at clearance, payouts from them)
    connected_accounts: bool
    # The smallest card charge it accepts, in cents (a card part of a payment is never below it)
    min_charge_cents: int

    def prepare_charge(
        self, *, amount_cents: int, idempotency_key: str, description: str, transfer_group: str, intent: str = ""
    ) -> str:
        """Open the provider's payment for a checkout before the card is confirmed; returns its id ("" when the
        provider needs none). ``intent``: the one the checkout already has (it is returned as it is)."""
        ...

    def charge(
        self, *, amount_cents: int, payment_method: str, idempotency_key: str, description: str, intent: str = ""
    ) -> ProviderResult:
        """Charge the card. Raises ``PaymentNeedsAction`` when the buyer must confirm in the browser first."""
        ...

    def find_charge(self, *, idempotency_key: str, intent: str = "") -> ProviderResult | None:
        """The charge made with ``idempotency_key``, or None if there is none (raises ``ProviderUnavailable``
        when it cannot tell). The recovery sweep uses it for card payments whose outcome was never learnt."""
        ...

    def charge_status(self, *, intent: str) -> IntentStatus: ...

    def refund(self, *, charge_reference: str, amount_cents: int, idempotency_key: str) -> ProviderResult: ...

    def transfer(self, *, account: str, amount_cents: int, idempotency_key: str, description: str) -> ProviderResult:
        """Move money from the platform to a seller's connected account (only when ``connected_accounts``)."""
        ...

    def payout(self, *, seller, amount_cents: int, idempotency_key: str) -> ProviderResult: ...

    def account_create(self, *, seller, idempotency_key: str) -> str: ...

    def account_link(self, *, account: str, refresh_url: str, return_url: str) -> str: ...

    def account_status(self, *, account: str) -> AccountStatus: ...

    def verify_event(self, *, payload: bytes, signature: str) -> dict:
        """The webhook event in ``payload`` if ``signature`` proves it came from the provider; else ProviderError."""
        ...

    def records(self) -> ProviderRecords | None:
        """Everything the provider has on record, if it can list it (None: use ``totals``)."""
        ...

    def totals(self) -> dict[str, int] | None:
        """Sums of what the provider holds on record (``charged``, ``refunded``, ``paid_out``), if it can tell."""
        ...


def get_provider() -> PaymentProvider:
    return import_string(settings.PAYMENTS_PROVIDER)()
