"""Every write made in the Django admin leaves a staff audit row (``accounts.audit``), as the staff pages do.

Built from the admin's registry: every admin that lets a superuser add, change or delete is audited
(``accounts.admin_audit.AuditedAdmin``), every change page posted back as shown saves and leaves a
row, every delete leaves one, and every admin action that changes something leaves one. The gig
admin and the earnings hold go through their services (search vector, prices, audit row).
"""

from html.parser import HTMLParser

import pytest
from django.contrib import admin
from django.contrib.postgres.search import SearchQuery
from django.db import transaction
from django.test import Client, RequestFactory
from django.urls import reverse

from accounts.admin_audit import AuditedAdmin
from accounts.models import StaffAction
from marketplace.models import Gig
from marketplace.services import SEARCH_CONFIG
from payments.models import Earning, EarningStatus
from tests.factories import UserFactory

from .world import build_world

pytestmark = pytest.mark.django_db

WRITES = ("add", "change", "delete")


def registry():
    return sorted(admin.site._registry.items(), key=lambda item: item[0]._meta.label)


def superuser_request(user):
    request = RequestFactory().get("/admin/")
    request.user = user
    return request


def writes_of(model_admin, request):
    allowed = []
    for verb in WRITES:
        check = getattr(model_admin, f"has_{verb}_permission")
        if check(request, None) if verb != "add" else check(request):
            allowed.append(verb)
    return allowed


def test_every_admin_that_writes_is_audited():
    request = superuser_request(UserFactory(is_staff=True, is_superuser=True))
    found = [
        f"{model._meta.label}: {', '.join(writes_of(model_admin, request))}"
        for model, model_admin in registry()
        if writes_of(model_admin, request) and not isinstance(model_admin, AuditedAdmin)
    ]
    assert not found, "admins that write without an audit row (base them on AuditedAdmin):\n" + "\n".join(found)


class _FormFields(HTMLParser):
    """The values a browser would post back from the admin's change form, as shown."""

    def __init__(self, form_id):
        super().__init__()
        self.form_id, self.inside, self.data = form_id, False, []
        self._select = self._textarea = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.inside = attrs.get("id") == self.form_id
        if not self.inside or "name" not in attrs and tag != "option":
            return
        if tag == "input":
            kind = attrs.get("type", "text")
            if kind in ("checkbox", "radio") and "checked" not in attrs or kind in ("file", "submit", "button"):
                return
            self.data.append((attrs["name"], attrs.get("value") or ("on" if kind == "checkbox" else "")))
        elif tag == "select":
            self._select = attrs["name"]
        elif tag == "option" and self._select and "selected" in attrs:
            self.data.append((self._select, attrs.get("value", "")))
        elif tag == "textarea":
            self._textarea = attrs["name"]
            self.data.append((self._textarea, ""))

    def handle_data(self, data):
        if self._textarea:
            name, text = self.data.pop()
            self.data.append((name, text + data))

    def handle_endtag(self, tag):
        if tag == "form":
            self.inside = False
        elif tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None


def posted_back(client, url, model):
    parser = _FormFields(f"{model._meta.model_name}_form")
    parser.feed(client.get(url).content.decode())
    data = {}
    for name, value in parser.data:
        data.setdefault(name, []).append(value.removeprefix("\n"))
    data["_save"] = ["Save"]
    return data


@pytest.fixture
def world(db):
    return build_world()


def _rows(**kwargs):
    return StaffAction.objects.filter(**kwargs).count()


def change_pages(world):
    """(client logged in as the admin, model, change page URL) for each admin that changes, on its first row."""
    admin_user = world.users["admin"]
    client = Client()
    client.force_login(admin_user)
    request = superuser_request(admin_user)
    for model, model_admin in registry():
        obj = model._default_manager.order_by("pk").first()
        if obj is None or "change" not in writes_of(model_admin, request):
            continue
        yield client, model, reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_change", args=[obj.pk])


def test_every_change_page_saves_as_shown_and_leaves_an_audit_row(world):
    admin_user = world.users["admin"]
    tried, failures = 0, []
    for client, model, url in change_pages(world):
        with transaction.atomic():
            before = _rows(staff=admin_user)
            response = client.post(url, posted_back(client, url, model))
            after = _rows(staff=admin_user)
            transaction.set_rollback(True)
        tried += 1
        if response.status_code != 302:
            errors = getattr(response, "context_data", {}) or {}
            failures.append(f"{model._meta.label}: {response.status_code} {errors.get('errors')}")
        elif after != before + 1:
            failures.append(f"{model._meta.label}: saved with {after - before} audit rows")
    assert tried >= 15
    assert not failures, "\n".join(failures)


