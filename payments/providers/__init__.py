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

from dataclasses import dataclass
from typing import Protocol

from django.conf import settings
from django.utils.module_loading import import_string


@dataclass(frozen=True)
class ProviderResult:
    reference: str  # the provider's id for the operation (charge, refund or payout)
    amount_cents: int
    card_last4: str = ""
    pending: bool = False  # a payout the provider accepted but has not paid yet (it says when: webhook)


class PaymentProvider(Protocol):
    name: str

    def charge(
        self, *, amount_cents: int, payment_method: str, idempotency_key: str, description: str
    ) -> ProviderResult: ...

    def find_charge(self, *, idempotency_key: str) -> ProviderResult | None:
        """The charge made with ``idempotency_key``, or None if there is none (raises ``ProviderUnavailable``
        when it cannot tell). The recovery sweep uses it for card payments whose outcome was never learnt."""
        ...

    def refund(self, *, charge_reference: str, amount_cents: int, idempotency_key: str) -> ProviderResult: ...

    def payout(self, *, seller, amount_cents: int, idempotency_key: str) -> ProviderResult: ...

    def totals(self) -> dict[str, int] | None:
        """Sums of what the provider holds on record (``charged``, ``refunded``, ``paid_out``), if it can tell."""
        ...


def get_provider() -> PaymentProvider:
    return import_string(settings.PAYMENTS_PROVIDER)()
