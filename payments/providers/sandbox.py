"""The built-in sandbox provider: no outside service, deterministic test cards.

=======================  =====================================================
card number              what happens
=======================  =====================================================
4242 4242 4242 4242      the charge succeeds
4000 0000 0000 0002      the card is declined (nothing charged)
4000 0000 0000 0119      the provider cannot be reached (network error; retry)
=======================  =====================================================

Any other number is declined as unknown. Expiry and CVC are not checked
beyond their format. Each successful operation is stored as a
``SandboxOperation`` keyed by its idempotency key: the same key returns the
same operation and never moves money twice; a declined or failed attempt
stores nothing, so the buyer can retry with another card.

Tests can inject faults with ``SandboxProvider.faults`` (see ``inject_fault``).
"""

import secrets
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import Sum

from ..exceptions import CardDeclined, ProviderError, ProviderUnavailable
from ..models import SandboxOperation
from . import ProviderResult

CARD_SUCCEEDS = "4242424242424242"
CARD_DECLINED = "4000000000000002"
CARD_NETWORK_ERROR = "4000000000000119"

TEST_CARDS = [
    (CARD_SUCCEEDS, "succeeds"),
    (CARD_DECLINED, "is declined"),
    (CARD_NETWORK_ERROR, "fails with a network error"),
]


def normalise_card_number(number: str) -> str:
    return "".join(ch for ch in str(number) if ch.isdigit())


def format_card_number(number: str) -> str:
    digits = normalise_card_number(number)
    return " ".join(digits[i : i + 4] for i in range(0, len(digits), 4))


@dataclass
class Fault:
    """A failure the next matching call will suffer (tests only).

    ``after=True`` simulates a lost response: the provider did the operation,
    then the connection dropped before the answer arrived.
    """

    operation: str  # "charge", "find_charge", "refund" or "payout"
    error: type[Exception] = ProviderUnavailable
    after: bool = False


class SandboxProvider:
    name = "sandbox"
    connected_accounts = False  # sellers are paid out from the platform: no accounts, no transfers
    min_charge_cents = 1
    faults: list[Fault] = []

    @classmethod
    def inject_fault(cls, operation: str, *, error: type[Exception] = ProviderUnavailable, after: bool = False):
        cls.faults.append(Fault(operation, error, after))

    @classmethod
    def clear_faults(cls):
        cls.faults.clear()

    def _take_fault(self, operation: str, *, after: bool):
        for index, fault in enumerate(self.faults):
            if fault.operation == operation and fault.after == after:
                del self.faults[index]
                raise fault.error()

    def _record(self, *, kind, idempotency_key, amount_cents, **fields) -> ProviderResult:
        existing = SandboxOperation.objects.filter(idempotency_key=idempotency_key).first()
        if existing is None:
            try:
                with transaction.atomic():
                    existing = SandboxOperation.objects.create(
                        kind=kind,
                        idempotency_key=idempotency_key,
                        reference=f"sbx_{kind[:2]}_{secrets.token_hex(8)}",
                        amount_cents=amount_cents,
                        **fields,
                    )
            except IntegrityError:  # the same key raced us: that first operation wins
                existing = SandboxOperation.objects.get(idempotency_key=idempotency_key)
        if existing.kind != kind or existing.amount_cents != amount_cents:
            raise ProviderError("This request reuses an idempotency key with different details.")
        return ProviderResult(existing.reference, existing.amount_cents, existing.card_last4)

    def prepare_charge(self, *, amount_cents, idempotency_key, description, transfer_group="", intent="") -> str:
        return ""  # no intent: each charge is one call

    def charge(self, *, amount_cents, payment_method, idempotency_key, description, intent="") -> ProviderResult:
        self._take_fault("charge", after=False)
        already = SandboxOperation.objects.filter(idempotency_key=idempotency_key).first()
        if already is None:
            number = normalise_card_number(payment_method)
            if number == CARD_NETWORK_ERROR:
                raise ProviderUnavailable()
            if number == CARD_DECLINED:
                raise CardDeclined()
            if number != CARD_SUCCEEDS:
                raise CardDeclined(
                    "This card number is not a sandbox test card, so it was declined. Use 4242 4242 4242 4242 to pay."
                )
        result = self._record(
            kind=SandboxOperation.Kind.CHARGE,
            idempotency_key=idempotency_key,
            amount_cents=amount_cents,
            card_last4=normalise_card_number(payment_method)[-4:],
            description=description[:300],
        )
        self._take_fault("charge", after=True)
        return result

    def find_charge(self, *, idempotency_key, intent="") -> ProviderResult | None:
        self._take_fault("find_charge", after=False)
        found = SandboxOperation.objects.filter(
            kind=SandboxOperation.Kind.CHARGE, idempotency_key=idempotency_key
        ).first()
        return None if found is None else ProviderResult(found.reference, found.amount_cents, found.card_last4)

    def refund(self, *, charge_reference, amount_cents, idempotency_key) -> ProviderResult:
        self._take_fault("refund", after=False)
        charge = SandboxOperation.objects.filter(kind=SandboxOperation.Kind.CHARGE, reference=charge_reference).first()
        if charge is None:
            raise ProviderError("The original card payment was not found, so it cannot be refunded.")
        refunded = sum(
            SandboxOperation.objects.filter(kind=SandboxOperation.Kind.REFUND, charge_reference=charge_reference)
            .exclude(idempotency_key=idempotency_key)
            .values_list("amount_cents", flat=True)
        )
        if refunded + amount_cents > charge.amount_cents:
            raise ProviderError("A card refund cannot exceed what was charged to the card.")
        result = self._record(
            kind=SandboxOperation.Kind.REFUND,
            idempotency_key=idempotency_key,
            amount_cents=amount_cents,
            card_last4=charge.card_last4,
            charge_reference=charge_reference,
        )
        self._take_fault("refund", after=True)
        return result

    def payout(self, *, seller, amount_cents, idempotency_key) -> ProviderResult:
        self._take_fault("payout", after=False)
        result = self._record(
            kind=SandboxOperation.Kind.PAYOUT,
            idempotency_key=idempotency_key,
            amount_cents=amount_cents,
            description=f"Payout to {seller.email}"[:300],
        )
        self._take_fault("payout", after=True)
        return result

    def records(self):
        return None  # its operations are in the database: ledger_check compares totals()

    def totals(self) -> dict[str, int]:
        sums = {kind: 0 for kind in SandboxOperation.Kind.values}
        for row in SandboxOperation.objects.values("kind").annotate(total=Sum("amount_cents")).order_by():
            sums[row["kind"]] = row["total"]
        return {
            "charged": sums[SandboxOperation.Kind.CHARGE],
            "refunded": sums[SandboxOperation.Kind.REFUND],
            "paid_out": sums[SandboxOperation.Kind.PAYOUT],
        }
