"""``{% avatar %}``, ``{% level_pill %}`` and ``{% rating_summary %}``: the small pieces every card, gig page,
profile and conversation repeats.

They were template includes; a card list renders each of them once per card, and an include costs the
template engine a context push, a lookup per variable and a nested render. As Python they cost a
``format_html`` (make bench: the browse page's cards).
"""

from django import template
from django.template.defaultfilters import floatformat
from django.urls import reverse
from django.utils.html import format_html

from config.fragments import render_each
from marketplace.models import SellerLevel

register = template.Library()

_LEVELS = {
    SellerLevel.TOP_RATED: ("level-top", "Top rated"),
    SellerLevel.LEVEL_TWO: ("level-two", "Level two"),
    SellerLevel.LEVEL_ONE: ("level-one", "Level one"),
}


def _plural(count):
    return "" if count == 1 else "s"


@register.simple_tag
def avatar(person, size=""):
    """The person's avatar (served by the ``avatar`` view), or their initials."""
    if person.avatar:
        return format_html(
            '<img class="avatar {}" src="{}" alt="{}" width="48" height="48">',
            size,
            reverse("avatar", args=[person.pk]),
            person.public_name,
        )
    return format_html('<span class="avatar {} initials" aria-hidden="true">{}</span>', size, person.initials)


@register.simple_tag
def level_pill(stats):
    """A seller's level as a pill; ``stats`` is a SellerStats (possibly unsaved and blank) or None."""
    css, label = _LEVELS.get(getattr(stats, "level", None), ("", "New seller"))
    if not css:
        return format_html('<span class="pill level" title="Seller level">{}</span>', label)
    return format_html('<span class="pill level {}" title="Seller level">{}</span>', css, label)


@register.simple_tag
def rating_summary(stats, long=False):
    """ "★ 4.9 (123 reviews)", or "No reviews yet"; ``long`` spells out "reviews" in the brackets."""
    count = getattr(stats, "rating_count", 0)
    if not count:
        return format_html('<span class="rating muted">{}</span>', "No reviews yet")
    rating = floatformat(stats.rating_avg, 1)
    reviews = f"review{_plural(count)}"
    return format_html(
        '<span class="rating" aria-label="Rated {} out of 5 from {} {}"><span class="star" aria-hidden="true">★</span>'
        ' <strong>{}</strong> <span class="muted">({}{})</span></span>',
        rating,
        count,
        reviews,
        rating,
        count,
        f" {reviews}" if long else "",
    )


@register.simple_tag
def gig_cards(gigs):
    """The gig cards of a list (``marketplace/_gig_card.html``), each kept in the cache under a digest of
    everything it shows (``config.fragments``): a changed price, name or rating is a new card, never a stale one.
    The first eight images load at once, the rest lazily."""

    def shows(item):
        index, gig = item
        seller, stats, cover = gig.seller, getattr(gig.seller, "seller_stats", None), gig.cover
        return (
            gig.pk,
            gig.slug,
            gig.title,
            cover.pk if cover else None,
            gig.category.name,
            gig.seller_id,
            seller.public_name,
            bool(seller.avatar),
            getattr(stats, "level", None),
            getattr(stats, "rating_count", 0),
            getattr(stats, "rating_avg", None),
            gig.offers_milestones,
            gig.delivery_days,
            gig.price_cents,
            index > 8,
        )

    return render_each(
        "marketplace/_gig_card.html",
        enumerate(gigs, 1),
        shows=shows,
        context=lambda item: {"gig": item[1], "lazy": item[0] > 8},
    )


@register.simple_tag
def review_items(reviews):
    """A page of a seller's reviews (``marketplace/_review.html``), each kept in the cache under a digest of
    everything it shows (``config.fragments``): a reply added or a renamed author is a new piece."""

    def shows(review):
        # the spot takes any objects with a rating, text, author and created_at (and maybe an order's gig, a reply)
        author, gig = review.author, getattr(getattr(review, "order", None), "gig", None)
        return (
            getattr(review, "pk", None),
            author.pk,
            author.public_name,
            bool(author.avatar),
            review.rating,
            review.created_at,
            (gig.get_absolute_url(), gig.title) if gig else None,
            review.text,
            getattr(review, "reply", ""),
        )

    return render_each("marketplace/_review.html", reviews, shows=shows, context=lambda review: {"review": review})
