"""Every page, as every role that may open it, on a 390×844 phone and a 1366×900 desktop.

The pages come from the project's URL patterns through the access matrix (tests/security/matrix.py):
every GET row whose outcome for the role is ``ok``, on the security suite's world (one object of
every kind a URL names), plus a few Django admin pages for the staff. On each page, at both widths:
no horizontal overflow (``scrollWidth`` ≤ the window), no console error or uncaught error, every
image, style, script and font loaded, and no serious or critical axe-core violation.

One test per role builds the world once, loads each page once at 390×844, checks it, resizes it to
1366×900 and checks it again, and collects every problem into one message (page, width, role,
problem), so a failure lists all that is wrong at once. "other" and "admin" sweep only the pages
the buyer or seller, and support, cannot open (they see the same pages: pages.STAND_INS).
"""

import importlib

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.contrib.auth.models import Group, Permission

from tests.security.matrix import ROLES
from tests.security.world import build_world

from .pages import STAND_INS, VIEWPORTS, Sweeper, every_role_sweeps_every_page, missing_rows, pages_for, session_cookie

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def ensure_support_group():
    """The "Support" group of migration orders/0004 (a transactional test's flush removed it)."""
    migration = importlib.import_module("orders.migrations.0004_support_group")
    group, _ = Group.objects.get_or_create(name=migration.SUPPORT_GROUP)
    codenames = [codename for names in migration.PERMISSIONS.values() for codename in names]
    group.permissions.add(*Permission.objects.filter(codename__in=codenames))  # some models moved app since


def test_every_url_pattern_has_a_row_to_sweep():
    missing = missing_rows()
    assert not missing, "URL patterns with no row in tests/security/matrix.py, so no page to sweep:\n" + "\n".join(
        missing
    )


def test_every_page_somebody_may_open_is_swept():
    assert not every_role_sweeps_every_page()


@pytest.mark.parametrize("role", ROLES)
def test_every_page_fits_loads_and_passes_axe(browser, live_server, role):
    ensure_support_group()
    world = build_world()
    user = world.users.get(role)
    pages = pages_for(role, world)
    assert len(pages) >= 5 or role in STAND_INS, pages  # the sweep would pass on an empty list
    context = browser.new_context(base_url=live_server.url)
    context.set_default_timeout(15_000)
    if user is not None:
        context.add_cookies([session_cookie(user, live_server.url)])
    sweeper = Sweeper(context, live_server.url, axe=Axe())
    found = []
    try:
        for route, path in pages:
            sweeper.open(path, VIEWPORTS["390x844"])
            for width, viewport in VIEWPORTS.items():
                for problem in sweeper.check(viewport):
                    found.append(f"{path} ({route}) at {width} as {role}: {problem}")
    finally:
        context.close()
    assert not found, f"{len(found)} problems on {len(pages)} pages:\n" + "\n".join(found)
