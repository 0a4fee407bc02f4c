"""Money as people type it and as pages show it: the one parser and the one formatter of the project.

Every amount field in the app (offers and plan changes, tips, withdrawals,
dispute splits, gig and package prices, budgets, search filters) reads what
was typed with :func:`parse_cents` (through :class:`AmountField`), and every
page writes cents with :func:`format_cents` (the ``money`` template filter).

What is accepted, after optional surrounding whitespace and an optional
leading ``$``: ASCII digits with an optional dot and at most two decimals
(``25``, ``25.5``, ``25.50``, ``0.99``, ``.50``), and thousands separators only
where they are real (``1,000``, ``1,000.50``, ``12,345,678.90``: a first group
of one to three digits, then groups of exactly three). Everything else is
refused with a message that says what to type: a comma as the decimal mark
(``10,00``), misplaced separators (``1,2,3,4``), exponents, underscores,
spaces inside, more than two decimals, signs, NaN/Infinity, non-ASCII digits,
and amounts outside the field's range. Nothing but ``ValidationError`` is ever
raised, whatever the input: no ``Decimal`` or ``float`` is involved, and the
text is length-capped before it is looked at.
"""

import re
from collections.abc import Callable

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError

CURRENCY_SYMBOL = "$"

# Longer than any amount the app takes ("$ 12,345,678,901.50 " is 20): anything longer is refused unread.
MAX_INPUT_LENGTH = 40

WHAT_TO_TYPE = "Enter the amount in dollars and cents, like 1250 or 1,250.50 — use a dot for cents."
MESSAGES = {
    "required": "Enter an amount.",
    "invalid": WHAT_TO_TYPE,
    "decimal_comma": "Use a dot for cents, like 10.50 (a comma only separates thousands, like 1,250.50).",
    "separators": "Put commas only between groups of three digits, like 1,250 or 12,345,678.90 — or leave them out.",
    "max_decimal_places": "Use at most two decimals (whole cents), like 25.50.",
    "negative": "An amount cannot be negative: enter it without a sign, like 1250 or 1,250.50.",
    "sign": "Enter the amount without a sign, like 1250 or 1,250.50.",
    "zero": "The amount must be greater than zero.",
    "min_value": "The amount must be at least {limit}.",
    "max_value": "The amount can be at most {limit}.",
}

_AMOUNT = re.compile(
    r"""
    (?P<whole> [1-9][0-9]{0,2} (?:,[0-9]{3})+   # 1,000 / 12,345,678: real thousands separators
             | [0-9]+ )?                        # or plain digits (or none: ".50")
    (?: \. (?P<cents>[0-9]{0,2}) )?             # a dot and at most two decimals
    """,
    re.VERBOSE | re.ASCII,
)
# 10,00 / 10,5 / 1234,56 / 1.234,56: a comma where the cents go
_DECIMAL_COMMA = re.compile(r"(?:[0-9]+|[0-9]{1,3}(?:\.[0-9]{3})+),[0-9]{1,2}", re.ASCII)
_DIGITS_AND_SEPARATORS = re.compile(r"[0-9]+(?:[,.][0-9]+)*\.?", re.ASCII)
_TOO_MANY_DECIMALS = re.compile(r"(?:[0-9]{1,3}(?:,[0-9]{3})+|[0-9]*)\.[0-9]{3,}", re.ASCII)


def format_cents(cents: int, *, symbol: bool = True, trim: bool = False) -> str:
    """Integer cents to "$1,234.56" ("−$3.00" for a negative amount; ``symbol=False``: "1,234.56").

    ``trim`` leaves out zero cents ("$5" for 500, "$5.50" for 550): for limits in a sentence.
    """
    cents = int(cents)
    sign = "−" if cents < 0 else ""
    whole, part = divmod(abs(cents), 100)
    tail = "" if trim and not part else f".{part:02d}"
    return f"{sign}{CURRENCY_SYMBOL if symbol else ''}{whole:,}{tail}"


def _limit_params(cents: int) -> dict:
    return {"limit": format_cents(cents), "short_limit": format_cents(cents, trim=True)}


class AmountRefused(ValidationError):
    """Why an amount cannot be read: its code, and the values its message was worded with (``amount_params``,
    for a field's own wording of the same refusal: AmountField)."""

    code: str

    def __init__(self, code: str, **params: str) -> None:
        super().__init__(MESSAGES[code].format(**params), code=code)
        self.amount_params = params


def _refuse(code: str, **params: str) -> AmountRefused:
    return AmountRefused(code, **params)


def _amount(body: str) -> re.Match | None:
    match = _AMOUNT.fullmatch(body)
    return match if match is not None and (match["whole"] or match["cents"]) else None


