"""Gigs, categories, seller stats and conversations.

Every write goes through ``marketplace.services``; these models only hold data,
constraints, small read-only helpers and the gig's status transitions.
"""

from decimal import Decimal

from django.conf import settings
from django.contrib.postgres.search import SearchVectorField
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.urls import reverse
from django_fsm import FSMField, transition

from config import clock, limits
from config.fsm import FSMModelMixin
from config.models import Attachment
from config.text import LineCharField
from config.uploads import private_upload_to

MAX_GIG_IMAGES = 5
MAX_GIG_TAGS = 5


class Category(models.Model):
    """A node of the category tree: top-level categories have no parent."""

    name = LineCharField(max_length=80)
    slug = models.SlugField(max_length=80, unique=True)
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="children")
    position = models.PositiveSmallIntegerField(default=0)
    subcategories: list["Category"]  # not a field: filled by marketplace.selectors.category_tree()

    class Meta:
        ordering = ["position", "name"]
        verbose_name_plural = "categories"
        constraints = [
            models.UniqueConstraint(fields=["parent", "name"], name="category_name_unique_per_parent"),
        ]

    def __str__(self):
        return f"{self.parent.name} › {self.name}" if self.parent is not None else self.name


class Tag(models.Model):
    name = LineCharField(max_length=30, unique=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class GigStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    PAUSED = "paused", "Paused"
    # Deleting is soft: orders and conversations keep pointing at the gig, but
    # it leaves every listing and its page answers 404.
    DELETED = "deleted", "Deleted"


class Gig(FSMModelMixin, models.Model):
    """A seller's listing: active (listed) or paused by its seller, until it is deleted.

    ``price_cents`` is the starting price and ``delivery_days`` the fastest
    delivery: with packages they are the lowest of the three (kept in step by
    the services), so browsing, filters and sorting read one column.
    """

    seller = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="gigs")
    title = LineCharField(max_length=100)
    slug = models.SlugField(max_length=90, unique=True)
    description = models.TextField(max_length=6000)
    category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="gigs")
    tags = models.ManyToManyField(Tag, blank=True, related_name="gigs")
    price_cents = models.PositiveIntegerField(validators=[MinValueValidator(1)])
    delivery_days = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(limits.max_delivery_days)]
    )
    status = FSMField(max_length=10, choices=GigStatus.choices, default=GigStatus.ACTIVE, db_index=True, protected=True)
    offers_milestones = models.BooleanField("offers milestone plans", default=False)
    created_at = models.DateTimeField(default=clock.now, db_index=True)
    updated_at = models.DateTimeField(default=clock.now)
    # Filled by the services on PostgreSQL (title A, tags and category B,
    # description C); its GIN index is created by migration 0002 on PostgreSQL
    # only. Stays empty on SQLite, where search is a simpler match.
    search_vector = SearchVectorField(null=True, editable=False)
    # The seller's rating (SellerStats), copied onto each of their gigs by services.seller_stats_update:
    # browsing sorts by it, and a sort key on the gig itself lets an index hand out the best rated
    # first instead of the database joining and sorting every active gig (make bench). No reviews yet
    # is 0, below every real rating (1 to 5).
    seller_rating = models.DecimalField(max_digits=3, decimal_places=2, default=0, editable=False)
    seller_rating_count = models.PositiveIntegerField(default=0, editable=False)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["status", "price_cents"], name="gig_status_price"),
            # The default browse order ("best rated"), for active gigs only.
            models.Index(
                fields=["-seller_rating", "-seller_rating_count", "-created_at", "-id"],
                condition=models.Q(status="active"),
                name="gig_best_rated_idx",
            ),
            # Counting the active gigs (of a category) for the browse page's total reads this index alone,
            # not the wide gig rows.
            models.Index(
                fields=["category", "seller"], condition=models.Q(status="active"), name="gig_active_count_idx"
            ),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(price_cents__gt=0), name="gig_price_positive"),
        ]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("marketplace:gig_detail", kwargs={"slug": self.slug})

    @property
    def is_active(self):
        return self.status == GigStatus.ACTIVE

    # --- the lifecycle ----------------------------------------------------
    @transition(status, source=GigStatus.ACTIVE, target=GigStatus.PAUSED)
    def pause(self):
        """Hidden from browsing, no new contacts; its seller can resume it."""
        self.updated_at = clock.now()

    @transition(status, source=GigStatus.PAUSED, target=GigStatus.ACTIVE)
    def resume(self):
        self.updated_at = clock.now()

    @transition(status, source=[GigStatus.ACTIVE, GigStatus.PAUSED], target=GigStatus.DELETED)
    def soft_delete(self):
        """For good: it leaves every listing; orders and conversations keep their link."""
        self.updated_at = clock.now()

    @property
    def cover(self):
        """The first image; uses the prefetched ``images`` when there are some."""
        images = list(self.images.all())
        return images[0] if images else None


