"""Offers (versioned milestone plans), orders, their timeline, reviews and notifications."""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.urls import reverse

from config import clock


class OfferStatus(models.TextChoices):
    PENDING = "pending", "Waiting for a reply"
    ACCEPTED = "accepted", "Accepted"
    DECLINED = "declined", "Declined"
    WITHDRAWN = "withdrawn", "Withdrawn"
    SUPERSEDED = "superseded", "Replaced by a counter-offer"
    EXPIRED = "expired", "Expired"


class Offer(models.Model):
    """One version of a milestone plan sent in a conversation.

    A counter-offer is a new Offer whose ``previous`` is the one it answers;
    every version stays on record in the conversation.
    """

    conversation = models.ForeignKey("marketplace.Conversation", on_delete=models.PROTECT, related_name="offers")
    gig = models.ForeignKey("marketplace.Gig", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    buyer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    seller = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    previous = models.OneToOneField(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="counter_offer"
    )
    message = models.OneToOneField(
        "marketplace.Message", on_delete=models.SET_NULL, null=True, blank=True, related_name="offer"
    )
    note = models.TextField(max_length=3000, blank=True)
    status = models.CharField(max_length=12, choices=OfferStatus.choices, default=OfferStatus.PENDING, db_index=True)
    created_at = models.DateTimeField(default=clock.now)
    expires_at = models.DateTimeField(db_index=True)
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"Offer #{self.pk} ({self.get_status_display()})"

    @property
    def total_cents(self):
        return sum(m.amount_cents for m in self.plan.all())

    @property
    def is_open(self):
        return self.status == OfferStatus.PENDING and self.expires_at > clock.now()

    def recipient_id(self):
        return self.seller_id if self.author_id == self.buyer_id else self.buyer_id


class OfferMilestone(models.Model):
    offer = models.ForeignKey(Offer, on_delete=models.CASCADE, related_name="plan")
    position = models.PositiveSmallIntegerField()
    title = models.CharField(max_length=120)
    description = models.TextField("deliverables", max_length=4000)
    amount_cents = models.PositiveIntegerField(validators=[MinValueValidator(1)])
    delivery_days = models.PositiveSmallIntegerField(validators=[MinValueValidator(1), MaxValueValidator(365)])
    revisions_allowed = models.PositiveSmallIntegerField(default=1, validators=[MaxValueValidator(20)])

    class Meta:
        ordering = ["offer_id", "position"]
        constraints = [
            models.UniqueConstraint(fields=["offer", "position"], name="offer_milestone_position_unique"),
            models.CheckConstraint(condition=models.Q(amount_cents__gt=0), name="offer_milestone_amount_positive"),
        ]

    def __str__(self):
        return self.title


class OrderStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    COMPLETED = "completed", "Completed"
    CANCELLED = "cancelled", "Cancelled"


class Order(models.Model):
    buyer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="orders_bought")
    seller = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="orders_sold")
    gig = models.ForeignKey("marketplace.Gig", on_delete=models.SET_NULL, null=True, blank=True, related_name="orders")
    conversation = models.ForeignKey("marketplace.Conversation", on_delete=models.PROTECT, related_name="orders")
    offer = models.OneToOneField(Offer, on_delete=models.PROTECT, null=True, blank=True, related_name="order")
    title = models.CharField(max_length=140)
    status = models.CharField(max_length=10, choices=OrderStatus.choices, default=OrderStatus.ACTIVE, db_index=True)
    created_at = models.DateTimeField(default=clock.now)
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(condition=~models.Q(buyer=models.F("seller")), name="order_not_self"),
        ]

    def __str__(self):
        return f"Order #{self.pk}: {self.title}"

    def get_absolute_url(self):
        return reverse("orders:detail", args=[self.pk])

    def party_role(self, user):
        if user.pk == self.buyer_id:
            return "buyer"
        if user.pk == self.seller_id:
            return "seller"
        return None

    def other_party(self, user):
        return self.seller if user.pk == self.buyer_id else self.buyer


class TimelineEvent(models.Model):
    """Who did what, when, from which state to which: the order's history."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="events")
    milestone = models.ForeignKey(
        "milestones.Milestone", on_delete=models.CASCADE, null=True, blank=True, related_name="events"
    )
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True)
    action = models.CharField(max_length=40)
    from_state = models.CharField(max_length=20, blank=True)
    to_state = models.CharField(max_length=20, blank=True)
    detail = models.TextField(blank=True)
    created_at = models.DateTimeField(default=clock.now, db_index=True)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self):
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.action}"

    @property
    def actor_label(self):
        return self.actor.public_name if self.actor_id else "System"


class Review(models.Model):
    """A rating one party gives the other after an order ends.

    Double-blind: ``published_at`` is the window's end when the first review
    is written, and moves to "now" for both when the second one arrives.
    """

    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="reviews")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="reviews_written")
    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="reviews_received")
    about_seller = models.BooleanField(help_text="True when the buyer reviews the seller.")
    rating = models.PositiveSmallIntegerField(validators=[MinValueValidator(1), MaxValueValidator(5)])
    text = models.TextField(max_length=3000)
    created_at = models.DateTimeField(default=clock.now)
    published_at = models.DateTimeField(db_index=True)
    reply = models.TextField(max_length=2000, blank=True)
    replied_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-published_at"]
        constraints = [
            models.UniqueConstraint(fields=["order", "author"], name="one_review_per_author_per_order"),
            models.CheckConstraint(condition=models.Q(rating__gte=1, rating__lte=5), name="review_rating_1_to_5"),
        ]

    def __str__(self):
        return f"{self.rating}★ by {self.author} on order #{self.order_id}"

    @property
    def is_published(self):
        return self.published_at <= clock.now()


class Notification(models.Model):
    """An in-app notice (the bell); most are also emailed."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    text = models.CharField(max_length=300)
    url = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=clock.now)
    read_at = models.DateTimeField(null=True, blank=True)
    # Email is sent by a Celery task after commit; a sweep resends what a broker
    # outage dropped (email_wanted and not emailed yet).
    email_wanted = models.BooleanField(default=True)
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["user", "read_at"]),
            models.Index(
                fields=["created_at"], condition=models.Q(email_wanted=True, emailed_at=None), name="notification_unsent"
            ),
        ]

    def __str__(self):
        return self.text
