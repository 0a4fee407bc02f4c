"""Offers (versioned milestone plans), orders, their timeline, reviews and notifications."""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.urls import reverse

from config import clock
from config.text import LineCharField
from config.uploads import private_upload_to


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
    title = LineCharField(max_length=120)
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
    title = LineCharField(max_length=140)
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

    @property
    def action_label(self):
        return self.action.replace("_", " ")


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
                fields=["created_at"],
                condition=models.Q(email_wanted=True, emailed_at=None),
                name="notification_unsent",
            ),
        ]

    def __str__(self):
        return self.text


# --- Disputes: the resolution center ---------------------------------------
class DisputeReason(models.TextChoices):
    NOT_AS_DESCRIBED = "not_as_described", "Not as described"
    LATE = "late", "Late delivery"
    NO_RESPONSE = "no_response", "No response"
    QUALITY = "quality", "Quality of the work"
    OTHER = "other", "Other"


class DisputeStatus(models.TextChoices):
    OPEN = "open", "Open"
    WAITING_FOR_STAFF = "waiting_for_staff", "Waiting for staff"
    RESOLVED = "resolved", "Resolved"
    WITHDRAWN = "withdrawn", "Withdrawn"


ACTIVE_DISPUTE_STATUSES = (DisputeStatus.OPEN, DisputeStatus.WAITING_FOR_STAFF)


class DisputeOutcome(models.TextChoices):
    RELEASE = "release", "Release to the seller"
    REFUND = "refund", "Refund the buyer"
    SPLIT = "split", "Split by amount"


class DisputeEscalation(models.TextChoices):
    UNANSWERED = "unanswered", "Not answered in time"
    REQUESTED = "requested", "A party asked support to decide"


class Dispute(models.Model):
    """A disagreement over one milestone: opened by a party, closed by a settlement, a withdrawal or staff.

    While it is open the milestone is ``disputed`` (auto-approval frozen) and
    clearance of its earnings is on hold. ``state_before`` is where a
    withdrawal puts the milestone back.
    """

    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="disputes")
    milestone = models.ForeignKey("milestones.Milestone", on_delete=models.PROTECT, related_name="disputes")
    opened_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="disputes_opened")
    reason = models.CharField(max_length=20, choices=DisputeReason.choices)
    description = models.TextField("what happened", max_length=5000)
    state_before = models.CharField(max_length=20, help_text="The milestone's state when the dispute was opened.")
    status = models.CharField(max_length=20, choices=DisputeStatus.choices, default=DisputeStatus.OPEN, db_index=True)
    answer_due_at = models.DateTimeField(db_index=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    escalated_at = models.DateTimeField(null=True, blank=True)
    escalation = models.CharField(max_length=12, choices=DisputeEscalation.choices, blank=True)
    created_at = models.DateTimeField(default=clock.now, db_index=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    # how it ended (resolved only)
    outcome = models.CharField(max_length=10, choices=DisputeOutcome.choices, blank=True)
    seller_amount_cents = models.PositiveIntegerField(null=True, blank=True)
    buyer_amount_cents = models.PositiveIntegerField(null=True, blank=True)
    decision = models.TextField(blank=True, help_text="The written decision shown to both parties.")
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="disputes_decided",
        help_text="The support agent; empty when both parties agreed a settlement.",
    )
    settled_by_parties = models.BooleanField(default=False)

    class Meta:
        ordering = ["created_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["milestone"],
                condition=models.Q(status__in=["open", "waiting_for_staff"]),
                name="one_active_dispute_per_milestone",
            ),
            models.CheckConstraint(
                condition=~models.Q(status="resolved") | ~models.Q(outcome=""),
                name="resolved_dispute_has_outcome",
            ),
        ]
        permissions = [("resolve_dispute", "Can resolve disputes (support staff)")]

    def __str__(self):
        return f"Dispute #{self.pk} on milestone {self.milestone_id} ({self.get_status_display()})"

    def get_absolute_url(self):
        return reverse("orders:dispute_detail", args=[self.pk])

    @property
    def is_active(self):
        return self.status in ACTIVE_DISPUTE_STATUSES

    @property
    def respondent_id(self):
        """The party who must answer: the one who did not open it."""
        return self.order.seller_id if self.opened_by_id == self.order.buyer_id else self.order.buyer_id

    @property
    def opener_role(self):
        return "buyer" if self.opened_by_id == self.order.buyer_id else "seller"

    @property
    def respondent_role(self):
        return "seller" if self.opener_role == "buyer" else "buyer"

    @property
    def is_overdue(self):
        return self.status == DisputeStatus.OPEN and self.answered_at is None and self.answer_due_at <= clock.now()