class PackageTier(models.TextChoices):
    BASIC = "basic", "Basic"
    STANDARD = "standard", "Standard"
    PREMIUM = "premium", "Premium"


class GigPackage(models.Model):
    gig = models.ForeignKey(Gig, on_delete=models.CASCADE, related_name="packages")
    tier = models.CharField(max_length=10, choices=PackageTier.choices)
    name = LineCharField(max_length=60)
    description = models.TextField(max_length=600)
    price_cents = models.PositiveIntegerField(validators=[MinValueValidator(1)])
    delivery_days = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(limits.max_delivery_days)]
    )
    revisions = models.PositiveSmallIntegerField(default=1, validators=[MaxValueValidator(limits.max_revisions)])
    features = models.JSONField("what is included", default=list, blank=True)

    class Meta:
        ordering = ["gig_id", "price_cents"]
        constraints = [
            models.UniqueConstraint(fields=["gig", "tier"], name="gig_package_tier_unique"),
            models.CheckConstraint(condition=models.Q(price_cents__gt=0), name="gig_package_price_positive"),
        ]

    def __str__(self):
        return f"{self.gig} · {self.get_tier_display()}"

    def steps_with_shares(self) -> list:
        """The plan's steps (``plan``, prefetched), each with ``share``: its whole percent of the price, rounded
        so the shares add up to 100 (largest remainder: $33.33 / $33.33 / $33.34 read 33 / 33 / 34, not 99%)."""
        steps = list(self.plan.all())
        total = sum(step.amount_cents for step in steps)
        if not total:
            return steps
        parts = [divmod(step.amount_cents * 100, total) for step in steps]
        shares = [whole for whole, _rest in parts]
        by_rest = sorted(range(len(steps)), key=lambda i: parts[i][1], reverse=True)
        for i in by_rest[: 100 - sum(shares)]:
            shares[i] += 1
        for step, share in zip(steps, shares, strict=True):
            step.share = share
        return steps


class PackageMilestone(models.Model):
    """One step of a package's milestone plan (2 to ``limits.package_plan_max_milestones()`` steps).

    The steps' amounts add up to the package's price and their days to its delivery time
    (``services.package_plan_check``). Ordering the package makes an order with one milestone per step;
    the buyer pays the first when ordering and funds the others as the work goes on.
    """

    package = models.ForeignKey(GigPackage, on_delete=models.CASCADE, related_name="plan")
    position = models.PositiveSmallIntegerField()
    title = LineCharField(max_length=120)
    description = models.TextField("deliverables", max_length=4000)
    amount_cents = models.PositiveIntegerField(validators=[MinValueValidator(1)])
    delivery_days = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(limits.max_delivery_days)]
    )
    revisions = models.PositiveSmallIntegerField(default=1, validators=[MaxValueValidator(limits.max_revisions)])
    share: int  # its whole percent of the price, set by ``GigPackage.steps_with_shares`` (not stored)

    class Meta:
        ordering = ["package_id", "position"]
        constraints = [
            models.UniqueConstraint(fields=["package", "position"], name="package_milestone_position_unique"),
            models.CheckConstraint(condition=models.Q(amount_cents__gt=0), name="package_milestone_amount_positive"),
        ]

    def __str__(self):
        return f"{self.package} · step {self.position}: {self.title}"


