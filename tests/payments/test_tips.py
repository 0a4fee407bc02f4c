"""One tip path: the payments service owns the rules (the smallest tip, who can receive one) for the tip page
and the order page alike, and the seller is told when a tip arrives."""

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import Notification
from payments.models import Checkout
from tests.orders.builders import approve, deliver, fund, make_order, ms

from .conftest import pay_tip

pytestmark = pytest.mark.django_db


def test_a_paid_tip_tells_the_seller(buyer, seller):
    pay_tip(buyer, seller, 2500)
    told = Notification.objects.get(user=seller, text__contains="sent you a tip")
    assert "$25.00" in told.text and buyer.public_name in told.text
    assert told.url == reverse("payments:earnings")


@pytest.mark.parametrize("path", ["tip page", "order page"])
def test_the_smallest_tip_is_one_setting_on_both_paths(settings, path):
    settings.TIPS_MIN_CENTS = 700
    order = make_order(10000)
    approve(deliver(fund(ms(order, 1))))
    client = Client()
    client.force_login(order.buyer)
    url = (
        reverse("payments:tip", args=[order.seller.pk])
        if path == "tip page"
        else reverse("orders:tip", args=[order.pk])
    )
    response = client.post(url, {"amount": "6.99"}, follow=True)
    assert "A tip is at least $7.00." in response.content.decode()
    assert not Checkout.objects.filter(purpose="tip").exists()
    client.post(url, {"amount": "7"})
    assert Checkout.objects.filter(purpose="tip", amount_cents=700).count() == 1
