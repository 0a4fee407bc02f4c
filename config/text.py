"""Names and titles people write: one line, drawn where they are put.

A display name holding a right-to-left override (U+202E) reversed the page's own
text after it ("6202 ceD 10 denepo" for "opened 01 Dec 2026"). ``clean_line``
is the one rule for every single-line name and title (display names, gig titles,
package and tag names, offer, milestone, plan-change and order titles,
categories):

- removes the bidi controls (U+061C, U+200E, U+200F, U+202A–U+202E,
  U+2066–U+2069) and other characters that are invisible but change or hide
  text: zero-width space, word joiner, invisible operators, the deprecated
  format controls U+206A–U+206F, the byte-order mark, the interlinear
  annotation marks, and the Hangul fillers used to make names look blank;
- turns control characters (C0, DEL, C1) and line or paragraph separators into
  a single space, and trims the ends.

Zero-width joiner and non-joiner (U+200C, U+200D) stay: Persian, the Indic
scripts and emoji sequences need them. Ordinary text comes back unchanged.

``LineField`` is the form field and ``LineCharField`` the model field that
apply it: the model field cleans on every save (services, the admin, anything
that saves) and gives the admin's forms a ``LineField``. Text already stored
is left as it is; the templates isolate every piece of user text (``<bdi>``)
so it cannot reorder what is around it.
"""

import re

from django import forms
from django.db import models

BIDI_CONTROLS = "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
INVISIBLE = (
    "\u180e"  # Mongolian vowel separator
    "\u200b"  # zero-width space
    "\u2060\u2061\u2062\u2063\u2064"  # word joiner, invisible operators
    "\u206a\u206b\u206c\u206d\u206e\u206f"  # deprecated format controls
    "\ufeff"  # byte-order mark / zero-width no-break space
    "\ufff9\ufffa\ufffb"  # interlinear annotation marks
    "\u115f\u1160\u3164\uffa0"  # Hangul fillers
)
_REMOVE = str.maketrans("", "", BIDI_CONTROLS + INVISIBLE)
_BREAKS = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]+")


def clean_line(text) -> str:
    """``text`` as one clean line: no bidi or invisible controls, breaks and controls as one space."""
    return _BREAKS.sub(" ", str(text).translate(_REMOVE)).strip()


class LineField(forms.CharField):
    """A name or title in a form: ``clean_line`` first, then the usual checks (required, max_length)."""

    def to_python(self, value):
        value = super().to_python(value)
        if value in self.empty_values:
            return value
        return clean_line(value) or self.empty_value


class LineCharField(models.CharField):
    """A ``CharField`` for a name or title: ``clean_line`` on every save, a ``LineField`` in model forms.

    Migrations see a plain ``CharField``: the column is the same.
    """

    def formfield(self, **kwargs):
        return super().formfield(**{"form_class": LineField, **kwargs})

    def pre_save(self, model_instance, add):
        value = getattr(model_instance, self.attname)
        if isinstance(value, str):
            value = clean_line(value)
            setattr(model_instance, self.attname, value)
        return value

    def deconstruct(self):
        name, _path, args, kwargs = super().deconstruct()
        return name, "django.db.models.CharField", args, kwargs
