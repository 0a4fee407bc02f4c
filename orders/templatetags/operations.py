"""``{% operations_counts as counts %}``: the admin dashboard's numbers (see ``orders.operations``)."""

from django import template

from orders.operations import operations_counts as _counts

register = template.Library()


@register.simple_tag
def operations_counts():
    return _counts()
