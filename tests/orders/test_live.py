"""Pages that update themselves: the poll (``orders:live``), the stamps it compares, what it costs, and the
email of messages left unseen. The browser side is tests/e2e/test_live_updates.py."""

import json
import re
from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse

from accounts.models import Notification
from accounts.notifications import notification_email
from config import clock
from marketplace import services as marketplace
from marketplace.models import Conversation
from orders import services
from orders.timers import sweep_message_emails
from tests.factories import UserFactory

from .builders import deliver, fund, make_offer, make_order, ms

pytestmark = pytest.mark.django_db

LIVE = reverse("orders:live")
# what one poll may cost: the session and the user (the middleware's), the navigation's counts in one
# statement, and the watched object's stamp in one more
POLL_QUERIES = 3
WATCHED_POLL_QUERIES = POLL_QUERIES + 1


def _poll(client, **params):
    response = client.get(LIVE, params, HTTP_ACCEPT="application/json")
    return response, (json.loads(response.content) if response["Content-Type"] == "application/json" else None)


def _page_stamp(client, url):
    body = client.get(url).content.decode()
    found = re.search(r'data-live-stamp="([^"]*)"', body)
    assert found, "the page carries its stamp"
    page = re.search(r'data-live-page="([^"]*)"', body)
    watch = re.search(r'data-live-url="([^"]*)"', body)
    return found.group(1), page.group(1), watch.group(1)


def test_signed_out_the_poll_says_so_and_nothing_else(client):
    response, data = _poll(client)
    assert response.status_code == 403 and data == {"signed_in": False}
    assert client.get(reverse("home")).content.decode().count("data-live-url") == 0  # nothing polls


def test_the_bell_and_the_inbox_counts_in_a_fixed_number_of_queries(client, django_assert_max_num_queries):
    me, other = UserFactory(), UserFactory()
    conversation = marketplace.conversation_start(buyer=me, seller=other)
    client.force_login(me)
    _poll(client)
    with django_assert_max_num_queries(POLL_QUERIES):
        response, data = _poll(client)
    assert response.status_code == 200 and data["notifications"] == 0 and data["messages"] == 0 and "stamp" not in data
    assert response["Cache-Control"].startswith("max-age=0") and "no-store" in response["Cache-Control"]
    marketplace.message_send(conversation=conversation, sender=other, body="Are you there?")
    with django_assert_max_num_queries(POLL_QUERIES):
        response, data = _poll(client)
    assert data["messages"] == 1 and data["notifications"] == 1  # the inbox and the bell both say it
    assert data["every"] > 0


@pytest.mark.parametrize("page", ["order", "conversation"])
def test_a_watched_page_polls_its_stamp_which_moves_with_what_it_shows(page, client, django_assert_max_num_queries):
    order = make_order(10000, 20000)
    seller, buyer = order.seller, order.buyer
    url = order.get_absolute_url() if page == "order" else order.conversation.get_absolute_url()
    client.force_login(seller)
    stamp, page_url, poll_url = _page_stamp(client, url)
    assert page_url == url and poll_url.startswith(LIVE + "?")
    key, value = poll_url.split("?", 1)[1].split("=")
    with django_assert_max_num_queries(WATCHED_POLL_QUERIES):
        response, data = _poll(client, **{key: value})
    assert response.status_code == 200 and data["stamp"] == stamp, "unchanged: the page and the poll agree"

    marketplace.message_send(conversation=order.conversation, sender=buyer, body="Funding the first one now.")
    moved = _poll(client, **{key: value})[1]["stamp"]
    assert moved != stamp, "a new message changes the stamp"
    if page == "order":
        fund(ms(order, 1))
        funded = _poll(client, **{key: value})[1]["stamp"]
        assert funded != moved, "a milestone's new state changes the order page's stamp"
        moved = funded
    assert _page_stamp(client, url)[0] == _poll(client, **{key: value})[1]["stamp"] == moved


def test_an_offer_decided_moves_the_conversation_stamp():
    offer = make_offer(10000)
    from marketplace.selectors import conversation_stamp

    before = conversation_stamp(user=offer.seller, pk=offer.conversation_id)
    services.offer_decline(offer_id=offer.pk, actor=offer.buyer)
    assert conversation_stamp(user=offer.seller, pk=offer.conversation_id) != before


