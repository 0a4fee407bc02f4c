"""Ordering a package with a milestone plan: the checkout pays the first milestone (and shows the whole plan
with its fees), paying makes the order with every milestone, the first funded and started."""

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import Notification
from marketplace import services as marketplace
from marketplace.categories import ensure_category_tree
from marketplace.models import Category, PackageMilestone
from marketplace.services import PackageData, PackageStepData
from milestones.models import Order, State
from orders import services
from payments import services as payments
from payments.exceptions import PaymentError
from payments.fees import fee_quote
from payments.integrity import ledger_breaches
from payments.models import Checkout, CheckoutStatus, SandboxOperation
from payments.providers.sandbox import CARD_SUCCEEDS
from payments.selectors import escrow_balance_cents
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

CARD = {"pay_with": "card", "card_number": "4242 4242 4242 4242", "expiry": "12/34", "cvc": "123"}
PLAN = (
    PackageStepData("Sketches", "Three sketches to choose from.", 5000, 2, 1),
    PackageStepData("Design", "The chosen sketch, drawn in colour.", 15000, 3, 2),
    PackageStepData("Final files", "Every format, with the sources.", 10000, 2, 0),
)


def _packages(plan=PLAN, standard_price=30000):
    return [
        PackageData("basic", "Basic", "One concept.", 10000, 3),
        PackageData("standard", "Standard", "Three phases.", standard_price, 7, 2, plan=plan),
        PackageData("premium", "Premium", "Everything.", 60000, 10),
    ]


def _gig(seller, plan=PLAN):
    ensure_category_tree()
    return marketplace.gig_create(
        seller=seller,
        title="I will design your brand mascot",
        description="A mascot in three phases.",
        category=Category.objects.filter(parent__isnull=False).first(),
        packages=_packages(plan),
    )


def _client(user):
    client = Client()
    client.force_login(user)
    return client


def _change_plan(gig, seller, plan, standard_price=30000):
    marketplace.gig_update(
        gig=gig,
        actor=seller,
        title=gig.title,
        description=gig.description,
        category=gig.category,
        packages=_packages(plan, standard_price),
    )


def test_ordering_a_planned_package_makes_an_order_with_every_milestone_the_first_funded():
    seller, buyer = UserFactory(), UserFactory()
    gig = _gig(seller)
    client = _client(buyer)
    checkout_url = client.post(reverse("orders:order_package", args=[gig.pk, "standard"]))["Location"]
    checkout = Checkout.objects.get()
    assert (checkout.amount_cents, checkout.service_fee_cents) == (5000, fee_quote(5000).service_fee_cents)
    assert checkout.terms_digest and not Order.objects.exists()

    response = client.post(checkout_url, CARD)

    order = Order.objects.get()
    assert response["Location"] == order.get_absolute_url()
    milestones = list(order.milestones.order_by("position"))
    assert [(m.title, m.amount_cents, m.delivery_days, m.revisions_allowed) for m in milestones] == [
        ("Sketches", 5000, 2, 1),
        ("Design", 15000, 3, 2),
        ("Final files", 10000, 2, 0),
    ]
    assert sum(m.amount_cents for m in milestones) == gig.packages.get(tier="standard").price_cents
    assert [m.state for m in milestones] == [State.IN_PROGRESS, State.AWAITING_FUNDING, State.AWAITING_FUNDING]
    assert escrow_balance_cents(milestone_id=milestones[0].pk) == 5000
    assert escrow_balance_cents(milestone_id=milestones[1].pk) == 0
    assert order.title == f"{gig.title} (Standard)"
    assert SandboxOperation.objects.filter(kind="charge").count() == 1
    assert ledger_breaches() == []
    # one notice of the order to the seller, not one per milestone accepted and one more for the funding
    # (outside try: six emails in one second)
    told = list(Notification.objects.filter(user=seller).values_list("text", flat=True))
    assert [t for t in told if "ordered" in t] and not [t for t in told if "accepted" in t or "funded" in t], told


def test_accepting_an_offer_tells_its_author_once_not_once_per_milestone():
    buyer, seller = UserFactory(), UserFactory()
    conversation = marketplace.conversation_start(buyer=buyer, seller=seller)
    offer = services.offer_create(
        conversation=conversation,
        author=seller,
        items=[services.PlanItem(f"Part {i}", "What is delivered.", 10000, 3) for i in range(3)],
    )
    services.offer_accept(offer_id=offer.pk, actor=buyer)
    told = list(Notification.objects.filter(user=seller).values_list("text", flat=True))
    assert len([t for t in told if "accepted" in t]) == 1, told


def test_the_checkout_page_shows_the_plan_what_is_paid_now_and_the_whole_order_with_fees():
    seller, buyer = UserFactory(), UserFactory()
    gig = _gig(seller)
    checkout = services.order_package_checkout(gig_id=gig.pk, tier="standard", buyer=buyer)
    page = _client(buyer).get(checkout.get_absolute_url()).content.decode()

    quotes = [fee_quote(step.amount_cents) for step in PLAN]
    assert "Paid milestone by milestone" in page
    assert page.count('data-testid="checkout-plan-step"') == 3
    for step, quote in zip(PLAN, quotes, strict=True):
        assert step.title in page and f"{quote.total_cents / 100:,.2f}" in page
    assert "$50.00</span> · 2 days" in page and "$150.00</span> · 3 days" in page
    now = quotes[0].total_cents  # $50.00 + 5.5% + $3.00 = $55.75
    whole = sum(q.total_cents for q in quotes)  # each milestone is a payment with its own fee (payments.fees)
    assert now == checkout.total_cents == 5575
    assert f'data-testid="checkout-total">${now / 100:,.2f}<' in page
    assert f'data-testid="checkout-plan-later">${(whole - now) / 100:,.2f}<' in page
    assert f'data-testid="checkout-plan-total">${whole / 100:,.2f}<' in page
    assert "$300.00 + $" in page  # the whole order's amount, then its fees


