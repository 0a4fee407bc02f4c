"""Every URL pattern with odd ids and odd query values: never a 500.

The cases come from the URL resolver, not from a list written here, so a new
pattern is probed by default:

- **Path parameters.** Each parameter of each pattern is replaced in turn by
  the odd values its converter (or regex group) accepts: ``0``, the largest
  bigint and one past it, 26 digits, ``-1``, letters, accented, Arabic-Indic
  and right-to-left-override text, 1,000 characters, ``..``, markup, quotes,
  the nil and all-``f`` UUIDs. A value is used only if the path still
  resolves to the same pattern; the other parameters keep the real object's
  value (from the access matrix's row, or the admin model's first row), so
  the odd one reaches the view's lookup. A parameter no odd value fits fails
  ``test_every_parameter_of_every_pattern_gets_odd_values``, naming it.
- **Query values.** The real page of each pattern is opened once with a
  ``QueryDict`` that records every key read (by the view, allauth, the admin,
  or a form such as the search filters). Then every key read, plus those any
  page might read (``page``, the dashboard's pagers, the search filters, the
  staff queue's ``status``, ``before``, ``pending``, ``next``), gets ``abc``,
  ``-1``, ``0``, the largest bigint and one past it, ``1e400``, ``1.5``,
  Arabic-Indic digits, NUL, 5,000 characters and nothing, all at once; then
  each key read on its own, and repeated (``page=1&page=2``).
- **POST fields.** Every pattern gets a POST with the matrix row's data, then
  with the id-like fields (``id``, ``pk``, ``expected_state``, ``decision``,
  ``next``, ``pay_with``, ``outcome``, and every key the view itself reads
  from ``request.POST``) odd, all at once and each on its own. Fields a form
  reads are the form fuzz suite's. A view that refuses a method (405) or
  reads nothing from a POST is not sent more of it.

Roles: each pattern as anonymous, the buyer, the seller and support staff
(the admin's pages as the superuser). A role the matrix sends to log in gets
nothing (the view never runs); a role the page refuses gets the odd paths
(many views look the object up before they refuse); the first role that may
open the page gets everything, the others the odd paths and every key odd at
once with fewer values. The admin's own views (lists, change, delete...) get
odd object ids and their lists odd query values, never a POST (a bare POST to
a delete page deletes); the project's admin views (operator actions) get
everything.

Each request runs in a savepoint that is rolled back, with a test client
that raises the view's exception: an exception or a 500 fails, naming the
request. 200, 30x, 400, 403, 404, 405 and 429 are all fine.
"""

import logging
import re
import sys
import traceback
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from http.cookies import SimpleCookie
from urllib.parse import quote, urlsplit

import pytest
from django.db import transaction
from django.http import QueryDict
from django.test import Client
from django.urls import Resolver404, resolve

from orders.views import DASHBOARD_LISTS

from .conftest import url_patterns
from .matrix import ADMIN, MATRIX
from .world import build_world

pytestmark = pytest.mark.django_db

# --- the odd values ---------------------------------------------------------------------------------

# Candidates for a path parameter; a pattern uses those its converter or regex still matches.
ODD_SEGMENTS = (
    "0",
    "9223372036854775807",  # the largest bigint
    "9223372036854775808",  # one past it
    "99999999999999999999999999",
    "-1",
    "abc",
    "é-ü_ñ",
    "١٢٣",  # Arabic-Indic digits
    "\u202egnp.exe",  # a right-to-left override
    "x" * 1000,
    "..",
    "<b>x</b>",
    "a'b\"c",
    "00000000-0000-0000-0000-000000000000",
    "ffffffff-ffff-ffff-ffff-ffffffffffff",
)

# The admin's stock views share one lookup for every model: fewer values there.
ADMIN_SEGMENTS = ("9223372036854775808", "abc", "..")

ODD_QUERY_VALUES = (
    "abc",
    "-1",
    "0",
    "9223372036854775807",  # a valid bigint, whose offset or arithmetic overflows
    "9223372036854775808",
    "1e400",
    "1.5",
    "١٢٣",  # Arabic-Indic digits: int() takes them
    "\x00",  # PostgreSQL refuses NUL in text
    "x" * 5000,
    "",
)

# Each key the view reads, on its own (a bad value for one key can hide another's).
KEY_VALUES = ("abc", "0", "9223372036854775807", "9223372036854775808", "1e400", "\x00")
# The POST fields as a role other than the first who may open the page, and the admin's lists.
LIGHT_VALUES = ("abc", "-1", "9223372036854775808", "\x00", "x" * 5000)