class DisputeMessageKind(models.TextChoices):
    OPENING = "opening", "Opened the dispute"
    ANSWER = "answer", "Answer"
    MESSAGE = "message", "Message"
    SUPPORT = "support", "Support"


class DisputeMessage(models.Model):
    """The case thread: the opening statement, the answer, messages from the parties and support."""

    dispute = models.ForeignKey(Dispute, on_delete=models.CASCADE, related_name="messages")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=10, choices=DisputeMessageKind.choices, default=DisputeMessageKind.MESSAGE)
    body = models.TextField(max_length=5000)
    created_at = models.DateTimeField(default=clock.now)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self):
        return f"{self.get_kind_display()} on dispute #{self.dispute_id}"


class DisputeAttachment(models.Model):
    message = models.ForeignKey(DisputeMessage, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(upload_to=private_upload_to("dispute-files"))
    name = models.CharField(max_length=120)
    size = models.PositiveIntegerField()

    class Meta:
        ordering = ["pk"]

    def __str__(self):
        return self.name


class SettlementStatus(models.TextChoices):
    PENDING = "pending", "Waiting for an answer"
    ACCEPTED = "accepted", "Accepted"
    DECLINED = "declined", "Declined"
    WITHDRAWN = "withdrawn", "Withdrawn"
    SUPERSEDED = "superseded", "Replaced by a newer proposal"
    LAPSED = "lapsed", "Lapsed (the case closed)"


class SettlementProposal(models.Model):
    """One party's offer to end the dispute without staff; the other party accepts or declines."""

    dispute = models.ForeignKey(Dispute, on_delete=models.CASCADE, related_name="proposals")
    proposed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    outcome = models.CharField(max_length=10, choices=DisputeOutcome.choices)
    # what the seller gets out of the escrow (before commission); the rest goes back to the buyer
    seller_amount_cents = models.PositiveIntegerField()
    buyer_amount_cents = models.PositiveIntegerField()
    note = models.TextField(max_length=2000, blank=True)
    status = models.CharField(max_length=10, choices=SettlementStatus.choices, default=SettlementStatus.PENDING)
    created_at = models.DateTimeField(default=clock.now)
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["dispute"], condition=models.Q(status="pending"), name="one_pending_settlement"
            )
        ]

    def __str__(self):
        return f"{self.get_outcome_display()} proposed on dispute #{self.dispute_id} ({self.get_status_display()})"


class StaffAction(models.Model):
    """The audit log of support staff: who did what, when, on which case, and why."""

    staff = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="staff_actions")
    action = models.CharField(max_length=40, db_index=True)
    order = models.ForeignKey(Order, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    milestone = models.ForeignKey(
        "milestones.Milestone", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    dispute = models.ForeignKey(Dispute, on_delete=models.PROTECT, null=True, blank=True, related_name="staff_actions")
    detail = models.TextField(blank=True, help_text="What was done (amounts, outcome).")
    reason = models.TextField(blank=True, help_text="Why: the decision or note the staff member wrote.")
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=clock.now, db_index=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = "staff action (audit log)"
        verbose_name_plural = "staff actions (audit log)"

    def __str__(self):
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.staff} {self.action}"
