"""Forms: parse what people type into integer cents and tidy card details."""

import uuid
from decimal import Decimal, InvalidOperation

from django import forms
from django.conf import settings

from config import clock

from .providers.sandbox import normalise_card_number
from .templatetags.money import money


def parse_amount_to_cents(text, *, allow_zero: bool = False) -> int:
    """ "25", "25.5", "$1,234.56" → cents. Refuses negatives, zero (unless allowed), junk and fractions of a cent."""
    cleaned = str(text or "").strip().replace(",", "").replace("$", "").replace(" ", "")
    if not cleaned:
        raise forms.ValidationError("Enter an amount.", code="required")
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        raise forms.ValidationError(
            "Enter the amount as a number in dollars and cents, like 25 or 25.50.", code="invalid"
        ) from None
    if not value.is_finite():
        raise forms.ValidationError("Enter the amount as a number in dollars and cents, like 25 or 25.50.")
    if value < 0 or (value == 0 and not allow_zero):
        raise forms.ValidationError(
            "The amount cannot be negative." if allow_zero else "The amount must be greater than zero.",
            code="min_value",
        )
    if value != value.quantize(Decimal("0.01")):
        raise forms.ValidationError("Use at most two decimal places (whole cents).", code="invalid")
    cents = int(value * 100)
    if cents > settings.PAYMENTS_MAX_CHECKOUT_CENTS:
        raise forms.ValidationError(
            f"The amount can be at most {money(settings.PAYMENTS_MAX_CHECKOUT_CENTS)}.", code="max_value"
        )
    return cents


class AmountField(forms.CharField):
    """A dollars-and-cents text box whose cleaned value is integer cents (``None`` when left empty).

    ``allow_zero=True`` accepts 0.00 (e.g. a seller's share of nothing in a dispute split).
    """

    def __init__(self, *, allow_zero: bool = False, **kwargs):
        self.allow_zero = allow_zero
        kwargs.setdefault("max_length", 20)
        kwargs.setdefault("error_messages", {"required": "Enter an amount."})
        super().__init__(**kwargs)

    def widget_attrs(self, widget):
        attrs = super().widget_attrs(widget)
        attrs.update({"inputmode": "decimal", "autocomplete": "off", "placeholder": "0.00"})
        return attrs

    def clean(self, value):
        value = super().clean(value)
        if value in self.empty_values:
            return None
        return parse_amount_to_cents(value, allow_zero=self.allow_zero)


def _luhn_ok(digits: str) -> bool:
    total = 0
    for index, char in enumerate(reversed(digits)):
        number = int(char)
        if index % 2:
            number *= 2
            if number > 9:
                number -= 9
        total += number
    return total % 10 == 0


class CardForm(forms.Form):
    """The sandbox card form. A real provider's form is drawn by its own script instead."""

    card_number = forms.CharField(
        label="Card number",
        max_length=23,
        widget=forms.TextInput(
            attrs={"inputmode": "numeric", "autocomplete": "cc-number", "placeholder": "4242 4242 4242 4242"}
        ),
    )
    expiry = forms.CharField(
        label="Expiry (MM/YY)",
        max_length=7,
        widget=forms.TextInput(attrs={"autocomplete": "cc-exp", "placeholder": "12/34"}),
    )
    cvc = forms.CharField(
        label="CVC",
        max_length=4,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "cc-csc", "placeholder": "123"}),
    )

    def clean_card_number(self):
        digits = normalise_card_number(self.cleaned_data["card_number"])
        if not 12 <= len(digits) <= 19 or not _luhn_ok(digits):
            raise forms.ValidationError("This card number is not valid. Check the digits and try again.")
        return digits

    def clean_expiry(self):
        text = self.cleaned_data["expiry"].replace(" ", "")
        try:
            month_text, year_text = text.split("/")
            month, year = int(month_text), int(year_text)
        except ValueError:
            raise forms.ValidationError("Enter the expiry date as MM/YY.") from None
        if year < 100:
            year += 2000
        if not 1 <= month <= 12:
            raise forms.ValidationError("Enter the expiry date as MM/YY.")
        today = clock.now().date()
        if (year, month) < (today.year, today.month):
            raise forms.ValidationError("This card has expired.")
        return f"{month:02d}/{year % 100:02d}"

    def clean_cvc(self):
        cvc = self.cleaned_data["cvc"].strip()
        if not cvc.isdigit() or len(cvc) not in (3, 4):
            raise forms.ValidationError("The CVC is the 3 or 4 digits on the back of the card.")
        return cvc


class TipForm(forms.Form):
    amount = AmountField(label="Tip amount (USD)")
    note = forms.CharField(label="Note (optional)", max_length=100, required=False)


class WithdrawForm(forms.Form):
    amount = AmountField(label="Amount to withdraw (USD)")
    # One key per form shown: submitting the same form twice never pays out twice.
    idempotency_key = forms.CharField(widget=forms.HiddenInput, max_length=100)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("idempotency_key", uuid.uuid4().hex)
