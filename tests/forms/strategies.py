"""What the fuzz suite types into a field: values suited to the field's type, plus the hostile set for every field."""

from django import forms
from hypothesis import strategies as st

from config.money import AmountField, format_cents

# Typed by someone careless, or by an attacker, into any field at all.
HOSTILE = [
    "",
    " ",
    "\t\n ",
    "\x00",
    "a\x00b",
    "\x01\x02\x1b[31m\x7f",
    "\r\n\r\n",
    "\u202egnp.exe",  # right-to-left override
    "\u200b\u200d\ufeff",  # zero-width characters
    "\u2066text\u2069\u200f",
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "{{ request.user.password }}{% debug %}",
    "' OR 1=1 --",
    "../../../etc/passwd",
    "1e26",
    "1E3",
    "-1",
    "0",
    "9223372036854775808",
    "-9223372036854775809",
    "1" * 400,
    "10,00",
    "$1,2,3,4",
    "1_000",
    "NaN",
    "Infinity",
    "١٢٣",  # Arabic-Indic digits
    "１２",  # full-width digits
    "😀" * 3,
    "x" * 5_001,  # over every text limit of the app
    "y" * 100_000,
]

# Characters an amount is typed with, and the ones it is mistyped with.
AMOUNT_ALPHABET = "0123456789,.$ -+eE_\u00a0\u0660\u200b"


def hostile():
    return st.sampled_from(HOSTILE)


def any_text(max_size=40):
    """Any unicode text (control characters and NUL included; no lone surrogates, which cannot be sent)."""
    return st.text(max_size=max_size)


def _amounts(field: AmountField):
    low = field.min_cents() if callable(field.min_cents) else (field.min_cents or 0)
    high = field.max_cents() if callable(field.max_cents) else (field.max_cents or 5_000_000)
    in_range = st.integers(max(low, 0), max(high, 0))
    return st.one_of(
        st.builds(format_cents, in_range, symbol=st.booleans()),
        in_range.map(lambda c: f"{c // 100}.{c % 100:02d}"),
        st.integers(-(10**30), 10**30).map(str),
        st.text(alphabet=AMOUNT_ALPHABET, max_size=16),
        st.decimals(allow_nan=True, allow_infinity=True).map(str),
        st.floats().map(str),
    )


def _integers(field: forms.IntegerField):
    # Limits may be callables reading a setting (config.limits), as amounts' are.
    low, high = (value() if callable(value) else value for value in (field.min_value, field.max_value))
    low = low if low is not None else -100
    high = high if high is not None else 100
    return st.one_of(
        st.integers(low - 2, high + 2).map(str),
        st.integers().map(str),
        st.sampled_from(["1_0", " 5 ", "+5", "5.0", "5.5", "٣", "1e2", "0x1"]),
    )


def _choices(field: forms.ChoiceField):
    keys = []
    for key, label in field.choices:
        if isinstance(label, list | tuple):  # an optgroup
            keys += [str(k) for k, _ in label]
        else:
            keys.append(str(key))
    return st.sampled_from(keys) if keys else st.just("")


def typed(field: forms.Field):
    """Values suited to ``field``'s type (mostly well-formed, some just wrong); ``None``: a raw POST key."""
    if field is None:
        return st.one_of(any_text(), st.sampled_from(["delivered", "in_progress", "balance", "card", "accept"]))
    if isinstance(field, AmountField):
        return _amounts(field)
    if isinstance(field, forms.BooleanField):
        return st.sampled_from(["on", "", "false", "0", "1"])
    if isinstance(field, forms.MultipleChoiceField):
        return st.lists(_choices(field), max_size=3)
    if isinstance(field, forms.ChoiceField):
        return _choices(field)
    if isinstance(field, forms.IntegerField):
        return _integers(field)
    if isinstance(field, forms.DateField):
        return st.one_of(
            st.dates().map(lambda d: d.isoformat()), st.sampled_from(["2026-02-30", "31/12/2030", "tomorrow"])
        )
    if isinstance(field, forms.EmailField):
        return st.one_of(st.emails().filter(lambda e: len(e) < 200), st.just("someone@"), st.just("@example.com"))
    if isinstance(field, forms.CharField):
        size = field.max_length or 200
        return st.one_of(
            any_text(),
            st.text(st.characters(codec="ascii"), max_size=40),
            st.sampled_from([size, size + 1]).map(lambda n: "w" * n),
        )
    return any_text()


def value_for(field: forms.Field):
    return st.one_of(typed(field), hostile(), any_text())


@st.composite
def overrides(draw, fields: dict, *, most=3):
    """Change one to ``most`` of the posted fields of a good submission; the rest stay as they were."""
    names = draw(st.lists(st.sampled_from(sorted(fields)), min_size=1, max_size=most, unique=True))
    return {name: draw(value_for(fields[name])) for name in names}
