"""What the first outside try of issue #14's fixes found (README and the running app only), each a test."""

import pytest
from django.test import Client

from milestones import services as milestone_services
from milestones.models import RequestStatus
from payments import services as payments
from payments.exceptions import PaymentError
from payments.forms import CardForm
from payments.models import CheckoutStatus
from payments.providers.sandbox import CARD_SUCCEEDS
from tests.factories import UserFactory
from tests.orders.builders import deliver, fund, make_order, ms

pytestmark = pytest.mark.django_db


def _client(user):
    client = Client()
    client.force_login(user)
    return client


def test_a_checkout_for_a_cancelled_milestone_says_so_instead_of_offering_to_pay(django_capture_on_commit_callbacks):
    order = make_order(10000, 20000)
    second = ms(order, 2)
    checkout = milestone_services.milestone_fund_checkout(milestone=second, actor=order.buyer)
    with django_capture_on_commit_callbacks(execute=True):
        milestone_services.milestone_cancel(milestone_id=second.pk, actor=order.buyer)
    checkout.refresh_from_db()
    assert checkout.status == CheckoutStatus.CANCELLED
    page = _client(order.buyer).get(checkout.get_absolute_url()).content.decode()
    assert "no longer needs funding" in page
    assert 'data-testid="pay-card"' not in page and 'data-testid="pay-balance"' not in page
    history = _client(order.buyer).get("/payments/history/").content.decode()
    assert "Waiting for payment" not in history or checkout.description not in history


def test_a_checkout_whose_milestone_amount_changed_is_closed_with_a_way_back(django_capture_on_commit_callbacks):
    order = make_order(10000, 20000)
    second = ms(order, 2)
    checkout = milestone_services.milestone_fund_checkout(milestone=second, actor=order.buyer)
    change = milestone_services.plan_change_propose(
        milestone_id=second.pk,
        actor=order.seller,
        title="Smaller",
        description="Less work",
        amount_cents=5000,
        delivery_days=3,
        revisions_allowed=1,
    )
    with django_capture_on_commit_callbacks(execute=True):
        milestone_services.plan_change_decide(change_id=change.pk, actor=order.buyer, accept=True)
    checkout.refresh_from_db()
    assert checkout.status == CheckoutStatus.CANCELLED and "amount changed" in checkout.failure_message
    response = _client(order.buyer).post(checkout.get_absolute_url(), {"pay_with": "balance"}, follow=True)
    assert "amount changed" in response.content.decode()
    new = milestone_services.milestone_fund_checkout(milestone=ms(order, 2), actor=order.buyer)
    assert new.pk != checkout.pk and new.amount_cents == 5000


def test_a_cancellation_request_closes_when_the_milestone_is_delivered():
    """The buyer saw "Agree to cancel" on a delivered milestone, a button that could only be refused."""
    order = make_order(10000)
    first = fund(ms(order, 1))
    request = milestone_services.cancellation_request(milestone_id=first.pk, actor=order.seller, reason="Busy")
    deliver(first)
    request.refresh_from_db()
    assert request.status == RequestStatus.CLOSED
    page = _client(order.buyer).get(order.get_absolute_url()).content.decode()
    assert "Agree to cancel" not in page


def test_support_staff_cannot_be_tipped():
    buyer, staff = UserFactory(), UserFactory(is_staff=True)
    with pytest.raises(PaymentError, match="cannot receive tips"):
        payments.tip_send(buyer=buyer, seller=staff, amount_cents=500, return_url="/")
    response = _client(buyer).post(f"/payments/tip/{staff.pk}/", {"amount": "5.00"}, follow=True)
    assert "cannot receive tips" in response.content.decode()


def test_a_tip_checkout_opened_before_the_payee_became_staff_cannot_be_paid():
    buyer, seller = UserFactory(), UserFactory()
    checkout = payments.tip_send(buyer=buyer, seller=seller, amount_cents=500, return_url="/")
    seller.is_staff = True
    seller.save()
    with pytest.raises(PaymentError, match="cannot receive tips"):
        payments.checkout_pay(checkout=checkout, actor=buyer, payment_method=CARD_SUCCEEDS)


@pytest.mark.parametrize("typed", ["١٢٣", "1_0", "+5", "٣", "1e2", " 3 4 "])
def test_days_and_revisions_take_only_the_digits_0_to_9(typed):
    order = make_order(10000)
    response = _client(order.buyer).post(
        f"/orders/{order.pk}/add-milestone",
        {
            "add-title": "Extra",
            "add-description": "More",
            "add-amount": "50",
            "add-delivery_days": typed,
            "add-revisions_allowed": "1",
        },
        follow=True,
    )
    assert "digits 0–9" in response.content.decode()
    assert order.milestones.count() == 1


@pytest.mark.parametrize("expiry", ["12/9999", "1/2099", "12/٣٤", "12/34/56"])
def test_a_card_expiry_far_off_or_not_in_digits_is_refused(expiry):
    form = CardForm({"card_number": "4242 4242 4242 4242", "expiry": expiry, "cvc": "123"})
    assert not form.is_valid() and "expiry" in form.errors
