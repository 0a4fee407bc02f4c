"""The staff policy (``accounts.permissions``) for pages: ``{% load policy %}{% if user|is_support %}``.

Templates ask these filters, never ``user.is_staff`` or ``user.is_superuser``.
"""

from django import template

from accounts import permissions

register = template.Library()

register.filter("is_staff_member", permissions.is_staff_member)
register.filter("is_support", permissions.is_support)
register.filter("can_use_admin", permissions.can_use_admin)
