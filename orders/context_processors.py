from .selectors import unread_notifications_count


def notifications(request):
    """The bell's unread count (one query, only for logged-in people)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"nav_unread_notifications": unread_notifications_count(user)}
