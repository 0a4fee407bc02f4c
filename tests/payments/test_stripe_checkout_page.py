"""The checkout page with the Stripe provider (the fake Stripe API), as the server draws it: what the page's
script (static/js/stripe-checkout.js) needs after a decline and while the bank waits for 3-D Secure.
The browser side is tests/e2e/test_stripe_checkout.py."""

import pytest
from django.test import Client

from milestones import services as milestone_services
from payments.models import CheckoutStatus
from tests.orders.builders import make_order, ms

pytestmark = pytest.mark.django_db


@pytest.fixture
def at_checkout(fake_stripe):
    order = make_order(10000)
    checkout = milestone_services.milestone_fund_checkout(milestone=ms(order, 1), actor=order.buyer)
    client = Client()
    client.force_login(order.buyer)
    return checkout, client


def _pay(client, checkout, payment_method):
    return client.post(checkout.get_absolute_url(), {"pay_with": "card", "payment_method": payment_method})


def test_after_a_decline_the_card_form_is_drawn_with_no_payment_method(at_checkout):
    # the script makes a new payment method only while the field is empty: the refused one must not come back
    checkout, client = at_checkout
    response = _pay(client, checkout, "pm_card_chargeDeclined")
    assert response.status_code == 400
    html = response.content.decode()
    assert "Your card was declined." in html
    assert "pm_card_chargeDeclined" not in html
    assert '<input type="hidden" name="payment_method" id="id_payment_method">' in html
    # and the next card pays
    assert _pay(client, checkout, "pm_card_visa").status_code == 302
    checkout.refresh_from_db()
    assert checkout.status == CheckoutStatus.PAID


def test_a_card_needing_3d_secure_gets_the_banks_window_not_the_processing_notice(at_checkout, fake_stripe):
    checkout, client = at_checkout
    response = _pay(client, checkout, "pm_card_authenticationRequired")
    checkout.refresh_from_db()
    assert checkout.status == CheckoutStatus.PROCESSING  # claimed while the buyer confirms
    intent = fake_stripe.get(checkout.provider_intent)
    html = response.content.decode()
    assert f'data-client-secret="{intent["client_secret"]}"' in html
    assert 'data-testid="checkout-confirming"' in html
    assert 'data-testid="checkout-processing"' not in html

    # reloaded while the bank still waits: its window again
    html = client.get(checkout.get_absolute_url()).content.decode()
    assert f'data-client-secret="{intent["client_secret"]}"' in html
    assert 'data-testid="checkout-processing"' not in html

    # once the bank has answered, a reload no longer offers it
    fake_stripe.complete_3ds(checkout.provider_intent)
    html = client.get(checkout.get_absolute_url()).content.decode()
    assert "data-client-secret" not in html
