"""Each page runs a fixed number of queries, whatever the size of its data."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from marketplace import services

from .conftest import image_file, login

pytestmark = pytest.mark.django_db

# Fixed bounds: each page's count today (session, user, the navigation's two badges, then the page's own
# reads: gig list 8, gig page 10, profile 3 anonymous, conversation 7 + the read-mark, inbox 6) plus slack
# for another badge in the navigation. The tests also check the count is the same with little and much data.
GIG_LIST_MAX = 10
GIG_PAGE_MAX = 12
PROFILE_MAX = 6
CONVERSATION_MAX = 10
INBOX_MAX = 8


def count_queries(client, url):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


def add_gigs(make_gig, sellers, categories, n, start=0):
    subcats = [c for c in categories.values() if c.parent_id]
    gigs = []
    for i in range(start, start + n):
        seller = sellers[i % len(sellers)]
        gigs.append(
            make_gig(
                seller=seller,
                category=subcats[i % len(subcats)],
                title=f"I will deliver service number {i:03d}",
                tags=[f"tag{i % 7}", "common"],
                images=[image_file(size=(64, 40))] if i % 3 == 0 else (),
            )
        )
        services.seller_stats_update(
            seller=seller, orders_completed=10, orders_on_time=9, rating_avg="4.5", rating_count=5
        )
    return gigs


@pytest.fixture
def sellers(seller, stranger):
    return [seller, stranger]


def test_gig_list_with_twenty_results_has_a_fixed_query_count(
    client, buyer, make_gig, sellers, categories, django_assert_max_num_queries
):
    add_gigs(make_gig, sellers, categories, 22)
    login(client, buyer)
    url = reverse("marketplace:gig_list") + "?q=service&sort=rating&max_price=1000"
    small = count_queries(client, url)
    add_gigs(make_gig, sellers, categories, 40, start=22)
    with django_assert_max_num_queries(GIG_LIST_MAX):
        response = client.get(url)
    assert len(response.context["gigs"]) == 20
    assert count_queries(client, url) == small
    with django_assert_max_num_queries(GIG_LIST_MAX):
        client.get(reverse("marketplace:gig_list") + "?page=3")


def test_gig_page_has_a_fixed_query_count(
    client, buyer, make_gig, seller, sellers, categories, django_assert_max_num_queries
):
    from marketplace.forms import PackageData

    packages = [
        PackageData(tier=t, name=t, description="d", price_cents=p, delivery_days=3, features=["a", "b"])
        for t, p in (("basic", 1000), ("standard", 2000), ("premium", 3000))
    ]
    gig = make_gig(images=[image_file(size=(64, 40)) for _ in range(5)], packages=packages, tags=["a", "b", "c"])
    add_gigs(make_gig, [seller], categories, 1)
    login(client, buyer)
    small = count_queries(client, gig.get_absolute_url())
    add_gigs(make_gig, [seller], categories, 12, start=1)
    with django_assert_max_num_queries(GIG_PAGE_MAX):
        client.get(gig.get_absolute_url())
    assert count_queries(client, gig.get_absolute_url()) == small


def test_seller_profile_has_a_fixed_query_count(client, make_gig, seller, categories, django_assert_max_num_queries):
    url = reverse("marketplace:seller_profile", args=[seller.pk])
    add_gigs(make_gig, [seller], categories, 2)
    small = count_queries(client, url)
    add_gigs(make_gig, [seller], categories, 15, start=2)
    with django_assert_max_num_queries(PROFILE_MAX):
        client.get(url)
    assert count_queries(client, url) == small


def test_conversation_with_200_messages_has_a_fixed_query_count(
    client, buyer, seller, conversation, django_assert_max_num_queries
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    url = reverse("marketplace:conversation", args=[conversation.pk])
    services.message_send(conversation=conversation, sender=buyer, body="first")
    login(client, seller)
    client.get(url)  # the first visit marks the message read (one UPDATE); measure visits after that
    small = count_queries(client, url)
    for n in range(199):
        sender = buyer if n % 2 else seller
        files = [SimpleUploadedFile(f"note{n}.txt", b"notes")] if n % 20 == 0 else ()
        services.message_send(conversation=conversation, sender=sender, body=f"message {n} @handle", files=files)
    assert conversation.messages.count() == 200
    with django_assert_max_num_queries(CONVERSATION_MAX):
        response = client.get(url)  # includes marking 100 unread messages read
    assert response.status_code == 200 and len(response.context["message_page"].messages) == 50
    assert count_queries(client, url) == small


def test_inbox_has_a_fixed_query_count(client, buyer, make_gig, django_assert_max_num_queries):
    from tests.factories import UserFactory

    login(client, buyer)
    url = reverse("marketplace:inbox")
    for _ in range(2):
        services.message_send(
            conversation=services.conversation_start(buyer=buyer, seller=UserFactory()), sender=buyer, body="hi"
        )
    small = count_queries(client, url)
    for _ in range(20):
        services.message_send(
            conversation=services.conversation_start(buyer=UserFactory(), seller=buyer), sender=buyer, body="yo"
        )
    with django_assert_max_num_queries(INBOX_MAX):
        client.get(url)
    assert count_queries(client, url) == small
