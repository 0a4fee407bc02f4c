"""User-supplied text is rendered escaped on every page that shows it (hypothesis-generated markup).

Each payload starts with a probe tag ``<x-probe-N>``: the page must show it
escaped (``&lt;x-probe-N&gt;``, so the text was really rendered there) and
never contain it, or any of the markup mixed into the payload, raw.
"""

import pytest
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from marketplace import services as marketplace
from marketplace.categories import ensure_category_tree
from marketplace.models import Category
from orders import disputes
from orders import services as order_services
from orders.services import PlanItem
from tests.factories import UserFactory
from tests.orders.builders import approve, deliver, fund, make_order, ms

pytestmark = pytest.mark.django_db

MARKUP = [
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "'><svg onload=alert(1)>",
    "</textarea><b>bold</b>",
    '<a href="javascript:alert(1)">x</a>',
    "{{ request.user.password }}",
    "&amp;&lt;",
]
RAW = ["<x-probe", "<script>alert", "<img src=x", "<svg onload", "<b>bold", 'href="javascript:']
TEXT = st.text(st.characters(categories=["L", "N", "P", "S", "Zs"]), max_size=8)
EXAMPLES = settings(
    max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)


@st.composite
def payloads(draw, max_size=60):
    probe = f"<x-probe-{draw(st.integers(0, 10**6))}>"
    parts = draw(st.lists(st.one_of(st.sampled_from(MARKUP), TEXT), min_size=1, max_size=3))
    text = (probe + "".join(parts))[:max_size].strip()
    return text, "&lt;" + probe[1:-1] + "&gt;"


def page(user, path):
    client = Client()
    client.force_login(user)
    response = client.get(path)
    assert response.status_code == 200, path
    return response.content.decode()


def assert_escaped(html, probe, where):
    for raw in RAW:
        assert raw not in html, f"{where}: raw {raw!r} in the page"
    assert probe in html, f"{where}: the text is not shown (escaped) at all"


def people():
    ensure_category_tree()
    return UserFactory(display_name="Buyer"), UserFactory(display_name="Seller")


@EXAMPLES
@given(title=payloads(max_size=90), description=payloads(max_size=500))
def test_gig_title_and_description(title, description):
    buyer, seller = people()
    gig = marketplace.gig_create(
        seller=seller,
        title=title[0],
        description=description[0],
        category=Category.objects.get(slug="logo-design"),
        price_cents=5000,
        delivery_days=3,
    )
    html = page(buyer, gig.get_absolute_url())
    assert_escaped(html, title[1], "gig page title")
    assert_escaped(html, description[1], "gig page description")
    assert_escaped(page(buyer, "/gigs/?sort=newest"), title[1], "browse")
    assert_escaped(page(buyer, f"/sellers/{seller.pk}/"), title[1], "seller profile")
    assert_escaped(page(seller, "/selling/gigs/"), title[1], "my gigs")


@EXAMPLES
@given(body=payloads(max_size=300))
def test_message_body(body):
    order = make_order(10000)
    marketplace.message_send(conversation=order.conversation, sender=order.buyer, body=body[0])
    assert_escaped(page(order.seller, f"/inbox/{order.conversation_id}/"), body[1], "conversation")
    assert_escaped(page(order.seller, "/inbox/"), body[1], "inbox preview")
    assert_escaped(page(order.seller, order.get_absolute_url()), body[1], "order page messages")


@EXAMPLES
@given(title=payloads(max_size=110), note=payloads(max_size=300))
def test_offer_milestone_titles_and_note(title, note):
    buyer, seller = people()
    conversation = marketplace.conversation_start(buyer=buyer, seller=seller)
    offer = order_services.offer_create(
        conversation=conversation,
        author=seller,
        items=[PlanItem(title[0], "Deliverables", 10000, 3, 1)],
        note=note[0],
    )
    html = page(buyer, f"/inbox/{conversation.pk}/")
    assert_escaped(html, title[1], "offer card")
    assert_escaped(html, note[1], "offer note")
    order = order_services.offer_accept(offer_id=offer.pk, actor=buyer)
    assert_escaped(page(buyer, order.get_absolute_url()), title[1], "order page milestone")
    assert_escaped(page(buyer, "/dashboard/"), title[1], "dashboard (to fund)")


@EXAMPLES
@given(text=payloads(max_size=300), reply=payloads(max_size=300))
def test_review_text_and_reply(text, reply):
    order = make_order(10000)
    approve(deliver(fund(ms(order, 1))))
    review = order_services.review_submit(order_id=order.pk, author=order.buyer, rating=4, text=text[0])
    order_services.review_submit(order_id=order.pk, author=order.seller, rating=5, text="Thanks")  # publishes both
    order_services.review_reply(review_id=review.pk, actor=order.seller, reply=reply[0])
    html = page(order.buyer, order.get_absolute_url())
    assert_escaped(html, text[1], "order page review")
    assert_escaped(html, reply[1], "order page reply")
    assert_escaped(page(order.buyer, f"/sellers/{order.seller_id}/"), text[1], "seller profile review")


@EXAMPLES
@given(name=payloads(max_size=60))
def test_display_name(name):
    order = make_order(10000)
    order.buyer.display_name = name[0]
    order.buyer.save(update_fields=["display_name"])
    marketplace.message_send(conversation=order.conversation, sender=order.buyer, body="Hi")
    assert_escaped(page(order.seller, order.get_absolute_url()), name[1], "order page")
    assert_escaped(page(order.seller, f"/inbox/{order.conversation_id}/"), name[1], "conversation")
    assert_escaped(page(order.seller, "/inbox/"), name[1], "inbox")
    assert_escaped(page(order.buyer, "/"), name[1], "navigation (own name)")


@EXAMPLES
@given(description=payloads(max_size=400), delivery=payloads(max_size=400))
def test_dispute_and_delivery_text(description, delivery):
    order = make_order(10000)
    milestone = deliver(fund(ms(order, 1)), message=delivery[0])
    assert_escaped(page(order.buyer, order.get_absolute_url()), delivery[1], "order page delivery")
    dispute = disputes.dispute_open(
        milestone_id=milestone.pk, actor=order.buyer, reason="quality", description=description[0]
    )
    assert_escaped(page(order.seller, f"/disputes/{dispute.pk}/"), description[1], "dispute page")
    support = UserFactory(is_staff=True, is_superuser=True)
    assert_escaped(page(support, f"/staff/disputes/{dispute.pk}/"), description[1], "staff case page")
