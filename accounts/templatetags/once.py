"""``{% form_key %}``: the hidden one-time key of a form (see ``accounts.once``); a builtin tag.

Every form on a page gets its own fresh key, so two forms on one page never share one.
"""

from django import template
from django.utils.html import format_html

from accounts.once import FIELD, new_key

register = template.Library()


@register.simple_tag
def form_key():
    return format_html('<input type="hidden" name="{}" value="{}">', FIELD, new_key())
