#!/usr/bin/env python3
"""Every time a template shows names its zone: rewrite Django's ``date`` filter into ``accounts.zones``' filters.

Run from the repository root: ``python scripts/tz_templates.py`` (``--check`` only lists what it would
change and exits 1 if anything). It is idempotent: run it again after merging branches that added or
edited templates, and it rewrites only what is new.

What it does, in every ``*.html`` under ``templates/`` and ``<app>/templates/``:

1. ``<time … datetime="{{ x|date:'c' }}" …>{{ x|date:"FMT" }}</time>`` becomes
   ``<span …>{{ x|when:"FMT" }}</span>`` (the filter writes the ``<time>`` element itself).
2. ``{{ x|date:"FMT" }}`` becomes ``{{ x|when:"FMT" }}`` when FMT shows an hour (the zone is named after
   it: "03 Dec 2026, 14:05 CET"), else ``{{ x|when_date:"FMT" }}``; a hand-written `` UTC`` after it goes.
   A ``date`` inside an attribute (``datetime="{{ x|date:'c' }}"``, ``title="…"``) is left alone.
3. ``(in {{ x|timeuntil:… }})`` becomes ``({{ x|time_left }})`` ("3 days left", "2 days late").
4. The deadlines in ``DEADLINES`` (due dates, offer expiry, auto-approval, dispute answers, clearing
   dates) get `` ({{ x|time_left }})`` after them, unless already there or the time sits in parentheses.
5. A template that uses the filters gains ``{% load when %}`` (after its ``{% extends %}``).
"""

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# Django date-format characters that show a time of day (or a full timestamp).
TIME_CHARS = set("aAfgGhHisuPeIOTZcrU")

# The order page's milestone due date has its own countdown (templates/orders/_countdown.html).
# (template path, the expression of a deadline, a condition for showing what is left or None): these also
# say how long is left. The condition keeps "5 days late" off a milestone that was delivered long ago.
DEADLINES = [
    ("templates/orders/_milestone.html", "m.auto_approve_at", None),
    ("templates/orders/dashboard.html", "m.auto_approve_at", None),
    ("templates/orders/dashboard.html", "m.due_at", None),
    ("templates/orders/dashboard.html", "o.expires_at", None),
    ("templates/orders/_offer_card.html", "offer.expires_at", None),
    ("templates/orders/disputes/detail.html", "dispute.answer_due_at", None),
    ("templates/staff/disputes/case.html", "dispute.answer_due_at", None),
    ("templates/staff/disputes/queue.html", "d.answer_due_at", None),
    ("templates/payments/earnings.html", "earning.clears_at", "not earning.on_hold"),
]

EXPR = r"[A-Za-z_][\w.]*"
DATE = re.compile(r"\{\{\s*(?P<expr>" + EXPR + r")\|date:(?P<q>[\"'])(?P<fmt>.*?)(?P=q)\s*\}\}")
TIME_ELEMENT = re.compile(
    r"<time(?P<before>[^>]*?)\s+datetime=(?P<aq>[\"'])\{\{\s*(?P<expr>"
    + EXPR
    + r")\|date:(?P<cq>[\"'])c(?P=cq)\s*\}\}(?P=aq)(?P<after>[^>]*)>\s*\{\{\s*(?P=expr)\|date:(?P<q>[\"'])"
    r"(?P<fmt>.*?)(?P=q)\s*\}\}\s*</time>"
)
TIMEUNTIL = re.compile(r"\(in \{\{\s*(?P<expr>" + EXPR + r")\|timeuntil(?::[\w.]+)?\s*\}\}\)")
WHEN_UTC = re.compile(r"(\{\{\s*" + EXPR + r"\|when(?::\"[^\"]*\")?\s*\}\})\s+UTC\b")
USES = re.compile(r"\|(when|when_date|time_left)\b")
LOADS = re.compile(r"\{%\s*load\s+[^%]*\bwhen\b[^%]*%\}")
EXTENDS = re.compile(r"\{%\s*extends\s+[^%]*%\}\n?")


def shows_time(fmt: str) -> bool:
    plain = re.sub(r"\\.", "", fmt)  # backslash-escaped characters are literal text
    return bool(TIME_CHARS & set(plain))


def filter_for(expr: str, fmt: str) -> str:
    name = "when" if shows_time(fmt) else "when_date"
    return f'{{{{ {expr}|{name}:"{fmt}" }}}}'


def _date(match: re.Match) -> str:
    start = match.start()
    text = match.string
    # inside an attribute value (datetime="…", title="…"): a machine value or a tooltip, left alone
    if start >= 2 and text[start - 1] in "\"'" and text[start - 2] == "=":
        return match.group(0)
    return filter_for(match["expr"], match["fmt"])


def _time_element(match: re.Match) -> str:
    attrs = (match["before"] + match["after"]).rstrip()
    return f"<span{attrs}>{filter_for(match['expr'], match['fmt'])}</span>"


def add_time_left(text: str, expr: str, condition: str | None) -> str:
    shown = re.compile(r"\{\{\s*" + re.escape(expr) + r"\|when(?:_date)?(?::\"[^\"]*\")?\s*\}\}")
    left = f"({{{{ {expr}|time_left }}}})"
    addition = f" {left}" if condition is None else f"{{% if {condition} %}} {left}{{% endif %}}"
    out, pos = [], 0
    for match in shown.finditer(text):
        rest = text[match.end() :]
        out.append(text[pos : match.end()])
        pos = match.end()
        nearby = re.sub(r"^(\s|</?strong>|\{%\s*if [^%]*%\})*", "", rest)
        if nearby.startswith(left) or rest.startswith(")"):
            continue  # already says what is left, or the time is itself in parentheses
        # after a closing </strong> that wraps the time, so the countdown is not bold
        closing = re.match(r"</strong>", rest)
        if closing:
            out.append(closing.group(0))
            pos += closing.end()
        out.append(addition)
    out.append(text[pos:])
    return "".join(out)


def add_load(text: str) -> str:
    if not USES.search(text) or LOADS.search(text):
        return text
    extends = EXTENDS.search(text)
    if extends and not text[: extends.start()].strip():
        end = extends.end()
        sep = "" if text[end - 1] == "\n" else "\n"
        return text[:end] + sep + "{% load when %}\n" + text[end:]
    return "{% load when %}\n" + text


def rewrite(text: str, rel: str) -> str:
    text = TIME_ELEMENT.sub(_time_element, text)
    text = DATE.sub(_date, text)
    text = WHEN_UTC.sub(r"\1", text)
    text = TIMEUNTIL.sub(lambda m: f"({{{{ {m['expr']}|time_left }}}})", text)
    for path, expr, condition in DEADLINES:
        if path == rel:
            text = add_time_left(text, expr, condition)
    return add_load(text)


def template_files(root: Path = ROOT):
    for folder in [root / "templates", *root.glob("*/templates")]:
        if ".venv" in folder.parts:
            continue
        yield from sorted(folder.rglob("*.html"))


def main(argv: list[str]) -> int:
    check = "--check" in argv
    changed = []
    for path in template_files():
        rel = path.relative_to(ROOT).as_posix()
        before = path.read_text(encoding="utf-8")
        after = rewrite(before, rel)
        if after != before:
            changed.append(rel)
            if not check:
                path.write_text(after, encoding="utf-8")
    for rel in changed:
        print(("would rewrite " if check else "rewrote ") + rel)
    return 1 if check and changed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
