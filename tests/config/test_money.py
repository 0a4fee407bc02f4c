"""The one money parser and formatter (``config.money``): what is read, what is refused and why, and the field."""

import pytest
from django import forms
from django.core.exceptions import ValidationError
from hypothesis import example, given, settings
from hypothesis import strategies as st

from config.money import MAX_INPUT_LENGTH, WHAT_TO_TYPE, AmountField, format_cents, parse_cents
from payments.templatetags.money import money

BIG = 10**15  # a ceiling above every amount in these tables

ACCEPTED = [
    ("25", 2500),
    ("25.5", 2550),
    ("25.50", 2550),
    ("0.99", 99),
    (".50", 50),
    ("25.", 2500),
    ("007", 700),
    ("$25", 2500),
    ("  25  ", 2500),
    ("\t$1,000\n", 100000),
    ("1,000", 100000),
    ("1,000.50", 100050),
    ("12,345,678.90", 1234567890),
    ("999,999,999,999.99", 99999999999999),
    ("1000000", 100000000),
]

COMMA_FOR_CENTS = "Use a dot for cents"
SEPARATORS = "Put commas only between groups of three digits"
DECIMALS = "at most two decimals"
NEGATIVE = "cannot be negative"
REFUSED = [
    # a comma as the decimal mark
    ("10,00", COMMA_FOR_CENTS),
    ("10,5", COMMA_FOR_CENTS),
    ("1234,56", COMMA_FOR_CENTS),
    ("1.000,50", COMMA_FOR_CENTS),
    # separators that are not thousands separators
    ("$1,2,3,4", SEPARATORS),
    ("1,2,3,4", SEPARATORS),
    ("1,00,000", SEPARATORS),
    ("1,0000", SEPARATORS),
    ("0,500", SEPARATORS),
    (",100", WHAT_TO_TYPE),
    ("1,,000", WHAT_TO_TYPE),
    # exponents, underscores, spaces inside, other notations
    ("1e3", WHAT_TO_TYPE),
    ("1E3", WHAT_TO_TYPE),
    ("1e26", WHAT_TO_TYPE),
    ("1e-2", WHAT_TO_TYPE),
    ("1_000", WHAT_TO_TYPE),
    ("1 000", WHAT_TO_TYPE),
    ("$ 25", WHAT_TO_TYPE),
    ("25 .50", WHAT_TO_TYPE),
    ("0x10", WHAT_TO_TYPE),
    ("25$", WHAT_TO_TYPE),
    ("25 USD", WHAT_TO_TYPE),
    ("1.2.3", WHAT_TO_TYPE),
    ("$$25", WHAT_TO_TYPE),
    ("$", WHAT_TO_TYPE),
    (".", WHAT_TO_TYPE),
    # more than two decimals
    ("0.001", DECIMALS),
    ("1.005", DECIMALS),
    ("1,000.505", DECIMALS),
    # signs
    ("-5", NEGATIVE),
    ("-$5", NEGATIVE),
    ("$-5", NEGATIVE),
    ("-0.01", NEGATIVE),
    ("+5", "without a sign"),
    ("--5", WHAT_TO_TYPE),
    # not numbers at all
    ("NaN", WHAT_TO_TYPE),
    ("nan", WHAT_TO_TYPE),
    ("Infinity", WHAT_TO_TYPE),
    ("-Infinity", WHAT_TO_TYPE),
    ("inf", WHAT_TO_TYPE),
    ("ten", WHAT_TO_TYPE),
    ("<script>alert(1)</script>", WHAT_TO_TYPE),
    ("25\x00", WHAT_TO_TYPE),
    ("2\u200b5", WHAT_TO_TYPE),
    ("\u202e52", WHAT_TO_TYPE),
    # digits that are not ASCII
    ("١٢٣", WHAT_TO_TYPE),  # Arabic-Indic
    ("１２", WHAT_TO_TYPE),  # full width
    ("٣.٥٠", WHAT_TO_TYPE),
    ("४२", WHAT_TO_TYPE),  # Devanagari
    # nothing
    ("", "Enter an amount."),
    ("   ", "Enter an amount."),
    (None, "Enter an amount."),
]


@pytest.mark.parametrize(("text", "cents"), ACCEPTED)
def test_well_formed_amounts_are_read_as_integer_cents(text, cents):
    value = parse_cents(text, max_cents=BIG)
    assert value == cents and type(value) is int


@pytest.mark.parametrize(("text", "message"), REFUSED)
def test_everything_else_is_refused_with_a_message_that_says_what_to_type(text, message):
    with pytest.raises(ValidationError) as refused:
        parse_cents(text, max_cents=BIG, allow_zero=True)
    assert message in refused.value.messages[0]


def test_the_general_message_says_what_to_type():
    assert WHAT_TO_TYPE == "Enter the amount in dollars and cents, like 1250 or 1,250.50 — use a dot for cents."


def test_limits_are_named_in_money_format():
    with pytest.raises(ValidationError, match=r"at most \$50,000\.00"):
        parse_cents("50,000.01", max_cents=5_000_000)
    assert parse_cents("50,000.00", max_cents=5_000_000) == 5_000_000
    with pytest.raises(ValidationError, match=r"at least \$5\.00"):
        parse_cents("4.99", min_cents=500)
    with pytest.raises(ValidationError, match=r"at least \$5\.00"):
        parse_cents("0", min_cents=500)
    assert parse_cents("5", min_cents=500) == 500


