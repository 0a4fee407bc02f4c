"""Who counts as staff and who as support: the one policy every view, selector, service, admin page and template uses.

Two levels, each one function here (nothing else in the project reads ``is_staff``,
``is_superuser`` or the Support group to decide who someone is):

- **Staff** (:func:`is_staff_member`): an active user with ``is_staff``, or a superuser.
  Staff may read any order page and any receipt, see when a milestone's next
  timer fires, and can never be paid (a tip could be a bribe); they are never
  purged as stale sign-ups. In the Django admin (:func:`can_use_admin`: Django's own
  rule, ``is_active`` and ``is_staff``) the model permissions decide what they see.
- **Support** (:func:`is_support`): staff in the "Support" group (created by
  ``orders/migrations/0004_support_group.py``), and superusers, who can do
  everything in the admin anyway. Only support *acts* as staff: decides disputes,
  takes a milestone's staff transitions, uses the staff pages and the admin's
  operator actions, holds earnings, edits gigs in the admin.
"""

from django.db.models import Q

SUPPORT_GROUP = "Support"

# The rows :func:`is_staff_member` is about (active or not), for querysets.
STAFF_MEMBERS = Q(is_staff=True) | Q(is_superuser=True)
# The active rows :func:`is_support` is true for, for querysets (use ``.distinct()``: it joins the groups).
SUPPORT_MEMBERS = Q(is_active=True, is_staff=True) & (Q(is_superuser=True) | Q(groups__name=SUPPORT_GROUP))


def _signed_in(user) -> bool:
    return user is not None and getattr(user, "is_authenticated", False) and user.is_active


def is_staff_member(user) -> bool:
    """Staff at all: an active ``is_staff`` user or superuser (may read, not act; see the module's text)."""
    return _signed_in(user) and bool(user.is_staff or user.is_superuser)


def can_use_admin(user) -> bool:
    """May sign into the Django admin (the admin site's own rule); what they see there follows model permissions."""
    return _signed_in(user) and bool(user.is_staff)


def is_support(user) -> bool:
    """True for active staff in the Support group (and superusers); cached on the user object."""
    if not _signed_in(user):
        return False
    cached = getattr(user, "_is_support", None)
    if cached is None:
        cached = bool(user.is_staff and (user.is_superuser or user.groups.filter(name=SUPPORT_GROUP).exists()))
        user._is_support = cached
    return cached
