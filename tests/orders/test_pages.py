"""Offer forms, package orders, dashboards, notifications and tips through the web."""

from datetime import timedelta

import pytest
from django.urls import reverse

from accounts.models import Notification
from marketplace import services as marketplace
from marketplace.categories import ensure_category_tree
from marketplace.models import Category
from marketplace.services import PackageData
from milestones.models import Order, OrderStatus, State
from orders.models import Offer
from tests.factories import UserFactory

from .builders import approve, deliver, fund, make_offer, make_order, ms

pytestmark = pytest.mark.django_db


def plan_post(*rows, note=""):
    data = {
        "plan-TOTAL_FORMS": str(len(rows)),
        "plan-INITIAL_FORMS": "0",
        "plan-MIN_NUM_FORMS": "0",
        "plan-MAX_NUM_FORMS": "6",
        "note": note,
    }
    for i, row in enumerate(rows):
        for key, value in row.items():
            data[f"plan-{i}-{key}"] = value
    return data


def row(title="Design", amount="100", days="3", due="", revisions="1"):
    return {
        "title": title,
        "description": "Deliverables",
        "amount": amount,
        "delivery_days": days,
        "due_date": due,
        "revisions_allowed": revisions,
    }


@pytest.fixture
def conversation(db):
    return marketplace.conversation_start(buyer=UserFactory(), seller=UserFactory())


def test_seller_sends_an_offer_from_the_conversation(client, conversation):
    client.force_login(conversation.seller)
    url = reverse("orders:offer_new", args=[conversation.pk])
    page = client.get(url).content.decode()
    assert "Send a custom offer" in page and 'data-fee-percent="5.5"' in page
    response = client.post(url, plan_post(row(), row("Build", "250.50")), follow=True)
    assert "Your offer was sent." in response.content.decode()
    offer = Offer.objects.get()
    assert [p.amount_cents for p in offer.plan.all()] == [10000, 25050]
    thread = client.get(conversation.get_absolute_url()).content.decode()
    assert 'data-testid="offer"' in thread and "$350.50" in thread


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ([], "Add at least one milestone."),
        ([row()] * 7, "at most 6"),
        ([row(amount="0")], "at least $5.00"),
        ([row(amount="-5")], "cannot be negative"),
        ([row(amount="ten")], "like 1250 or 1,250.50"),
        ([row(amount="4.99")], "at least $5.00"),
        ([row(days="", due="2020-01-01")], "must be in the future"),
        ([row(days="")], "delivery time in days or a due date"),
    ],
)
def test_bad_plans_are_refused_on_the_page_and_nothing_is_sent(client, conversation, rows, message):
    client.force_login(conversation.seller)
    response = client.post(reverse("orders:offer_new", args=[conversation.pk]), plan_post(*rows))
    body = response.content.decode()
    assert response.status_code == 200
    assert message.lower() in body.lower().replace("greater than zero", "more than zero")
    assert not Offer.objects.exists()


def test_a_due_date_becomes_delivery_days(client, conversation, clock):
    client.force_login(conversation.seller)
    due = (clock.now().date() + timedelta(days=10)).isoformat()
    client.post(reverse("orders:offer_new", args=[conversation.pk]), plan_post(row(days="", due=due)))
    assert Offer.objects.get().plan.get().delivery_days == 10


def test_strangers_cannot_open_the_offer_form_or_answer_an_offer(client, conversation):
    offer = make_offer(10000)
    client.force_login(UserFactory())
    assert client.get(reverse("orders:offer_new", args=[conversation.pk])).status_code == 404
    assert client.post(reverse("orders:offer_respond", args=[offer.pk, "accept"])).status_code == 404
    assert client.get(reverse("orders:offer_counter", args=[offer.pk])).status_code == 404
    assert not Order.objects.exists()


def test_counter_offer_through_the_page(client):
    offer = make_offer(10000, 20000)
    client.force_login(offer.buyer)
    form = client.get(reverse("orders:offer_counter", args=[offer.pk])).content.decode()
    assert 'value="100.00"' in form
    response = client.post(
        reverse("orders:offer_counter", args=[offer.pk]), plan_post(row(amount="90"), row(amount="180")), follow=True
    )
    assert "Your counter-offer was sent." in response.content.decode()
    assert Offer.objects.filter(previous=offer).exists()


def test_accepting_twice_creates_one_order(client):
    offer = make_offer(10000)
    client.force_login(offer.buyer)
    url = reverse("orders:offer_respond", args=[offer.pk, "accept"])
    client.post(url)
    second = client.post(url, follow=True)
    assert "no longer open" in second.content.decode()
    assert Order.objects.count() == 1


