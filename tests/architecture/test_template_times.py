"""Every template names the zone of the times it shows (derived from the template files themselves).

A new template that writes ``{{ x|date:"d M, H:i" }}`` fails here: write ``{{ x|when:"d M, H:i" }}``, or run
``python scripts/tz_templates.py``, which rewrites it.
"""

import importlib.util
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
_spec = importlib.util.spec_from_file_location("tz_templates", ROOT / "scripts" / "tz_templates.py")
assert _spec is not None and _spec.loader is not None
tz_templates = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(tz_templates)

TEMPLATES = [path.relative_to(ROOT).as_posix() for path in tz_templates.template_files(ROOT)]


def test_the_templates_are_found():
    assert "templates/orders/_milestone.html" in TEMPLATES and len(TEMPLATES) > 30


def times_outside_the_filters(text):
    found = []
    for match in tz_templates.DATE.finditer(text):
        start = match.start()
        in_attribute = start >= 2 and text[start - 1] in "\"'" and text[start - 2] == "="
        if tz_templates.shows_time(match["fmt"]) and not in_attribute:
            found.append(match.group(0))
    return found


@pytest.mark.parametrize("rel", TEMPLATES)
def test_no_template_shows_a_time_without_its_zone(rel):
    text = (ROOT / rel).read_text(encoding="utf-8")
    assert times_outside_the_filters(text) == [], f"{rel}: use |when (scripts/tz_templates.py rewrites it)"
    assert not re.search(r"\}\}\s*UTC\b", text), f"{rel}: a hand-written UTC; |when names the viewer's zone"
    assert tz_templates.rewrite(text, rel) == text, f"{rel}: run python scripts/tz_templates.py"


def test_the_check_catches_a_time_format_and_the_script_fixes_it():
    old = '{% extends "base.html" %}\n<p>due {{ m.due_at|date:"d M, H:i" }} UTC · {{ m.created_at|date:\'M Y\' }}</p>'
    assert times_outside_the_filters(old) == ['{{ m.due_at|date:"d M, H:i" }}']
    new = tz_templates.rewrite(old, "templates/x.html")
    assert new == (
        '{% extends "base.html" %}\n{% load when %}\n'
        '<p>due {{ m.due_at|when:"d M, H:i" }} · {{ m.created_at|when_date:"M Y" }}</p>'
    )
    assert tz_templates.rewrite(new, "templates/x.html") == new  # idempotent


def test_a_machine_readable_time_element_becomes_the_filters_own():
    old = (
        '<time class="muted" datetime="{{ m.at|date:\'c\' }}">{{ m.at|date:"M j, H:i" }}</time>'
        " <time datetime=\"{{ m.at|date:'c' }}\">{{ m.at|naturaltime }}</time>"
    )
    new = tz_templates.rewrite(old, "templates/x.html")
    assert new.startswith('{% load when %}\n<span class="muted">{{ m.at|when:"M j, H:i" }}</span>')
    assert new.endswith("<time datetime=\"{{ m.at|date:'c' }}\">{{ m.at|naturaltime }}</time>")
    assert times_outside_the_filters(new) == []
