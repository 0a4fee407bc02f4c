"""Posting one submission through the real view and judging what came back (used by the form suites)."""

from contextlib import contextmanager
from dataclasses import dataclass, field

from django.contrib.messages import constants as message_levels
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.test import Client
from django.utils.html import escape

from config.money import parse_cents
from tests.security.conftest import fingerprint

from .registry import Submission, amount_keys, project_tables

_TABLES = []


def row_counts() -> tuple:
    """How many rows every project table holds, in one query."""
    if not _TABLES:
        _TABLES.extend(project_tables())
    quote = connection.ops.quote_name
    sql = " UNION ALL ".join(f"SELECT {i}, COUNT(*) FROM {quote(t)}" for i, t in enumerate(_TABLES))  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(sql)
        counts = dict(cursor.fetchall())
    return tuple((table, counts[i]) for i, table in enumerate(_TABLES))


def state(sub: Submission, ctx):
    return row_counts(), fingerprint(), sub.watch(ctx) if sub.watch else None


@contextmanager
def rolled_back():
    with transaction.atomic():
        yield
        transaction.set_rollback(True)


@dataclass
class Outcome:
    status: int
    changed: bool
    accepted: bool
    html: str
    flashes: list = field(default_factory=list)  # (level, text)

    @property
    def error_flashes(self):
        return [text for level, text in self.flashes if level >= message_levels.ERROR]

    @property
    def shows_an_error(self) -> bool:
        return 'class="errorlist' in self.html or bool(self.error_flashes) or self.status == 429

    def shows(self, message: str) -> bool:
        return escape(message) in self.html or any(message in text for text in self.error_flashes)

    def describe(self) -> str:
        errors = self.error_flashes or [line.strip()[:200] for line in self.html.split("errorlist")[1:4]]
        return f"HTTP {self.status}, changed={self.changed}, errors: {errors}"


def signed_in(sub: Submission, ctx) -> Client:
    """A client signed in as ``sub``'s user (its session is made once per test, outside the examples)."""
    client = Client()
    user = ctx.fresh if sub.user == "fresh" else ctx.users[sub.user] if sub.user else None
    if user is not None:
        client.force_login(type(user).objects.get(pk=user.pk))  # a copy: logging in sets last_login on it
    return client


def post(sub: Submission, ctx, data: dict, signed: Client) -> Outcome:
    """Send ``data`` as ``sub``'s user through the real view, inside a savepoint that is rolled back."""
    with rolled_back():
        cache.clear()  # rate limits (allauth's) count per test example, not across them
        client = Client(raise_request_exception=True)  # an exception in a view fails the test, never a 500 page
        client.cookies = signed.cookies.__class__(signed.cookies)  # the session, and nothing an example left
        path = sub.prepare(client, ctx) if sub.prepare else sub.url(ctx)
        before = state(sub, ctx)
        response = client.get(path, data) if sub.method == "GET" else client.post(path, data)
        changed = state(sub, ctx) != before
        stored = sub.stored(ctx, data) if sub.stored and changed else {}
    is_html = response.get("Content-Type", "").startswith("text/html") and response.status_code != 302
    storage = getattr(response.wsgi_request, "_messages", None)
    flashes = [(m.level, str(m)) for m in storage] if storage is not None else []
    accepted = changed or bool(sub.accepted and sub.accepted(response))
    outcome = Outcome(
        status=response.status_code,
        changed=changed,
        accepted=accepted,
        html=response.content.decode(errors="replace") if is_html else "",
        flashes=flashes,
    )
    outcome.stored = stored
    return outcome


def expected_amounts(sub: Submission, ctx, fields: dict, data: dict, overridden: dict):
    """What each posted amount field reads (with its limits), and what it refuses with which message.

    What a field accepts must be what the one parser reads from the same text (``parse_cents`` without
    limits), so a field that read amounts its own way would fail here even before anything is stored.
    """
    keys = sub.amounts(ctx, data, overridden) if sub.amounts else amount_keys(fields)
    read, refused = {}, {}
    for key in keys:
        text = data.get(key, "")
        try:
            read[key] = fields[key].clean(text)
        except ValidationError as error:
            refused[key] = error.messages
            continue
        if read[key] is not None:
            assert read[key] == parse_cents(str(text), max_cents=10**15, allow_zero=True), (
                f"{sub.name}: {key} reads {text!r} as {read[key]} cents, config.money does not"
            )
    return read, refused


def judge(sub: Submission, ctx, fields: dict, data: dict, overridden: dict, outcome: Outcome):
    """Never a 500; refused with a message and nothing changed, or accepted with the amounts the parser reads."""
    shown = {k: (v if len(str(v)) < 80 else f"{str(v)[:60]}… ({len(str(v))} characters)") for k, v in data.items()}
    where = f"{sub.name}: posted {shown}\n→ {outcome.describe()}"
    assert outcome.status < 500, where
    read, refused = expected_amounts(sub, ctx, fields, data, overridden)
    if outcome.changed:
        assert not outcome.error_flashes and 'class="errorlist' not in outcome.html, (
            f"an error is shown but data changed: {where}"
        )
    for key, messages in refused.items():
        assert not outcome.accepted, f"accepted although {key}={data.get(key)!r} is not an amount: {where}"
        assert any(outcome.shows(m) for m in messages), (
            f"{key}={data.get(key)!r} refused by config.money ({messages}) but the page does not say so: {where}"
        )
    for key, cents in outcome.stored.items():
        if key not in read:
            continue  # which rows were read is not pinned down (a fuzzed management form)
        assert cents == read[key], f"stored {cents} cents for {key}={data.get(key)!r}, the parser reads {read[key]}"
    if sub.method == "POST" and not outcome.accepted:
        assert outcome.shows_an_error, f"refused without a message: {where}"