class GigImage(models.Model):
    """An image re-encoded by the services: a bounded ``image`` and a cropped ``thumbnail``."""

    gig = models.ForeignKey(Gig, on_delete=models.CASCADE, related_name="images")
    image = models.ImageField(upload_to=private_upload_to("gig-images"))
    thumbnail = models.ImageField(upload_to=private_upload_to("gig-thumbs"))
    width = models.PositiveIntegerField(default=0)
    height = models.PositiveIntegerField(default=0)
    position = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(default=clock.now)

    class Meta:
        ordering = ["gig_id", "position", "id"]

    def __str__(self):
        return f"Image {self.position + 1} of {self.gig}"


# --- Seller stats and levels ----------------------------------------------


class SellerLevel(models.TextChoices):
    NEW = "new", "New seller"
    LEVEL_ONE = "level_one", "Level one"
    LEVEL_TWO = "level_two", "Level two"
    TOP_RATED = "top_rated", "Top rated"


# THE seller-level rule (also in README "Marketplace"). A seller holds the
# highest level whose three minimums they all meet; otherwise "new".
# Thresholds follow Fiverr's published ladder (completed orders, rating), with
# the on-time delivery rate standing in for their response-rate criterion.
#   level, minimum completed orders, minimum average rating, minimum on-time rate
LEVEL_RULES = (
    (SellerLevel.TOP_RATED, 100, Decimal("4.70"), Decimal("0.95")),
    (SellerLevel.LEVEL_TWO, 25, Decimal("4.60"), Decimal("0.90")),
    (SellerLevel.LEVEL_ONE, 5, Decimal("4.40"), Decimal("0.90")),
)


def level_for(*, orders_completed: int, orders_on_time: int, rating_avg: Decimal | None, rating_count: int) -> str:
    """The level the numbers earn, by ``LEVEL_RULES``. No ratings yet means no rating criterion is met."""
    if orders_completed <= 0 or not rating_count or rating_avg is None:
        return SellerLevel.NEW
    on_time_rate = Decimal(orders_on_time) / Decimal(orders_completed)
    for level, min_orders, min_rating, min_on_time in LEVEL_RULES:
        if orders_completed >= min_orders and rating_avg >= min_rating and on_time_rate >= min_on_time:
            return level
    return SellerLevel.NEW


class SellerStats(models.Model):
    """The numbers a seller's card shows, and the level computed from them: a stored copy of a count.

    Every figure is a function of rows that exist: ``orders_completed`` and ``orders_on_time`` of the
    seller's completed orders, the rating of the published reviews about them (the ones their Reviews
    sections list), the response figures of their conversations' messages. The orders app recounts
    them (``orders.stats.seller_stats_recount``) when a review is submitted or published, when an
    order completes, and hourly for every seller; a recount of unchanged rows changes nothing. The
    response figures are also kept by each seller message (``services.message_send``) with the same
    integer arithmetic as the recount (a sum and a count), so both give the same numbers.
    Nobody types them: the admin shows them read-only, with a "Recount" action.
    """

    seller = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="seller_stats", primary_key=True
    )
    orders_completed = models.PositiveIntegerField(default=0)
    orders_on_time = models.PositiveIntegerField(default=0)
    rating_avg = models.DecimalField(
        max_digits=3,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("1")), MaxValueValidator(Decimal("5"))],
    )
    rating_count = models.PositiveIntegerField(default=0)
    avg_response_seconds = models.PositiveIntegerField(null=True, blank=True)  # total // counted
    responses_counted = models.PositiveIntegerField(default=0)
    response_seconds_total = models.PositiveBigIntegerField(default=0)
    level = models.CharField(max_length=10, choices=SellerLevel.choices, default=SellerLevel.NEW, db_index=True)
    updated_at = models.DateTimeField(default=clock.now)

    class Meta:
        verbose_name_plural = "seller stats"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(orders_on_time__lte=models.F("orders_completed")), name="seller_on_time_le_completed"
            ),
        ]

    def __str__(self):
        return f"Stats of {self.seller}"

    @property
    def on_time_percent(self):
        if not self.orders_completed:
            return None
        return round(100 * self.orders_on_time / self.orders_completed)

    @property
    def response_time_label(self):
        seconds = self.avg_response_seconds
        if seconds is None:
            return ""
        if seconds < 3600:
            return f"{max(1, round(seconds / 60))} min"
        if seconds < 86400:
            hours = round(seconds / 3600)
            return f"{hours} hour{'s' if hours != 1 else ''}"
        days = round(seconds / 86400)
        return f"{days} day{'s' if days != 1 else ''}"


