"""Conversations: contact from a gig, messages with attachments, unread counts, off-platform warnings."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import Http404
from django.urls import reverse

from marketplace import selectors, services
from marketplace.exceptions import InvalidInput, NotAllowed, SelfContactError
from marketplace.models import Conversation, Message, MessageKind

from .conftest import login

pytestmark = pytest.mark.django_db


def pdf(name="brief.pdf"):
    return SimpleUploadedFile(name, b"%PDF-1.4\n% a small brief\n", content_type="application/pdf")


def test_conversation_start_is_get_or_create_per_pair(buyer, seller, gig, make_gig):
    first = services.conversation_start(buyer=buyer, seller=seller, gig=gig)
    other_gig = make_gig(title="I will review your code thoroughly")
    again = services.conversation_start(buyer=buyer, seller=seller, gig=other_gig)
    assert again.pk == first.pk and Conversation.objects.count() == 1
    assert again.gig == other_gig  # the gig last asked about
    assert services.conversation_start(buyer=buyer, seller=seller).gig == other_gig


def test_nobody_starts_a_conversation_with_themselves(seller, gig, client):
    with pytest.raises(SelfContactError, match="cannot start a conversation with yourself"):
        services.conversation_start(buyer=seller, seller=seller)
    login(client, seller)
    response = client.post(reverse("marketplace:gig_contact", args=[gig.slug]), {"body": "Hi me"}, follow=True)
    assert "This is your own gig" in response.content.decode()
    assert not Conversation.objects.exists()


def test_a_gig_must_belong_to_the_seller(buyer, stranger, gig):
    with pytest.raises(InvalidInput, match="belongs to another seller"):
        services.conversation_start(buyer=buyer, seller=stranger, gig=gig)


def test_buyer_contacts_the_seller_from_a_gig_page(client, buyer, seller, gig):
    login(client, buyer)
    page = client.get(gig.get_absolute_url()).content.decode()
    assert "Contact seller" in page and "Request a custom offer" in page
    response = client.post(
        reverse("marketplace:gig_contact", args=[gig.slug]),
        {"body": "Hello! Can you add a payment page?", "files": [pdf()]},
    )
    conversation = Conversation.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("marketplace:conversation", args=[conversation.pk]) + "#latest"
    assert (conversation.buyer, conversation.seller, conversation.gig) == (buyer, seller, gig)
    message = conversation.messages.get()
    assert message.sender == buyer and message.kind == MessageKind.TEXT
    assert message.attachments.get().name == "brief.pdf"
    assert conversation.seller_unread == 1 and conversation.buyer_unread == 0
    assert conversation.last_message_preview == "Hello! Can you add a payment page?"


def test_anonymous_visitors_are_asked_to_log_in(client, gig):
    page = client.get(gig.get_absolute_url()).content.decode()
    assert "Log in to contact the seller" in page
    response = client.post(reverse("marketplace:gig_contact", args=[gig.slug]), {"body": "Hi"})
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert not Conversation.objects.exists()


def test_an_empty_message_is_refused_with_a_message(client, buyer, gig, conversation):
    login(client, buyer)
    response = client.post(reverse("marketplace:gig_contact", args=[gig.slug]), {"body": "   "})
    assert response.status_code == 400 and "Write a message to the seller." in response.content.decode()
    response = client.post(reverse("marketplace:conversation", args=[conversation.pk]), {"body": ""})
    assert response.status_code == 400 and "Write a message or attach a file." in response.content.decode()
    assert not Message.objects.exists()


def test_only_the_two_parties_read_a_conversation(client, buyer, seller, stranger, conversation):
    services.message_send(conversation=conversation, sender=buyer, body="Private plans")
    url = reverse("marketplace:conversation", args=[conversation.pk])
    for person in (buyer, seller):
        login(client, person)
        assert "Private plans" in client.get(url).content.decode()
    login(client, stranger)
    assert client.get(url).status_code == 404
    assert client.post(url, {"body": "let me in"}).status_code == 404
    assert Message.objects.count() == 1
    client.logout()
    assert client.get(url).status_code == 302  # to the login page
    with pytest.raises(Http404):
        selectors.conversation_for_user(user=stranger, pk=conversation.pk)


def test_non_participants_cannot_send(conversation, stranger):
    with pytest.raises(NotAllowed, match="not part of this conversation"):
        services.message_send(conversation=conversation, sender=stranger, body="hi")
    with pytest.raises(NotAllowed):
        services.conversation_mark_read(conversation=conversation, user=stranger)


def test_attachments_are_served_only_to_the_two_parties(client, buyer, seller, stranger, conversation, make_gig):
    message = services.message_send(conversation=conversation, sender=seller, body="Draft", files=[pdf("draft.pdf")])
    attachment = message.attachments.get()
    url = reverse("marketplace:attachment", args=[conversation.pk, attachment.pk])
    for person in (buyer, seller):
        login(client, person)
        response = client.get(url)
        assert response.status_code == 200
        assert b"".join(response.streaming_content).startswith(b"%PDF-1.4")
        assert "attachment" in response["Content-Disposition"] and "draft.pdf" in response["Content-Disposition"]
        assert response["X-Content-Type-Options"] == "nosniff"
    login(client, stranger)
    assert client.get(url).status_code == 404
    # the stranger's own conversation id does not open someone else's file either
    own = services.conversation_start(buyer=stranger, seller=seller)
    assert client.get(reverse("marketplace:attachment", args=[own.pk, attachment.pk])).status_code == 404
    client.logout()
    assert client.get(url).status_code == 302


def test_unread_counts_reach_the_navigation_and_clear_on_reading(client, buyer, seller, conversation):
    services.message_send(conversation=conversation, sender=buyer, body="one")
    services.message_send(conversation=conversation, sender=buyer, body="two")
    assert selectors.unread_message_count(user=seller) == 2
    assert selectors.unread_message_count(user=buyer) == 0
    login(client, seller)
    page = client.get(reverse("marketplace:inbox")).content.decode()
    assert 'data-testid="unread-badge">2</span>' in page
    client.get(reverse("marketplace:conversation", args=[conversation.pk]))
    assert selectors.unread_message_count(user=seller) == 0
    assert 'data-testid="unread-badge"' not in client.get(reverse("marketplace:inbox")).content.decode()
    services.message_send(conversation=conversation, sender=seller, body="reply")
    assert selectors.unread_message_count(user=buyer) == 1


def test_unread_counts_add_up_over_conversations(buyer, seller, stranger, gig):
    first = services.conversation_start(buyer=buyer, seller=seller, gig=gig)
    second = services.conversation_start(buyer=stranger, seller=buyer)  # buyer sells here
    services.message_send(conversation=first, sender=seller, body="a")
    services.message_send(conversation=second, sender=stranger, body="b")
    services.message_send(conversation=second, sender=stranger, body="c")
    assert selectors.unread_message_count(user=buyer) == 3


@pytest.mark.parametrize(
    "text",
    [
        "Email me at bea.buyer@example.com instead",
        "Call me on +1 (555) 010-2345",
        "Add me on WhatsApp and we skip the fees",
        "Let's move to telegram",
        "My skype is bea_b",
        "DM me @bea_designs",
    ],
)
def test_off_platform_contact_is_delivered_with_a_warning_to_both_sides(client, buyer, seller, conversation, text):
    login(client, buyer)
    response = client.post(reverse("marketplace:conversation", args=[conversation.pk]), {"body": text}, follow=True)
    message = Message.objects.get()
    assert message.off_platform and message.body == text
    content = response.content.decode()
    assert "Your message was sent, but it seems to share" in content
    assert 'data-testid="off-platform-warning"' in content
    login(client, seller)
    content = client.get(reverse("marketplace:conversation", args=[conversation.pk])).content.decode()
    assert text.split()[-1] in content and 'data-testid="off-platform-warning"' in content


@pytest.mark.parametrize(
    "text", ["Can you deliver by 2026-12-01?", "Budget is $1,500 for 3 pages", "I love the @ sign", "Order 1234567"]
)
def test_ordinary_messages_carry_no_warning(buyer, conversation, text):
    assert not services.message_send(conversation=conversation, sender=buyer, body=text).off_platform


def test_buyer_requests_a_custom_offer_from_a_gig(client, buyer, seller, gig):
    login(client, buyer)
    response = client.post(
        reverse("marketplace:gig_request_offer", args=[gig.slug]),
        {
            "description": "A shop with 40 products, Stripe checkout and a blog.",
            "budget": "1500",
            "delivery_days": "30",
        },
    )
    conversation = Conversation.objects.get()
    assert response.status_code == 302
    message = conversation.messages.get()
    assert message.kind == MessageKind.REQUEST
    assert message.data == {"gig_id": gig.pk, "gig_title": gig.title, "budget_cents": 150000, "delivery_days": 30}
    login(client, seller)
    page = client.get(reverse("marketplace:conversation", args=[conversation.pk])).content.decode()
    assert "Request for a custom offer" in page and "$1,500.00" in page and "30 days" in page
    assert "A shop with 40 products" in page


def test_a_vague_request_is_refused_with_a_message(client, buyer, gig):
    login(client, buyer)
    response = client.post(reverse("marketplace:gig_request_offer", args=[gig.slug]), {"description": "logo pls"})
    assert response.status_code == 400
    assert "at least 20 characters" in response.content.decode()
    assert not Conversation.objects.exists()
    with pytest.raises(InvalidInput, match="at least 20 characters"):
        services.custom_offer_request_send(buyer=buyer, gig=gig, description="short")


def test_paused_gigs_take_no_new_contacts(buyer, seller, gig):
    services.gig_pause(gig=gig, actor=seller)
    with pytest.raises(InvalidInput, match="not available"):
        services.seller_contact(buyer=buyer, gig=gig, body="hello")


def test_seller_response_time_is_measured(buyer, seller, conversation, clock):
    services.message_send(conversation=conversation, sender=buyer, body="Are you there?")
    clock.advance(minutes=30)
    services.message_send(conversation=conversation, sender=buyer, body="Hello?")
    clock.advance(minutes=30)
    services.message_send(conversation=conversation, sender=seller, body="Yes, sorry!")
    services.message_send(conversation=conversation, sender=seller, body="Second note doesn't count")
    clock.advance(hours=1)
    services.message_send(conversation=conversation, sender=buyer, body="Great")
    clock.advance(hours=2)
    services.message_send(conversation=conversation, sender=seller, body="Ok")
    stats = selectors.stats_of(seller)
    stats.refresh_from_db()
    assert stats.responses_counted == 2
    assert stats.avg_response_seconds == (3600 + 7200) // 2
    assert stats.response_time_label == "2 hours"


def test_system_notices_reach_both_sides(buyer, seller, conversation):
    services.message_send(conversation=conversation, sender=None, body="Order #1 was created.", kind="system")
    assert selectors.unread_message_count(user=buyer) == 1 and selectors.unread_message_count(user=seller) == 1
    with pytest.raises(NotAllowed):
        services.message_send(conversation=conversation, sender=None, body="anonymous")


def test_inbox_lists_conversations_by_latest_message(client, buyer, seller, stranger, gig, clock):
    first = services.conversation_start(buyer=buyer, seller=seller, gig=gig)
    second = services.conversation_start(buyer=buyer, seller=stranger)
    services.message_send(conversation=first, sender=buyer, body="older thread")
    clock.advance(minutes=5)
    services.message_send(conversation=second, sender=stranger, body="newer thread")
    login(client, buyer)
    page = client.get(reverse("marketplace:inbox")).content.decode()
    assert page.index("newer thread") < page.index("older thread")
    assert gig.title in page
    clock.advance(minutes=5)
    services.message_send(conversation=first, sender=seller, body="bumped up")
    page = client.get(reverse("marketplace:inbox")).content.decode()
    assert page.index("bumped up") < page.index("newer thread")


def test_earlier_messages_are_paged(client, buyer, conversation):
    for n in range(60):
        services.message_send(conversation=conversation, sender=buyer, body=f"message number {n:02d}")
    login(client, buyer)
    url = reverse("marketplace:conversation", args=[conversation.pk])
    response = client.get(url)
    shown = [m.body for m in response.context["message_page"].messages]
    assert shown[0] == "message number 10" and shown[-1] == "message number 59"
    before = response.context["message_page"].earlier_before
    older = client.get(url, {"before": before}).context["message_page"]
    assert [m.body for m in older.messages][-1] == "message number 09" and older.earlier_before is None
