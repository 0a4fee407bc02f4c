"""The navigation's two badges come from one statement (``orders.context_processors.badges``) and count what
the selectors count."""

import pytest
from django.urls import reverse

from accounts.notifications import notification_send, notifications_mark_read_for
from marketplace import services as marketplace
from marketplace.selectors import unread_message_count
from orders.context_processors import Badges
from orders.selectors import unread_notifications_count
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _busy_user():
    me, seller, buyer = UserFactory(), UserFactory(), UserFactory()
    as_buyer = marketplace.conversation_start(buyer=me, seller=seller)
    as_seller = marketplace.conversation_start(buyer=buyer, seller=me)
    marketplace.message_send(conversation=as_buyer, sender=seller, body="one")
    marketplace.message_send(conversation=as_buyer, sender=seller, body="two")
    marketplace.message_send(conversation=as_seller, sender=buyer, body="three")
    marketplace.message_send(conversation=as_seller, sender=me, body="mine: not unread for me")
    for text, url in (("a", "/a"), ("b", "/b"), ("c", "/c")):
        notification_send(user=me, text=text, url=url, email=False)
    notifications_mark_read_for(user=me, urls=["/c"])
    return me


def test_badges_count_what_the_selectors_count():
    me = _busy_user()
    badges = Badges(me.pk)
    assert (badges.messages, badges.notifications) == (unread_message_count(user=me), unread_notifications_count(me))
    assert badges.messages > 0 and badges.notifications >= 2
    assert (Badges(UserFactory().pk).messages, Badges(UserFactory().pk).notifications) == (0, 0)


def test_both_badges_show_on_a_page_from_one_statement(client, django_assert_max_num_queries):
    me = _busy_user()
    client.force_login(me)
    client.get(reverse("home"))
    with django_assert_max_num_queries(10) as captured:
        body = client.get(reverse("home")).content.decode()
    assert f'data-testid="unread-badge">{unread_message_count(user=me)}<' in body
    assert f'<span class="badge">{unread_notifications_count(me)}</span>' in body
    badge_statements = [q["sql"] for q in captured.captured_queries if "unread" in q["sql"]]
    assert len(badge_statements) == 1, badge_statements
