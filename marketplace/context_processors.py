from django.utils.functional import SimpleLazyObject

from .selectors import unread_message_count


def unread_messages(request):
    """``nav_unread_messages`` for the navigation badge; counted only when a page shows it."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"nav_unread_messages": SimpleLazyObject(lambda: unread_message_count(user=user))}
