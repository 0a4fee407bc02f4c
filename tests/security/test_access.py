"""Who can open what: every URL pattern × every role, IDOR tries on every object id, and the admin.

Each request runs in a savepoint that is rolled back, so one world serves a
whole role and no request sees another's effects.
"""

import importlib
from contextlib import contextmanager

import pytest
from django.contrib import admin
from django.db import transaction
from django.test import Client

from tests.factories import UserFactory

from .conftest import example_path, fingerprint, url_patterns
from .matrix import ADMIN, MATRIX, ROLES
from .world import build_world, make_people

pytestmark = pytest.mark.django_db


def outcome(response):
    if response.status_code in (301, 302):
        location = response["Location"]
        if location.startswith("/accounts/login/"):
            return "login"
        if location.startswith("/admin/login/"):
            return "admin_login"
        return "redirect"
    return "ok" if response.status_code == 200 else str(response.status_code)


@contextmanager
def rolled_back():
    with transaction.atomic():
        yield
        transaction.set_rollback(True)


def call(user, row, world, path=None):
    client = Client(raise_request_exception=False)
    if user is not None:
        client.force_login(user)
    path = path or row.url(world)
    if row.method == "POST":
        return client.post(path, row.data(world) if row.data else {})
    return client.get(path)


def test_every_url_pattern_has_a_row():
    routes = {route for route, _view in url_patterns()}
    app_routes = {route for route in routes if not route.startswith(ADMIN)}
    missing = sorted(app_routes - set(MATRIX))
    stale = sorted(set(MATRIX) - app_routes)
    assert not missing, "URL patterns with no row in tests/security/matrix.py (add who may open them):\n" + "\n".join(
        missing
    )
    assert not stale, "rows for URL patterns that no longer exist:\n" + "\n".join(stale)


@pytest.mark.parametrize("role", ROLES)
def test_access_matrix(role):
    world = build_world()
    user = world.users.get(role)
    mismatches = []
    for route, row in MATRIX.items():
        expected = row.expect[role]
        with rolled_back():
            before = fingerprint() if row.method == "POST" and expected not in ("ok", "redirect") else None
            got = outcome(call(user, row, world))
            if before is not None and fingerprint() != before:
                mismatches.append(f"{row.method} {route}: refused ({got}) but the data changed")
        if got != expected:
            mismatches.append(f"{row.method} {route} ({row.url(world)}): expected {expected}, got {got}")
    assert not mismatches, f"as {role}:\n" + "\n".join(mismatches)


class Swapped:
    """The world, except that one object comes from the foreign world."""

    def __init__(self, world, foreign, name):
        self._world, self._foreign, self._name = world, foreign, name
        self.users = world.users

    def __getattr__(self, attr):
        return getattr(self._foreign if attr == self._name else self._world, attr)


@pytest.mark.parametrize("role", ["buyer", "seller"])
def test_no_object_of_someone_else_can_be_reached_by_changing_an_id(role):
    """IDOR: in every URL that names objects, put another order's object in place of each id in turn."""
    people = make_people()
    world = build_world(people=people)
    foreign = build_world(buyer=people["other"], seller=UserFactory(display_name="Fay Foreign"), people=people)
    user = world.users[role]
    tried, failures = 0, []
    for route, row in MATRIX.items():
        for kwarg, name in row.ids:
            if kwarg in row.public_ids:
                continue
            path = row.url(Swapped(world, foreign, name))
            with rolled_back():
                before = fingerprint()
                got = outcome(call(user, row, world, path=path))
                changed = fingerprint() != before
            tried += 1
            if got not in ("404", "403") or changed:
                failures.append(f"{row.method} {route} with a foreign {kwarg} ({path}): {got}, changed: {changed}")
    assert tried >= 30
    assert not failures, f"as the {role}:\n" + "\n".join(failures)


def admin_routes():
    return sorted(route for route, _view in url_patterns() if route.startswith(ADMIN))


def test_the_admin_is_closed_to_everyone_but_staff():
    people = make_people()
    failures = []
    for route in admin_routes():
        path = example_path(route)
        for role in ("anonymous", "buyer", "other"):
            client = Client(raise_request_exception=False)
            if role != "anonymous":
                client.force_login(people[role])
            got = outcome(client.get(path))
            allowed = {"admin_login"}
            if route in ("admin/login/",):
                allowed = {"ok", "admin_login"}
            elif route == "admin/logout/":
                allowed = {"405", "admin_login", "redirect"}  # nothing to log out of
            if got not in allowed:
                failures.append(f"{path} as {role}: {got}")
    assert len(admin_routes()) > 50
    assert not failures, "\n".join(failures)


# Models that moved app since the Support group was made (their permissions moved with them).
MOVED = {"order": "milestones", "timelineevent": "milestones", "notification": "accounts", "staffaction": "accounts"}


def support_permissions():
    migration = importlib.import_module("orders.migrations.0004_support_group")
    return {
        f"{MOVED.get(codename.split('_', 1)[1], app)}.{codename}"
        for app, codenames in migration.PERMISSIONS.items()
        for codename in codenames
    }


def test_admin_pages_follow_permissions_for_support_and_admins():
    world = build_world()
    granted = support_permissions()
    failures = []
    for model, _model_admin in admin.site._registry.items():
        opts = model._meta
        changelist = f"/admin/{opts.app_label}/{opts.model_name}/"
        obj = model._default_manager.first()
        for role in ("support", "admin"):
            client = Client(raise_request_exception=False)
            client.force_login(world.users[role])
            may_view = role == "admin" or f"{opts.app_label}.view_{opts.model_name}" in granted
            got = outcome(client.get(changelist))
            if got != ("ok" if may_view else "403"):
                failures.append(f"{changelist} as {role}: {got}")
            if obj is not None and may_view:
                got = outcome(client.get(f"{changelist}{obj.pk}/change/"))
                if got != "ok":
                    failures.append(f"{changelist}{obj.pk}/change/ as {role}: {got}")
            # Adding is refused to support without the permission (most models refuse it to everyone:
            # ledger rows, orders and milestones are only ever written by the services).
            got = outcome(client.get(f"{changelist}add/"))
            if got == "500" or (
                got == "ok" and role == "support" and f"{opts.app_label}.add_{opts.model_name}" not in granted
            ):
                failures.append(f"{changelist}add/ as {role}: {got}")
    assert not failures, "\n".join(failures)
