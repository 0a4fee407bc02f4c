"""Reads the marketplace pages need, with their joins done: a page's query count never grows with its data."""

from dataclasses import dataclass
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.contrib.postgres.search import SearchQuery, SearchRank
from django.core.paginator import Paginator
from django.db import connection
from django.db.models import (
    Case,
    Exists,
    Expression,
    F,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.http import Http404
from django.shortcuts import get_object_or_404

from config.paging import OneQueryPaginator

from . import hooks
from .models import (
    Category,
    Conversation,
    Gig,
    GigImage,
    GigStatus,
    Message,
    MessageAttachment,
    SellerLevel,
    SellerStats,
)

SEARCH_CONFIG = "english"
MESSAGES_PER_PAGE = 50


class Sort:
    RELEVANCE = "relevance"
    RATING = "rating"
    NEWEST = "newest"
    PRICE_LOW = "price_low"
    PRICE_HIGH = "price_high"
    CHOICES = [
        (RELEVANCE, "Relevance"),
        (RATING, "Best rated"),
        (NEWEST, "Newest"),
        (PRICE_LOW, "Price: low to high"),
        (PRICE_HIGH, "Price: high to low"),
    ]


def _images():
    return Prefetch("images", queryset=GigImage.objects.order_by("position", "id"))


def _public_gigs():
    return Gig.objects.filter(status=GigStatus.ACTIVE, seller__is_active=True)


# What a gig card shows (marketplace/_gig_card.html), and no more: ranking a search carries every match
# through the sort and the count, so the narrower the row, the cheaper that is (not the description, the
# search vector or the seller's password hash and profile).
CARD_FIELDS = (
    *("title", "slug", "seller_id", "category_id", "price_cents", "delivery_days", "status", "offers_milestones"),
    *("created_at", "seller_rating", "seller_rating_count"),
    *("seller__display_name", "seller__email", "seller__avatar", "seller__is_active"),
    *("seller__seller_stats__level", "seller__seller_stats__rating_avg", "seller__seller_stats__rating_count"),
    *("category__name", "category__slug", "category__parent_id"),
)


def gig_search(
    *,
    q: str = "",
    category: Category | None = None,
    min_price_cents: int | None = None,
    max_price_cents: int | None = None,
    max_delivery_days: int | None = None,
    min_rating: Decimal | None = None,
    sort: str = Sort.RELEVANCE,
):
    """Active gigs matching the text and filters, sorted; ready to paginate and render as cards.

    On PostgreSQL the text is matched against the weighted ``search_vector``
    (title > tags and category > description; GIN-indexed) and ranked with
    ``ts_rank``. On SQLite every word must appear in the title, description,
    category or a tag, and a title hit counts most.
    """
    # A card needs neither the description nor the search vector; leaving them out keeps the rows the
    # database sorts narrow (with them, sorting a few thousand matches spilled to disk: make bench).
    gigs = _public_gigs().select_related("seller", "seller__seller_stats", "category").only(*CARD_FIELDS)
    if category is not None:
        gigs = gigs.filter(category__in=Category.objects.filter(Q(pk=category.pk) | Q(parent=category.pk)).values("pk"))
    if min_price_cents is not None:
        gigs = gigs.filter(price_cents__gte=min_price_cents)
    if max_price_cents is not None:
        gigs = gigs.filter(price_cents__lte=max_price_cents)
    if max_delivery_days is not None:
        gigs = gigs.filter(delivery_days__lte=max_delivery_days)
    if min_rating is not None:
        gigs = gigs.filter(seller_rating__gte=min_rating)

    q = " ".join((q or "").split())[:200]
    ranked = bool(q)
    if q and connection.vendor == "postgresql":
        query = SearchQuery(q, search_type="websearch", config=SEARCH_CONFIG)
        gigs = gigs.filter(search_vector=query).annotate(relevance=SearchRank(F("search_vector"), query))
    elif q:
        score: Expression = Value(0, output_field=IntegerField())
        tag_through = Gig.tags.through
        for term in q.split()[:8]:
            tag_hit = Exists(tag_through.objects.filter(gig_id=OuterRef("pk"), tag__name__icontains=term))
            gigs = gigs.filter(
                Q(title__icontains=term)
                | Q(description__icontains=term)
                | Q(category__name__icontains=term)
                | Q(category__parent__name__icontains=term)
                | tag_hit
            )
            score = (
                score
                + Case(When(title__icontains=term, then=Value(4)), default=Value(0), output_field=IntegerField())
                + Case(When(tag_hit, then=Value(2)), default=Value(0), output_field=IntegerField())
                + Case(When(description__icontains=term, then=Value(1)), default=Value(0), output_field=IntegerField())
            )
        gigs = gigs.annotate(relevance=score)

    # The seller's rating as copied onto the gig (``Gig.seller_rating``: 0 with no reviews), so that the
    # best-rated order is the ``gig_best_rated_idx`` index's order.
    best_rated = ["-seller_rating", "-seller_rating_count", "-created_at", "-id"]
    if sort == Sort.RATING:
        order = best_rated
    elif sort == Sort.NEWEST:
        order = ["-created_at", "-id"]
    elif sort == Sort.PRICE_LOW:
        order = ["price_cents", "-created_at", "-id"]
    elif sort == Sort.PRICE_HIGH:
        order = ["-price_cents", "-created_at", "-id"]
    elif ranked:
        order = ["-relevance", "-seller_rating", "-created_at", "-id"]
    else:  # "relevance" with no words: the best rated first
        order = best_rated
    return gigs.order_by(*order).prefetch_related(_images())


def gig_search_page(*, page, per_page: int, **search):
    """One page of ``gig_search(**search)`` and the number of matches.

    Ranking by relevance reads every match anyway (each one's rank), so the
    page and the count come from one query (``OneQueryPaginator``). Every other
    order is an index's order (best rated: ``gig_best_rated_idx``; newest;
    price), which the page walks and leaves after its 20 rows, so the count
    runs apart: a count over the whole match in the same query would make the
    database walk all of it (make bench: 70 ms against 3 ms for a filtered
    best-rated page).
    """
    gigs = gig_search(**search)
    ranked = bool(" ".join((search.get("q") or "").split())) and search.get("sort", Sort.RELEVANCE) == Sort.RELEVANCE
    return (OneQueryPaginator if ranked else Paginator)(gigs, per_page).get_page(page)


def category_tree() -> list[Category]:
    """Top-level categories, each with ``.subcategories`` filled; one query."""
    categories = list(Category.objects.select_related(None).order_by("position", "name"))
    parents = [c for c in categories if c.parent_id is None]
    by_id = {c.pk: c for c in parents}
    for parent in parents:
        parent.subcategories = []
    for child in categories:
        if child.parent_id in by_id:
            by_id[child.parent_id].subcategories.append(child)
    return parents


def gig_for_display(*, slug: str, viewer=None) -> Gig:
    """A gig's page: active gigs for everyone, a paused one for its seller only; deleted ones 404."""
    gig = get_object_or_404(
        Gig.objects.select_related("seller", "seller__seller_stats", "category", "category__parent").prefetch_related(
            "packages__plan", "tags", _images()
        ),
        slug=slug,
        status__in=[GigStatus.ACTIVE, GigStatus.PAUSED],
    )
    is_owner = viewer is not None and viewer.is_authenticated and viewer.pk == gig.seller_id
    if not is_owner and (gig.status != GigStatus.ACTIVE or not gig.seller.is_active):
        raise Http404("No such gig.")
    return gig


def gig_for_owner(*, user, pk: int) -> Gig:
    """The gig for its seller to manage; anybody else gets a 404 (no hint that it exists)."""
    return get_object_or_404(
        Gig.objects.select_related("category", "category__parent").prefetch_related(
            "packages__plan", "tags", _images()
        ),
        pk=pk,
        seller_id=user.pk,
        status__in=[GigStatus.ACTIVE, GigStatus.PAUSED],
    )


def gig_public_slug(*, pk: int) -> str:
    return get_object_or_404(Gig.objects.only("slug"), pk=pk, status=GigStatus.ACTIVE).slug


def gigs_of_seller(*, seller, exclude_pk=None, limit=None):
    gigs = _public_gigs().filter(seller=seller).select_related("seller", "seller__seller_stats", "category")
    if exclude_pk is not None:
        gigs = gigs.exclude(pk=exclude_pk)
    gigs = gigs.order_by("-created_at", "-id").prefetch_related(_images())
    return gigs[:limit] if limit else gigs


def gigs_managed_by(*, seller):
    """The seller's own gigs (active and paused) for their management page."""
    return (
        Gig.objects.filter(seller=seller, status__in=[GigStatus.ACTIVE, GigStatus.PAUSED])
        .select_related("category")
        .prefetch_related(_images())
        .order_by("status", "-created_at")
    )


def gig_image_for_display(*, pk: int, viewer=None) -> GigImage:
    image = get_object_or_404(GigImage.objects.select_related("gig"), pk=pk)
    gig = image.gig
    is_owner = viewer is not None and viewer.is_authenticated and viewer.pk == gig.seller_id
    if gig.status == GigStatus.DELETED and not is_owner:
        raise Http404("No such image.")
    return image


def seller_for_profile(*, pk: int):
    """An active user's public profile, with their stats (a blank ``SellerStats`` when they have none yet)."""
    user = get_object_or_404(get_user_model().objects.select_related("seller_stats"), pk=pk, is_active=True)
    return user, stats_of(user)


def stats_of(user) -> SellerStats:
    """The user's stats without a query when they were select_related; unsaved blank stats if none exist."""
    try:
        return user.seller_stats
    except SellerStats.DoesNotExist:
        return SellerStats(seller=user)


def is_top_rated(seller) -> bool:
    """Whether the seller currently holds the top-rated level (payments clears their earnings sooner)."""
    seller_id = getattr(seller, "pk", seller)
    return SellerStats.objects.filter(seller_id=seller_id, level=SellerLevel.TOP_RATED).exists()


# --- Conversations ------------------------------------------------------------


def conversation_for_user(*, user, pk: int) -> Conversation:
    """The conversation if ``user`` is one of its two parties; Http404 for anyone else."""
    if user is None or not user.is_authenticated:
        raise Http404("No such conversation.")
    return get_object_or_404(
        Conversation.objects.select_related("buyer", "seller", "gig"),
        Q(buyer_id=user.pk) | Q(seller_id=user.pk),
        pk=pk,
    )


@dataclass
class MessagePage:
    messages: list
    earlier_before: int | None  # pass as ``before`` to read the previous page; None at the start


def conversation_messages(*, conversation: Conversation, before: int | None = None, limit: int = MESSAGES_PER_PAGE):
    """The latest ``limit`` messages (oldest first) before the message id ``before``; two queries."""
    messages = Message.objects.filter(conversation=conversation).select_related("sender")
    if before is not None:
        messages = messages.filter(pk__lt=before)
    page = list(
        messages.order_by("-created_at", "-id").prefetch_related(
            Prefetch("attachments", queryset=MessageAttachment.objects.order_by("id"))
        )[: limit + 1]
    )
    has_more = len(page) > limit
    page = page[:limit]
    page.reverse()
    return MessagePage(messages=page, earlier_before=page[0].pk if has_more and page else None)


def latest_message_id():
    """A subquery: the newest message id of the conversation ``OuterRef("pk")`` (0 when it has none)."""
    newest = Message.objects.filter(conversation=OuterRef("pk")).order_by("-id").values("id")[:1]
    return Coalesce(Subquery(newest), Value(0))


def conversation_stamp(*, user, pk) -> str | None:
    """What the open conversation page shows, as one value that changes whenever the page would (a new
    message, an offer decided): the live poll compares it with the page's. None when ``user`` is not a party.
    One query."""
    changes = {f"_c{i}": expression for i, expression in enumerate(hooks.conversation_changes())}
    values = (
        Conversation.objects.filter(Q(buyer_id=user.pk) | Q(seller_id=user.pk), pk=pk)
        .annotate(_latest=latest_message_id(), **changes)
        .values_list("_latest", *changes)
        .first()
    )
    return None if values is None else "c" + ".".join(_stamp_part(v) for v in values)


def _stamp_part(value) -> str:
    return f"{value.timestamp():.6f}" if hasattr(value, "timestamp") else str(value if value is not None else "")


def inbox_conversations(*, user):
    """The user's conversations, latest message first, with both parties and the gig joined."""
    return (
        Conversation.objects.filter(Q(buyer_id=user.pk) | Q(seller_id=user.pk))
        .exclude(last_message_preview="")
        .select_related("buyer", "seller", "gig")
        .order_by("-last_message_at", "-id")
    )


def unread_message_count(*, user) -> int:
    """Messages the user has not seen yet, over all their conversations (one query)."""
    if user is None or not user.is_authenticated:
        return 0
    totals = Conversation.objects.filter(Q(buyer_id=user.pk) | Q(seller_id=user.pk)).aggregate(
        unread=Coalesce(
            Sum(Case(When(buyer_id=user.pk, then=F("buyer_unread")), default=F("seller_unread"))),
            0,
        )
    )
    return totals["unread"]


def attachment_for_user(*, user, conversation_pk: int, pk: int) -> MessageAttachment:
    """An attachment for one of the conversation's two parties; Http404 for anyone else."""
    if user is None or not user.is_authenticated:
        raise Http404("No such file.")
    return get_object_or_404(
        MessageAttachment.objects.filter(
            Q(message__conversation__buyer_id=user.pk) | Q(message__conversation__seller_id=user.pk)
        ),
        pk=pk,
        message__conversation_id=conversation_pk,
    )


# --- Reviews (the orders app owns them and registers how to read them: marketplace.hooks) ----------


REVIEWS_PER_PAGE = 10


def reviews_page(*, seller, page=None):
    """One page (newest first) of the seller's published reviews, and how many there are in all: the
    Reviews section of their gig pages and profile. They are the rows the seller's rating and review
    count are counted from (``orders.stats``), so the section and the figures agree. Two queries."""
    return Paginator(hooks.published_reviews(seller=seller), REVIEWS_PER_PAGE).get_page(page)
