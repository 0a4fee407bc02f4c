"""Every admin shows money as dollars, derived from the models: each ``*_cents`` column of each registered
ModelAdmin (and its inlines) is shown through a "$200.00" display with a name without the unit, or edited
through the app's amount field. And a milestone's plan is read-only in the admin once it is funded."""

import pytest
from django.contrib import admin
from django.contrib.admin.utils import flatten_fieldsets, label_for_field
from django.urls import reverse

from config.admin import MONEY_PREFIX, money_fields
from config.money import AmountField
from milestones.admin import PLAN_FIELDS
from milestones.models import Milestone, State
from tests.orders.builders import fund, make_order, ms

pytestmark = pytest.mark.django_db


def _admins():
    yield from admin.site._registry.items()


def _names(names):
    for name in names:
        if isinstance(name, list | tuple):
            yield from _names(name)
        else:
            yield name


def _checked(model_admin, request, obj):
    """(where, name) of each place ``model_admin`` shows a field, for an object and for the add page."""
    places = []
    if isinstance(model_admin, admin.ModelAdmin):  # inlines have no list
        places += [("list", n) for n in model_admin.get_list_display(request)]
    for o in (None, obj):
        places += [("readonly", n) for n in model_admin.get_readonly_fields(request, o)]
        places += [("detail", n) for n in flatten_fieldsets(model_admin.get_fieldsets(request, o))]
    return places


def _instance(model):
    try:
        return model()
    except Exception:  # noqa: BLE001 - a model that cannot be built empty is checked on the add page only
        return None


def _every_admin_and_inline(rf, admin_user):
    request = rf.get("/")
    request.user = admin_user
    for model, model_admin in _admins():
        obj = _instance(model)
        yield model, model_admin, request, obj
        for inline in model_admin.get_inline_instances(request, obj):
            yield inline.model, inline, request, _instance(inline.model)


def test_the_registry_has_money_columns_to_check():
    with_money = [model for model, _ in _admins() if money_fields(model)]
    assert len(with_money) >= 8, with_money


def test_no_admin_shows_raw_cents(rf, admin_user):
    raw = []
    for model, model_admin, request, obj in _every_admin_and_inline(rf, admin_user):
        money = money_fields(model)
        readonly = set(_names(model_admin.get_readonly_fields(request, obj)))
        can_change = obj is None or model_admin.has_change_permission(request, obj)
        for where, name in _checked(model_admin, request, obj):
            if not isinstance(name, str):
                continue
            if name in money:
                # a raw money column is allowed only as an editable form field (the amount field, in dollars)
                if where == "detail" and name not in readonly and can_change:
                    continue
                raw.append(f"{type(model_admin).__name__}.{where}: {name}")
            if not name.startswith(MONEY_PREFIX) and not name.endswith("_cents"):
                continue
            label = str(label_for_field(name, model, model_admin))
            if "cents" in label.lower():
                raw.append(f"{type(model_admin).__name__}.{where}: {name} is labelled {label!r}")
    assert not raw, "\n".join(raw)


def test_every_money_display_shows_dollars(rf, admin_user):
    for model, model_admin, _request, _obj in _every_admin_and_inline(rf, admin_user):
        for name, field in money_fields(model).items():
            instance = model(**{field.attname: 20000})
            assert getattr(model_admin, MONEY_PREFIX + name)(instance) == "$200.00", (model, name)


def test_editable_money_fields_are_typed_in_dollars(rf, admin_user):
    for model, model_admin, request, _obj in _every_admin_and_inline(rf, admin_user):
        for name, field in money_fields(model).items():
            if not field.editable:
                continue
            formfield = model_admin.formfield_for_dbfield(field, request)
            assert isinstance(formfield, AmountField), (model, name)
            assert "cents" not in str(formfield.label).lower()


def test_the_milestone_list_and_page_show_dollars(admin_client):
    order = make_order(20000)
    milestone = ms(order, 1)
    listing = admin_client.get(reverse("admin:milestones_milestone_changelist")).content.decode()
    assert "$200.00" in listing
    assert "Amount cents" not in listing and "20000" not in listing
    page = admin_client.get(reverse("admin:milestones_milestone_change", args=[milestone.pk])).content.decode()
    assert "$200.00" in page and "Amount cents" not in page


@pytest.mark.parametrize("state", State.values)
def test_the_plan_is_read_only_in_the_admin_once_funded(state, rf, admin_user):
    request = rf.get("/")
    request.user = admin_user
    model_admin = admin.site._registry[Milestone]
    readonly = set(model_admin.get_readonly_fields(request, Milestone(state=state)))
    if state in (State.PROPOSED, State.AWAITING_FUNDING):
        assert {"title", "description"}.isdisjoint(readonly)
    else:
        assert set(PLAN_FIELDS) <= readonly


def test_editing_a_funded_milestone_in_the_admin_changes_nothing(admin_client):
    milestone = fund(ms(make_order(20000), 1))
    url = reverse("admin:milestones_milestone_change", args=[milestone.pk])
    page = admin_client.get(url).content.decode()
    assert 'name="title"' not in page and 'name="description"' not in page
    admin_client.post(url, {"title": "Changed by hand", "description": "Other work"})
    milestone.refresh_from_db()
    assert milestone.title == "Milestone 1"