def test_zero_is_refused_unless_allowed():
    for zero in ("0", "0.00", "$0", ".00"):
        with pytest.raises(ValidationError, match="greater than zero"):
            parse_cents(zero)
        assert parse_cents(zero, allow_zero=True) == 0


def test_without_a_maximum_the_largest_single_payment_is_the_ceiling(settings):
    settings.PAYMENTS_MAX_CHECKOUT_CENTS = 100_000
    assert parse_cents("1,000") == 100_000
    with pytest.raises(ValidationError, match=r"at most \$1,000\.00"):
        parse_cents("1,000.01")
    with pytest.raises(ValidationError, match=r"at most \$1,000\.00"):
        parse_cents("9223372036854775808")


@pytest.mark.parametrize("length", [MAX_INPUT_LENGTH + 1, 10_000, 1_000_000])
def test_any_length_of_input_is_refused_without_reading_it(length):
    for text in ("9" * length, "1," * (length // 2), " " * (length - 2) + "25"):
        with pytest.raises(ValidationError):
            parse_cents(text)


def test_only_text_is_read():
    for value in (25, 25.0, b"25", ["25"]):
        with pytest.raises(ValidationError):
            parse_cents(value)


HOSTILE = st.sampled_from(
    ["1e26", "-1", "9223372036854775808", "10,00", "", " ", "NaN", "\x00", "1_000", "١", "\u202e1", "1" * 5000]
)
AMOUNTISH = st.text(alphabet="0123456789,.$ -+eE_\u00a0\u0660\u200b", max_size=24)


@settings(max_examples=500, deadline=None, derandomize=True, database=None)
@given(
    text=st.one_of(st.text(), AMOUNTISH, HOSTILE),
    low=st.integers(0, 10**6),
    span=st.integers(0, 10**12),
    allow_zero=st.booleans(),
)
@example(text="1e26", low=0, span=10**12, allow_zero=False)
def test_any_text_gives_an_amount_in_range_or_a_validation_error(text, low, span, allow_zero):
    try:
        cents = parse_cents(text, min_cents=low, max_cents=low + span, allow_zero=allow_zero)
    except ValidationError as refused:
        assert refused.messages and all(refused.messages)
        return
    assert type(cents) is int
    assert low <= cents <= low + span
    assert cents > 0 or allow_zero


@settings(max_examples=300, deadline=None, derandomize=True, database=None)
@given(cents=st.integers(0, 10**14), symbol=st.booleans(), pad=st.sampled_from(["", " ", "\t", "\n "]))
def test_formatted_amounts_read_back_to_the_same_cents(cents, symbol, pad):
    text = pad + format_cents(cents, symbol=symbol) + pad
    assert parse_cents(text, max_cents=10**14, allow_zero=True) == cents


@settings(max_examples=200, deadline=None, derandomize=True, database=None)
@given(whole=st.integers(0, 10**9), part=st.one_of(st.none(), st.integers(0, 99)), two=st.booleans())
def test_plain_digits_with_a_dot_read_as_typed(whole, part, two):
    text = str(whole) if part is None else f"{whole}.{part:02d}" if two or part % 10 else f"{whole}.{part // 10}"
    assert parse_cents(text, max_cents=10**12, allow_zero=True) == whole * 100 + (part or 0)


@pytest.mark.parametrize(
    ("cents", "text"),
    [(0, "$0.00"), (5, "$0.05"), (123456, "$1,234.56"), (-300, "−$3.00"), (1234567890, "$12,345,678.90")],
)
def test_cents_are_formatted_one_way_and_the_money_filter_uses_it(cents, text):
    assert format_cents(cents) == text
    assert money(cents) == text
    assert money(str(cents)) == text
    assert money(None) == "" and money("") == ""


# --- the field ---------------------------------------------------------------------------------------


def test_the_field_cleans_to_integer_cents_or_none():
    field = AmountField(required=False)
    assert field.clean(" $1,250.50 ") == 125050
    assert field.clean("") is None
    with pytest.raises(ValidationError, match="Enter an amount."):
        AmountField().clean("")


def test_the_field_takes_limits_and_messages_of_its_own(settings):
    field = AmountField(
        min_cents=lambda: settings.ORDERS_MIN_MILESTONE_CENTS,
        max_cents=1000_00,
        error_messages={"max_value": "No more than {limit}, please."},
    )
    settings.ORDERS_MIN_MILESTONE_CENTS = 700
    with pytest.raises(ValidationError, match=r"at least \$7\.00"):
        field.clean("6.99")
    with pytest.raises(ValidationError, match=r"No more than \$1,000\.00, please\."):
        field.clean("1,000.01")
    with pytest.raises(ValidationError, match=COMMA_FOR_CENTS):
        field.clean("10,00")


def test_the_field_is_a_text_box_that_keeps_what_was_typed():
    class Form(forms.Form):
        amount = AmountField()

    html = str(Form({"amount": "10,00"})["amount"])
    assert 'type="text"' in html and 'inputmode="decimal"' in html and 'value="10,00"' in html
    assert 'type="number"' not in html
    assert 'value="1,234.50"' in str(Form(initial={"amount": 123450})["amount"])


def test_the_field_compares_amounts_not_spellings():
    field = AmountField()
    assert not field.has_changed(100000, "1,000")
    assert not field.has_changed(100000, "$1000.00")
    assert field.has_changed(100000, "1,000.01")
    assert field.has_changed(None, "5")
    assert not field.has_changed(None, "")
    assert field.has_changed(100, "1e2")