def test_ordering_a_package_directly_opens_checkout_and_paying_makes_the_one_milestone_order(client):
    ensure_category_tree()
    seller, buyer = UserFactory(), UserFactory()
    tiers = [
        PackageData(t, t.title(), f"{t} package", price, days, 2)
        for t, price, days in (("basic", 5000, 3), ("standard", 10000, 5), ("premium", 20000, 7))
    ]
    gig = marketplace.gig_create(
        seller=seller,
        title="I will design your logo",
        description="Logo design with source files.",
        category=Category.objects.filter(parent__isnull=False).first(),
        packages=tiers,
    )
    client.force_login(buyer)
    response = client.post(reverse("orders:order_package", args=[gig.pk, "standard"]))
    assert "/payments/checkout/" in response["Location"]
    assert not Order.objects.exists()  # made once it is paid
    response = client.post(
        response["Location"], {"pay_with": "card", "card_number": "4242424242424242", "expiry": "12/34", "cvc": "123"}
    )
    order = Order.objects.get()
    milestone = order.milestones.get()
    assert (milestone.amount_cents, milestone.delivery_days, milestone.revisions_allowed) == (10000, 5, 2)
    assert milestone.state == State.IN_PROGRESS
    client.force_login(seller)
    response = client.post(reverse("orders:order_package", args=[gig.pk, "basic"]), follow=True)
    assert "order your own gig" in response.content.decode()
    assert Order.objects.count() == 1


# session, user, two badges; a page per list (8 lists); a count per list of orders or offers (4) and one
# count for each side's milestone lists (2: to review and to fund; work, late and delivered); offers' plans (2)
DASHBOARD_QUERIES = 4 + 8 + 4 + 2 + 2


def test_dashboards_list_what_each_side_must_do(client, django_assert_max_num_queries):
    order = make_order(10000, 20000)
    deliver(fund(ms(order, 1)))
    client.force_login(order.buyer)
    with django_assert_max_num_queries(DASHBOARD_QUERIES):
        body = client.get(reverse("dashboard")).content.decode()
    assert "Deliveries waiting for your review" in body and "auto-approves" in body
    assert "Milestone 2" in body  # waiting for funding
    for _ in range(10):
        deliver(fund(ms(make_order(10000, buyer=order.buyer, seller=order.seller), 1)))
    with django_assert_max_num_queries(DASHBOARD_QUERIES):
        client.get(reverse("dashboard"))
    client.force_login(order.seller)
    with django_assert_max_num_queries(DASHBOARD_QUERIES):
        body = client.get(reverse("dashboard")).content.decode()
    assert "Delivered, waiting for the buyer" in body


def test_dashboard_lists_are_paged_and_cost_the_same_queries_at_any_length(
    client, clock, django_assert_num_queries, django_assert_max_num_queries
):
    from orders.selectors import DASHBOARD_PAGE_SIZE

    seller = UserFactory()
    # the late one first, then by due date
    late = fund(ms(make_order(10000, seller=seller, days=1), 1))
    clock.advance(days=2)
    client.force_login(seller)
    with django_assert_max_num_queries(DASHBOARD_QUERIES) as small:
        client.get(reverse("dashboard"))
    count_small = len(small.captured_queries)
    for days in range(3, 3 + DASHBOARD_PAGE_SIZE + 4):
        fund(ms(make_order(10000, seller=seller, days=days), 1))
    total = DASHBOARD_PAGE_SIZE + 5
    with django_assert_num_queries(count_small):
        first = client.get(reverse("dashboard")).content.decode()
    assert f"1–{DASHBOARD_PAGE_SIZE} of {total}" in first
    assert first.count('data-list="work"') == DASHBOARD_PAGE_SIZE
    assert first.index(f"#milestone-{late.pk}") < first.index("Orders you sell")
    assert "1 late" in first
    second = client.get(reverse("dashboard"), {"work": 2}).content.decode()
    assert f"{DASHBOARD_PAGE_SIZE + 1}–{total} of {total}" in second
    assert second.count('data-list="work"') == 5
    assert f"#milestone-{late.pk}" not in second.split('id="work"')[1].split("</div>")[0]
    assert client.get(reverse("dashboard"), {"work": "junk"}).status_code == 200


def test_each_sides_milestone_lists_are_counted_in_one_query(client):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    order = make_order(10000, 20000)
    deliver(fund(ms(order, 1)))
    client.force_login(order.seller)
    with CaptureQueriesContext(connection) as ctx:
        body = client.get(reverse("dashboard")).content.decode()
    milestone_counts = [
        q["sql"] for q in ctx.captured_queries if 'FROM "milestones_milestone"' in q["sql"] and "COUNT(" in q["sql"]
    ]
    assert len(milestone_counts) == 2  # the buying side's lists, the selling side's lists
    assert "Nothing waiting." not in body and "No active work." in body


