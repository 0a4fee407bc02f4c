"""User text that rewrites the page: names and titles typed with bidi controls are stored without them,
and every page shows people's names isolated (``<bdi>``) from its own text.

A display name ending in a right-to-left override (U+202E) reversed the order page's
"opened 01 Dec 2026" to "6202 ceD 10 denepo".
"""

import re

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from accounts.models import User
from marketplace import services as marketplace
from marketplace.categories import ensure_category_tree
from marketplace.models import Category, Gig
from milestones.models import Milestone
from orders import disputes
from orders.models import OfferMilestone
from tests.factories import UserFactory
from tests.orders.builders import deliver, fund, make_order, ms
from tests.orders.test_pages import plan_post, row

pytestmark = pytest.mark.django_db

RLO, LRI, PDI = "\u202e", "\u2066", "\u2069"


def test_a_display_name_typed_with_an_override_is_stored_without_it(client):
    user = UserFactory()
    client.force_login(user)
    response = client.post(reverse("profile_edit"), {"display_name": f"Mallory{RLO} Dec", "bio": f"{RLO}bio kept"})
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.display_name == "Mallory Dec"
    assert user.bio == f"{RLO}bio kept"  # multi-line text is only isolated where shown, never rewritten


def test_a_display_name_given_at_sign_up_is_stored_without_controls(client):
    client.post(
        reverse("account_signup"),
        {
            "email": "new@example.com",
            "password1": "a-Strong-pass-4821",
            "password2": "a-Strong-pass-4821",
            "display_name": f"{LRI}New\u200b Person{PDI}",
        },
    )
    assert User.objects.get(email="new@example.com").display_name == "New Person"


