"""The pages a browser sweep opens, derived from the access matrix, and the checks it makes on each.

``pages_for(role, world)`` lists every GET row of ``tests/security/matrix.py`` whose outcome for
``role`` is ``ok`` (so a page another engineer adds gets swept as soon as it has a row; a URL
pattern without a row fails ``test_every_url_pattern_has_a_row`` here as in the access matrix),
plus a few Django admin pages for the staff. ``Sweeper`` opens a page at one viewport and returns
what is wrong with it: horizontal overflow, console errors, uncaught errors, images that did not
load, failed or 4xx/5xx requests for images, styles, scripts and fonts, no favicon, emoji used as
icons (a missing glyph where no emoji font is installed), and axe-core's serious or critical
violations.
"""

from dataclasses import dataclass, field

from django.conf import settings
from django.test import Client

from tests.security.conftest import url_patterns
from tests.security.matrix import ADMIN, MATRIX

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1366, "height": 900}
VIEWPORTS = {"390x844": PHONE, "1366x900": DESKTOP}

# A few pages of the Django admin, for the staff (support has the "Support" group's view permissions).
ADMIN_PAGES = (
    lambda w: "/admin/",
    lambda w: "/admin/orders/dispute/",
    lambda w: f"/admin/orders/dispute/{w.dispute.pk}/change/",
    lambda w: "/admin/milestones/milestone/",
    lambda w: f"/admin/milestones/order/{w.order.pk}/change/",
)


def missing_rows():
    """URL patterns (outside the admin) that the matrix has no row for."""
    routes = {route for route, _view in url_patterns() if not route.startswith(ADMIN)}
    return sorted(routes - set(MATRIX))


def signed_in_client(user):
    client = Client(raise_request_exception=False)
    if user is not None:
        client.force_login(user)
    return client


# Who stands in for whom: "other" sees what the buyer sees (a signed-in person's pages) and an admin
# what support sees, except on the pages that only they may open.
STAND_INS = {"other": ("buyer", "seller"), "admin": ("support",)}


def sweeps(role, row):
    """Whether ``role`` sweeps the page of ``row``: it may open it and no stand-in role already does."""
    if row.method != "GET" or row.expect[role] != "ok":
        return False
    return not any(row.expect[stand_in] == "ok" for stand_in in STAND_INS.get(role, ()))


def pages_for(role, world):
    """[(route, path)] of every HTML page ``role`` sweeps (a file or an image is not a page)."""
    client = signed_in_client(world.users.get(role))
    pages = []
    for route, row in MATRIX.items():
        if not sweeps(role, row):
            continue
        path = row.url(world)
        response = client.get(path)
        if response.status_code == 200 and response["Content-Type"].startswith("text/html"):
            pages.append((route, path))
    if role in ("support", "admin"):
        pages += [(ADMIN + "…", url(world)) for url in ADMIN_PAGES]
    return pages


def every_role_sweeps_every_page():
    """Routes of GET rows that somebody may open but no role sweeps (the stand-ins must not leave a gap)."""
    return [
        route
        for route, row in MATRIX.items()
        if row.method == "GET"
        and any(outcome == "ok" for outcome in row.expect.values())
        and not any(sweeps(role, row) for role in row.expect)
    ]


def session_cookie(user, base_url):
    """The cookie of a session for ``user`` (no login form to fill on every page)."""
    client = signed_in_client(user)
    return {
        "name": settings.SESSION_COOKIE_NAME,
        "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
        "url": base_url,
    }


