"""Milestone plans in gig packages: the rule, the seller's form (with JavaScript off: plain rows), the gig page."""

import pytest
from django.test import override_settings
from django.urls import reverse

from config import limits
from marketplace import services
from marketplace.exceptions import InvalidInput
from marketplace.models import Gig, GigPackage, PackageMilestone
from marketplace.services import PackageData, PackageStepData

from .conftest import image_file, login
from .test_gigs import gig_post, package_post
from .test_queries import GIG_PAGE_MAX, add_gigs, count_queries

pytestmark = pytest.mark.django_db


def step(amount_cents, days=2, title="Step", revisions=1):
    return PackageStepData(title, f"What {title} delivers.", amount_cents, days, revisions)


def packages(plan=(), standard_days=6, standard_price=30000):
    return [
        PackageData("basic", "Basic", "The basic package.", 10000, 3),
        PackageData("standard", "Standard", "The standard package.", standard_price, standard_days, plan=tuple(plan)),
        PackageData("premium", "Premium", "The premium package.", 60000, 10),
    ]


THREE_STEPS = (step(5000, 1, "Sketches"), step(10000, 2, "Design"), step(15000, 3, "Final files"))


def plan_rows(tier, rows):
    """The gig form's plan rows for ``tier``: (title, amount, days) each; the other rows are left empty."""
    data = {}
    for i, (title, amount, days) in enumerate(rows):
        data.update(
            {
                f"{tier}-plan-{i}-title": title,
                f"{tier}-plan-{i}-description": f"{title}: what is delivered.",
                f"{tier}-plan-{i}-amount": amount,
                f"{tier}-plan-{i}-delivery_days": days,
                f"{tier}-plan-{i}-revisions": "1",
            }
        )
    return data


# --- the rule (services) -------------------------------------------------------------------------------
def test_a_plan_is_saved_in_order_with_its_package(make_gig):
    gig = make_gig(packages=packages(THREE_STEPS))
    standard = gig.packages.get(tier="standard")
    saved = [(m.position, m.title, m.amount_cents, m.delivery_days) for m in standard.plan.all()]
    assert saved == [(1, "Sketches", 5000, 1), (2, "Design", 10000, 2), (3, "Final files", 15000, 3)]
    assert not gig.packages.get(tier="basic").plan.exists()


@pytest.mark.parametrize(
    ("plan", "message"),
    [
        ((step(5000, 1), step(10000, 2), step(14000, 3)), "add up to $290.00, but its price is $300.00"),
        ((step(400, 1), step(10000, 2), step(19600, 3)), "at least $5.00"),
        ((step(30000, 6),), "between 2 and 6 milestones; this one has 1"),
        (tuple(step(5000, 1) for _ in range(6)) + (step(0, 0),), "between 2 and 6 milestones; this one has 7"),
        ((step(5000, 1), step(10000, 2), step(15000, 4)), "take 7 days in all, but its delivery time is 6 days"),
        ((step(10000, 3, revisions=99), step(20000, 3)), "Revisions must be between 0 and"),
        ((step(10000, 3, title=" "), step(20000, 3)), "needs a title and a description"),
    ],
    ids=["sum-wrong", "below-minimum", "one-step", "seven-steps", "days-differ", "revisions", "no-title"],
)
def test_a_plan_that_breaks_the_rule_is_refused_and_nothing_is_saved(make_gig, plan, message):
    with pytest.raises(InvalidInput, match=message.replace("$", r"\$").replace("(", r"\(")):
        make_gig(packages=packages(plan))
    assert not Gig.objects.exists() and not PackageMilestone.objects.exists()


@override_settings(ORDERS_MAX_MILESTONES=3)
def test_the_most_steps_follow_the_orders_setting(make_gig):
    assert limits.package_plan_max_milestones() == 3
    plan = [step(7500, 1), step(7500, 1), step(7500, 2), step(7500, 2)]
    with pytest.raises(InvalidInput, match="between 2 and 3 milestones; this one has 4"):
        make_gig(packages=packages(plan))


