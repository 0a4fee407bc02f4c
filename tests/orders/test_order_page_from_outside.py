"""Found by the outside try of the process declaration (issue 15), each kept as a test."""

import pytest
from django.contrib.admin.sites import site
from django.test import Client, RequestFactory
from django.urls import reverse

from accounts.notifications import email_subject
from milestones import process
from milestones import services as milestone_services
from milestones.models import Milestone, PlanChange, RequestStatus
from tests.orders.builders import deliver, fund, make_order, ms
from tests.orders.dispute_builders import support_user

pytestmark = pytest.mark.django_db


def _client(user):
    client = Client()
    client.force_login(user)
    return client


def test_support_gets_no_milestone_buttons_on_the_order_page():
    """Support was shown "Cancel milestone", whose form answered 404: support acts from the admin."""
    order = make_order(10000, 20000)
    body = _client(support_user()).get(order.get_absolute_url()).content.decode()
    for step in process.STEPS.values():
        assert f'action="{reverse("orders:milestone_action", args=[ms(order, 2).pk, step.name])}"' not in body


def test_the_help_page_names_who_is_told_for_every_step_and_speaks_no_setting_names(client):
    body = client.get(reverse("orders:lifecycle_help")).content.decode()
    for name in ("end_order", "propose", "mutual_cancel", "extension", "change"):
        assert f'data-step="{name}"' in body
        assert process.told(process.STEPS[name]), name
    assert "MILESTONE_REVIEW_WINDOW" not in body and "awaiting_funding</td>" not in body
    assert "whoever opened the dispute" in body


def test_a_request_answer_must_be_one_the_page_offers():
    order = make_order(10000)
    first = fund(ms(order, 1))
    asked = milestone_services.cancellation_request(milestone_id=first.pk, actor=order.buyer, reason="Stop")
    url = reverse("orders:request_decide", args=["cancellation", asked.pk])
    seller = _client(order.seller)
    for bad in ({"decision": "bogus"}, {}, {"decision": "withdraw"}):  # the seller did not ask: cannot withdraw
        response = seller.post(url, bad, follow=True)
        assert "Nothing was changed." in response.content.decode()
        asked.refresh_from_db()
        assert asked.status == RequestStatus.PENDING
    response = seller.post(url, {"decision": "decline"}, follow=True)
    assert "You declined the cancellation; the work on “Milestone 1” goes on." in response.content.decode()


def test_a_change_of_amount_closes_when_the_milestone_is_funded_and_any_change_when_it_starts():
    order = make_order(10000, 20000)
    second = ms(order, 2)
    change = milestone_services.plan_change_propose(
        milestone_id=second.pk,
        actor=order.buyer,
        title="Cheaper",
        description="Less",
        amount_cents=15000,
        delivery_days=3,
        revisions_allowed=1,
    )
    fund(ms(order, 1))
    fund(second)  # funded ahead at 200.00: the change to 150.00 can no longer apply
    change.refresh_from_db()
    assert change.status == RequestStatus.CLOSED
    keeps_amount = milestone_services.plan_change_propose(
        milestone_id=second.pk,
        actor=order.seller,
        title="Renamed",
        description="Same money",
        amount_cents=20000,
        delivery_days=3,
        revisions_allowed=1,
    )
    first = deliver(ms(order, 1))
    milestone_services.milestone_approve(milestone_id=first.pk, actor=order.buyer)
    assert ms(order, 2).state == "in_progress"
    keeps_amount.refresh_from_db()
    assert keeps_amount.status == RequestStatus.CLOSED
    assert not PlanChange.objects.filter(status=RequestStatus.PENDING).exists()


def test_the_agreed_plan_is_read_only_in_the_admin():
    model_admin = site._registry[Milestone]
    request = RequestFactory().get("/")
    request.user = support_user(is_superuser=True)
    readonly = set(model_admin.get_readonly_fields(request, ms(make_order(10000), 1)))
    assert {"money_amount_cents", "delivery_days", "revisions_allowed", "state"} <= readonly  # the amount in dollars


def test_email_subjects_end_on_a_whole_word():
    text = (
        "Bea Buyer opened a dispute on “Logo” (quality). Answer by 07 Dec, 11:27 UTC, or support decides without you."
    )
    subject = email_subject(text)
    assert len(subject) <= 90 and subject.endswith("…") and text.startswith(subject[:-1])
    assert subject[:-1].split()[-1] in text.split()
    assert email_subject("Short.") == "Short."


def test_the_dispute_form_is_not_offered_where_no_dispute_can_be_opened():
    order = make_order(10000, 20000)
    unfunded = ms(order, 1)
    response = _client(order.buyer).get(reverse("orders:dispute_open", args=[unfunded.pk]), follow=True)
    assert "A dispute can’t be opened on a milestone that is “Awaiting funding”." in response.content.decode()
    delivered = deliver(fund(ms(order, 1)))
    response = _client(order.buyer).get(reverse("orders:dispute_open", args=[delivered.pk]))
    assert response.status_code == 200 and "<form" in response.content.decode()
