"""The offer form's plan speaks of milestones, never of Django's "forms" (issue #14)."""

import pytest
from django.urls import reverse

from marketplace import services as marketplace
from orders.models import Offer
from tests.factories import UserFactory

from .test_pages import plan_post, row

pytestmark = pytest.mark.django_db


@pytest.fixture
def conversation(db):
    return marketplace.conversation_start(buyer=UserFactory(), seller=UserFactory())


def offer_page(client, conversation, data):
    client.force_login(conversation.seller)
    return client.post(reverse("orders:offer_new", args=[conversation.pk]), data)


def test_seven_milestones_are_refused_in_words_about_milestones(client, conversation):
    response = offer_page(client, conversation, plan_post(*[row()] * 7))
    page = response.content.decode()
    assert response.status_code == 200
    assert "A plan has at most 6 milestones." in page
    assert "Please submit" not in page and " forms." not in page
    assert not Offer.objects.exists()


def test_the_number_comes_from_settings(client, conversation, settings):
    settings.ORDERS_MAX_MILESTONES = 3
    page = offer_page(client, conversation, plan_post(*[row()] * 4)).content.decode()
    assert "A plan has at most 3 milestones." in page and "Please submit" not in page
    settings.ORDERS_MAX_MILESTONES = 1
    page = offer_page(client, conversation, plan_post(row(), row())).content.decode()
    assert "A plan has at most 1 milestone." in page
    assert not Offer.objects.exists()


def test_a_tampered_row_count_is_refused_in_the_same_words(client, conversation):
    data = plan_post(*[row()] * 7)
    data["plan-TOTAL_FORMS"] = "9223372036854775808"
    page = offer_page(client, conversation, data).content.decode()
    assert "A plan has at most 6 milestones." in page and "Please submit" not in page
    assert not Offer.objects.exists()


def test_a_plan_without_its_hidden_counts_says_to_reload(client, conversation):
    data = plan_post(row())
    del data["plan-TOTAL_FORMS"]
    page = offer_page(client, conversation, data).content.decode()
    assert "The milestones could not be read" in page
    assert "ManagementForm" not in page and "bug report" not in page
    assert not Offer.objects.exists()
