"""This app's timers, as periodic sweeps (registered in ``OrdersConfig.ready()``; see ``config.sweeps``):
offers expire, blind reviews become public, unanswered disputes go to support staff, and every seller's
stats are recounted from the rows once an hour."""

from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction

from config import clock
from marketplace.models import Conversation
from marketplace.services import unseen_messages_email
from milestones.timers import batches, timer_mark

from .disputes import disputes_escalate
from .models import Review
from .services import offers_expire, seller_stats_refresh
from .stats import seller_stats_recount

# How often every seller's stats are counted again from their orders, reviews and messages (the events
# recount one seller as they happen; this catches anything they missed, e.g. a worker down).
STATS_RECOUNT_EVERY = timedelta(hours=1)


def sweep_offer_expiry(*, now=None, batch_size=None) -> int:
    return offers_expire(now=now or clock.now(), batch_size=batch_size or settings.TIMER_BATCH_SIZE)


def sweep_review_publication(*, now=None, batch_size=None) -> int:
    """When a blind review's window ends, it becomes public: refresh the seller's rating once."""
    now = now or clock.now()
    batch_size = batch_size or settings.TIMER_BATCH_SIZE
    due = Review.objects.filter(
        about_seller=True, published_at__lte=now, published_at__gt=now - settings.TIMER_CATCH_UP
    )
    done = 0
    for rows in batches(due, "published_at", batch_size):
        sellers: set[int] = set()
        for pk, moment in rows:
            if timer_mark("review_published", pk, moment):
                sellers.update(Review.objects.filter(pk=pk).values_list("recipient_id", flat=True))
                done += 1
        for seller in get_user_model().objects.filter(pk__in=sellers):
            seller_stats_refresh(seller=seller)
    return done


def sweep_seller_stats(*, now=None) -> int:
    """Once per ``STATS_RECOUNT_EVERY``: recount every seller's stats; how many sellers' figures changed."""
    now = now or clock.now()
    every = int(STATS_RECOUNT_EVERY.total_seconds())
    slot = now - timedelta(seconds=int(now.timestamp()) % every, microseconds=now.microsecond)
    if not timer_mark("seller_stats_recount", 0, slot):
        return 0
    return seller_stats_recount(now=now)


def sweep_dispute_deadlines(*, now=None) -> int:
    return disputes_escalate(now=now)


def sweep_message_emails(*, now=None, batch_size=None) -> int:
    """Messages someone has not seen for ``MESSAGES_EMAIL_AFTER`` are emailed to them: once per stretch of
    unseen messages (the stretch's start is the timer's moment; reading ends it, the next message starts a
    new one). The marketplace owns the conversation and the email; this app holds the timer."""
    now = now or clock.now()
    batch_size = batch_size or settings.TIMER_BATCH_SIZE
    due_before = now - settings.MESSAGES_EMAIL_AFTER
    done = 0
    for side in ("buyer", "seller"):
        field = f"{side}_unseen_since"
        due = Conversation.objects.filter(
            **{f"{field}__lte": due_before, f"{field}__gt": now - settings.TIMER_CATCH_UP}
        )
        for rows in batches(due, field, batch_size):
            for pk, since in rows:
                with transaction.atomic():
                    conversation = (
                        Conversation.objects.select_for_update(of=("self",))
                        .select_related("buyer", "seller")
                        .filter(pk=pk, **{field: since})
                        .first()
                    )
                    if conversation is None or not timer_mark(f"message_email_{side}", pk, since):
                        continue  # read meanwhile, or already emailed
                    if unseen_messages_email(conversation=conversation, side=side):
                        done += 1
    return done


SWEEPS = {
    # (name, order among every app's sweeps: see config.sweeps)
    ("offer_expiry", 50): sweep_offer_expiry,
    ("review_publication", 60): sweep_review_publication,
    ("seller_stats", 70): sweep_seller_stats,
    ("message_emails", 80): sweep_message_emails,
    ("dispute_deadlines", 100): sweep_dispute_deadlines,
}