def test_late_work_comes_first_on_the_seller_dashboard(client, clock):
    seller = UserFactory()
    late = fund(ms(make_order(10000, seller=seller, days=1), 1))
    fund(ms(make_order(10000, seller=seller, days=9), 1))
    clock.advance(days=2)
    client.force_login(seller)
    body = client.get(reverse("dashboard")).content.decode()
    assert "1 late" in body
    assert body.index(f"#milestone-{late.pk}") < body.index("Orders you sell")


def test_notifications_bell_list_and_mark_read(client):
    order = make_order(10000)
    fund(ms(order, 1))
    client.force_login(order.seller)
    home = client.get("/").content.decode()
    unread = Notification.objects.filter(user=order.seller, read_at=None).count()
    assert unread and f'<span class="badge">{unread}</span>' in home
    page = client.get(reverse("notifications")).content.decode()
    assert "funded" in page
    note = Notification.objects.filter(user=order.seller).first()
    response = client.post(reverse("notifications_read"), {"id": note.pk, "next": note.url})
    assert response["Location"] == note.url
    note.refresh_from_db()
    assert note.read_at is not None
    evil = client.post(reverse("notifications_read"), {"next": "https://evil.example/"})
    assert evil["Location"] == reverse("notifications")
    assert not Notification.objects.filter(user=order.seller, read_at=None).exists()


@pytest.mark.parametrize("bad_id", ["abc", "1.5", "1e400", "-1", "99999999999999999999999999", "\x00"])
def test_a_notification_id_that_is_not_one_is_a_message_not_a_500(client, bad_id):
    order = make_order(10000)
    fund(ms(order, 1))
    client.force_login(order.seller)
    unread = Notification.objects.filter(user=order.seller, read_at=None).count()
    response = client.post(reverse("notifications_read"), {"id": bad_id}, follow=True)
    assert response.status_code == 200
    assert "could not be found" in response.content.decode()
    assert Notification.objects.filter(user=order.seller, read_at=None).count() == unread  # none marked


@pytest.mark.parametrize("target", ["abc", "0", "١٢٣", "javascript:alert(1)", "//evil.example/", "\x00"])
def test_a_next_that_is_not_a_path_here_goes_to_the_notifications(client, target):
    order = make_order(10000)
    fund(ms(order, 1))
    client.force_login(order.seller)
    response = client.post(reverse("notifications_read"), {"next": target})
    assert response.status_code == 302 and response["Location"] == reverse("notifications")


def test_tip_after_completion_goes_to_checkout(client):
    order = make_order(10000)
    approve(deliver(fund(ms(order, 1))))
    order.refresh_from_db()
    assert order.status == OrderStatus.COMPLETED
    client.force_login(order.buyer)
    response = client.post(reverse("orders:tip", args=[order.pk]), {"amount": "15"})
    assert "/payments/checkout/" in response["Location"]
    bad = client.post(reverse("orders:tip", args=[order.pk]), {"amount": "-3"}, follow=True)
    assert "cannot be negative" in bad.content.decode()
    client.force_login(order.seller)
    refused = client.post(reverse("orders:tip", args=[order.pk]), {"amount": "15"}, follow=True)
    assert "Only the buyer can tip" in refused.content.decode()


def test_the_order_pages_empty_forms_are_rendered_once_and_as_django_renders_them(client):
    from orders.forms import PlanItemForm
    from orders.views import ORDER_PAGE_FORMS, _blank_form

    _blank_form.cache_clear()
    order = make_order(10000, 20000)
    client.force_login(order.buyer)
    body = client.get(order.get_absolute_url()).content.decode()
    assert str(PlanItemForm(prefix="add").render()) in body  # "Propose another milestone"
    assert _blank_form.cache_info().misses == len(ORDER_PAGE_FORMS)
    client.get(order.get_absolute_url())
    assert _blank_form.cache_info().misses == len(ORDER_PAGE_FORMS)


def test_marking_someone_elses_notification_read_says_it_was_not_found(client):
    from accounts.models import Notification
    from accounts.notifications import notification_send
    from tests.factories import UserFactory

    mine, theirs = UserFactory(), UserFactory()
    other = notification_send(user=theirs, text="Not yours", email=False)
    client.force_login(mine)
    page = client.post("/notifications/read", {"id": str(other.pk)}, follow=True).content.decode()
    assert "could not be found" in page
    assert Notification.objects.get(pk=other.pk).read_at is None
