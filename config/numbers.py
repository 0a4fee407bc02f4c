"""Whole numbers typed into forms (days, revisions): ASCII digits only.

Django's ``IntegerField`` reads with Python's ``int()``, which also takes ``1_0``, ``+5`` and other
scripts' digits (``١٢`` is 12), so a typo could be stored as a number nobody typed. Like amounts
(``config.money``), a whole number is read one way everywhere.
"""

import re

from django import forms

_WHOLE = re.compile(r"[0-9]{1,18}")


class WholeNumberField(forms.IntegerField):
    default_error_messages = {"invalid": "Enter a whole number with the digits 0–9, like 3."}

    def to_python(self, value):
        if value in self.empty_values:
            return None
        text = str(value).strip()
        if not _WHOLE.fullmatch(text):
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        return int(text)
