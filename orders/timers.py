"""This app's timers, as periodic sweeps (registered in ``OrdersConfig.ready()``; see ``config.sweeps``):
offers expire, blind reviews become public, unanswered disputes go to support staff."""

from django.conf import settings
from django.contrib.auth import get_user_model

from config import clock
from milestones.timers import batches, timer_mark

from .disputes import disputes_escalate
from .models import Review
from .services import offers_expire, seller_stats_refresh


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


def sweep_dispute_deadlines(*, now=None) -> int:
    return disputes_escalate(now=now)


SWEEPS = {
    # (name, order among every app's sweeps: see config.sweeps)
    ("offer_expiry", 50): sweep_offer_expiry,
    ("review_publication", 60): sweep_review_publication,
    ("dispute_deadlines", 100): sweep_dispute_deadlines,
}