def test_a_package_without_a_plan_shows_no_plan_at_checkout():
    seller, buyer = UserFactory(), UserFactory()
    gig = _gig(seller)
    checkout = services.order_package_checkout(gig_id=gig.pk, tier="basic", buyer=buyer)
    page = _client(buyer).get(checkout.get_absolute_url()).content.decode()
    assert 'data-testid="checkout-plan"' not in page and checkout.terms_digest == ""


@pytest.mark.parametrize(
    "changed",
    [
        # same first amount, the rest moved: only the plan's digest tells
        (PLAN[0], PackageStepData("Design", "The chosen sketch.", 10000, 3, 2),
         PackageStepData("Final files", "Every format.", 15000, 2, 0)),
        # same amounts and days, another deliverable
        (PLAN[0], PackageStepData("Design", "Only a black and white drawing.", 15000, 3, 2), PLAN[2]),
        # the plan removed: the package is one milestone of its price again
        (),
    ],
    ids=["amounts-moved", "deliverables-changed", "plan-removed"],
)  # fmt: skip
def test_a_plan_changed_between_the_click_and_paying_is_refused_and_nothing_is_charged(changed):
    seller, buyer = UserFactory(), UserFactory()
    gig = _gig(seller)
    checkout = services.order_package_checkout(gig_id=gig.pk, tier="standard", buyer=buyer)
    _change_plan(gig, seller, changed)

    page = _client(buyer).get(checkout.get_absolute_url()).content.decode()
    assert 'data-testid="checkout-plan-problem"' in page and "changed since you clicked Order" in page
    # no card form is offered for a payment the app would refuse (outside try)
    assert 'data-testid="checkout-unpayable"' in page and 'name="card_number"' not in page
    with pytest.raises(PaymentError, match="changed since you clicked Order. Nothing was charged."):
        payments.checkout_pay(checkout=checkout, actor=buyer, payment_method=CARD_SUCCEEDS)
    response = _client(buyer).post(checkout.get_absolute_url(), CARD, follow=True)
    # the plan is named, whatever it did to the first payment (outside try: a removed plan read "the price
    # changed" with the price as it was)
    # said once, by the checkout's own notice (outside try: the flash message said it a second time, and
    # "Nothing was charged." came a third time under Pay), with a way back to the gig as it is now
    page = response.content.decode()
    assert page.count("The milestone plan changed since you clicked Order.") == 1
    assert page.count("Nothing was charged.") == 1
    assert f'href="{gig.get_absolute_url()}" data-testid="checkout-back"' in page
    assert not Order.objects.exists()
    assert not SandboxOperation.objects.exists()
    assert Checkout.objects.get(pk=checkout.pk).status == CheckoutStatus.OPEN

    # ordering again opens a new checkout for the plan as it is now
    again = services.order_package_checkout(gig_id=gig.pk, tier="standard", buyer=buyer)
    assert again.pk != checkout.pk
    payments.checkout_pay(checkout=again, actor=buyer, payment_method=CARD_SUCCEEDS)
    order = Order.objects.get()
    assert order.milestones.count() == (len(changed) or 1)


def test_a_plan_that_no_longer_fits_its_package_cannot_be_ordered():
    """A package's price changed in the admin (not through the gig form) leaves a plan that does not add up."""
    seller, buyer = UserFactory(), UserFactory()
    gig = _gig(seller)
    gig.packages.filter(tier="standard").update(price_cents=31000)
    response = _client(buyer).post(reverse("orders:order_package", args=[gig.pk, "standard"]), follow=True)
    assert "cannot be ordered right now" in response.content.decode()
    assert not Checkout.objects.exists()
    assert PackageMilestone.objects.count() == 3


def test_a_checkout_pays_only_the_seller_it_names():
    """Second outside try (issue 20): the gig's seller was changed (in the admin, since made read-only there)
    while the buyer's checkout was open, and paying it funded an order with the new seller."""
    from milestones.models import Order as Orders

    seller, buyer, stranger = UserFactory(), UserFactory(), UserFactory()
    gig = _gig(seller)
    checkout = services.order_package_checkout(gig_id=gig.pk, tier="standard", buyer=buyer)
    type(gig).objects.filter(pk=gig.pk).update(seller=stranger)

    page = _client(buyer).get(checkout.get_absolute_url()).content.decode()
    assert "This gig has another seller since you clicked Order." in page
    with pytest.raises(PaymentError, match="another seller since you clicked Order. Nothing was charged."):
        payments.checkout_pay(checkout=checkout, actor=buyer, payment_method=CARD_SUCCEEDS)
    assert not Orders.objects.exists() and not SandboxOperation.objects.exists()
    assert Checkout.objects.get(pk=checkout.pk).status == CheckoutStatus.OPEN
