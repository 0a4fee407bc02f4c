"""Rendered fragments of what never changes once written (a sent message, a timeline event), kept in the cache.

``render_each(template_name, items, shows=...)`` renders ``template_name`` once per item and returns the
pieces joined. Each piece is cached under a digest of *everything it shows*: ``shows(item)`` lists those
values (the texts, names and times the fragment prints), and the key adds the time zone, the language and the
code that draws it (a digest of the app's templates and Python source, taken once per process: a deploy that
changes how a card or a date is drawn starts new keys on every node at once). A cached piece is therefore only
ever reused for the same output: an edited name or a changed template is a new key, never a stale page, and
nothing has to be invalidated. One ``get_many`` and at most one ``set_many`` per call (one round trip each to
Redis); a cache that fails is a miss (``config.cache``), and the pieces are rendered as if nothing were cached.
With ``DEBUG`` (runserver, where templates change under a running process) nothing is cached.
"""

import hashlib
from collections.abc import Callable, Iterable
from pathlib import Path

from django import get_version
from django.conf import settings
from django.core.cache import cache
from django.template.loader import get_template
from django.utils import timezone, translation
from django.utils.safestring import SafeString, mark_safe

FRAGMENT_TIMEOUT = 7 * 24 * 3600  # a week: old lists fall out, the live ones are read again soon
_code: list[str] = []
# What draws a fragment: the templates and the apps' Python (template tags, filters, money and date formats, URLs).
_CODE_DIRS = ("templates", "config", "accounts", "marketplace", "milestones", "orders", "payments")


def code_digest() -> str:
    """A digest of the app's templates and Python source and Django's version (once per process, ~10 ms)."""
    if not _code:
        digest = hashlib.blake2b(get_version().encode(), digest_size=8)
        for folder in _CODE_DIRS:
            for path in sorted(Path(settings.BASE_DIR, folder).rglob("*")):
                if path.suffix in (".py", ".html") and "migrations" not in path.parts:
                    digest.update(path.relative_to(settings.BASE_DIR).as_posix().encode())
                    digest.update(path.read_bytes())
        _code.append(digest.hexdigest())
    return _code[0]


def render_each(
    template_name: str,
    items: Iterable,
    *,
    shows: Callable[[object], tuple],
    context: Callable[[object], dict],
    timeout: int = FRAGMENT_TIMEOUT,
) -> SafeString:
    """``template_name`` rendered with ``context(item)`` for each item, the pieces joined in order."""
    items = list(items)
    template = get_template(template_name)
    if settings.DEBUG or not items:
        return mark_safe("".join(template.render(context(item)) for item in items))  # noqa: S308 - rendered templates
    prefix = (
        f"frag:{template_name}:{code_digest()}:{timezone.get_current_timezone_name()}:{translation.get_language()}:"
    )
    keys = [prefix + hashlib.blake2b(repr(shows(item)).encode(), digest_size=16).hexdigest() for item in items]
    found = cache.get_many(keys)
    missing = {}
    pieces = []
    for key, item in zip(keys, items, strict=True):
        piece = found.get(key)
        if piece is None:
            piece = missing[key] = template.render(context(item))
        pieces.append(piece)
    if missing:
        cache.set_many(missing, timeout)
    return mark_safe("".join(pieces))  # noqa: S308 - each piece is a rendered (autoescaped) template