# Query keys tried on every page even if the first run did not see the view read them.
COMMON_QUERY_KEYS = (
    "page",
    *DASHBOARD_LISTS,
    "q",
    "category",
    "min_price",
    "max_price",
    "delivery",
    "rating",
    "sort",
    "status",
    "before",
    "pending",
    "next",
)

# POST fields that name an object or a choice, tried on every POST.
ID_FIELDS = ("id", "pk", "expected_state", "decision", "next", "pay_with", "outcome")

ROLES = ("anonymous", "buyer", "seller", "support")

ACCEPTED = {200, 204, 301, 302, 303, 304, 400, 403, 404, 405, 429}


# --- the patterns -------------------------------------------------------------------------------------


# A regex group (``(?P<name>...)``) or a converter (``<id:name>``), in one pass (a group's regex may
# itself hold ``<name>``, and a value put in may look like one).
_PARAMETER = re.compile(r"\(\?P<(\w+)>([^)]*)\)|<(?:(\w+):)?(\w+)>")


def _normal(route):
    return route.replace("^", "")


@dataclass
class Pattern:
    route: str
    callback: object
    params: list  # [(name, kind)] in order; kind: a converter name or "re:<regex>"

    @property
    def is_admin(self):
        return self.route.startswith(ADMIN)

    def path(self, values):
        """The URL path with ``values`` (name -> raw string) in place of the parameters, quoted."""
        return self._build(values, quote_values=True)

    def raw_path(self, values):
        return self._build(values, quote_values=False)

    def _build(self, values, *, quote_values):
        def value(name):
            text = str(values[name])
            return quote(text, safe="") if quote_values else text

        path = _PARAMETER.sub(lambda m: value(m.group(1) or m.group(4)), self.route)
        return "/" + path.replace("^", "").replace("$", "")

    def resolves(self, values):
        try:
            match = resolve(self.raw_path(values))
        except (Resolver404, ValueError):
            return False
        return _normal(match.route) == _normal(self.route)


def patterns():
    found = []
    for route, callback in url_patterns():
        params = [
            (m.group(1), "re:" + m.group(2)) if m.group(1) else (m.group(4), m.group(3) or "str")
            for m in _PARAMETER.finditer(route)
        ]
        found.append(Pattern(route, callback, params))
    return found


def real_values(pattern, world):
    """The real object's values for the pattern's parameters, and its query string."""
    row = MATRIX.get(pattern.route)
    if row is not None:
        url = urlsplit(row.url(world))
        return dict(resolve(url.path).kwargs), url.query
    kwargs = {name: _example(kind) for name, kind in pattern.params}
    model_admin = getattr(pattern.callback, "model_admin", None)
    if model_admin is not None and "object_id" in kwargs:
        obj = model_admin.model._default_manager.order_by("pk").first()
        if obj is not None:
            kwargs["object_id"] = obj.pk
    return kwargs, ""


def _example(kind):
    if kind.startswith("re:"):
        return kind[3:].split("|")[0] if "|" in kind else "x"
    return {"int": 1, "id": 1, "path": "1", "uuid": str(uuid.uuid4())}.get(kind, "x")


def _closed_choice(kind):
    """A regex group that lists its literal values (the admin's ``app_label``): any other value is
    another pattern's (the admin's catch-all, probed on its own), so there is nothing odd to fit."""
    return kind.startswith("re:") and "|" in kind and all(re.fullmatch(r"[\w-]+", c) for c in kind[3:].split("|"))


def odd_paths(pattern, real, candidates):
    """Paths with one parameter odd at a time; and the names of parameters no odd value fits."""
    paths, ungenerated = [], []
    for name, kind in pattern.params:
        fits = [value for value in candidates if pattern.resolves({**real, name: value})]
        if not fits and not _closed_choice(kind):
            ungenerated.append(name)
        paths += [pattern.path({**real, name: value}) for value in fits]
    return paths, ungenerated


# --- recording what a view reads ---------------------------------------------------------------------------


