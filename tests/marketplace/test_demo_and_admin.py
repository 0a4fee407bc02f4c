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


def _planned_gig(make_gig):
    from marketplace.services import PackageData, PackageStepData

    plan = (PackageStepData("Sketches", "Three sketches.", 5000, 2), PackageStepData("Final", "The files.", 15000, 3))
    return make_gig(
        packages=[
            PackageData("basic", "Basic", "b", 10000, 3),
            PackageData("standard", "Standard", "s", 20000, 5, plan=plan),
            PackageData("premium", "Premium", "p", 40000, 9),
        ]
    )


@pytest.mark.parametrize("where", ["gig", "package"])
@pytest.mark.parametrize(
    "field, value, said",
    [
        ("price_cents", "310.00", "milestones add up to $200.00, but its price is $310.00"),
        ("delivery_days", "9", "milestones take 5 days in all, but its delivery time is 9 days"),
    ],
)
def test_staff_cannot_change_a_planned_package_so_that_its_plan_no_longer_adds_up(
    client, make_gig, where, field, value, said
):
    """Outside try (issue 20): a price changed in the admin left a plan nobody could order, still shown on the
    gig page. The plan is the seller's; the admin refuses the change next to the package, and saves nothing."""
    from accounts.models import StaffAction
    from marketplace.models import GigPackage
    from tests.security.test_admin_writes import posted_back

    gig = _planned_gig(make_gig)
    standard = GigPackage.objects.get(gig=gig, tier="standard")
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    if where == "gig":
        url, model = reverse("admin:marketplace_gig_change", args=[gig.pk]), Gig
        index = [p.pk for p in gig.packages.order_by("pk")].index(standard.pk)
        name = f"packages-{index}-{field}"
    else:
        url, model, name = reverse("admin:marketplace_gigpackage_change", args=[standard.pk]), GigPackage, field
    data = posted_back(client, url, model)
    assert name in data, sorted(data)
    data[name] = [value]
    response = client.post(url, data)

    assert response.status_code == 200  # shown again, with the reason
    page = response.content.decode()
    assert said in page and "they change it and the price together in their gig form" in page
    assert f'value="{value}"' in page  # what was typed stays
    standard.refresh_from_db()
    assert (standard.price_cents, standard.delivery_days) == (20000, 5)
    assert not StaffAction.objects.exists()

    # the same page posted back as shown still saves (a change elsewhere is not held up by the plan)
    data = posted_back(client, url, model)
    data["packages-0-name" if where == "gig" else "name"] = ["Starter"]
    assert client.post(url, data).status_code == 302
    assert StaffAction.objects.count() == 1


def _admin_post(client, url, model, **changes):
    from tests.security.test_admin_writes import posted_back

    data = posted_back(client, url, model)
    for name, value in changes.items():
        assert name in data or name.endswith("-DELETE"), (name, sorted(data))  # a box unticked is not posted
        data[name] = [value]
    return client.post(url, data)


def _inline_index(gig, tier):
    return [p.tier for p in gig.packages.order_by("pk")].index(tier)


def test_swapping_two_package_tiers_in_the_gig_admin_is_refused_not_a_500(client, make_gig):
    """Outside try (issue 20): Basic → Standard and Standard → Basic in one save hit the unique tier (HTTP 500)."""
    from accounts.models import StaffAction
    from marketplace.models import GigPackage

    gig = _planned_gig(make_gig)
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    url = reverse("admin:marketplace_gig_change", args=[gig.pk])
    basic, standard = _inline_index(gig, "basic"), _inline_index(gig, "standard")
    response = _admin_post(
        client, url, Gig, **{f"packages-{basic}-tier": "standard", f"packages-{standard}-tier": "basic"}
    )
    assert response.status_code == 200
    assert "A package keeps its tier: this one stays Basic." in response.content.decode()
    assert dict(GigPackage.objects.filter(gig=gig).values_list("tier", "price_cents")) == {
        "basic": 10000,
        "standard": 20000,
        "premium": 40000,
    }
    assert not StaffAction.objects.exists()

    package = GigPackage.objects.get(gig=gig, tier="premium")  # the package's own page shows its tier read-only
    page = client.get(reverse("admin:marketplace_gigpackage_change", args=[package.pk])).content.decode()
    assert 'name="tier"' not in page and "Premium" in page


