"""Forms: parse what people type into integer cents and tidy card details."""

import re
import uuid

from django import forms

from accounts.second_factor import SecondFactorFormMixin
from config import clock, limits
from config.money import AmountField, parse_cents

from .providers.sandbox import normalise_card_number

__all__ = [
    "AmountField",
    "CardForm",
    "HostedCardForm",
    "PayoutAccountForm",
    "TipForm",
    "WithdrawForm",
    "parse_amount_to_cents",
]


def parse_amount_to_cents(text, *, allow_zero: bool = False) -> int:
    """ "25", "25.5", "$1,234.56" → cents, up to the largest single payment: ``config.money.parse_cents``."""
    return parse_cents(text, allow_zero=allow_zero, max_cents=limits.max_payment_cents())


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


class CardDataInput(forms.TextInput):
    """A card number or CVC: never written back into a page (a refused payment asks for them again, as card
    forms do), so they are not in the HTML, the browser's cache or a shared screen."""

    def format_value(self, value):
        return None


class CardForm(forms.Form):
    """The sandbox card form. A real provider's form is drawn by its own script instead."""

    card_number = forms.CharField(
        label="Card number",
        max_length=23,
        widget=CardDataInput(
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
        widget=CardDataInput(attrs={"inputmode": "numeric", "autocomplete": "cc-csc", "placeholder": "123"}),
    )
    # Offered when the buyer's balance pays part of the total: it pays min(balance, total), the card the rest.
    split_payment = forms.BooleanField(label="Use my balance", required=False, initial=True)

    def clean_card_number(self):
        digits = normalise_card_number(self.cleaned_data["card_number"])
        if not 12 <= len(digits) <= 19 or not _luhn_ok(digits):
            raise forms.ValidationError("This card number is not valid. Check the digits and try again.")
        return digits

    def clean_expiry(self):
        text = self.cleaned_data["expiry"].replace(" ", "")
        match = re.fullmatch(r"([0-9]{1,2})/([0-9]{2}|[0-9]{4})", text)
        if match is None:
            raise forms.ValidationError("Enter the expiry date as MM/YY.")
        month, year = int(match[1]), int(match[2])
        if year < 100:
            year += 2000
        if not 1 <= month <= 12:
            raise forms.ValidationError("Enter the expiry date as MM/YY.")
        today = clock.now().date()
        if (year, month) < (today.year, today.month):
            raise forms.ValidationError("This card has expired.")
        if year > today.year + 20:  # no card is issued for longer: a typo
            raise forms.ValidationError("Check the expiry year: enter the date as MM/YY.")
        return f"{month:02d}/{year % 100:02d}"

    def clean_cvc(self):
        cvc = self.cleaned_data["cvc"].strip()
        if not cvc.isdigit() or len(cvc) not in (3, 4):
            raise forms.ValidationError("The CVC is the 3 or 4 digits on the back of the card.")
        return cvc

    def clean(self):
        cleaned = super().clean()
        cleaned["payment_method"] = cleaned.get("card_number")  # what the sandbox provider charges
        return cleaned


class UnfilledHiddenInput(forms.HiddenInput):
    """A hidden input always drawn empty, whatever was posted: a payment method the provider refused is used
    up, and the page's script makes a new one from the card typed next only while this field is empty."""

    def get_context(self, name, value, attrs):
        return super().get_context(name, None, attrs)


class HostedCardForm(forms.Form):
    """The card form of a provider that draws the card fields itself (Stripe's Payment Element): this server
    receives only the payment method its script made (``pm_...``), never a card number."""

    payment_method = forms.RegexField(
        regex=r"^pm_[A-Za-z0-9_]{1,200}$",
        widget=UnfilledHiddenInput,
        required=True,
        error_messages={
            "required": "Enter your card details in the card form, then pay.",
            "invalid": "The card form sent something unexpected. Enter your card details again.",
        },
    )
    split_payment = forms.BooleanField(label="Use my balance", required=False, initial=True)

    def clean(self):
        # The payment method is a hidden field: say its error above the card form, where the buyer looks.
        for message in self.errors.pop("payment_method", []):
            self.add_error(None, message)
        return super().clean()


class TipForm(forms.Form):
    amount = AmountField(label="Tip amount (USD)", max_cents=limits.max_payment_cents)
    note = forms.CharField(label="Note (optional)", max_length=100, required=False)


class WithdrawForm(SecondFactorFormMixin, forms.Form):
    """Build with ``user=request.user``: someone with two-factor authentication types a code too."""

    amount = AmountField(
        label="Amount to withdraw (USD)", min_cents=limits.min_payout_cents, max_cents=limits.max_payment_cents
    )
    # One key per form shown: submitting the same form twice never pays out twice.
    idempotency_key = forms.CharField(widget=forms.HiddenInput, max_length=100)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("idempotency_key", uuid.uuid4().hex)

    def clean(self):
        # The key is a hidden field: its own error would be shown nowhere. Say it above the form instead.
        if self.errors.pop("idempotency_key", None):
            self.add_error(None, "This form has expired. Reload the page and try again.")
        return super().clean()


class PayoutAccountForm(SecondFactorFormMixin, forms.Form):
    """Setting up or changing where payouts go (the provider's onboarding): a user with a second factor
    confirms it with a code (``accounts.second_factor``), as for a withdrawal."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.asks_second_factor:  # the earnings page has the withdrawal's code field too: say which is which
            self.fields["second_factor_code"].label = "Authentication code, to change where payouts go"
