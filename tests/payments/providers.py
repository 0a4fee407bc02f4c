"""Both payment providers behind one face, for the suites that run on each (the ``provider`` fixture).

The sandbox is the built-in provider; "stripe" is the Stripe provider against the fake Stripe API
(tests/fake_stripe/, fixture ``fake_stripe``). What a test needs to say the same thing on either:

* ``cards``: what the checkout form would post: sandbox test card numbers, or Stripe test PaymentMethods;
* ``fail_next(operation, after=False, error=ProviderUnavailable)``: the next ``charge``, ``find_charge``,
  ``refund``, ``payout`` or ``transfer`` fails before the provider acts (``error``), or after it acted
  (``after=True``: the answer is lost);
* ``seller_can_withdraw(seller)``: nothing for the sandbox; with Stripe, the seller's payout account is made
  and onboarded on the fake (payouts enabled, transfers active), as the onboarding pages would;
* ``bank_pays()``: nothing for the sandbox (it pays out at once); with Stripe, the bank pays every pending
  payout and Stripe says so (the ``payout.paid`` webhook, signed, through the app's endpoint);
* ``charges(checkout=None)`` / ``refunds()`` / ``payouts()``: the amounts the provider holds on record.
"""

from dataclasses import dataclass

from django.test import Client

from payments import connect
from payments.exceptions import CardDeclined, ProviderError, ProviderUnavailable
from payments.models import PayoutAccount, SandboxOperation
from payments.providers.sandbox import CARD_DECLINED, CARD_NETWORK_ERROR, CARD_SUCCEEDS, SandboxProvider
from payments.providers.stripe import StripeProvider

PROVIDERS = ["sandbox", "stripe"]


@dataclass(frozen=True)
class Cards:
    succeeds: str
    declined: str
    network_error: str
    needs_action: str | None = None  # a card the bank asks the buyer to confirm (3-D Secure); sandbox: none


class SandboxSide:
    name = "sandbox"
    cls = SandboxProvider
    cards = Cards(succeeds=CARD_SUCCEEDS, declined=CARD_DECLINED, network_error=CARD_NETWORK_ERROR)

    def fail_next(self, operation, *, after=False, error=ProviderUnavailable):
        SandboxProvider.inject_fault(operation, error=error, after=after)

    def seller_can_withdraw(self, seller):
        pass  # the sandbox pays sellers out from the platform: no account to set up

    def bank_pays(self) -> int:
        return 0  # sandbox payouts are paid when they are made

    def reset(self):
        SandboxProvider.clear_faults()

    def charges(self, checkout=None) -> list[int]:
        rows = SandboxOperation.objects.filter(kind=SandboxOperation.Kind.CHARGE)
        if checkout is not None:
            rows = rows.filter(idempotency_key=checkout.charge_idempotency_key)
        return list(rows.order_by("pk").values_list("amount_cents", flat=True))

    def refunds(self) -> list[int]:
        rows = SandboxOperation.objects.filter(kind=SandboxOperation.Kind.REFUND).order_by("pk")
        return list(rows.values_list("amount_cents", flat=True))

    def payouts(self) -> list[int]:
        rows = SandboxOperation.objects.filter(kind=SandboxOperation.Kind.PAYOUT).order_by("pk")
        return list(rows.values_list("amount_cents", flat=True))


# The Stripe endpoint each provider operation calls (what ``fail_next`` breaks).
STRIPE_ENDPOINTS = {
    "charge": ("POST", r"^/v1/payment_intents/pi_\w+/confirm$"),
    "find_charge": ("GET", r"^/v1/payment_intents/pi_\w+$"),
    "refund": ("POST", r"^/v1/refunds$"),
    "payout": ("POST", r"^/v1/payouts$"),
    "transfer": ("POST", r"^/v1/transfers$"),
}
# The HTTP status that makes the provider raise ``error`` (before Stripe acted).
STRIPE_STATUS = {ProviderUnavailable: 500, ProviderError: 400, CardDeclined: 402}


class StripeSide:
    name = "stripe"
    cls = StripeProvider
    cards = Cards(
        succeeds="pm_card_visa",
        declined="pm_card_chargeDeclined",
        network_error="pm_fake_networkError",
        needs_action="pm_card_threeDSecure2Required",
    )

    def __init__(self, fake):
        self.fake = fake

    def fail_next(self, operation, *, after=False, error=ProviderUnavailable):
        method, path = STRIPE_ENDPOINTS[operation]
        self.fake.inject_fault(method, path, after=after, status=None if after else STRIPE_STATUS[error])

    def seller_can_withdraw(self, seller):
        connect.payout_account_start(seller=seller, refresh_url="/payments/earnings/", return_url="/payments/earnings/")
        account_id = PayoutAccount.objects.get(seller=seller).account_id
        self.fake.onboard(account_id)
        account = connect.payout_account_refresh(account_id=account_id)
        assert account is not None and account.can_receive

    def bank_pays(self) -> int:
        """The bank pays every pending payout; each ``payout.paid`` event reaches the app's webhook."""
        client = Client()
        paid = 0
        for payout in self.fake.all("payout"):
            if payout["status"] in ("pending", "in_transit"):
                self.fake.payout_settle(payout["id"], paid=True)
                event = self.fake.events_of("payout.paid")[-1]
                assert self.fake.deliver(event, client).status_code == 200
                paid += 1
        return paid

    def reset(self):
        self.fake.reset()

    def charges(self, checkout=None) -> list[int]:
        return [
            intent["amount_received"]
            for intent in self.fake.all("payment_intent")
            if intent["status"] == "succeeded"
            and (checkout is None or intent["metadata"].get("checkout_key") == checkout.charge_idempotency_key)
        ]

    def refunds(self) -> list[int]:
        return [refund["amount"] for refund in self.fake.all("refund")]

    def payouts(self) -> list[int]:
        return [payout["amount"] for payout in self.fake.all("payout")]
