"""A seller's past, made the way it happens: orders funded, delivered (on time or late), approved and
reviewed through the services, with the project clock moved where time must pass."""

from django.conf import settings

from marketplace import services as marketplace
from orders import services
from orders.services import PlanItem
from tests.orders.builders import approve, deliver, fund, ms

DAYS = 3


def past_order(*, seller, buyer, gig=None, rating=None, late=False, seller_reviews=True, clock, commit):
    """One order of one milestone from offer to review. ``commit``: a context manager that runs the
    transaction's on-commit callbacks (``django_capture_on_commit_callbacks(execute=True)``), as a real
    request's commit would."""
    with commit():
        conversation = marketplace.conversation_start(buyer=buyer, seller=seller, gig=gig)
        offer = services.offer_create(
            conversation=conversation,
            author=seller,
            items=[PlanItem("The work", "As agreed.", 10000, DAYS)],
            gig=gig,
        )
        order = services.offer_accept(offer_id=offer.pk, actor=buyer)
        milestone = fund(ms(order, 1))
    clock.advance(days=DAYS + 1 if late else DAYS - 1)
    with commit():
        approve(deliver(milestone))
    clock.advance(hours=2)
    if rating is not None:
        with commit():
            services.review_submit(order_id=order.pk, author=buyer, rating=rating, text="Thank you.")
        if seller_reviews:
            with commit():
                services.review_submit(order_id=order.pk, author=seller, rating=5, text="A clear brief.")
    return order


def stored_figures(seller) -> dict:
    """What the seller's stats row holds, in ``orders.stats.seller_figures``' shape (and the level)."""
    seller.refresh_from_db()
    stats = seller.seller_stats
    return {
        "orders_completed": stats.orders_completed,
        "orders_on_time": stats.orders_on_time,
        "rating_avg": stats.rating_avg,
        "rating_count": stats.rating_count,
        "responses": (stats.response_seconds_total, stats.responses_counted),
    }


def counted_figures(seller) -> dict:
    from orders.stats import seller_figures

    return seller_figures(seller_ids=[seller.pk])[seller.pk]


def published_after_window(clock):
    clock.advance(seconds=settings.REVIEW_BLIND_WINDOW.total_seconds() + 3600)
