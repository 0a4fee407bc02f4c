"""Whole numbers typed into forms (days, revisions): ASCII digits only.

Django's ``IntegerField`` reads with Python's ``int()``, which also takes ``1_0``, ``+5`` and other
scripts' digits (``١٢`` is 12), so a typo could be stored as a number nobody typed. Like amounts
(``config.money``), a whole number is read one way everywhere.
"""

import re

from django import forms

_WHOLE = re.compile(r"[0-9]{1,18}")


class WholeNumberField(forms.IntegerField):
    """``min_value`` / ``max_value`` may be callables (``config.limits``): read when a form is made (the
    page's ``min``/``max`` attributes) and when it validates, so a limit follows its setting."""

    default_error_messages = {"invalid": "Enter a whole number with the digits 0–9, like 3."}

    def widget_attrs(self, widget):
        attrs = super().widget_attrs(widget)
        for key in ("min", "max"):
            if callable(attrs.get(key)):
                attrs[key] = attrs[key]()
        return attrs

    def __deepcopy__(self, memo):
        # Each form gets a copy of its class's fields: the copy shows the limits as they are now.
        result = super().__deepcopy__(memo)
        result.widget.attrs.update(result.widget_attrs(result.widget))
        return result

    def to_python(self, value):
        if value in self.empty_values:
            return None
        text = str(value).strip()
        if not _WHOLE.fullmatch(text):
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        return int(text)