def test_support_staff_may_watch_an_order_they_may_open(client):
    order = make_order(10000)
    staff = UserFactory(is_staff=True, second_factor=False)
    client.force_login(staff)
    response, data = _poll(client, o=order.pk)
    assert response.status_code == 200 and data["stamp"].startswith("o")


@pytest.mark.parametrize(
    "params",
    [
        {"o": "{other_order}"},
        {"c": "{other_conversation}"},
        {"o": "999999999"},
        {"c": "abc"},
        {"o": "-1"},
        {"o": "١٢"},  # digits, but not ASCII ones
        {"o": "1" * 40},
        {"x": "1"},
        {"o": "{mine}", "c": "{mine_conversation}"},
    ],
)
def test_what_is_not_theirs_or_not_a_page_is_404(params, client):
    mine = make_order(10000)
    other = make_order(10000)
    names = {
        "other_order": other.pk,
        "other_conversation": other.conversation_id,
        "mine": mine.pk,
        "mine_conversation": mine.conversation_id,
    }
    client.force_login(mine.buyer)
    response, _data = _poll(client, **{k: v.format(**names) for k, v in params.items()})
    assert response.status_code == 404


def test_the_poll_is_read_only(client):
    order = make_order(10000)
    conversation = order.conversation
    marketplace.message_send(conversation=conversation, sender=order.buyer, body="hello")
    unread = Conversation.objects.get(pk=conversation.pk).seller_unread
    client.force_login(order.seller)
    for params in ({}, {"o": order.pk}, {"c": conversation.pk}):
        _poll(client, **params)
    conversation.refresh_from_db()
    assert conversation.seller_unread == unread > 0, "polling is not reading: only the page marks messages seen"
    assert Notification.objects.filter(user=order.seller, read_at=None).exists()
    assert client.post(LIVE).status_code == 405


def test_with_polling_off_pages_carry_no_poll(client, settings):
    settings.LIVE_POLL_SECONDS = 0
    order = make_order(10000)
    client.force_login(order.buyer)
    body = client.get(order.get_absolute_url()).content.decode()
    assert "data-live-url" not in body and "js/live.js" not in body


# --- a message left unseen is emailed, once per stretch -----------------------------------------
def _sent_to(user):
    """The emails ``user`` has had, once the email task ran for every notification that wants one."""
    for pk in Notification.objects.filter(email_wanted=True, emailed_at=None).values_list("pk", flat=True):
        notification_email(pk)
    return [m for m in mail.outbox if user.email in m.to]


def test_a_message_left_unseen_is_emailed_once(settings, django_capture_on_commit_callbacks):
    settings.MESSAGES_EMAIL_AFTER = timedelta(minutes=15)
    buyer, seller = UserFactory(), UserFactory()
    conversation = marketplace.conversation_start(buyer=buyer, seller=seller)
    with django_capture_on_commit_callbacks(execute=True):
        marketplace.message_send(conversation=conversation, sender=buyer, body="Can you start on Monday?")
    assert _sent_to(seller) == [], "a message is not emailed as it arrives"
    notice = Notification.objects.get(user=seller)
    assert not notice.email_wanted, "the bell has it at once"
    now = clock.now()
    with django_capture_on_commit_callbacks(execute=True):
        assert sweep_message_emails(now=now + timedelta(minutes=14)) == 0
    with django_capture_on_commit_callbacks(execute=True):
        marketplace.message_send(conversation=conversation, sender=buyer, body="And by Friday?")
        assert sweep_message_emails(now=now + timedelta(minutes=16)) == 1
    emails = _sent_to(seller)
    assert len(emails) == 1 and "And by Friday?" in emails[0].subject + emails[0].body
    assert conversation.get_absolute_url() in emails[0].body
    with django_capture_on_commit_callbacks(execute=True):
        marketplace.message_send(conversation=conversation, sender=buyer, body="Still there?")
        assert sweep_message_emails(now=now + timedelta(minutes=40)) == 0, "one email per stretch unseen"
        assert sweep_message_emails(now=now + timedelta(minutes=40)) == 0
    assert len(_sent_to(seller)) == 1
    assert _sent_to(buyer) == [], "the sender is not emailed about their own messages"
    assert Notification.objects.filter(user=seller).count() == 3, "no extra bell entry for the email"


