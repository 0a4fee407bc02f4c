"""The one form-error helper (``config.forms``): what a refused form says in the page's messages."""

from django import forms

from config.forms import form_error_messages
from orders.forms import ExtensionForm, PlanItemForm, plan_formset_class


class _Both(forms.Form):
    count = forms.IntegerField()
    note = forms.CharField(label="Your note")

    def clean(self):
        raise forms.ValidationError("Something about the whole form.")


def test_field_errors_carry_the_label_the_page_shows_and_form_errors_stand_alone():
    form = _Both(data={"count": "x"})
    assert not form.is_valid()
    assert form_error_messages(form) == [
        "Count: Enter a whole number.",
        "Your note: This field is required.",
        "Something about the whole form.",
    ]


def test_a_valid_form_says_nothing():
    form = ExtensionForm(data={"days": "3", "reason": "More"})
    assert form.is_valid() and form_error_messages(form) == []


def test_a_formset_says_each_forms_errors_then_its_own():
    formset = plan_formset_class()(data={"form-TOTAL_FORMS": "1", "form-INITIAL_FORMS": "0", "form-0-title": "x"})
    assert not formset.is_valid()
    said = form_error_messages(formset)
    assert "Deliverables: This field is required." in said
    assert all(isinstance(text, str) for text in said)
    assert PlanItemForm.base_fields["description"].label == "Deliverables"