def test_a_stale_gig_admin_page_adding_a_tier_that_exists_is_refused_not_a_500(client, make_gig):
    """Second outside try (issue 20): a second tab added the Basic package the first had added (HTTP 500: the
    inline checks only its own rows for a repeated tier)."""
    from marketplace.models import GigPackage
    from tests.security.test_admin_writes import posted_back

    gig = make_gig()
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    url = reverse("admin:marketplace_gig_change", args=[gig.pk])
    data = posted_back(client, url, Gig)  # the page as opened: no packages
    GigPackage.objects.create(gig=gig, tier="basic", name="Starter", description="b", price_cents=9000, delivery_days=3)
    data.update(
        {
            "packages-TOTAL_FORMS": ["1"],
            "packages-0-id": [""],
            "packages-0-gig": [str(gig.pk)],
            "packages-0-tier": ["basic"],
            "packages-0-name": ["Starter too"],
            "packages-0-description": ["Also basic."],
            "packages-0-price_cents": ["90"],
            "packages-0-delivery_days": ["3"],
            "packages-0-revisions": ["1"],
        }
    )
    response = client.post(url, data)
    assert response.status_code == 200
    assert "This gig has a Basic package already" in response.content.decode()
    assert list(GigPackage.objects.filter(gig=gig).values_list("name", flat=True)) == ["Starter"]


def test_a_gig_stays_its_sellers_in_the_admin(client, make_gig):
    """Second outside try (issue 20): changing a gig's seller here made a checkout opened for one seller pay
    another."""
    from tests.security.test_admin_writes import posted_back

    gig, other = make_gig(), UserFactory()
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    url = reverse("admin:marketplace_gig_change", args=[gig.pk])
    assert 'name="seller"' not in client.get(url).content.decode()
    data = posted_back(client, url, Gig)
    data["seller"] = [str(other.pk)]  # a crafted post is ignored
    assert client.post(url, data).status_code == 302
    assert Gig.objects.get(pk=gig.pk).seller_id == gig.seller_id


def test_a_planned_package_is_not_deleted_from_the_gig_admin(client, make_gig):
    """Outside try (issue 20): ticking Delete on the planned package's row removed it and its plan, though the
    package's own delete page refused."""
    from marketplace.models import GigPackage, PackageMilestone

    gig = _planned_gig(make_gig)
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    url = reverse("admin:marketplace_gig_change", args=[gig.pk])
    response = _admin_post(client, url, Gig, **{f"packages-{_inline_index(gig, 'standard')}-DELETE": "on"})
    assert response.status_code == 200
    assert "The Standard package is paid in milestones and cannot be deleted here" in response.content.decode()
    assert GigPackage.objects.filter(gig=gig).count() == 3 and PackageMilestone.objects.count() == 2


def test_a_package_stays_on_its_gig_in_the_admin(client, make_gig):
    """Outside try (issue 20): changing the package's gig moved a seller's plan onto another seller's gig."""
    from marketplace.models import GigPackage

    gig, other = _planned_gig(make_gig), make_gig()
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    standard = GigPackage.objects.get(gig=gig, tier="standard")
    url = reverse("admin:marketplace_gigpackage_change", args=[standard.pk])
    page = client.get(url).content.decode()
    assert 'name="gig"' not in page  # shown, not editable
    from tests.security.test_admin_writes import posted_back

    data = posted_back(client, url, GigPackage)
    data["gig"] = [str(other.pk)]  # a crafted post is ignored
    assert client.post(url, data).status_code == 302
    assert GigPackage.objects.get(pk=standard.pk).gig_id == gig.pk


@pytest.mark.parametrize(
    "where",
    ["gig price", "package inline", "package page"],
)
def test_the_admin_keeps_the_gig_forms_price_limits(client, make_gig, settings, where):
    """Outside try (issue 20): a package priced $0.01 in the admin could not be ordered and made the seller's
    own gig form refuse to save."""
    from marketplace.models import GigPackage

    settings.GIG_MIN_PRICE_CENTS = 500
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    if where == "gig price":
        gig = make_gig()
        url, model, name = reverse("admin:marketplace_gig_change", args=[gig.pk]), Gig, "price_cents"
        before = Gig.objects.filter(pk=gig.pk).values_list("price_cents", flat=True).get
    else:
        gig = _planned_gig(make_gig)
        basic = GigPackage.objects.get(gig=gig, tier="basic")
        before = GigPackage.objects.filter(pk=basic.pk).values_list("price_cents", flat=True).get
        if where == "package inline":
            url, model = reverse("admin:marketplace_gig_change", args=[gig.pk]), Gig
            name = f"packages-{_inline_index(gig, 'basic')}-price_cents"
        else:
            url, model, name = (
                reverse("admin:marketplace_gigpackage_change", args=[basic.pk]),
                GigPackage,
                "price_cents",
            )
    price = before()
    response = _admin_post(client, url, model, **{name: "0.01"})
    assert response.status_code == 200
    page = response.content.decode()
    assert "The lowest price is $5." in page and 'value="0.01"' in page
    assert before() == price