def test_editing_keeps_the_package_row_and_replaces_its_plan(make_gig, seller, web_apps):
    gig = make_gig(packages=packages(THREE_STEPS))
    standard_pk = gig.packages.get(tier="standard").pk
    services.gig_update(
        gig=gig,
        actor=seller,
        title=gig.title,
        description=gig.description,
        category=web_apps,
        packages=packages((step(10000, 2, "Half"), step(20000, 4, "Rest"))),
    )
    standard = GigPackage.objects.get(gig=gig, tier="standard")
    assert standard.pk == standard_pk  # an open checkout names the package by its id
    assert [m.title for m in standard.plan.all()] == ["Half", "Rest"]
    services.gig_update(
        gig=gig, actor=seller, title=gig.title, description=gig.description, category=web_apps, packages=packages()
    )
    assert not PackageMilestone.objects.exists()


# --- the seller's form -------------------------------------------------------------------------------------
def _plan_form(logo_design, rows, **package_overrides):
    data = gig_post(logo_design, pricing="packages", price="", delivery_days="")
    data.update(package_post(prices=("100", "300", "600")))
    data.update(package_overrides)
    data.update(plan_rows("standard", rows))
    return data


def test_the_seller_adds_a_plan_with_the_form_and_money_is_read_as_everywhere(client, seller, logo_design):
    login(client, seller)
    data = _plan_form(
        logo_design,
        [("Sketches", "$50", "1"), ("Design", "100.00", "2"), ("Final files", "150", "2")],
        **{"standard-delivery_days": ""},  # blank: the sum of the plan's days
    )
    response = client.post(reverse("marketplace:gig_create"), data)
    assert response.status_code == 302, response.content.decode()[:3000]
    standard = GigPackage.objects.get(tier="standard")
    assert standard.delivery_days == 5
    assert [(m.title, m.amount_cents) for m in standard.plan.all()] == [
        ("Sketches", 5000),
        ("Design", 10000),
        ("Final files", 15000),
    ]

    edit = client.get(reverse("marketplace:gig_edit", args=[standard.gig_id])).content.decode()
    assert 'value="Final files"' in edit and 'name="standard-plan-2-amount" value="150.00"' in edit
    assert 'data-testid="plan-standard" open' in edit and 'data-testid="plan-basic">' in edit


@pytest.mark.parametrize(
    ("rows", "errors"),
    [
        ([("Sketches", "50", "1")], ["A plan has between 2 and 6 milestones; this one has 1."]),
        (
            [("Sketches", "50", "1"), ("Design", "100", "2"), ("Final files", "140", "2")],
            ["The Standard package&#x27;s milestones add up to $290.00, but its price is $300.00"],
        ),
        ([("Sketches", "10,00", "1"), ("Design", "290", "4")], ["Use a dot for cents, like 10.50"]),
        ([("Sketches", "4.99", "1"), ("Design", "295.01", "4")], ["Each milestone must be at least $5.00."]),
        ([("Sketches", "150", ""), ("", "150", "4")], ["This field is required for a milestone"]),
        (
            [("Sketches", "100", "2"), ("Design", "200", "2")],
            ["take 4 days in all, but its delivery time is 5 days"],
        ),
    ],
    ids=["one-row", "sum-wrong", "decimal-comma", "below-minimum", "incomplete-row", "days-differ"],
)
def test_a_refused_plan_keeps_everything_typed_and_saves_nothing(client, seller, logo_design, rows, errors):
    login(client, seller)
    data = _plan_form(logo_design, rows)
    response = client.post(reverse("marketplace:gig_create"), data)
    page = response.content.decode()
    assert response.status_code == 400
    for error in errors:
        assert error in page, page[page.find("package-plan") :][:4000]
    assert not Gig.objects.exists() and not PackageMilestone.objects.exists()
    for i, (title, amount, _days) in enumerate(rows):
        assert f'name="standard-plan-{i}-amount" value="{amount}"' in page
        if title:
            assert f'name="standard-plan-{i}-title" value="{title}"' in page
    assert 'data-testid="plan-standard" open' in page  # the plan is shown unfolded, with its errors
    assert 'name="premium-price" value="600"' in page  # and the rest of the form too
    # only a filled row's empty fields are required: the empty rows (of every package) say nothing (outside try)
    missing = sum(1 for title, _amount, days in rows for value in (title, days) if not value)
    assert page.count("This field is required for a milestone") == missing


