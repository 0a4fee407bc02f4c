"""The parties' dispute pages: open form, case page, answers, settlements, files, and who may see them."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from milestones.models import State
from orders.models import Dispute, DisputeAttachment, DisputeStatus
from tests.factories import UserFactory
from tests.orders.builders import ms
from tests.orders.dispute_builders import answered, delivered, open_dispute, support_user

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n% evidence\n"


def login(client, user):
    client.force_login(user)
    return client


def test_the_order_page_links_to_opening_a_dispute_and_then_to_the_case(client):
    order, milestone = delivered()
    login(client, order.buyer)
    page = client.get(order.get_absolute_url()).content.decode()
    assert reverse("orders:dispute_open", args=[milestone.pk]) in page
    dispute = open_dispute(milestone)
    page = client.get(order.get_absolute_url()).content.decode()
    assert reverse("orders:dispute_open", args=[milestone.pk]) not in page
    link = reverse("orders:milestone_dispute", args=[milestone.pk])
    assert link in page
    assert client.get(link).url == dispute.get_absolute_url()


def test_a_buyer_opens_a_dispute_with_evidence_through_the_form(client):
    order, milestone = delivered()
    login(client, order.buyer)
    url = reverse("orders:dispute_open", args=[milestone.pk])
    assert client.get(url).status_code == 200
    response = client.post(
        url,
        {
            "reason": "not_as_described",
            "description": "The logo has the wrong colours.",
            "expected_state": "delivered",
            "files": [SimpleUploadedFile("brief.pdf", PDF, content_type="application/pdf")],
        },
    )
    dispute = Dispute.objects.get()
    assert response.status_code == 302 and response.url == dispute.get_absolute_url()
    assert ms(order, 1).state == State.DISPUTED
    attachment = DisputeAttachment.objects.get()
    assert attachment.name == "brief.pdf"
    page = client.get(dispute.get_absolute_url()).content.decode()
    assert "The logo has the wrong colours." in page
    assert reverse("orders:dispute_file", args=[attachment.pk]) in page


def test_a_disguised_executable_is_refused_and_no_dispute_opens(client):
    order, milestone = delivered()
    login(client, order.buyer)
    response = client.post(
        reverse("orders:dispute_open", args=[milestone.pk]),
        {
            "reason": "quality",
            "description": "See file",
            "files": [SimpleUploadedFile("proof.pdf", b"MZ\x90\x00binary", content_type="application/pdf")],
        },
    )
    assert response.status_code == 400
    assert not Dispute.objects.exists()
    assert ms(order, 1).state == State.DELIVERED


def test_only_the_parties_can_reach_the_open_form(client):
    order, milestone = delivered()
    url = reverse("orders:dispute_open", args=[milestone.pk])
    login(client, UserFactory())
    assert client.get(url).status_code == 404
    assert client.post(url, {"reason": "quality", "description": "x"}).status_code == 404
    login(client, support_user())
    assert client.get(url).status_code == 404
    assert not Dispute.objects.exists()


def test_the_case_page_and_its_files_are_for_the_parties_and_support_only(client):
    order, milestone = delivered()
    login(client, order.buyer)
    client.post(
        reverse("orders:dispute_open", args=[milestone.pk]),
        {
            "reason": "quality",
            "description": "x",
            "files": [SimpleUploadedFile("notes.txt", b"plain notes", content_type="text/plain")],
        },
    )
    dispute = Dispute.objects.get()
    file_url = reverse("orders:dispute_file", args=[DisputeAttachment.objects.get().pk])
    for person, status in ((order.buyer, 200), (order.seller, 200), (support_user(), 200), (UserFactory(), 404)):
        login(client, person)
        assert client.get(dispute.get_absolute_url()).status_code == status
        assert client.get(file_url).status_code == status
    client.logout()
    assert client.get(file_url).status_code == 302  # to the login page


def test_the_seller_answers_and_the_buyer_proposes_a_split_the_seller_accepts(client):
    order, milestone = delivered(10000)
    dispute = open_dispute(milestone)
    login(client, order.seller)
    page = client.get(dispute.get_absolute_url()).content.decode()
    assert 'data-testid="answer-form"' in page
    client.post(reverse("orders:dispute_post", args=[dispute.pk, "answer"]), {"body": "I followed the brief."})
    dispute.refresh_from_db()
    assert dispute.answered_at is not None

    login(client, order.buyer)
    response = client.post(
        reverse("orders:dispute_post", args=[dispute.pk, "propose"]), {"outcome": "split", "seller_amount": "55.50"}
    )
    assert response.status_code == 302
    proposal = dispute.proposals.get()
    assert (proposal.seller_amount_cents, proposal.buyer_amount_cents) == (5550, 4450)
    # the buyer cannot accept their own proposal
    client.post(reverse("orders:settlement_decide", args=[proposal.pk, "accept"]))
    assert ms(order, 1).state == State.DISPUTED

    login(client, order.seller)
    client.post(reverse("orders:settlement_decide", args=[proposal.pk, "accept"]))
    dispute.refresh_from_db()
    assert dispute.status == DisputeStatus.RESOLVED and dispute.settled_by_parties
    page = client.get(dispute.get_absolute_url()).content.decode()
    assert 'data-testid="decision"' in page and "$55.50" in page and "$44.50" in page


def test_a_split_without_an_amount_or_above_the_escrow_is_refused(client):
    order, milestone = delivered(10000)
    dispute = open_dispute(milestone)
    login(client, order.buyer)
    url = reverse("orders:dispute_post", args=[dispute.pk, "propose"])
    client.post(url, {"outcome": "split"})
    client.post(url, {"outcome": "split", "seller_amount": "100.01"})
    assert not dispute.proposals.exists()


def test_the_opener_withdraws_from_the_page_and_outsiders_cannot_post(client):
    order, milestone = delivered()
    dispute = answered(open_dispute(milestone))
    login(client, UserFactory())
    for action in ("answer", "message", "propose", "withdraw", "ask_staff"):
        assert client.post(reverse("orders:dispute_post", args=[dispute.pk, action]), {"body": "x"}).status_code == 404
    login(client, order.seller)
    client.post(reverse("orders:dispute_post", args=[dispute.pk, "withdraw"]))
    assert ms(order, 1).state == State.DISPUTED  # the seller did not open it
    login(client, order.buyer)
    client.post(reverse("orders:dispute_post", args=[dispute.pk, "withdraw"]))
    assert ms(order, 1).state == State.DELIVERED


def test_the_case_page_reads_in_a_fixed_number_of_queries(client, django_assert_max_num_queries):
    order, milestone = delivered()
    dispute = answered(open_dispute(milestone))
    login(client, order.buyer)
    for i in range(15):
        client.post(reverse("orders:dispute_post", args=[dispute.pk, "message"]), {"body": f"message {i}"})
    with django_assert_max_num_queries(12):
        assert client.get(dispute.get_absolute_url()).status_code == 200