def test_every_delete_leaves_an_audit_row(world):
    admin_user = world.users["admin"]
    client = Client()
    client.force_login(admin_user)
    request = superuser_request(admin_user)
    tried, failures = 0, []
    for model, model_admin in registry():
        obj = model._default_manager.order_by("pk").first()
        if obj is None or "delete" not in writes_of(model_admin, request):
            continue
        url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_delete", args=[obj.pk])
        with transaction.atomic():
            client.post(url, {"post": "yes"})
            deleted = not model._default_manager.filter(pk=obj.pk).exists()
            target = f"{model._meta.label_lower} {obj.pk}"
            rows = _rows(staff=admin_user, action="admin_delete", target=target)
            transaction.set_rollback(True)
        if deleted:  # a row that other rows protect stays (the admin says why)
            tried += 1
            if rows != 1:
                failures.append(f"{model._meta.label}: deleted with {rows} audit rows")
    assert tried >= 10
    assert not failures, "\n".join(failures)


# What makes each admin action have something to do in the world (a new action needs an entry).
def _hold_all(world):
    from payments import services

    ids = set(Earning.objects.values_list("milestone_id", flat=True))
    services.earnings_staff_hold(actor=world.users["admin"], milestone_ids=ids, hold=True)


def _unverify_one(world):
    from allauth.account.models import EmailAddress

    EmailAddress.objects.filter(user=world.users["other"]).update(verified=False)


def _pause_gig(world):
    from marketplace.services import gig_status_change_by_staff

    gig_status_change_by_staff(gig_id=world.gig.pk, actor=world.users["admin"], transition="pause")


def _drift_stats(world):
    from django.db.models import F

    from marketplace.models import SellerStats

    SellerStats.objects.filter(seller=world.gig.seller).update(orders_completed=F("orders_completed") + 7)


PREPARE = {
    "hold": lambda world: None,
    "unhold": _hold_all,
    "make_verified": _unverify_one,
    "pause": lambda world: None,  # the world's gigs are active
    "resume": _pause_gig,
    "soft_delete": lambda world: None,
    "recount": _drift_stats,  # a stats row that no longer matches its seller's orders
}


def test_every_admin_action_that_changes_something_leaves_an_audit_row(world):
    admin_user = world.users["admin"]
    client = Client()
    client.force_login(admin_user)
    request = superuser_request(admin_user)
    tried, failures = [], []
    for model, model_admin in registry():
        for name in model_admin.get_actions(request):
            if name == "delete_selected":  # covered by the deletes above
                continue
            if name not in PREPARE:
                failures.append(f"{model._meta.label}.{name}: no entry in PREPARE")
                continue
            with transaction.atomic():
                PREPARE[name](world)
                before_rows = _rows(staff=admin_user)
                before = list(model._default_manager.order_by("pk").values())
                changelist = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
                pks = [row[model._meta.pk.attname] for row in before]
                client.post(changelist, {"action": name, "_selected_action": pks, "index": "0"})
                changed = list(model._default_manager.order_by("pk").values()) != before
                rows = _rows(staff=admin_user) - before_rows
                transaction.set_rollback(True)
            tried.append(name)
            if not changed:
                failures.append(f"{model._meta.label}.{name}: changed nothing (fix its PREPARE entry)")
            elif rows < 1:
                failures.append(f"{model._meta.label}.{name}: changed rows without an audit row")
    assert {"hold", "unhold", "make_verified"} <= set(tried)
    assert not failures, "\n".join(failures)


# --- the two the issue names -----------------------------------------------------------------------
def test_a_gig_changed_in_the_admin_goes_through_the_service(world, require_postgres):
    admin_user = world.users["admin"]
    gig = world.gig
    client = Client()
    client.force_login(admin_user)
    url = reverse("admin:marketplace_gig_change", args=[gig.pk])
    data = posted_back(client, url, Gig)
    data["title"] = ["Hand-drawn watercolour portraits of pets"]
    assert client.post(url, data).status_code == 302
    gig.refresh_from_db()
    assert gig.title == "Hand-drawn watercolour portraits of pets"
    found = Gig.objects.filter(search_vector=SearchQuery("watercolour", config=SEARCH_CONFIG))
    assert list(found) == [gig]  # the search vector follows the title (it went stale before)
    log = StaffAction.objects.get(action="gig_update")
    assert (log.staff, log.target) == (admin_user, f"gig {gig.pk}")
    assert "title" in log.detail and log.data["changed"] == ["title"]
    assert not StaffAction.objects.filter(action="admin_change").exists()  # one row, the service's


