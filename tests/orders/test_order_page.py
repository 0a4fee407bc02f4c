import pytest
from django.urls import reverse

from marketplace import services as marketplace
from milestones.models import Delivery, State
from tests.factories import UserFactory

from .builders import deliver, fund, make_order, ms

pytestmark = pytest.mark.django_db


def test_order_page_is_only_for_the_parties_and_staff(client):
    order = make_order(10000)
    url = reverse("orders:detail", args=[order.pk])
    client.force_login(UserFactory())
    assert client.get(url).status_code == 404
    client.force_login(UserFactory(is_staff=True))
    assert client.get(url).status_code == 200
    client.force_login(order.buyer)
    assert client.get(url).status_code == 200
    client.logout()
    assert client.get(url).status_code == 302


def test_buttons_are_only_the_actions_this_user_may_take_now(client):
    order = make_order(10000)
    first = deliver(fund(ms(order, 1)))
    client.force_login(order.buyer)
    body = client.get(reverse("orders:detail", args=[order.pk])).content.decode()
    assert "Approve &amp; release payment" in body
    assert "Request a revision" in body
    assert "Submit for review" not in body
    assert "Auto-approves on" in body
    client.force_login(order.seller)
    body = client.get(reverse("orders:detail", args=[order.pk])).content.decode()
    assert "Approve &amp; release payment" not in body
    assert first.title in body


def test_other_users_cannot_act_on_a_milestone(client):
    order = make_order(10000)
    first = deliver(fund(ms(order, 1)))
    client.force_login(UserFactory())
    response = client.post(reverse("orders:milestone_action", args=[first.pk, "approve"]))
    assert response.status_code == 404
    assert ms(order, 1).state == State.DELIVERED


def test_approve_through_the_page_and_a_double_click_moves_money_once(client):
    from payments import services as payments

    order = make_order(10000)
    first = deliver(fund(ms(order, 1)))
    client.force_login(order.buyer)
    url = reverse("orders:milestone_action", args=[first.pk, "approve"])
    first_click = client.post(url, {"expected_state": "delivered"}, follow=True)
    second_click = client.post(url, {"expected_state": "delivered"}, follow=True)
    assert "Approved." in first_click.content.decode()
    assert "changed while you were looking" in second_click.content.decode()
    assert payments.balances_for(order.seller).pending_cents == 8000


def test_an_invalid_delivery_is_refused_with_a_message_and_changes_nothing(client):
    from django.core.files.uploadedfile import SimpleUploadedFile

    order = make_order(10000)
    first = fund(ms(order, 1))
    client.force_login(order.seller)
    evil = SimpleUploadedFile("report.pdf", b"MZ\x90\x00 not a pdf", content_type="application/pdf")
    response = client.post(
        reverse("orders:milestone_action", args=[first.pk, "deliver"]),
        {"message": "done", "files": [evil], "expected_state": "in_progress"},
        follow=True,
    )
    assert "Executable files are not accepted" in response.content.decode()
    assert ms(order, 1).state == State.IN_PROGRESS
    assert not Delivery.objects.exists()


def test_delivery_files_are_served_only_to_the_parties(client):
    from django.core.files.uploadedfile import SimpleUploadedFile

    order = make_order(10000)
    first = fund(ms(order, 1))
    client.force_login(order.seller)
    client.post(
        reverse("orders:milestone_action", args=[first.pk, "deliver"]),
        {"message": "done", "files": [SimpleUploadedFile("notes.txt", b"hello", content_type="text/plain")]},
    )
    file = ms(order, 1).deliveries.get().files.get()
    url = reverse("orders:delivery_file", args=[file.pk])
    client.force_login(order.buyer)
    assert client.get(url).status_code == 200
    client.force_login(UserFactory())
    assert client.get(url).status_code == 404


def _big_order():
    order = make_order(10000, 10000, 10000, 10000, 10000, 10000, revisions=10)
    first = fund(ms(order, 1))
    for i in range(30):
        first = deliver(first, f"delivery {i}")
        if i < 29:
            from milestones import services

            services.milestone_grant_revision(milestone_id=first.pk, actor=order.seller)
            services.milestone_request_revision(milestone_id=first.pk, actor=order.buyer, feedback=f"fix {i}")
            first = ms(order, 1)
    for i in range(300):
        sender = order.buyer if i % 2 else order.seller
        marketplace.message_send(conversation=order.conversation, sender=sender, body=f"message {i}")
    return order


def test_order_page_queries_do_not_grow_with_milestones_deliveries_and_messages(client, django_assert_max_num_queries):
    small = make_order(10000)
    client.force_login(small.buyer)
    with django_assert_max_num_queries(30) as small_ctx:
        assert client.get(reverse("orders:detail", args=[small.pk])).status_code == 200
    big = _big_order()
    client.force_login(big.buyer)
    with django_assert_max_num_queries(30) as big_ctx:
        response = client.get(reverse("orders:detail", args=[big.pk]))
    assert response.status_code == 200
    assert response.content.decode().count('data-testid="delivery"') == 30
    assert len(big_ctx.captured_queries) <= len(small_ctx.captured_queries) + 2


def test_the_lifecycle_help_page_draws_every_transition(client):
    body = client.get(reverse("orders:lifecycle_help")).content.decode()
    for name in ("request_revision", "auto_approve", "resolve_split", "cancel_late"):
        assert name in body
    assert "<svg" in body
