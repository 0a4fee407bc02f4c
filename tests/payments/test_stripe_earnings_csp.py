"""The earnings page's Content-Security-Policy with the Stripe provider: "Set up payouts" posts to this site,
which answers with a redirect to Stripe's hosted onboarding, and browsers apply form-action to that redirect
(tests/e2e/test_stripe_payout_journey.py presses it in Chromium). Only that page is widened, only with Stripe."""

import pytest
from django.test import Client

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _form_action(client, path):
    policy = client.get(path)["Content-Security-Policy"]
    return next(part.split()[1:] for part in policy.split("; ") if part.startswith("form-action"))


def test_the_earnings_page_may_send_its_form_to_stripes_onboarding(fake_stripe):
    client = Client()
    client.force_login(UserFactory())
    assert _form_action(client, "/payments/earnings/") == ["'self'", "https://connect.stripe.com", fake_stripe.url]
    assert _form_action(client, "/payments/history/") == ["'self'"]


def test_with_the_sandbox_the_earnings_page_keeps_the_strict_policy(db):
    client = Client()
    client.force_login(UserFactory())
    assert _form_action(client, "/payments/earnings/") == ["'self'"]