class ReadKeys:
    """Patches ``QueryDict`` so every key a request's code reads is noted, with who read it.

    ``view`` keys are read by the project's (or allauth's, or the admin's) code itself; ``form``
    keys through a Django form (its widgets or fields anywhere down the stack).
    """

    def __init__(self, monkeypatch):
        self.view, self.form = set(), set()
        recorder = self
        original_getitem, original_get = QueryDict.__getitem__, QueryDict.get
        original_getlist, original_contains = QueryDict.getlist, QueryDict.__contains__

        def note(key):
            frame, through = sys._getframe(2), set()
            while frame is not None:
                through.update(part for part in ("/django/forms/", "/django/http/") if part in frame.f_code.co_filename)
                frame = frame.f_back
            if "/django/http/" in through:
                return  # Django building the QueryDict while it parses the request
            (recorder.form if "/django/forms/" in through else recorder.view).add(key)

        def getitem(self, key):
            note(key)
            return original_getitem(self, key)

        def get(self, key, default=None):
            note(key)
            return original_get(self, key, default)

        def getlist(self, key, default=None):
            note(key)
            return original_getlist(self, key, default)

        def contains(self, key):
            note(key)
            return original_contains(self, key)

        monkeypatch.setattr(QueryDict, "__getitem__", getitem)
        monkeypatch.setattr(QueryDict, "get", get)
        monkeypatch.setattr(QueryDict, "getlist", getlist)
        monkeypatch.setattr(QueryDict, "__contains__", contains)

    @contextmanager
    def fresh(self):
        self.view.clear()
        self.form.clear()
        yield self


# --- running requests -------------------------------------------------------------------------------------------


class Prober:
    """Sends requests as each role, each in a rolled-back savepoint; collects every 500 and exception."""

    def __init__(self, world, roles):
        self.world = world
        self.clients, self.cookies = {}, {}
        for role in roles:
            client = Client(raise_request_exception=True)  # one per role: a client loads the middleware once
            if role != "anonymous":
                client.force_login(world.users[role])
            self.clients[role], self.cookies[role] = client, SimpleCookie(client.cookies)
        self.failures = []
        self.sent = 0

    def send(self, role, method, path, data=None):
        client = self.clients[role]
        client.cookies = SimpleCookie(self.cookies[role])  # a logout or a new session inside stays inside
        self.sent += 1
        shown = f"{method} {path[:160]}{'…' if len(path) > 160 else ''} as {role}"
        if data:
            shown += " with " + _shown(data)
        try:
            with transaction.atomic():
                response = client.post(path, data or {}) if method == "POST" else client.get(path, data or {})
                transaction.set_rollback(True)
        except Exception as exc:  # noqa: BLE001 - any exception from a view is the failure we look for
            where = traceback.extract_tb(exc.__traceback__)[-1]
            self.failures.append(f"{shown}: {type(exc).__name__}: {str(exc)[:200]} ({where.filename}:{where.lineno})")
            return None
        if response.status_code not in ACCEPTED:
            self.failures.append(f"{shown}: HTTP {response.status_code}")
        return response


def _shown(data):
    def short(value):
        return repr(value if isinstance(value, list) else f"{value[:20]}…({len(value)})" if len(value) > 20 else value)

    values = {short(v) for v in data.values()}
    if len(data) > 3 and len(values) == 1:
        return f"{', '.join(data)} all = {values.pop()}"
    return ", ".join(f"{k}={short(v)}" for k, v in data.items())


def probe_pattern(prober, reads, pattern, role, *, depth):
    """The odd requests for one pattern as one role.

    ``depth``: ``none`` (the role is sent to log in first: nothing), ``refused`` (the role may not
    open the page: odd paths only, since many views look the object up before they refuse),
    ``light`` (odd paths, every query key odd at once, the id-like POST fields at once) or ``full``
    (also each key the view reads on its own, and repeated).
    """
    real, query = real_values(pattern, prober.world)
    real_path = pattern.path(real)
    row = MATRIX.get(pattern.route)
    method = row.method if row is not None else "GET"
    row_data = row.data(prober.world) if row is not None and row.data else {}

    if depth == "none":
        return
    paths, _ungenerated = odd_paths(pattern, real, ADMIN_SEGMENTS if pattern.is_admin else ODD_SEGMENTS)
    for path in paths:
        prober.send(role, method, path, row_data if method == "POST" else None)
    if depth == "refused":
        return

    # Query values: find what the view reads, then make them odd (the row's own query, e.g. the
    # search words of /gigs/?q=logo, stays unless it is the key made odd).
    base = QueryDict(query).dict()
    with reads.fresh():
        answer = prober.send(role, "GET", real_path, base)
        read_by_view = set(reads.view) | set(reads.form)
    keys = sorted(read_by_view | set(COMMON_QUERY_KEYS))
    if answer is None or answer.status_code == 405:  # refuses GET before it reads anything
        values = ()
    elif not read_by_view:  # reads no query key: one try in case it reads them only sometimes
        values = ("9223372036854775808",)
    else:
        values = ODD_QUERY_VALUES if depth == "full" else LIGHT_VALUES
    for value in values:
        prober.send(role, "GET", real_path, {key: value for key in keys})
    if depth == "full":
        for key in sorted(read_by_view - {"csrfmiddlewaretoken"}):
            for value in KEY_VALUES:
                prober.send(role, "GET", real_path, {**base, key: value})
            prober.send(role, "GET", real_path, {**base, key: ["1", "2"]})

    # POST: the id-like fields, and what the view itself reads from request.POST.
    if pattern.is_admin and _stock_admin(pattern):
        return
    with reads.fresh():
        answer = prober.send(role, "POST", real_path, row_data)
        post_keys = set(reads.view) - {"csrfmiddlewaretoken"}
        reads_post = bool(reads.view or reads.form)
    if answer is None or answer.status_code == 405 or not (reads_post or row_data):
        return  # refuses a POST, or reads nothing from it (a page that treats a POST as a GET)
    for value in ODD_QUERY_VALUES if depth == "full" else LIGHT_VALUES:
        prober.send(role, "POST", real_path, {**row_data, **{key: value for key in post_keys | set(ID_FIELDS)}})
    if depth == "full":
        for key in sorted(post_keys):
            for value in KEY_VALUES:
                prober.send(role, "POST", real_path, {**row_data, key: value})


