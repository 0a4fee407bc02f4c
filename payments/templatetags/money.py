"""The money template filter: ``{% load money %}{{ amount_cents|money }}`` (formatting is ``config.money``'s)."""

from django import template

from config.money import CURRENCY_SYMBOL, format_cents

register = template.Library()

__all__ = ["CURRENCY_SYMBOL", "money"]


@register.filter
def money(cents):
    """Integer cents to "$1,234.56" ("−$3.00" for negatives); blank stays blank."""
    if cents is None or cents == "":
        return ""
    return format_cents(int(cents))