def test_package_prices_changed_in_the_gig_admin_set_the_starting_price(world):
    admin_user = world.users["admin"]
    gig = world.gig
    packages = list(gig.packages.order_by("price_cents"))
    assert packages, "the world's gig has packages"
    client = Client()
    client.force_login(admin_user)
    url = reverse("admin:marketplace_gig_change", args=[gig.pk])
    data = posted_back(client, url, Gig)
    index = next(i for i, p in enumerate(gig.packages.order_by("pk")) if p.pk == packages[0].pk)
    prefix = next(name for name in data if name.endswith("-TOTAL_FORMS")).removesuffix("-TOTAL_FORMS")
    data[f"{prefix}-{index}-price_cents"] = ["70.00"]  # the admin types money in dollars
    assert client.post(url, data).status_code == 302
    gig.refresh_from_db()
    assert gig.price_cents == min(7000, *(p.price_cents for p in packages[1:]))


def test_only_support_changes_gigs_in_the_admin(world):
    request = superuser_request(UserFactory(is_staff=True))
    gig_admin = admin.site._registry[Gig]
    assert not gig_admin.has_change_permission(request, world.gig)
    request.user = world.users["support"]
    assert not gig_admin.has_change_permission(request, world.gig)  # support has no gig permissions
    request.user = world.users["admin"]
    assert gig_admin.has_change_permission(request, world.gig)


def test_the_admins_earning_hold_goes_through_the_service_and_leaves_an_audit_row(world):
    support = world.users["support"]
    earning = Earning.objects.filter(status=EarningStatus.PENDING).first()
    assert earning is not None
    client = Client()
    client.force_login(support)  # support may view earnings, so may hold them
    changelist = reverse("admin:payments_earning_changelist")
    client.post(changelist, {"action": "hold", "_selected_action": [earning.pk], "index": "0"})
    earning.refresh_from_db()
    assert earning.on_hold
    log = StaffAction.objects.get(action="earnings_hold")
    assert (log.staff, log.milestone_id) == (support, earning.milestone_id)
    client.post(changelist, {"action": "unhold", "_selected_action": [earning.pk], "index": "0"})
    earning.refresh_from_db()
    assert not earning.on_hold
    assert StaffAction.objects.filter(action="earnings_unhold", staff=support).count() == 1


def test_staff_outside_support_cannot_hold_earnings(world):
    from payments import services
    from payments.exceptions import PaymentError

    earning = Earning.objects.filter(status=EarningStatus.PENDING).first()
    with pytest.raises(PaymentError, match="Only support staff"):
        services.earnings_staff_hold(actor=UserFactory(is_staff=True), milestone_ids=[earning.milestone_id], hold=True)
    earning.refresh_from_db()
    assert not earning.on_hold and not StaffAction.objects.exists()


def test_every_money_field_of_every_change_page_refuses_an_amount_out_of_bounds_in_words(world):
    """Each amount typed on an admin change page (inlines included) outside its column's bounds is refused with
    a message in dollars, next to the field, and saves nothing. Outside try (issue 20): a zero price read "The
    amount must be at least {limit}." (the model's validator, with the amount field's message unformatted)."""
    admin_user = world.users["admin"]
    tried, failures = 0, []
    for client, model, url in change_pages(world):
        shown = posted_back(client, url, model)
        for name in [key for key in shown if key.endswith("_cents") and "__prefix__" not in key]:
            for typed in ("0", "99999999999"):
                with transaction.atomic():
                    before = _rows(staff=admin_user)
                    response = client.post(url, {**shown, name: [typed]})
                    after = _rows(staff=admin_user)
                    transaction.set_rollback(True)
                tried += 1
                page = response.content.decode()
                if response.status_code == 302:
                    if typed != "0":  # zero may be a fine amount (a fee, a share of nothing); a huge one never is
                        failures.append(f"{model._meta.label} {name}={typed}: saved")
                    continue
                if response.status_code != 200 or after != before:
                    failures.append(
                        f"{model._meta.label} {name}={typed}: {response.status_code}, {after - before} rows"
                    )
                elif "{limit" in page or "{short_limit" in page or "limit_value" in page:
                    failures.append(f"{model._meta.label} {name}={typed}: a message with its placeholder")
    assert tried >= 4, tried
    assert not failures, "\n".join(failures)
