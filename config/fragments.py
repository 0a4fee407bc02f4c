"""Rendered fragments of what never changes once written (a sent message, a timeline event), kept in the cache.

``render_each(template_name, items, shows=...)`` renders ``template_name`` once per item and returns the
pieces joined. Each piece is cached under a digest of *everything it shows*: ``shows(item)`` lists those
values (the texts, names and times the fragment prints), and the digest adds the template's own source and
the current time zone. A cached piece is therefore only ever reused for the same output: an edited name or a
changed template is a new key, never a stale page, and nothing has to be invalidated. One ``get_many`` and
at most one ``set_many`` per call (one round trip each to Redis); a cache that fails is a miss
(``config.cache``), and the pieces are rendered as if nothing were cached.
"""

import hashlib
from collections.abc import Callable, Iterable

from django.core.cache import cache
from django.template.loader import get_template
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe

FRAGMENT_TIMEOUT = 7 * 24 * 3600  # a week: old conversations fall out, the live ones are read again soon
_sources: dict[str, str] = {}


def _template_digest(template_name: str) -> str:
    if template_name not in _sources:
        source = get_template(template_name).template.source
        _sources[template_name] = hashlib.blake2b(source.encode(), digest_size=8).hexdigest()
    return _sources[template_name]


def render_each(
    template_name: str,
    items: Iterable,
    *,
    shows: Callable[[object], tuple],
    context: Callable[[object], dict],
) -> SafeString:
    """``template_name`` rendered with ``context(item)`` for each item, the pieces joined in order."""
    items = list(items)
    if not items:
        return mark_safe("")
    prefix = f"frag:{template_name}:{_template_digest(template_name)}:{timezone.get_current_timezone_name()}:"
    keys = [prefix + hashlib.blake2b(repr(shows(item)).encode(), digest_size=16).hexdigest() for item in items]
    found = cache.get_many(keys)
    missing = {}
    template = get_template(template_name)
    pieces = []
    for key, item in zip(keys, items, strict=True):
        piece = found.get(key)
        if piece is None:
            piece = missing[key] = template.render(context(item))
        pieces.append(piece)
    if missing:
        cache.set_many(missing, FRAGMENT_TIMEOUT)
    return mark_safe("".join(pieces))  # noqa: S308 - each piece is a rendered (autoescaped) template