# --- Conversations ---------------------------------------------------------


class Conversation(models.Model):
    """Messages between the one who made contact (``buyer``) and the gig owner (``seller``).

    One per (buyer, seller) pair; ``gig`` is the gig last asked about. Unread
    counters are kept per side so the navigation badge is one cheap query.
    """

    buyer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="conversations_as_buyer")
    seller = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="conversations_as_seller"
    )
    gig = models.ForeignKey(Gig, on_delete=models.SET_NULL, null=True, blank=True, related_name="conversations")
    created_at = models.DateTimeField(default=clock.now)
    last_message_at = models.DateTimeField(default=clock.now, db_index=True)
    last_message_preview = models.CharField(max_length=140, blank=True)
    buyer_unread = models.PositiveIntegerField(default=0)
    seller_unread = models.PositiveIntegerField(default=0)
    # When the buyer's oldest unanswered message arrived: the seller's reply
    # measures their response time from here.
    awaiting_seller_since = models.DateTimeField(null=True, blank=True)
    # Since when each side has had unread messages (cleared when they read): once this is older than
    # MESSAGES_EMAIL_AFTER, the messages are emailed to them, once per such stretch (orders/timers.py).
    buyer_unseen_since = models.DateTimeField(null=True, blank=True, editable=False)
    seller_unseen_since = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-last_message_at"]
        # The inbox badge sums one side's unread counts: only the conversations with some are read.
        indexes = [
            models.Index(fields=["buyer"], condition=models.Q(buyer_unread__gt=0), name="conversation_buyer_unread"),
            models.Index(fields=["seller"], condition=models.Q(seller_unread__gt=0), name="conversation_seller_unread"),
            # the unseen-messages email sweep reads only the conversations someone has not seen
            models.Index(
                fields=["buyer_unseen_since"],
                condition=models.Q(buyer_unseen_since__isnull=False),
                name="conversation_buyer_unseen",
            ),
            models.Index(
                fields=["seller_unseen_since"],
                condition=models.Q(seller_unseen_since__isnull=False),
                name="conversation_seller_unseen",
            ),
        ]
        constraints = [
            models.UniqueConstraint(fields=["buyer", "seller"], name="conversation_pair_unique"),
            models.CheckConstraint(condition=~models.Q(buyer=models.F("seller")), name="conversation_not_self"),
        ]

    def __str__(self):
        return f"{self.buyer} ↔ {self.seller}"

    def get_absolute_url(self):
        return reverse("marketplace:conversation", args=[self.pk])

    def is_participant(self, user):
        return user is not None and user.pk in (self.buyer_id, self.seller_id)

    def other_party(self, user):
        return self.seller if user.pk == self.buyer_id else self.buyer

    def unread_for(self, user):
        return self.buyer_unread if user.pk == self.buyer_id else self.seller_unread


class MessageKind(models.TextChoices):
    TEXT = "text", "Message"
    REQUEST = "request", "Request for a custom offer"
    OFFER = "offer", "Offer"
    SYSTEM = "system", "Notice"


class Message(models.Model):
    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="messages")
    # Empty only for system notices.
    sender = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, null=True, blank=True, related_name="messages_sent"
    )
    body = models.TextField(max_length=5000, blank=True)
    kind = models.CharField(max_length=10, choices=MessageKind.choices, default=MessageKind.TEXT)
    # Structured extras, e.g. a request's budget_cents and delivery_days.
    data = models.JSONField(default=dict, blank=True)
    # Contact details or an off-platform handle were found: a warning is shown
    # to both sides, the message is delivered all the same.
    off_platform = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=clock.now)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["conversation", "created_at"], name="message_conversation_time")]

    def __str__(self):
        return f"{self.get_kind_display()} #{self.pk}"


class MessageAttachment(Attachment):
    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(upload_to=private_upload_to("message-files"))
    name = models.CharField(max_length=100)

    class Meta:
        ordering = ["id"]
