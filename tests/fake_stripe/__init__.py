"""A fake of Stripe's API served on loopback for the tests (see server.py; the fixture is ``fake_stripe``)."""

from .server import PUBLISHABLE_KEY, SECRET_KEY, TEST_CARD_NUMBERS, TEST_PAYMENT_METHODS, WEBHOOK_SECRET, FakeStripe

__all__ = [
    "FakeStripe",
    "PUBLISHABLE_KEY",
    "SECRET_KEY",
    "TEST_CARD_NUMBERS",
    "TEST_PAYMENT_METHODS",
    "WEBHOOK_SECRET",
]
