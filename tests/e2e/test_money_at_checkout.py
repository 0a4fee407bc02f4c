"""Money at checkout, in Chromium: the balance pays part and the card the rest; a package order is made when
paid (an abandoned click leaves nothing); a single-price gig has an Order button; acting reads the bell."""

import re

import pytest
from django.core.management import call_command

from marketplace import services as marketplace
from marketplace.categories import ensure_category_tree
from marketplace.models import Category
from marketplace.services import PackageData
from milestones import services as milestone_services
from milestones.models import Order
from payments import fees
from payments.integrity import ledger_breaches
from payments.models import Checkout, SandboxOperation
from payments.selectors import balances_for
from tests.e2e.test_user_text_layout import DESKTOP, PHONE, log_in
from tests.factories import UserFactory
from tests.orders.builders import deliver, fund, make_order, ms

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


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


def _buyer_with_balance(cents):
    """A buyer whose funded, unstarted milestone was cancelled: its escrow is on their balance."""
    order = make_order(1000, cents)
    fund(ms(order, 1))
    second = fund(ms(order, 2))
    milestone_services.milestone_cancel(milestone_id=second.pk, actor=order.buyer)
    assert balances_for(order.buyer).buyer_balance_cents == cents
    return order.buyer


def _fill_card(page):
    page.fill("input[name=card_number]", "4242 4242 4242 4242")
    page.fill("input[name=expiry]", "12/34")
    page.fill("input[name=cvc]", "123")


def _width_fits(page):
    scroll, inner = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    assert scroll <= inner


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["1280", "390x844"])
def test_a_buyer_pays_a_package_with_balance_and_card(new_page, viewport):
    seller = UserFactory(display_name="Sol Seller")
    buyer = _buyer_with_balance(3000)
    gig = _gig(seller)
    page = new_page()
    page.set_viewport_size(viewport)
    log_in(page, buyer)

    page.goto(gig.get_absolute_url())
    page.click("form.package-order button:has-text('Order Standard')")
    page.wait_for_url(re.compile(r".*/payments/checkout/[0-9a-f-]+/$"))
    assert not Order.objects.filter(gig=gig).exists()  # nothing before it is paid
    total = 10000 + fees.buyer_service_fee_cents(10000)
    card_part = f"${(total - 3000) / 100:,.2f}"
    offer = page.locator("[data-testid=use-balance]")
    assert "Use my balance ($30.00)" in offer.inner_text()
    assert f"{card_part} charged to your card" in offer.inner_text()
    assert page.locator("input[name=split_payment]").is_checked()
    # the button says what the card is charged, and follows the box (found by the outside try: it said the total)
    pay = page.locator("[data-testid=pay-card]")
    assert pay.inner_text() == f"Pay {card_part} by card"
    page.uncheck("input[name=split_payment]")
    assert pay.inner_text() == f"Pay ${total / 100:,.2f} by card"
    page.check("input[name=split_payment]")
    assert pay.inner_text() == f"Pay {card_part} by card"
    assert "your balance on the platform" in page.inner_text("[data-testid=refund-destination]")
    _width_fits(page)

    _fill_card(page)
    page.click("[data-testid=pay-card]")
    page.wait_for_url(re.compile(r".*/orders/\d+/$"))  # on to the order the payment made
    assert f"$30.00 from your balance and {card_part} by card" in page.inner_text(".messages")

    order = Order.objects.get(gig=gig)
    assert order.milestones.get().state == "in_progress"
    assert balances_for(buyer).buyer_balance_cents == 0
    charges = SandboxOperation.objects.filter(kind="charge").order_by("created_at", "id")
    assert charges.last().amount_cents == total - 3000
    page.goto(Checkout.objects.get(purpose="package").get_receipt_url())
    assert "$30.00" in page.inner_text("[data-testid=receipt-balance-part]")
    assert card_part in page.inner_text("[data-testid=receipt-card-part]")
    assert "•••• 4242" in page.inner_text("[data-testid=receipt-card-part]")
    _width_fits(page)
    call_command("ledger_check")
    assert ledger_breaches() == []


def test_clicking_order_and_leaving_leaves_no_order_and_a_single_price_gig_can_be_ordered(new_page):
    seller = UserFactory(display_name="Sol Seller")
    buyer = UserFactory(display_name="Bea Buyer")
    packaged, single = _gig(seller), _gig(seller, packages=False)
    page = new_page()
    log_in(page, buyer)

    # Order, then walk away from the checkout: neither side sees an order.
    page.goto(packaged.get_absolute_url())
    page.click("form.package-order button:has-text('Order Basic')")
    page.wait_for_url(re.compile(r".*/payments/checkout/[0-9a-f-]+/$"))
    page.goto("/dashboard/")
    assert "I will design your logo" not in page.inner_text("main")
    seller_page = new_page()
    log_in(seller_page, seller)
    assert "Bea Buyer" not in seller_page.inner_text("main")
    assert not Order.objects.exists()

    # The single-price gig's Order button: pay, and the order exists once.
    page.goto(single.get_absolute_url())
    page.click("[data-testid=order-gig]")
    page.wait_for_url(re.compile(r".*/payments/checkout/[0-9a-f-]+/$"))
    assert (
        page.inner_text("[data-testid=checkout-total]") == f"${(7500 + fees.buyer_service_fee_cents(7500)) / 100:,.2f}"
    )
    _fill_card(page)
    page.click("[data-testid=pay-card]")
    page.wait_for_url(re.compile(r".*/orders/\d+/$"))
    order = Order.objects.get()
    assert page.url.endswith(order.get_absolute_url())
    assert order.gig == single and order.milestones.get().amount_cents == 7500
    seller_page.goto("/dashboard/")
    assert f"/orders/{order.pk}/" in seller_page.content()


def test_approving_the_delivery_from_the_bell_clears_that_notification(new_page):
    order = make_order(10000)
    milestone = deliver(fund(ms(order, 1)))
    page = new_page()
    log_in(page, order.buyer)
    unread = order.buyer.notifications.filter(read_at=None, url__endswith=f"#milestone-{milestone.pk}")
    assert unread.exists()
    page.goto(unread.first().url)
    badge = page.locator("[data-live-badge=notifications] .badge")
    before = int(badge.inner_text())
    page.once("dialog", lambda dialog: dialog.accept())
    page.click(f"#milestone-{milestone.pk} [data-testid=approve]")
    page.wait_for_load_state()
    assert ms(order, 1).state == "approved"
    assert not unread.exists()
    after = int(badge.inner_text()) if badge.count() else 0
    assert after < before
