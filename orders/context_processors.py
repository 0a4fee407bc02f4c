from functools import cached_property

from django.db import connection

from accounts.models import Notification
from marketplace.models import Conversation

# Both badges of the navigation in one statement, as plain SQL: every signed-in page pays for it, and the ORM
# would spend longer building two aggregate queries than the database spends answering them (make bench: the
# page frame). The same counts as ``orders.selectors.unread_notifications_count`` and
# ``marketplace.selectors.unread_message_count`` (tests/orders/test_badges.py holds them equal).
_NOTIFICATIONS, _CONVERSATIONS = Notification._meta.db_table, Conversation._meta.db_table
# the table names are the models' own; the values are parameters
_BADGES_SQL = (
    f"SELECT (SELECT COUNT(*) FROM {_NOTIFICATIONS} WHERE user_id = %s AND read_at IS NULL), "  # noqa: S608
    # each side's unread conversations only (partial indexes): the same sum as the selector's, flat in history
    f"(SELECT COALESCE(SUM(buyer_unread), 0) FROM {_CONVERSATIONS} WHERE buyer_id = %s AND buyer_unread > 0) + "
    f"(SELECT COALESCE(SUM(seller_unread), 0) FROM {_CONVERSATIONS} WHERE seller_id = %s AND seller_unread > 0)"
)


class Badges:
    """The unread counts of the navigation, read once when a page first shows one of them."""

    def __init__(self, user_id):
        self.user_id = user_id

    @cached_property
    def counts(self):
        with connection.cursor() as cursor:
            cursor.execute(_BADGES_SQL, [self.user_id] * 3)
            notifications, messages = cursor.fetchone()
        return int(notifications), int(messages)

    @property
    def notifications(self):
        return self.counts[0]

    @property
    def messages(self):
        return self.counts[1]


def badges(request):
    """``nav_unread_notifications`` (the bell) and ``nav_unread_messages`` (the inbox), for signed-in people."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    counts = Badges(user.pk)
    return {"nav_badges": counts}
