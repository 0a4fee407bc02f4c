"""Ordering a package (or a single-price gig) directly: the click opens a checkout, paying makes the order."""

import threading

import pytest
from django.core.management import call_command
from django.db import close_old_connections, connection
from django.test import Client
from django.urls import reverse

from marketplace import services as marketplace
from marketplace.categories import ensure_category_tree
from marketplace.models import Category, Gig, GigPackage, GigStatus
from marketplace.services import PackageData
from milestones.models import Order, State
from orders import services
from payments import services as payments
from payments.exceptions import CheckoutCredited, PaymentError
from payments.integrity import ledger_breaches
from payments.models import Checkout, CheckoutStatus, SandboxOperation
from payments.providers.sandbox import CARD_SUCCEEDS, SandboxProvider
from payments.selectors import escrow_balance_cents
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

CARD = {"pay_with": "card", "card_number": "4242 4242 4242 4242", "expiry": "12/34", "cvc": "123"}


def _gig(seller, *, packages=True):
    ensure_category_tree()
    tiers = [
        PackageData(t, t.title(), f"{t} package", price, days, 2)
        for t, price, days in (("basic", 5000, 3), ("standard", 10000, 5), ("premium", 20000, 7))
    ]
    extra = {"packages": tiers} if packages else {"price_cents": 7500, "delivery_days": 4}
    return marketplace.gig_create(
        seller=seller,
        title="I will design your logo",
        description="Logo design with source files.",
        category=Category.objects.filter(parent__isnull=False).first(),
        **extra,
    )


def _client(user):
    client = Client()
    client.force_login(user)
    return client


def _orders_seen_by(user):
    """What the dashboard lists for ``user`` (either side)."""
    body = _client(user).get(reverse("dashboard")).content.decode()
    return [order.pk for order in Order.objects.all() if f"/orders/{order.pk}/" in body]


def test_clicking_order_then_leaving_makes_no_order_for_either_side():
    seller, buyer = UserFactory(), UserFactory()
    gig = _gig(seller)
    response = _client(buyer).post(reverse("orders:order_package", args=[gig.pk, "standard"]))
    assert "/payments/checkout/" in response["Location"]
    assert not Order.objects.exists()
    assert _orders_seen_by(buyer) == [] and _orders_seen_by(seller) == []
    checkout = Checkout.objects.get()
    assert (checkout.purpose, checkout.amount_cents, checkout.status) == ("package", 10000, CheckoutStatus.OPEN)


def test_clicking_twice_opens_one_checkout_and_paying_makes_exactly_one_order():
    seller, buyer = UserFactory(), UserFactory()
    gig = _gig(seller)
    client = _client(buyer)
    url = reverse("orders:order_package", args=[gig.pk, "standard"])
    first, second = client.post(url)["Location"], client.post(url)["Location"]
    assert first == second and Checkout.objects.count() == 1

    client.post(first, CARD)
    again = client.post(first, CARD, follow=True)  # a double submit of the paid checkout

    assert "already paid" in again.content.decode()
    order = Order.objects.get()
    milestone = order.milestones.get()
    assert (order.buyer, order.seller, order.gig) == (buyer, seller, gig)
    assert (milestone.amount_cents, milestone.delivery_days, milestone.revisions_allowed) == (10000, 5, 2)
    assert milestone.state == State.IN_PROGRESS  # funded and started
    assert escrow_balance_cents(milestone_id=milestone.pk) == 10000
    assert SandboxOperation.objects.filter(kind="charge").count() == 1
    assert _orders_seen_by(buyer) == [order.pk] and _orders_seen_by(seller) == [order.pk]
    call_command("ledger_check")
    assert ledger_breaches() == []