def test_a_refused_form_without_any_plan_says_nothing_about_the_empty_plan_rows(client, seller, logo_design):
    login(client, seller)
    data = gig_post(logo_design, pricing="packages", price="", delivery_days="", title="")
    data.update(package_post(prices=("100", "300", "600")))
    response = client.post(reverse("marketplace:gig_create"), data)
    page = response.content.decode()
    assert response.status_code == 400 and "required for a milestone" not in page
    assert '<details class="package-plan" data-testid="plan-basic">' in page  # still folded: nothing to show


def test_a_plan_is_ignored_with_a_single_starting_price(client, seller, logo_design):
    login(client, seller)
    data = gig_post(logo_design)
    data.update(plan_rows("standard", [("Sketches", "50", "1")]))
    assert client.post(reverse("marketplace:gig_create"), data).status_code == 302
    assert Gig.objects.exists() and not PackageMilestone.objects.exists()


def test_the_form_has_six_rows_a_package_with_prefixed_names(client, seller):
    login(client, seller)
    page = client.get(reverse("marketplace:gig_create")).content.decode()
    for tier in ("basic", "standard", "premium"):
        assert f'name="{tier}-plan-5-amount"' in page and f'name="{tier}-plan-6-amount"' not in page
        assert f'<details class="package-plan" data-testid="plan-{tier}">' in page  # folded while empty


# --- the gig page ------------------------------------------------------------------------------------------
def test_the_gig_page_shows_the_plan_steps_with_shares(client, buyer, make_gig):
    gig = make_gig(packages=packages(THREE_STEPS))
    login(client, buyer)
    page = client.get(gig.get_absolute_url()).content.decode()
    assert page.count('data-testid="package-plan-step"') == 3
    assert 'data-testid="package-plan-standard"' in page and 'data-testid="package-plan-basic"' not in page
    assert "Paid milestone by milestone" in page
    for title, amount, share, days in (
        ("Sketches", "$50.00", "17%", "1 day"),
        ("Design", "$100.00", "33%", "2 days"),
        ("Final files", "$150.00", "50%", "3 days"),
    ):
        assert title in page and f"{amount} ({share} of the price) · {days}" in page
    assert page.index("Sketches") < page.index("Design") < page.index("Final files")


@pytest.mark.parametrize(
    ("amounts", "shares"),
    [((3333, 3333, 3334), (33, 33, 34)), ((5000, 10000, 15000), (17, 33, 50)), ((500, 500, 29000), (2, 2, 96))],
)
def test_the_shares_of_the_price_add_up_to_100(make_gig, amounts, shares):
    """Outside try: $33.33 / $33.33 / $33.34 read "33% of the price" three times (99%)."""
    plan = tuple(step(amount, 1, f"Step {i}") for i, amount in enumerate(amounts))
    gig = make_gig(packages=packages(plan, standard_days=3, standard_price=sum(amounts)))
    package = gig.packages.get(tier="standard")
    assert tuple(s.share for s in package.steps_with_shares()) == shares


def test_the_gig_page_with_plans_has_a_fixed_query_count(
    client, buyer, make_gig, seller, categories, django_assert_max_num_queries
):
    six = tuple(step(5000, 1, f"Step {i}") for i in range(6))
    tiers = [
        PackageData("basic", "Basic", "b", 10000, 2, plan=(step(5000, 1), step(5000, 1))),
        PackageData("standard", "Standard", "s", 30000, 6, plan=six),
        PackageData("premium", "Premium", "p", 60000, 10),
    ]
    gig = make_gig(images=[image_file(size=(64, 40))], packages=tiers)
    add_gigs(make_gig, [seller], categories, 1)  # the seller has a rating: the page reads the reviews
    login(client, buyer)
    small = count_queries(client, gig.get_absolute_url())
    add_gigs(make_gig, [seller], categories, 3, start=1)
    with django_assert_max_num_queries(GIG_PAGE_MAX):
        response = client.get(gig.get_absolute_url())
    assert response.content.decode().count('data-testid="package-plan-step"') == 8
    assert count_queries(client, gig.get_absolute_url()) == small
