import pytest
from django import forms

from payments.forms import AmountField, CardForm, WithdrawForm, parse_amount_to_cents


@pytest.mark.parametrize(
    ("text", "cents"),
    [("25", 2500), ("25.5", 2550), ("25.50", 2550), ("$1,234.56", 123456), (" 0.01 ", 1)],
)
def test_amounts_in_dollars_become_integer_cents(text, cents):
    """``payments.forms`` keeps its names; they are the one parser of ``config.money``."""
    assert parse_amount_to_cents(text) == cents
    assert type(parse_amount_to_cents(text)) is int


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("-1", "cannot be negative"),
        ("0", "greater than zero"),
        ("abc", "like 1250 or 1,250.50"),
        ("1e2", "like 1250 or 1,250.50"),
        ("Infinity", "like 1250 or 1,250.50"),
        ("NaN", "like 1250 or 1,250.50"),
        ("0.001", "at most two decimals"),
        ("", "Enter an amount"),
    ],
)
def test_bad_amounts_are_refused_with_a_readable_message(text, message):
    with pytest.raises(forms.ValidationError, match=message):
        parse_amount_to_cents(text)


def test_payments_amount_field_is_the_one_in_config_money():
    from config.money import AmountField as OneField

    assert AmountField is OneField


def test_zero_can_be_allowed_but_never_a_negative_amount():
    field = AmountField(allow_zero=True, required=False)
    assert field.clean("0") == 0
    assert field.clean("") is None
    with pytest.raises(forms.ValidationError, match="cannot be negative"):
        field.clean("-1")


def test_card_form_accepts_the_sandbox_cards_with_spaces():
    form = CardForm({"card_number": "4242 4242 4242 4242", "expiry": "12 / 34", "cvc": "123"})
    assert form.is_valid(), form.errors
    assert form.cleaned_data["card_number"] == "4242424242424242"
    assert form.cleaned_data["expiry"] == "12/34"


def test_each_withdraw_form_gets_its_own_idempotency_key():
    assert WithdrawForm().initial["idempotency_key"] != WithdrawForm().initial["idempotency_key"]