def _stock_admin(pattern):
    """Django's own admin views (lists, change, delete, history...): no POST to them (a bare POST to a
    delete page deletes), and only their lists get odd query values; the form fuzz suite and the
    admin tests cover their forms. The project's own admin views (operator actions) get everything."""
    return pattern.callback.__module__.startswith("django.")


def openers(pattern):
    """The roles the access matrix lets open the page (a handled POST counts), in ROLES order."""
    row = MATRIX[pattern.route]
    return [role for role in ROLES if row.expect[role] in ("ok", "redirect", "400")]


def depth_for(pattern, role):
    may = openers(pattern)
    if MATRIX[pattern.route].expect[role] == "login":
        return "none"  # sent to log in before the view runs: nothing odd reaches it
    return "refused" if role not in may else "full" if role == may[0] else "light"


# --- the tests -------------------------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def _quiet_request_log():
    """Thousands of 404s, 405s and 400s are the expected answers; only a 500 is worth printing."""
    loggers = [logging.getLogger(name) for name in ("django.request", "django.security")]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.CRITICAL)  # a 500 is reported by the test itself, with its request
    yield
    for logger, level in zip(loggers, levels, strict=True):
        logger.setLevel(level)


def _report(prober, who):
    return f"as {who}: {len(prober.failures)} of {prober.sent} odd requests failed:\n" + "\n".join(prober.failures)


def test_every_parameter_of_every_pattern_gets_odd_values():
    """A pattern whose parameter no odd value fits would escape the suite: name it."""
    world = build_world()
    missing = []
    for pattern in patterns():
        real, _query = real_values(pattern, world)
        if not pattern.resolves(real):
            missing.append(f"{pattern.route}: its real path {pattern.raw_path(real)} resolves elsewhere")
            continue
        _paths, ungenerated = odd_paths(pattern, real, ODD_SEGMENTS)
        missing += [f"{pattern.route}: no odd value fits <{name}>" for name in ungenerated]
    assert not missing, "add odd values (ODD_SEGMENTS) or an override for:\n" + "\n".join(missing)


def test_no_url_answers_500_to_odd_parameters(monkeypatch):
    """Every app pattern: odd paths as every role the view does not send to log in; odd query values
    and POST fields as each role that may open it (in full as the first of them, in the order
    anonymous, buyer, seller, support)."""
    world = build_world()
    reads = ReadKeys(monkeypatch)
    prober = Prober(world, ROLES)
    for role in ROLES:
        for pattern in patterns():
            if not pattern.is_admin:
                probe_pattern(prober, reads, pattern, role, depth=depth_for(pattern, role))
    assert prober.sent > 1500
    assert not prober.failures, _report(prober, "each role")


def test_no_admin_page_answers_500_to_odd_parameters(monkeypatch):
    """The admin as a superuser: odd object ids on every page, odd query values on the lists, and
    everything on the project's own admin views (the operator actions)."""
    world = build_world()
    reads = ReadKeys(monkeypatch)
    prober = Prober(world, ["admin"])
    for pattern in patterns():
        if pattern.is_admin:
            stock, view = _stock_admin(pattern), pattern.callback.__name__
            depth = "full" if not stock else "light" if view == "changelist_view" else "refused"
            probe_pattern(prober, reads, pattern, "admin", depth=depth)
    assert prober.sent > 500
    assert not prober.failures, _report(prober, "admin")


def test_a_parameter_no_odd_value_fits_is_named():
    """The generator's own check: a pattern whose parameter it cannot fill is reported, not skipped."""
    pattern = Pattern("not/a/real/<id:pk>/", None, [("pk", "id")])
    assert odd_paths(pattern, {"pk": 1}, ODD_SEGMENTS) == ([], ["pk"])
