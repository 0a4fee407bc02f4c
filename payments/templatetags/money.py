"""The one place money is formatted: ``{% load money %}{{ amount_cents|money }}``."""

from django import template

register = template.Library()

CURRENCY_SYMBOL = "$"


@register.filter
def money(cents):
    """Integer cents to "$1,234.56" ("−$3.00" for negatives); blank stays blank."""
    if cents is None or cents == "":
        return ""
    cents = int(cents)
    sign = "−" if cents < 0 else ""
    whole, part = divmod(abs(cents), 100)
    return f"{sign}{CURRENCY_SYMBOL}{whole:,}.{part:02d}"
