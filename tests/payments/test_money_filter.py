import pytest

from payments.templatetags.money import money


@pytest.mark.parametrize(
    ("cents", "shown"),
    [(0, "$0.00"), (5, "$0.05"), (123456, "$1,234.56"), (-300, "−$3.00"), (None, ""), ("1999", "$19.99")],
)
def test_money_formats_cents(cents, shown):
    assert money(cents) == shown