def test_a_single_price_gig_has_an_order_button_that_pays_then_orders():
    seller, buyer = UserFactory(), UserFactory()
    gig = _gig(seller, packages=False)
    client = _client(buyer)
    page = client.get(gig.get_absolute_url()).content.decode()
    order_url = reverse("orders:order_package", args=[gig.pk, services.PRICE_TIER])
    assert f'action="{order_url}"' in page and "Order ($75.00)" in page
    assert f'action="{order_url}"' not in _client(seller).get(gig.get_absolute_url()).content.decode()

    checkout_url = client.post(order_url)["Location"]
    assert not Order.objects.exists()
    client.post(checkout_url, CARD)

    milestone = Order.objects.get().milestones.get()
    assert (milestone.title, milestone.amount_cents, milestone.delivery_days) == (gig.title, 7500, 4)
    assert milestone.state == State.IN_PROGRESS
    assert ledger_breaches() == []


def test_the_single_price_tier_is_refused_for_a_gig_with_packages():
    seller, buyer = UserFactory(), UserFactory()
    gig = _gig(seller)
    response = _client(buyer).post(reverse("orders:order_package", args=[gig.pk, services.PRICE_TIER]), follow=True)
    assert "sold as packages" in response.content.decode()
    assert not Checkout.objects.exists()


def test_a_price_changed_after_the_click_refuses_the_payment_and_makes_nothing():
    seller, buyer = UserFactory(), UserFactory()
    gig = _gig(seller)
    checkout = services.order_package_checkout(gig_id=gig.pk, tier="basic", buyer=buyer)
    GigPackage.objects.filter(gig=gig, tier="basic").update(price_cents=6000)
    with pytest.raises(PaymentError, match="price changed"):
        payments.checkout_pay(checkout=checkout, actor=buyer, payment_method=CARD_SUCCEEDS)
    assert not Order.objects.exists()
    assert not SandboxOperation.objects.exists()


def test_a_gig_paused_while_the_card_is_charged_credits_the_charge_and_makes_no_order(monkeypatch):
    seller, buyer = UserFactory(), UserFactory()
    gig = _gig(seller)
    checkout = services.order_package_checkout(gig_id=gig.pk, tier="basic", buyer=buyer)
    real_charge = SandboxProvider.charge

    def charge(self, **kwargs):
        result = real_charge(self, **kwargs)
        Gig.objects.filter(pk=gig.pk).update(status=GigStatus.PAUSED)  # the seller paused it meanwhile
        return result

    monkeypatch.setattr(SandboxProvider, "charge", charge)
    with pytest.raises(CheckoutCredited, match="added to your balance"):
        payments.checkout_pay(checkout=checkout, actor=buyer, payment_method=CARD_SUCCEEDS)
    assert not Order.objects.exists()
    assert payments.balances_for(buyer).buyer_balance_cents == checkout.total_cents
    assert ledger_breaches() == []


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_tabs_paying_the_same_package_at_once_make_one_order(require_postgres):
    seller, buyer = UserFactory(), UserFactory()
    gig = _gig(seller)
    checkout = services.order_package_checkout(gig_id=gig.pk, tier="basic", buyer=buyer)
    barrier = threading.Barrier(2)
    outcomes = []

    def pay():
        try:
            barrier.wait(timeout=30)
            outcomes.append(_client(buyer).post(checkout.get_absolute_url(), CARD).status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=pay) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    close_old_connections()
    assert outcomes == [302, 302]
    assert Order.objects.count() == 1
    assert SandboxOperation.objects.filter(kind="charge").count() == 1
    assert Checkout.objects.get(pk=checkout.pk).status == CheckoutStatus.PAID
    assert ledger_breaches() == []


def test_a_paid_package_is_named_by_its_order_and_milestone_in_the_payment_history():
    """Found by the outside try: the buyer's payment history named a package payment by the gig's title."""
    seller, buyer = UserFactory(), UserFactory()
    gig = _gig(seller)
    checkout = services.order_package_checkout(gig_id=gig.pk, tier="basic", buyer=buyer)
    payments.checkout_pay(checkout=checkout, actor=buyer, payment_method=CARD_SUCCEEDS)
    order = Order.objects.get(gig=gig)
    expected = f"Order #{order.pk} · Milestone 1: Basic"
    history = _client(buyer).get(reverse("payments:history")).content.decode()
    assert expected in history and f"/orders/{order.pk}/#milestone-" in history