def test_reading_or_answering_ends_the_stretch_and_the_next_one_is_emailed_again(
    settings, client, django_capture_on_commit_callbacks
):
    settings.MESSAGES_EMAIL_AFTER = timedelta(minutes=15)
    buyer, seller = UserFactory(), UserFactory()
    conversation = marketplace.conversation_start(buyer=buyer, seller=seller)
    marketplace.message_send(conversation=conversation, sender=buyer, body="first")
    client.force_login(seller)
    client.get(conversation.get_absolute_url())  # seen
    conversation.refresh_from_db()
    assert conversation.seller_unseen_since is None
    later = clock.now() + timedelta(hours=1)
    with django_capture_on_commit_callbacks(execute=True):
        assert sweep_message_emails(now=later) == 0, "read in time: no email"
    marketplace.message_send(conversation=conversation, sender=buyer, body="second")
    marketplace.message_send(conversation=conversation, sender=seller, body="answered")  # answering is seeing
    with django_capture_on_commit_callbacks(execute=True):
        assert sweep_message_emails(now=later) == 1, "the seller's answer is the buyer's to see"
    assert len(_sent_to(buyer)) == 1 and _sent_to(seller) == []
    marketplace.message_send(conversation=conversation, sender=buyer, body="third")
    conversation.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        assert sweep_message_emails(now=conversation.seller_unseen_since + timedelta(minutes=16)) == 1
    assert len(_sent_to(seller)) == 1


def test_an_already_read_bell_entry_still_gets_its_email_as_a_notice(settings, django_capture_on_commit_callbacks):
    buyer, seller = UserFactory(), UserFactory()
    conversation = marketplace.conversation_start(buyer=buyer, seller=seller)
    marketplace.message_send(conversation=conversation, sender=buyer, body="hello")
    Notification.objects.filter(user=seller).update(read_at=clock.now())  # "mark all read" in the bell
    with django_capture_on_commit_callbacks(execute=True):
        assert sweep_message_emails(now=clock.now() + settings.MESSAGES_EMAIL_AFTER + timedelta(seconds=1)) == 1
    (email,) = _sent_to(seller)
    assert "1 unread message from" in email.subject


def test_system_notices_and_offers_are_not_emailed_as_unseen_messages(settings, django_capture_on_commit_callbacks):
    order = make_order(10000)
    fund(ms(order, 1))
    deliver(ms(order, 1))
    Conversation.objects.filter(pk=order.conversation_id).update(buyer_unread=5)
    with django_capture_on_commit_callbacks(execute=True):
        assert sweep_message_emails(now=clock.now() + timedelta(days=1)) == 0


def test_the_order_page_shows_the_newest_messages_so_opening_it_sees_them(
    settings, client, django_capture_on_commit_callbacks
):
    """Outside try: a message shown live in the order page's conversation panel stayed unread (the inbox badge
    kept it) and was emailed as unseen a minute later."""
    order = make_order(10000)
    marketplace.message_send(conversation=order.conversation, sender=order.buyer, body="Shown on the order page")
    staff = UserFactory(is_staff=True, second_factor=False)
    client.force_login(staff)
    assert client.get(order.get_absolute_url()).status_code == 200
    assert Conversation.objects.get(pk=order.conversation_id).seller_unread > 0, "support reading is not the seller"
    client.force_login(order.seller)
    body = client.get(order.get_absolute_url()).content.decode()
    assert "Shown on the order page" in body and 'data-testid="unread-badge"' not in body
    conversation = Conversation.objects.get(pk=order.conversation_id)
    assert conversation.seller_unread == 0 and conversation.seller_unseen_since is None
    with django_capture_on_commit_callbacks(execute=True):
        assert sweep_message_emails(now=clock.now() + settings.MESSAGES_EMAIL_AFTER * 2) == 0
    assert not [m.subject for m in _sent_to(order.seller) if "message" in m.subject.lower()]


def test_both_badges_say_their_count_to_a_screen_reader(client):
    """Outside try: the inbox badge was read "Inbox 9" while the bell said "Notifications, 15 unread"."""
    me, other = UserFactory(), UserFactory()
    marketplace.message_send(
        conversation=marketplace.conversation_start(buyer=me, seller=other), sender=other, body="hi"
    )
    client.force_login(me)
    body = client.get(reverse("home")).content.decode()
    assert 'aria-label="Inbox, 1 unread"' in body and 'aria-label="Notifications, 1 unread"' in body
    assert body.count('data-live-label="') == 2  # the script keeps both labels true as the counts change
