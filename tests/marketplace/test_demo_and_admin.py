"""The demo catalogue, the admin pages and the navigation's context."""

import io

import pytest
from django.urls import reverse

from marketplace import demo
from marketplace.models import Category, Conversation, Gig, SellerLevel, SellerStats
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo_people(db):
    people = {key: UserFactory(email=email) for key, email in demo.SELLERS.items()}
    people["buyer"] = UserFactory(email="buyer@example.com")
    return people


def test_demo_seed_makes_fifty_gigs_over_several_categories_and_is_idempotent(demo_people):
    out = io.StringIO()
    demo.seed(out)
    assert "50 demo gigs added" in out.getvalue()
    gigs = Gig.objects.all()
    assert gigs.count() == 50
    assert gigs.values("category__parent").distinct().count() >= 6
    assert gigs.values("seller").distinct().count() == 3
    assert gigs.filter(packages__isnull=False).distinct().count() >= 10
    assert gigs.filter(offers_milestones=True).count() >= 10
    assert all(g.images.exists() for g in gigs)
    standard = gigs.get(title=demo.PLANNED_GIG).packages.get(tier="standard")
    plan = list(standard.plan.all())  # one package is a milestone plan, made up exactly of its steps
    assert len(plan) == 3 and sum(m.amount_cents for m in plan) == standard.price_cents
    assert sum(m.delivery_days for m in plan) == standard.delivery_days
    # no figures typed in: the sellers' stats are counted from the orders orders.demo makes (test_demo_reputation)
    assert not SellerStats.objects.exclude(level=SellerLevel.NEW).exists()
    assert Conversation.objects.get().messages.count() == 3
    demo.seed(out)
    assert Gig.objects.count() == 50 and Conversation.objects.get().messages.count() == 3


def test_demo_seed_without_demo_sellers_does_nothing(db):
    out = io.StringIO()
    demo.seed(out)
    assert "skipped" in out.getvalue() and not Gig.objects.exists()
    assert Category.objects.filter(parent=None).count() == 7  # the tree is there in any case


@pytest.mark.parametrize(
    "model", ["category", "tag", "gig", "gigpackage", "packagemilestone", "gigimage", "sellerstats", "conversation",
              "message", "messageattachment"],
)  # fmt: skip
def test_every_model_has_a_working_admin(client, gig, conversation, buyer, model):
    from marketplace import services

    services.message_send(conversation=conversation, sender=buyer, body="hello")
    admin = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(admin)
    response = client.get(reverse(f"admin:marketplace_{model}_changelist"), {"q": "a"})
    assert response.status_code == 200
    response = client.get(reverse(f"admin:marketplace_{model}_changelist"))
    assert response.status_code == 200


def test_admin_change_pages_open(client, gig, conversation):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    assert client.get(reverse("admin:marketplace_gig_change", args=[gig.pk])).status_code == 200
    assert client.get(reverse("admin:marketplace_conversation_change", args=[conversation.pk])).status_code == 200


@pytest.mark.parametrize("view", ["change", "delete", "history"])
def test_a_seller_stats_id_past_any_row_is_not_found_in_the_admin(client, view):
    """Its key is a one-to-one to the user; on SQLite a huge id raised OverflowError there (HTTP 500)."""
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    response = client.get(f"/admin/marketplace/sellerstats/99999999999999999999/{view}/", follow=True)
    if view == "delete":  # stats are counted, never deleted by hand (read-only admin): refused, not a 500
        assert response.status_code == 403
        return
    assert response.status_code == 200 and "doesn’t exist" in response.content.decode()


def test_navigation_links_browse_and_inbox(client, buyer):
    content = client.get("/").content.decode()
    assert 'href="/gigs/"' in content
    client.force_login(buyer)
    content = client.get("/").content.decode()
    assert 'href="/inbox/"' in content


def test_a_package_plan_shows_read_only_in_the_admin(client, make_gig):
    from marketplace.models import GigPackage, PackageMilestone
    from marketplace.services import PackageData, PackageStepData

    plan = (PackageStepData("Sketches", "Three sketches.", 5000, 2), PackageStepData("Final", "The files.", 15000, 3))
    gig = make_gig(
        packages=[
            PackageData("basic", "Basic", "b", 10000, 3),
            PackageData("standard", "Standard", "s", 20000, 5, plan=plan),
            PackageData("premium", "Premium", "p", 40000, 9),
        ]
    )
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    standard = GigPackage.objects.get(gig=gig, tier="standard")
    page = client.get(reverse("admin:marketplace_gigpackage_change", args=[standard.pk])).content.decode()
    assert "Sketches" in page and "$50.00" in page and 'name="plan-0-title"' not in page
    gig_page = client.get(reverse("admin:marketplace_gig_change", args=[gig.pk])).content.decode()
    assert "1. Sketches $50.00, 2 days · 2. Final $150.00, 3 days" in gig_page
    listing = client.get(reverse("admin:marketplace_packagemilestone_changelist"), {"q": "Sketches"})
    assert listing.status_code == 200 and "Sketches" in listing.content.decode()
    assert PackageMilestone.objects.count() == 2
