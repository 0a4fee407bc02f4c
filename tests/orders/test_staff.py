"""The staff Resolution Center: only support staff see it, the queue, the case page, the resolve form."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse

from accounts.models import StaffAction
from marketplace.models import MessageAttachment
from milestones.models import State
from orders import disputes
from orders.models import Dispute, DisputeStatus
from payments import services as payments
from payments.models import LedgerTransaction
from tests.factories import UserFactory, recovery_codes
from tests.orders.builders import ms
from tests.orders.dispute_builders import answered, delivered, open_dispute, support_user

pytestmark = pytest.mark.django_db


def login(client, user):
    client.force_login(user)
    return client


def outsiders(order):
    """Everyone who must get a 404: parties, a stranger, plain staff, a Support member who is not staff."""
    group_member = support_user()
    group_member.is_staff = False
    group_member.save()
    return [order.buyer, order.seller, UserFactory(), UserFactory(is_staff=True), group_member]


def test_only_support_staff_see_the_queue_and_the_case(client):
    order, milestone = delivered()
    dispute = open_dispute(milestone)
    urls = [reverse("staff_disputes"), reverse("staff_dispute", args=[dispute.pk])]
    for url in urls:
        assert client.get(url).status_code == 404  # not signed in
    for person in outsiders(order):
        login(client, person)
        for url in urls:
            assert client.get(url).status_code == 404, (person, url)
    login(client, support_user())
    for url in urls:
        assert client.get(url).status_code == 200
    superuser = UserFactory(is_staff=True, is_superuser=True)
    login(client, superuser)
    assert client.get(urls[0]).status_code == 200


def test_the_nav_shows_the_resolution_center_to_staff(client):
    login(client, support_user())
    assert reverse("staff_disputes") in client.get(reverse("dashboard")).content.decode()


def test_the_queue_is_sorted_by_age_and_filtered(client, clock):
    first = open_dispute(delivered()[1])
    clock.advance(hours=1)
    second = answered(open_dispute(delivered()[1]))
    clock.advance(hours=1)
    third = open_dispute(delivered()[1])
    disputes.dispute_ask_staff(dispute_id=second.pk, actor=second.order.buyer)
    staff = support_user()
    disputes.dispute_resolve(dispute_id=second.pk, actor=staff, outcome="release", decision="Delivered as agreed.")
    clock.advance(days=5)
    disputes.disputes_escalate()  # first and third are unanswered: waiting for staff
    withdrawn_dispute = open_dispute(delivered()[1])
    disputes.dispute_withdraw(dispute_id=withdrawn_dispute.pk, actor=withdrawn_dispute.opened_by)
    fresh = open_dispute(delivered()[1])
    login(client, staff)

    def cases(status):
        response = client.get(reverse("staff_disputes"), {"status": status})
        assert response.status_code == 200
        return [d.pk for d in response.context["cases"]]

    assert cases("active") == [first.pk, third.pk, fresh.pk]
    assert cases("waiting") == [first.pk, third.pk]
    assert cases("open") == [fresh.pk]
    assert cases("resolved") == [second.pk, withdrawn_dispute.pk]
    assert cases("nonsense") == [first.pk, third.pk, fresh.pk]


def test_the_queue_reads_in_a_fixed_number_of_queries(client, django_assert_max_num_queries):
    for _ in range(6):
        open_dispute(delivered()[1])
    login(client, support_user())
    with django_assert_max_num_queries(10):
        assert client.get(reverse("staff_disputes")).status_code == 200


def test_the_case_page_shows_the_whole_order_history_and_the_money_held(client):
    order, milestone = delivered(12345)
    conversation = order.conversation
    message = conversation.messages.create(sender=order.buyer, body="Please use our brand colours.")
    MessageAttachment.objects.create(
        message=message, file=SimpleUploadedFile("colours.txt", b"teal"), name="colours.txt", size=4
    )
    dispute = answered(open_dispute(milestone, description="Colours are wrong."), body="Colours match the brief.")
    login(client, support_user())
    response = client.get(reverse("staff_dispute", args=[dispute.pk]))
    page = response.content.decode()
    assert response.context["held_cents"] == 12345
    assert "$123.45" in page
    assert "Milestone 1" in page  # the plan
    assert "Here is the work." in page  # the delivery
    assert "Please use our brand colours." in page  # the conversation
    assert "Colours are wrong." in page and "Colours match the brief." in page  # the thread
    assert "Opened a dispute" in page and "open_dispute" not in page  # the timeline, in words
    attachment = MessageAttachment.objects.get()
    file_url = reverse("staff_conversation_file", args=[dispute.pk, attachment.pk])
    assert file_url in page
    assert client.get(file_url).status_code == 200
    assert 'data-testid="resolve-form"' in page


def test_the_case_page_shows_repeated_disputes_by_the_same_accounts(client):
    buyer = UserFactory()
    earlier = []
    for _ in range(2):
        order, milestone = delivered(buyer=buyer)
        earlier.append(open_dispute(milestone))
    order, milestone = delivered(buyer=buyer)
    dispute = open_dispute(milestone)
    login(client, support_user())
    response = client.get(reverse("staff_dispute", args=[dispute.pk]))
    assert response.context["record"]["buyer_opened"] == 2
    assert response.context["record"]["seller_opened"] == 0
    assert response.context["flag_buyer"] and not response.context["flag_seller"]
    assert [d.pk for d in response.context["previous_disputes"]] == [earlier[1].pk, earlier[0].pk]
    page = response.content.decode()
    assert 'data-testid="previous-disputes"' in page and "repeat" in page


def test_the_case_page_reads_in_a_fixed_number_of_queries(client, django_assert_max_num_queries):
    order, milestone = delivered(10000, 20000, 30000)
    dispute = answered(open_dispute(milestone))
    for i in range(10):
        disputes.dispute_message(dispute_id=dispute.pk, actor=order.buyer, body=f"m{i}")
        order.conversation.messages.create(sender=order.seller, body=f"c{i}")
    login(client, support_user())
    with django_assert_max_num_queries(23):
        assert client.get(reverse("staff_dispute", args=[dispute.pk])).status_code == 200


def test_staff_split_sixty_forty_from_the_resolve_form(client):
    order, milestone = delivered(10000)
    dispute = answered(open_dispute(milestone))
    staff = support_user()
    login(client, staff)
    response = client.post(
        reverse("staff_dispute_resolve", args=[dispute.pk]),
        {
            "outcome": "split",
            "seller_amount": "60.00",
            "decision": "Most of the work was done.",
            "second_factor_code": recovery_codes(staff)[0],  # a decision moves money: asked again
        },
    )
    assert response.status_code == 302
    dispute.refresh_from_db()
    assert (dispute.status, dispute.seller_amount_cents, dispute.buyer_amount_cents) == ("resolved", 6000, 4000)
    assert ms(order, 1).state == State.SETTLED
    assert payments.balances_for(order.seller).pending_cents == 4800
    assert payments.balances_for(order.buyer).buyer_balance_cents == 4000
    call_command("ledger_check")
    for party in (order.buyer, order.seller):
        login(client, party)
        page = client.get(dispute.get_absolute_url()).content.decode()
        assert "Most of the work was done." in page and "$60.00" in page and "$40.00" in page
    log = StaffAction.objects.get(action="dispute_resolve")
    assert log.staff == staff and log.reason == "Most of the work was done."


def test_a_post_to_the_resolve_url_by_anyone_but_support_is_a_404_and_moves_nothing(client):
    order, milestone = delivered(10000)
    dispute = answered(open_dispute(milestone))
    transactions = LedgerTransaction.objects.count()
    url = reverse("staff_dispute_resolve", args=[dispute.pk])
    data = {"outcome": "refund", "decision": "Give it back."}
    assert client.post(url, data).status_code == 404
    for person in outsiders(order):
        login(client, person)
        assert client.post(url, data).status_code == 404
        assert client.post(reverse("staff_dispute_message", args=[dispute.pk]), {"body": "hi"}).status_code == 404
    dispute.refresh_from_db()
    assert dispute.status == DisputeStatus.OPEN
    assert ms(order, 1).state == State.DISPUTED
    assert LedgerTransaction.objects.count() == transactions
    assert not StaffAction.objects.exists()


def test_bad_input_on_the_resolve_form_is_refused_and_nothing_moves(client):
    order, milestone = delivered(10000)
    dispute = answered(open_dispute(milestone))
    staff = support_user()
    codes = iter(recovery_codes(staff))  # each refusal the service makes spends the code it was sent with
    login(client, staff)
    url = reverse("staff_dispute_resolve", args=[dispute.pk])
    transactions = LedgerTransaction.objects.count()
    for data in (
        {"outcome": "split", "seller_amount": "100.01", "decision": "Too much"},
        {"outcome": "split", "seller_amount": "100.00", "decision": "All of it as a split"},
        {"outcome": "split", "decision": "No amount"},
        {"outcome": "refund", "decision": ""},
        {"outcome": "give-away", "decision": "?"},
    ):
        response = client.post(url, {**data, "second_factor_code": next(codes)})
        assert response.status_code == 400, data
    refused = client.post(
        url, {"outcome": "split", "seller_amount": "101", "decision": "x", "second_factor_code": next(codes)}
    )
    assert "seller&#x27;s share must be" in refused.content.decode()
    dispute.refresh_from_db()
    assert dispute.status == DisputeStatus.OPEN
    assert LedgerTransaction.objects.count() == transactions


def test_resolving_twice_from_the_page_is_refused(client):
    order, milestone = delivered(10000)
    dispute = answered(open_dispute(milestone))
    staff = support_user()
    first, second = recovery_codes(staff)[:2]
    login(client, staff)
    url = reverse("staff_dispute_resolve", args=[dispute.pk])
    client.post(url, {"outcome": "refund", "decision": "Refund.", "second_factor_code": first})
    transactions = LedgerTransaction.objects.count()
    response = client.post(url, {"outcome": "release", "decision": "Changed my mind.", "second_factor_code": second})
    assert response.status_code == 400
    assert "already resolved" in response.content.decode()
    assert LedgerTransaction.objects.count() == transactions
    assert Dispute.objects.get().outcome == "refund"


def test_support_writes_to_both_parties_from_the_case_page(client):
    order, milestone = delivered()
    dispute = open_dispute(milestone)
    login(client, support_user())
    client.post(reverse("staff_dispute_message", args=[dispute.pk]), {"body": "Please upload the brief."})
    login(client, order.seller)
    assert "Please upload the brief." in client.get(dispute.get_absolute_url()).content.decode()
