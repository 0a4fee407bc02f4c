"""Demo money for ``seed_demo``: a year of tips to the demo seller, some cleared and withdrawn.

Made through the same services people use (checkout with the sandbox card,
the clearance sweep, a withdrawal). To give the earnings chart a history, the
project clock is moved back while the older tips are paid, then put back.
Idempotent: nothing is added once the demo seller has tips from the demo buyer.
"""

from datetime import timedelta

from django.core.management.base import CommandError

from accounts.models import User
from config import clock

from . import services
from .models import Checkout, CheckoutStatus
from .providers import get_provider
from .providers.sandbox import CARD_SUCCEEDS

# (days ago, amount in cents, note)
DEMO_TIPS = [
    (330, 2500, "fast turnaround"),
    (270, 4000, "great API docs"),
    (210, 1500, "quick fix"),
    (150, 6000, "went the extra mile"),
    (95, 3500, "clean code"),
    (60, 8000, "launch day help"),
    (20, 2000, "thanks again"),
    (3, 5000, "lovely work"),
]


def demo_payment_method() -> str:
    """What the demo data pays with: the sandbox's test card, or Stripe's documented test payment method with
    Stripe's test keys. Demo data never pays with live keys (there is no test card for real money)."""
    from django.conf import settings

    from .providers import get_provider

    provider = get_provider()
    if provider.name == "sandbox":
        return CARD_SUCCEEDS
    if provider.name == "stripe" and settings.STRIPE_SECRET_KEY.startswith("sk_test_"):
        return "pm_card_visa"
    raise CommandError("Demo data is made with the sandbox or with Stripe's test keys (sk_test_...), never live keys.")


def seed(stdout):
    buyer = User.objects.filter(email="buyer2@example.com").first()
    seller = User.objects.filter(email="seller@example.com").first()
    if buyer is None or seller is None:
        return
    already = Checkout.objects.filter(buyer=buyer, payee=seller, purpose="tip", status=CheckoutStatus.PAID)
    if already.exists():
        return
    try:
        for days_ago, amount, note in DEMO_TIPS:
            clock.set_offset(-timedelta(days=days_ago))
            checkout = services.tip_send(
                buyer=buyer, seller=seller, amount_cents=amount, note=note, return_url="/payments/history/"
            )
            services.checkout_pay(checkout=checkout, actor=buyer, payment_method=demo_payment_method())
            services.earnings_clear()
        clock.set_offset(-timedelta(days=40))
        if not get_provider().connected_accounts:  # with Stripe the seller sets up payouts first (Earnings)
            services.payout_request(seller=seller, amount_cents=10000, idempotency_key="demo-payout-1")
    finally:
        clock.set_offset(None)
    services.earnings_clear()
    stdout.write(f"Payments: {len(DEMO_TIPS)} demo tips to {seller.email}, one withdrawal.")
