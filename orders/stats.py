"""Seller stats are counted, never typed: every figure a page shows comes from rows that exist.

- orders completed: the seller's orders in the completed state;
- on time: those of them with no milestone delivered late;
- rating and review count: the published reviews about the seller (``published_reviews``), the very
  rows the gig page's and the profile's Reviews sections list;
- response time: the replies in their conversations (``marketplace.services.seller_response_figures``);
- level: ``marketplace.models.level_for`` of the above.

``seller_stats_recount`` stores them (through ``marketplace.services.seller_stats_update``, which writes
only what changed). It runs when a review is submitted or published, when an order completes, from the
admin's "Recount" and hourly for every seller (``timers.sweep_seller_stats``); a recount of unchanged
rows changes nothing, so the events and the sweep cannot disagree.
"""

from decimal import ROUND_HALF_UP, Decimal

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Count, Q, Sum

from config import clock
from marketplace import services as marketplace
from marketplace.models import SellerStats, level_for
from milestones.models import Order, OrderStatus

from .models import Review


def published_reviews(*, now=None):
    """The public reviews about sellers: what a Reviews section lists and what the rating counts."""
    return Review.objects.filter(about_seller=True, published_at__lte=now or clock.now())


def rating_of(total: int, count: int) -> Decimal | None:
    """The average of ``count`` ratings summing to ``total``, to the cent of a star (half up); exact."""
    if not count:
        return None
    return (Decimal(total) / Decimal(count)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def _by_seller(rows, key, *values):
    return {row[key]: tuple(row[v] or 0 for v in values) for row in rows}


def seller_figures(*, seller_ids=None, now=None) -> dict[int, dict]:
    """{seller id: the figures ``seller_stats_update`` takes}, counted in four grouped queries.

    ``seller_ids=None``: every seller with a stats row, an order, a review or a reply.
    """
    completed = Order.objects.filter(status=OrderStatus.COMPLETED)
    reviews = published_reviews(now=now)
    if seller_ids is not None:
        seller_ids = list(seller_ids)
        completed = completed.filter(seller_id__in=seller_ids)
        reviews = reviews.filter(recipient_id__in=seller_ids)
    orders = _by_seller(
        completed.values("seller_id").annotate(
            done=Count("pk", distinct=True),
            late=Count("pk", distinct=True, filter=Q(milestones__delivered_on_time=False)),
        ),
        "seller_id",
        "done",
        "late",
    )
    ratings = _by_seller(
        reviews.values("recipient_id").annotate(total=Sum("rating"), count=Count("pk")),
        "recipient_id",
        "total",
        "count",
    )
    responses = marketplace.seller_response_figures(seller_ids=seller_ids)
    if seller_ids is None:
        seller_ids = set(SellerStats.objects.values_list("seller_id", flat=True)) | set(orders) | set(ratings)
        seller_ids |= set(responses)
    figures = {}
    for seller_id in seller_ids:
        done, late = orders.get(seller_id, (0, 0))
        total, count = ratings.get(seller_id, (0, 0))
        figures[seller_id] = {
            "orders_completed": done,
            "orders_on_time": done - late,
            "rating_avg": rating_of(total, count),
            "rating_count": count,
            "responses": responses.get(seller_id, (0, 0)),
        }
    return figures


def _stored(stats: SellerStats | None) -> dict | None:
    if stats is None:
        return None
    return {
        "orders_completed": stats.orders_completed,
        "orders_on_time": stats.orders_on_time,
        "rating_avg": stats.rating_avg,
        "rating_count": stats.rating_count,
        "responses": (stats.response_seconds_total, stats.responses_counted),
        "level": stats.level,
    }


def seller_stats_recount(*, seller_ids=None, now=None) -> int:
    """Count the sellers' figures from the rows and store those that differ; how many sellers changed.

    ``seller_ids=None`` recounts every seller and also puts right any gig whose copy of its seller's
    rating (the browse order's key) differs.
    """
    figures = seller_figures(seller_ids=seller_ids, now=now)
    stored = {s.seller_id: s for s in SellerStats.objects.filter(seller_id__in=list(figures))}
    changed = []
    for seller_id, counted in figures.items():
        counted = counted | {
            "level": level_for(
                orders_completed=counted["orders_completed"],
                orders_on_time=counted["orders_on_time"],
                rating_avg=counted["rating_avg"],
                rating_count=counted["rating_count"],
            )
        }
        current = _stored(stored.get(seller_id))
        blank = not counted["orders_completed"] and not counted["rating_count"] and not counted["responses"][1]
        if current == counted or (current is None and blank):
            continue
        changed.append(seller_id)
    users = get_user_model().objects.in_bulk(changed)
    for seller_id in changed:
        counted = figures[seller_id]
        marketplace.seller_stats_update(
            seller=users[seller_id],
            orders_completed=counted["orders_completed"],
            orders_on_time=counted["orders_on_time"],
            rating_avg=counted["rating_avg"],
            rating_count=counted["rating_count"],
            responses=counted["responses"],
        )
    if seller_ids is None:
        marketplace.gig_ratings_sync()
    return len(changed)


class _RecountAfterCommit:
    """The sellers to recount once the transaction commits (one recount for all of them)."""

    def __init__(self):
        self.seller_ids: set[int] = set()
        self.ran = False

    def __call__(self):
        self.ran = True
        seller_stats_recount(seller_ids=sorted(self.seller_ids))


def seller_stats_recount_after_commit(*, seller_id: int) -> None:
    """Recount the seller once the current transaction commits (now, outside one).

    Many events in one transaction (the demo's year of reviews) share one recount: a pending one is
    reused while it is still registered (a rolled-back savepoint drops it, and a new one is made).
    """
    connection = transaction.get_connection()
    if not connection.in_atomic_block:
        seller_stats_recount(seller_ids=[seller_id])
        return
    for _savepoints, callback, _robust in connection.run_on_commit:  # Django's list of pending callbacks
        if isinstance(callback, _RecountAfterCommit) and not callback.ran:
            callback.seller_ids.add(seller_id)
            return
    callback = _RecountAfterCommit()
    callback.seller_ids.add(seller_id)
    transaction.on_commit(callback, robust=True)