def test_a_gig_title_typed_with_an_override_is_stored_without_it(client):
    ensure_category_tree()
    seller = UserFactory()
    client.force_login(seller)
    response = client.post(
        reverse("marketplace:gig_create"),
        {
            "title": f"I will design{RLO} a modern logo",
            "category": str(Category.objects.get(slug="logo-design").pk),
            "description": "Three concepts, unlimited tweaks on the chosen one, and every file format.",
            "tags": f"logo, brand{RLO}ing",
            "pricing": "simple",
            "price": "120",
            "delivery_days": "5",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    gig = Gig.objects.get()
    assert gig.title == "I will design a modern logo"
    assert sorted(gig.tags.values_list("name", flat=True)) == ["branding", "logo"]


def test_a_title_of_nothing_but_controls_is_refused_next_to_the_field(client):
    ensure_category_tree()
    client.force_login(UserFactory())
    response = client.post(
        reverse("marketplace:gig_create"),
        {
            "title": RLO * 20 + "Logo",
            "category": str(Category.objects.get(slug="logo-design").pk),
            "description": "Three concepts, unlimited tweaks on the chosen one, and every file format.",
            "pricing": "simple",
            "price": "120",
            "delivery_days": "5",
        },
    )
    assert response.status_code == 400 and not Gig.objects.exists()
    assert list(response.context["form"].errors) == ["title"]  # 4 characters left: under the 10 a title needs


def test_milestone_titles_from_the_offer_form_and_add_milestone_are_stored_without_controls(client):
    conversation = marketplace.conversation_start(buyer=UserFactory(), seller=UserFactory())
    client.force_login(conversation.seller)
    client.post(reverse("orders:offer_new", args=[conversation.pk]), plan_post(row(f"Logo{RLO} concepts")))
    assert OfferMilestone.objects.get().title == "Logo concepts"

    order = make_order(10000)
    client.force_login(order.seller)
    client.post(
        reverse("orders:add_milestone", args=[order.pk]),
        {
            "add-title": f"\u202bExtra{RLO} work\u202c",
            "add-description": "More",
            "add-amount": "50",
            "add-delivery_days": "3",
            "add-revisions_allowed": "1",
        },
    )
    assert Milestone.objects.filter(order=order).order_by("-position").first().title == "Extra work"


# --- pages: every name is isolated ------------------------------------------------------------------


@pytest.fixture
def stored_override():
    """Names and titles stored before the sanitiser (written around it): only isolation protects the page."""
    buyer, seller = UserFactory(display_name="Bea Buyer"), UserFactory(display_name="Sol Seller")
    order = make_order(10000, buyer=buyer, seller=seller)
    User.objects.filter(pk=buyer.pk).update(display_name=f"Eve{RLO}")
    User.objects.filter(pk=seller.pk).update(display_name=f"Sam{RLO}")
    buyer.refresh_from_db()
    seller.refresh_from_db()
    return order, buyer, seller


def isolated(html, name):
    """``name`` is shown, and every place it is shown is inside a <bdi>."""
    shown = [m.start() for m in re.finditer(re.escape(name), html)]
    spans = [(m.start(), m.end()) for m in re.finditer(r"<bdi>.*?</bdi>", html, re.S)]
    return bool(shown) and all(any(a <= at < b for a, b in spans) for at in shown)


def text_only(html):
    """The page without attributes (alt texts, data-confirm) and the <title>: where names are drawn."""
    html = re.sub(r"<title>.*?</title>", "", html, flags=re.S)
    return re.sub(r"<(\w+)(\s[^>]*)?>", r"<\1>", html)


def test_the_order_page_isolates_both_names(client, stored_override):
    order, buyer, seller = stored_override
    client.force_login(buyer)
    html = text_only(client.get(order.get_absolute_url()).content.decode())
    assert f"Buyer <strong><bdi>Eve{RLO}</bdi></strong> · Seller <strong><bdi>Sam{RLO}</bdi></strong>" in html
    assert isolated(html, f"Eve{RLO}") and isolated(html, f"Sam{RLO}")


def test_the_gig_page_and_the_inbox_isolate_the_names(client):
    ensure_category_tree()
    seller = UserFactory(display_name="Sol Seller")
    gig = marketplace.gig_create(
        seller=seller,
        title="I will design a logo",
        description="A clean logo with source files.",
        category=Category.objects.get(slug="logo-design"),
        price_cents=5000,
        delivery_days=3,
    )
    buyer = UserFactory(display_name="Bea Buyer")
    conversation = marketplace.conversation_start(buyer=buyer, seller=seller, gig=gig)
    marketplace.message_send(conversation=conversation, sender=buyer, body="Hello")
    User.objects.filter(pk=seller.pk).update(display_name=f"Sam{RLO}")
    Gig.objects.filter(pk=gig.pk).update(title=f"Logo{RLO} design")

    client.force_login(buyer)
    gig_page = text_only(client.get(gig.get_absolute_url()).content.decode())
    assert isolated(gig_page, f"Sam{RLO}") and isolated(gig_page, f"Logo{RLO} design")
    inbox = text_only(client.get(reverse("marketplace:inbox")).content.decode())
    assert isolated(inbox, f"Sam{RLO}") and isolated(inbox, f"Logo{RLO} design")
    thread = text_only(client.get(conversation.get_absolute_url()).content.decode())
    assert isolated(thread, f"Sam{RLO}")


def test_the_dashboard_dispute_and_staff_pages_isolate_names_and_titles(client, stored_override):
    order, buyer, seller = stored_override
    disputed = deliver(fund(ms(order, 1)))
    dispute = disputes.dispute_open(
        milestone_id=disputed.pk, actor=buyer, reason="quality", description="Blurry.", files=[]
    )
    Milestone.objects.filter(pk=disputed.pk).update(title=f"Phase{RLO} one")
    client.force_login(seller)
    assert isolated(text_only(client.get(reverse("dashboard")).content.decode()), f"Eve{RLO}")
    for url in (reverse("orders:dispute_detail", args=[dispute.pk]), order.get_absolute_url()):
        html = text_only(client.get(url).content.decode())
        assert isolated(html, f"Phase{RLO} one"), url
        assert isolated(html, f"Eve{RLO}"), url
    support = UserFactory(is_staff=True)
    support.groups.add(Group.objects.get(name="Support"))
    client.force_login(support)
    for url in (reverse("staff_disputes"), reverse("staff_dispute", args=[dispute.pk])):
        html = text_only(client.get(url).content.decode())
        assert isolated(html, f"Phase{RLO} one") and isolated(html, f"Eve{RLO}") and isolated(html, f"Sam{RLO}"), url


def test_a_notification_built_from_a_name_stored_before_cleaning_carries_no_bidi_control(db):
    from accounts.models import Notification
    from accounts.notifications import notification_send
    from tests.factories import UserFactory

    user = UserFactory()
    notification_send(user=user, text="Sol\u202e Seller opened a dispute on “Logo”.", email=False)
    assert Notification.objects.get(user=user).text == "Sol Seller opened a dispute on “Logo”."
