from django import forms
from django.conf import settings
from django.utils.html import format_html, format_html_join

from config import clock, limits
from config.converters import MAX_ID
from config.money import AmountField
from config.numbers import WholeNumberField
from config.text import LineField
from config.uploads import attachments_help, check_attachments
from payments import forms as payments_forms

from .models import OFFER_TITLE_MAX
from .services import PlanItem


class PlanItemForm(forms.Form):
    title = LineField(max_length=120)
    description = forms.CharField(label="Deliverables", max_length=4000, widget=forms.Textarea(attrs={"rows": 3}))
    amount = AmountField(
        label="Amount (USD)", min_cents=limits.min_milestone_cents, max_cents=limits.max_milestone_cents
    )
    delivery_days = WholeNumberField(
        label="Delivery (days)", min_value=1, max_value=limits.max_delivery_days, required=False
    )
    due_date = forms.DateField(label="…or due date", required=False, widget=forms.DateInput(attrs={"type": "date"}))
    revisions_allowed = WholeNumberField(label="Revisions", min_value=0, max_value=limits.max_revisions, initial=1)

    def clean(self):
        data = super().clean()
        days, due = data.get("delivery_days"), data.get("due_date")
        if due is not None:
            today = clock.now().date()
            if due <= today:
                self.add_error("due_date", "The due date must be in the future.")
            else:
                data["delivery_days"] = (due - today).days
        elif not days and "delivery_days" not in self.errors:
            self.add_error("delivery_days", "Give a delivery time in days or a due date.")
        return data

    def item(self) -> PlanItem:
        d = self.cleaned_data
        return PlanItem(d["title"], d["description"], d["amount"], d["delivery_days"], d["revisions_allowed"])


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


class BasePlanFormSet(forms.BaseFormSet):
    """The milestones of an offer: every message it can show speaks of milestones, not of "forms"."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.error_messages.update(
            {
                # Django formats these with %(num)d; these are complete sentences (the number from settings).
                "too_many_forms": f"A plan has at most {_plural(settings.ORDERS_MAX_MILESTONES, 'milestone')}.",
                "too_few_forms": "Add at least one milestone.",
                "missing_management_form": "The milestones could not be read: the page was incomplete or "
                "out of date. Reload it and enter the plan again.",
            }
        )

    def clean(self):
        if any(self.errors) or not self.management_form.is_valid():
            return  # the rows' own errors, or "could not be read", say what is wrong
        filled = [f for f in self.forms if f.has_changed() and not self._should_delete_form(f)]
        most = settings.ORDERS_MAX_MILESTONES
        if not filled:
            raise forms.ValidationError("Add at least one milestone.")
        if len(filled) > most:
            raise forms.ValidationError(self.error_messages["too_many_forms"], code="too_many_forms")

    def items(self):
        return [f.item() for f in self.forms if f.has_changed() and f.cleaned_data]


def plan_formset_class(extra=0):
    return forms.formset_factory(
        PlanItemForm,
        formset=BasePlanFormSet,
        extra=extra,
        max_num=settings.ORDERS_MAX_MILESTONES,
        validate_max=True,
        absolute_max=settings.ORDERS_MAX_MILESTONES + 1,
    )


class OfferNoteForm(forms.Form):
    """The offer's own fields besides its plan: its title (the order made from it takes it) and a note."""

    title = LineField(
        label="Title of the work",
        max_length=OFFER_TITLE_MAX,
        required=False,  # empty: the gig's title (or the answered offer's), else "Custom offer"
        help_text="The order made from this offer takes this title.",
    )
    note = forms.CharField(
        label="Message to go with the offer", max_length=3000, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class MultipleFileInput(forms.ClearableFileInput):
    """Several files; on a form sent back (refused), it names the files that must be chosen again: a browser
    never refills a file input."""

    allow_multiple_selected = True

    def render(self, name, value, attrs=None, renderer=None):
        html = super().render(name, value, attrs, renderer)
        chosen = [f.name for f in (value if isinstance(value, list | tuple) else [value]) if hasattr(f, "size")]
        if not chosen:
            return html
        names = format_html_join(", ", "“<bdi>{}</bdi>”", ((n,) for n in chosen))
        again = format_html(
            '<p class="choose-again" data-testid="choose-again"><strong>Choose {} again:</strong> {}. '
            "A page sent back cannot keep the files you chose.</p>",
            "this file" if len(chosen) == 1 else f"these {len(chosen)} files",
            names,
        )
        return html + again


class MultipleFileField(forms.FileField):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def bound_data(self, data, initial):
        """The files chosen (Django's own gives the initial value): the widget names them on a form sent back."""
        return data if isinstance(data, list | tuple) and data else initial

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(d, initial) for d in data if d]
        return [single(data, initial)] if data else []


class DeliveryForm(forms.Form):
    message = forms.CharField(max_length=5000, widget=forms.Textarea(attrs={"rows": 4}))
    links = forms.CharField(
        required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2}), help_text="One link per line."
    )
    files = MultipleFileField(required=False, help_text=attachments_help())

    def clean_links(self):
        from django.core.validators import URLValidator

        validate = URLValidator(schemes=["http", "https"])
        lines = [line.strip() for line in self.cleaned_data["links"].splitlines() if line.strip()]
        for line in lines:
            try:
                validate(line)
            except forms.ValidationError as exc:
                raise forms.ValidationError(f"“{line[:80]}” is not a web address (http:// or https://).") from exc
        return "\n".join(lines)

    def clean_files(self):
        return check_attachments(self.cleaned_data.get("files"), per="delivery")


class RevisionForm(forms.Form):
    feedback = forms.CharField(label="What should change?", max_length=5000, widget=forms.Textarea(attrs={"rows": 3}))


class ExtensionForm(forms.Form):
    days = WholeNumberField(label="Extra days", min_value=1, max_value=limits.max_extension_days)
    reason = forms.CharField(max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))


class ReasonForm(forms.Form):
    reason = forms.CharField(max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))


class ReviewForm(forms.Form):
    rating = forms.TypedChoiceField(
        choices=[(i, f"{i} star{'s' if i > 1 else ''}") for i in range(5, 0, -1)], coerce=int
    )
    text = forms.CharField(label="Your review", max_length=3000, widget=forms.Textarea(attrs={"rows": 3}))


class ReplyForm(forms.Form):
    reply = forms.CharField(label="Reply publicly (once)", max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))


class TipForm(payments_forms.TipForm):
    """The order page's tip: the payments tip form without the note (the order names what it is for)."""

    note = None


class NotificationReadForm(forms.Form):
    """The bell's "mark read" buttons: one notification (``id``; none means all) and where to go next."""

    id = WholeNumberField(required=False, min_value=1, max_value=MAX_ID)
    next = forms.CharField(required=False, max_length=2000)