def _read(text: str) -> int:
    """The amount in ``text`` as integer cents, or ``ValidationError`` saying why it cannot be read."""
    if len(text) > MAX_INPUT_LENGTH:
        raise _refuse("invalid")
    body = text.strip()
    if not body:
        raise _refuse("required")
    if body.startswith(CURRENCY_SYMBOL):
        body = body[len(CURRENCY_SYMBOL) :]
    match = _amount(body)
    if match is None:
        if body[:1] in ("-", "+") and _amount(body[1:].removeprefix(CURRENCY_SYMBOL)):
            raise _refuse("negative" if body[0] == "-" else "sign")
        if _DECIMAL_COMMA.fullmatch(body):
            raise _refuse("decimal_comma")
        if _TOO_MANY_DECIMALS.fullmatch(body):
            raise _refuse("max_decimal_places")
        if _DIGITS_AND_SEPARATORS.fullmatch(body) and "," in body:
            raise _refuse("separators")
        raise _refuse("invalid")
    whole = int((match["whole"] or "0").replace(",", ""))
    cents = (match["cents"] or "").ljust(2, "0")
    return whole * 100 + int(cents)


def parse_cents(
    text,
    *,
    min_cents: int | None = None,
    max_cents: int | None = None,
    allow_zero: bool = False,
) -> int:
    """What a person typed as an amount of dollars → integer cents.

    ``min_cents`` / ``max_cents`` bound the result (the messages name the limit
    in money format); without ``max_cents`` the largest single payment
    (``PAYMENTS_MAX_CHECKOUT_CENTS``) is the ceiling, so no amount field takes
    more than the app can ever pay. Zero is refused unless ``allow_zero``.
    Raises ``ValidationError`` (and nothing else) when the text is not an amount.
    """
    if text is None:
        text = ""
    if not isinstance(text, str):
        # Only text is typed: an int or a Decimal here is a programming error upstream, not input.
        raise _refuse("invalid")
    cents = _read(text)
    if min_cents is not None and min_cents > 0 and cents < min_cents:
        raise _refuse("min_value", **_limit_params(min_cents))
    if cents == 0 and not allow_zero:
        raise _refuse("zero")
    ceiling = settings.PAYMENTS_MAX_CHECKOUT_CENTS if max_cents is None else max_cents
    if cents > ceiling:
        raise _refuse("max_value", **_limit_params(ceiling))
    return cents


Limit = int | Callable[[], int] | None


def _limit(value: Limit) -> int | None:
    return value() if callable(value) else value


class AmountField(forms.CharField):
    """A dollars-and-cents text box (``inputmode="decimal"``) whose cleaned value is integer cents.

    Empty gives ``None`` when the field is not required. ``min_cents`` and
    ``max_cents`` are cents or a callable returning cents (read at validation
    time, so limits that come from settings follow them); ``allow_zero``
    accepts 0.00 (a seller's share of nothing in a dispute split).
    ``error_messages`` may replace any message by its code (``required``,
    ``invalid``, ``decimal_comma``, ``separators``, ``max_decimal_places``,
    ``negative``, ``sign``, ``zero``, ``min_value``, ``max_value``; the last two may name the
    limit as ``{limit}``, "$5.00", or ``{short_limit}``, "$5"). What was typed is
    kept and shown back as typed; an initial value in cents is shown as
    "1,234.50".
    """

    def __init__(self, *, min_cents: Limit = None, max_cents: Limit = None, allow_zero: bool = False, **kwargs) -> None:
        self.min_cents, self.max_cents, self.allow_zero = min_cents, max_cents, allow_zero
        kwargs.setdefault("widget", forms.TextInput)
        kwargs.pop("max_length", None)  # the parser caps the length itself, with its own message
        super().__init__(**kwargs)
        self.error_messages = {**self.error_messages, **MESSAGES, **(kwargs.get("error_messages") or {})}

    def widget_attrs(self, widget):
        attrs = super().widget_attrs(widget)
        attrs.update(
            {"inputmode": "decimal", "autocomplete": "off", "placeholder": "0.00", "maxlength": str(MAX_INPUT_LENGTH)}
        )
        return attrs

    def prepare_value(self, value):
        if isinstance(value, int) and not isinstance(value, bool):
            return format_cents(value, symbol=False)
        return value

    def to_cents(self, value) -> int:
        try:
            return parse_cents(
                value,
                min_cents=_limit(self.min_cents),
                max_cents=_limit(self.max_cents),
                allow_zero=self.allow_zero,
            )
        except AmountRefused as error:  # what parse_cents raises
            message = self.error_messages.get(error.code)
            if message is None or message == MESSAGES.get(error.code):
                raise
            raise ValidationError(message.format(**error.amount_params), code=error.code) from None

    def clean(self, value):
        text = super().clean(value)
        if text in self.empty_values:
            return None
        return self.to_cents(text)

    def has_changed(self, initial, data):
        """Compares amounts, not spellings: "1,000" is no change from an initial 100000 cents."""

        def cents(value):
            if value in self.empty_values:
                return None
            if isinstance(value, int) and not isinstance(value, bool):
                return value
            try:
                return _read(str(value))
            except ValidationError:
                return str(value)

        return cents(initial) != cents(data)