# In the page: its width against the window's, and every <img> that did not load.
MEASURE = r"""() => ({
  scrollWidth: document.documentElement.scrollWidth,
  innerWidth: window.innerWidth,
  wide: [...document.querySelectorAll('body *')]
    .filter(e => e.getBoundingClientRect().right > window.innerWidth + 0.5)
    .filter(e => !e.closest('.table-wrap, [data-scrolls]'))
    .slice(0, 3).map(e => e.tagName.toLowerCase()
      + (e.className ? '.' + String(e.className).trim().split(/\s+/).join('.') : '')
      + ' ' + Math.round(e.getBoundingClientRect().right) + 'px'),
  brokenImages: [...document.images].filter(i => !(i.complete && i.naturalWidth > 0)).map(i => i.currentSrc || i.src),
  favicon: !!document.querySelector('link[rel~=icon][href]'),
  emoji: [...document.body.innerText.matchAll(/[\u{1F300}-\u{1FAFF}]/gu)].map(m => m[0]).slice(0, 3),
  // ids a screen reader is pointed to that the page lacks (the admin's own widgets are Django's, left alone)
  dangling: location.pathname.startsWith('/admin/') ? [] : [...document.querySelectorAll(
      '[aria-describedby], [aria-labelledby]')]
    .flatMap(e => `${e.getAttribute('aria-describedby') || ''} ${e.getAttribute('aria-labelledby') || ''}`
      .split(/\s+/).filter(ref => ref && !document.getElementById(ref))),
})"""

ASSETS = {"image", "stylesheet", "script", "font"}
SERIOUS = {"serious", "critical"}


@dataclass
class Sweeper:
    """One browser context for one person; ``check(path, viewport)`` returns the problems of one page."""

    context: object
    base_url: str
    axe: object = None
    problems: list = field(default_factory=list)

    def __post_init__(self):
        if self.axe is not None:  # axe-core in every page it opens (once per load, not once per check)
            self.context.add_init_script(self.axe.axe_script)
        self.page = self.context.new_page()
        self.admin_url = self.base_url.rstrip("/") + "/" + ADMIN
        self.page.on("console", self._console)
        self.page.on("pageerror", lambda error: self.problems.append(f"uncaught error: {error}"))
        self.page.on("requestfailed", self._failed)
        self.page.on("response", self._response)

    def _console(self, message):
        if message.type == "error" and not (
            # Django's own admin script (inlines.js) builds its "Add another" row with an inline style, which the
            # Content-Security-Policy blocks; the row is hidden anyway. Anywhere else the message counts.
            self.page.url.startswith(self.admin_url) and "Applying inline style violates" in message.text
        ):
            self.problems.append(f"console error: {message.text}")

    def _failed(self, request):
        if request.resource_type in ASSETS:
            self.problems.append(f"{request.resource_type} failed: {request.url} ({request.failure})")

    def _response(self, response):
        if response.request.resource_type in ASSETS and response.status >= 400:
            self.problems.append(f"{response.request.resource_type} {response.status}: {response.url}")

    def open(self, path, viewport):
        """Load ``path`` at ``viewport``; the problems seen while loading are returned by the next ``check``."""
        self.problems = []
        self.page.set_viewport_size(viewport)
        response = self.page.goto(path, wait_until="load")
        if response is None or response.status != 200:
            self.problems.append(f"answered {response.status if response else 'nothing'}")

    def check(self, viewport):
        """The problems of the open page at ``viewport`` (resized in place: both widths of one load)."""
        self.page.set_viewport_size(viewport)
        measured = self.page.evaluate(MEASURE)
        if measured["scrollWidth"] > measured["innerWidth"]:
            self.problems.append(
                f"{measured['scrollWidth']} px wide in a {measured['innerWidth']} px window"
                f" (past the edge: {', '.join(measured['wide']) or '?'})"
            )
        self.problems += [f"image not shown: {src}" for src in measured["brokenImages"]]
        if not measured["favicon"]:
            self.problems.append("no favicon")
        if measured["emoji"]:  # no emoji font on many systems: the app's own icons instead
            self.problems.append(f"emoji drawn as text (a missing glyph without an emoji font): {measured['emoji']}")
        if measured["dangling"]:
            self.problems.append(f"aria references to missing ids: {sorted(set(measured['dangling']))[:5]}")
        if self.axe is not None:
            results = self.page.evaluate("() => axe.run(document, {resultTypes: ['violations']})")
            for violation in results["violations"]:
                if violation["impact"] in SERIOUS:
                    nodes = violation["nodes"][:3]
                    targets = ", ".join(str(node["target"][0]) for node in nodes)
                    why = " ".join(nodes[0].get("failureSummary", "").split())[:200] if nodes else ""
                    self.problems.append(
                        f"axe {violation['impact']}: {violation['id']} ({violation['help']}) at {targets}: {why}"
                    )
        found, self.problems = list(dict.fromkeys(self.problems)), []
        return found
