"""pytest fixtures for the fake Stripe API (imported by tests/conftest.py).

``fake_stripe``: the fake, emptied, with the settings pointing the app's Stripe provider at it
(``PAYMENTS_PROVIDER``, ``STRIPE_API_BASE``, the keys and the webhook secret). One server per test
process (so one per pytest-xdist worker), emptied before each test that asks for it.
"""

import pytest

from .server import FakeStripe


@pytest.fixture(scope="session")
def fake_stripe_server():
    fake = FakeStripe().start()
    yield fake
    fake.stop()


@pytest.fixture
def fake_stripe(fake_stripe_server, settings):
    fake = fake_stripe_server
    fake.reset()
    settings.PAYMENTS_PROVIDER = "payments.providers.stripe.StripeProvider"
    settings.STRIPE_API_BASE = fake.url
    settings.STRIPE_SECRET_KEY = fake.secret_key
    settings.STRIPE_PUBLISHABLE_KEY = fake.publishable_key
    settings.STRIPE_WEBHOOK_SECRET = fake.webhook_secret
    settings.STRIPE_CURRENCY = "usd"
    settings.STRIPE_COUNTRY = "US"
    # the fake serves Stripe's hosted onboarding page on its own origin (connect.stripe.com at Stripe)
    settings.STRIPE_CSP_EXTRA = {
        **settings.STRIPE_CSP_EXTRA,
        "form-action": [*settings.STRIPE_CSP_EXTRA["form-action"], fake.url],
    }
    yield fake
    fake.reset()
