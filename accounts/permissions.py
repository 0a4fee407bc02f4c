"""Who counts as support staff: the one policy every view, selector, admin page and service uses.

Support staff are active ``is_staff`` users in the "Support" group (created by
``orders/migrations/0004_support_group.py``); superusers count as support too,
because they can do everything in the Django admin anyway. Plain ``is_staff``
without the group opens the Django admin's login, nothing more.
"""

SUPPORT_GROUP = "Support"


def is_support(user) -> bool:
    """True for active staff in the Support group (and superusers); cached on the user object."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    cached = getattr(user, "_is_support", None)
    if cached is None:
        cached = bool(
            user.is_active and user.is_staff and (user.is_superuser or user.groups.filter(name=SUPPORT_GROUP).exists())
        )
        user._is_support = cached
    return cached
