"""Offers (versioned milestone plans), reviews and disputes: what happens before and after an order."""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.urls import reverse
from django_fsm import FSMField, TransitionNotAllowed, transition

from config import clock, limits
from config.fsm import FSMModelMixin, bulk_transition
from config.models import Attachment
from config.text import LineCharField
from config.uploads import private_upload_to
from milestones.models import State


class OfferStatus(models.TextChoices):
    PENDING = "pending", "Waiting for a reply"
    ACCEPTED = "accepted", "Accepted"
    DECLINED = "declined", "Declined"
    WITHDRAWN = "withdrawn", "Withdrawn"
    SUPERSEDED = "superseded", "Replaced by a counter-offer"
    EXPIRED = "expired", "Expired"


def _offer_not_expired(offer):
    return offer.expires_at > clock.now()


def _offer_past_expiry(offer):
    return not _offer_not_expired(offer)


class OfferQuerySet(models.QuerySet):
    def expire(self, *, now) -> int:
        """Take ``Offer.expire`` on these offers (pending, past their expiry) in one UPDATE; returns how many."""
        return bulk_transition(self.filter(expires_at__lte=now), Offer.expire, decided_at=now)


OFFER_TITLE_MAX = 140  # an order's title (``Order.title``) is at most as long
DEFAULT_OFFER_TITLE = "Custom offer"


class Offer(FSMModelMixin, models.Model):
    """One version of a milestone plan sent in a conversation.

    A counter-offer is a new Offer whose ``previous`` is the one it answers;
    every version stays on record in the conversation. Pending until the
    recipient accepts, declines or counters it (superseded), its author
    withdraws it, or it expires.
    """

    conversation = models.ForeignKey("marketplace.Conversation", on_delete=models.PROTECT, related_name="offers")
    gig = models.ForeignKey("marketplace.Gig", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    # what the work is called: the order made from this offer takes it (prefilled from the gig, editable)
    title = LineCharField(max_length=OFFER_TITLE_MAX, default=DEFAULT_OFFER_TITLE)
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
    status = FSMField(
        max_length=12, choices=OfferStatus.choices, default=OfferStatus.PENDING, db_index=True, protected=True
    )
    created_at = models.DateTimeField(default=clock.now)
    expires_at = models.DateTimeField(db_index=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    # the order made when this version was accepted
    order = models.OneToOneField(
        "milestones.Order", on_delete=models.PROTECT, null=True, blank=True, related_name="offer"
    )

    objects = OfferQuerySet.as_manager()

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

    # --- the lifecycle ----------------------------------------------------
    @transition(status, source=OfferStatus.PENDING, target=OfferStatus.ACCEPTED, conditions=[_offer_not_expired])
    def accept(self):
        self.decided_at = clock.now()

    @transition(status, source=OfferStatus.PENDING, target=OfferStatus.DECLINED, conditions=[_offer_not_expired])
    def decline(self):
        self.decided_at = clock.now()

    @transition(status, source=OfferStatus.PENDING, target=OfferStatus.WITHDRAWN, conditions=[_offer_not_expired])
    def withdraw(self):
        self.decided_at = clock.now()

    @transition(status, source=OfferStatus.PENDING, target=OfferStatus.SUPERSEDED, conditions=[_offer_not_expired])
    def supersede(self):
        """The recipient answered with a counter-offer (a new Offer whose ``previous`` is this one)."""
        self.decided_at = clock.now()

    @transition(status, source=OfferStatus.PENDING, target=OfferStatus.EXPIRED, conditions=[_offer_past_expiry])
    def expire(self):
        """Taken in batches by the expiry sweep (``OfferQuerySet.expire``)."""
        self.decided_at = clock.now()


class OfferMilestone(models.Model):
    offer = models.ForeignKey(Offer, on_delete=models.CASCADE, related_name="plan")
    position = models.PositiveSmallIntegerField()
    title = LineCharField(max_length=120)
    description = models.TextField("deliverables", max_length=4000)
    amount_cents = models.PositiveIntegerField(validators=[MinValueValidator(1)])
    delivery_days = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(limits.max_delivery_days)]
    )
    revisions_allowed = models.PositiveSmallIntegerField(
        default=1, validators=[MaxValueValidator(limits.max_revisions)]
    )

    class Meta:
        ordering = ["offer_id", "position"]
        constraints = [
            models.UniqueConstraint(fields=["offer", "position"], name="offer_milestone_position_unique"),
            models.CheckConstraint(condition=models.Q(amount_cents__gt=0), name="offer_milestone_amount_positive"),
        ]

    def __str__(self):
        return self.title


class Review(models.Model):
    """A rating one party gives the other after an order ends.

    Double-blind: ``published_at`` is the window's end when the first review
    is written, and moves to "now" for both when the second one arrives.
    """

    order = models.ForeignKey("milestones.Order", on_delete=models.PROTECT, related_name="reviews")
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


# The milestone transition a case's outcome takes, and the state it leaves the milestone in.
RESOLVE_TRANSITIONS = {
    DisputeOutcome.RELEASE: "resolve_release",
    DisputeOutcome.REFUND: "resolve_refund",
    DisputeOutcome.SPLIT: "resolve_split",
}
RESOLVED_MILESTONE_STATES = {
    DisputeOutcome.RELEASE: State.APPROVED,
    DisputeOutcome.REFUND: State.CANCELLED,
    DisputeOutcome.SPLIT: State.SETTLED,
}


def _move_milestone(milestone, take, name, *, to, **kwargs):
    """Take the milestone's transition ``name`` with ``take`` and check it arrived in state ``to``.

    ``take(milestone, name, **kwargs)`` is how the calling service takes a milestone transition (its
    ``run_transition``: who acts, the permission check, the timeline); whatever it raises stops the
    dispute's own transition too, so the case and its milestone move together or not at all.
    """
    take(milestone, name, **kwargs)
    if milestone.state != to:
        raise TransitionNotAllowed(f"the milestone is {milestone.state} after {name}, not {to}")


class DisputeQuerySet(models.QuerySet):
    def open(self, *, milestone, take, answer_window, **fields):
        """Open a case on ``milestone``: its ``open_dispute`` transition and the new dispute in one step.

        The other side has ``answer_window`` to answer; ``fields`` are the case's own (``opened_by``,
        ``reason``, ``description``).
        """
        state_before = milestone.state
        _move_milestone(milestone, take, "open_dispute", to=State.DISPUTED)
        now = clock.now()
        return self.create(
            order=milestone.order,
            milestone=milestone,
            state_before=state_before,
            created_at=now,
            answer_due_at=now + answer_window,
            **fields,
        )


class Dispute(FSMModelMixin, models.Model):
    """A disagreement over one milestone: opened by a party, closed by a settlement, a withdrawal or staff.

    While it is open the milestone is ``disputed`` (auto-approval frozen) and
    clearance of its earnings is on hold. ``state_before`` is where a
    withdrawal puts the milestone back. The case and its milestone move
    together: ``Dispute.objects.open`` takes the milestone's ``open_dispute``,
    ``resolve`` its ``resolve_*`` and ``withdraw`` its ``withdraw_dispute``;
    nothing else takes those.
    """

    order = models.ForeignKey("milestones.Order", on_delete=models.PROTECT, related_name="disputes")
    milestone = models.ForeignKey("milestones.Milestone", on_delete=models.PROTECT, related_name="disputes")
    opened_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="disputes_opened")
    reason = models.CharField(max_length=20, choices=DisputeReason.choices)
    description = models.TextField("what happened", max_length=5000)
    state_before = models.CharField(max_length=20, help_text="The milestone's state when the dispute was opened.")
    status = FSMField(
        max_length=20, choices=DisputeStatus.choices, default=DisputeStatus.OPEN, db_index=True, protected=True
    )
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

    objects = DisputeQuerySet.as_manager()

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

    # --- the lifecycle ----------------------------------------------------
    @transition(status, source=DisputeStatus.OPEN, target=DisputeStatus.WAITING_FOR_STAFF)
    def escalate(self, *, escalation):
        """Support takes the case: unanswered in time, or a party asked."""
        self.escalation = escalation
        self.escalated_at = clock.now()

    @transition(status, source=list(ACTIVE_DISPUTE_STATUSES), target=DisputeStatus.RESOLVED)
    def resolve(self, *, take, outcome, seller_amount_cents, buyer_amount_cents, decision, decided_by):
        """Close the case with ``outcome``; the milestone takes the matching ``resolve_*`` in the same step.

        ``decided_by`` is the support agent, None when the parties agreed a settlement.
        """
        _move_milestone(self.milestone, take, RESOLVE_TRANSITIONS[outcome], to=RESOLVED_MILESTONE_STATES[outcome])
        self.outcome = outcome
        self.seller_amount_cents = seller_amount_cents
        self.buyer_amount_cents = buyer_amount_cents
        self.decision = decision
        self.decided_by = decided_by
        self.settled_by_parties = decided_by is None
        self.closed_at = clock.now()

    @transition(status, source=list(ACTIVE_DISPUTE_STATUSES), target=DisputeStatus.WITHDRAWN)
    def withdraw(self, *, take):
        """The opener drops the case; the milestone goes back to ``state_before`` in the same step."""
        _move_milestone(self.milestone, take, "withdraw_dispute", to=self.state_before, back_to=self.state_before)
        self.closed_at = clock.now()


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


class DisputeAttachment(Attachment):
    message = models.ForeignKey(DisputeMessage, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(upload_to=private_upload_to("dispute-files"))

    class Meta:
        ordering = ["pk"]


class SettlementStatus(models.TextChoices):
    PENDING = "pending", "Waiting for an answer"
    ACCEPTED = "accepted", "Accepted"
    DECLINED = "declined", "Declined"
    WITHDRAWN = "withdrawn", "Withdrawn"
    SUPERSEDED = "superseded", "Replaced by a newer proposal"
    LAPSED = "lapsed", "Lapsed (the case closed)"


class SettlementQuerySet(models.QuerySet):
    def supersede(self, *, now) -> int:
        """Take ``SettlementProposal.supersede`` on these (the pending ones) in one UPDATE."""
        return bulk_transition(self, SettlementProposal.supersede, decided_at=now)

    def lapse(self, *, now) -> int:
        """Take ``SettlementProposal.lapse`` on these (the pending ones) in one UPDATE."""
        return bulk_transition(self, SettlementProposal.lapse, decided_at=now)


class SettlementProposal(FSMModelMixin, models.Model):
    """One party's offer to end the dispute without staff; the other party accepts or declines."""

    dispute = models.ForeignKey(Dispute, on_delete=models.CASCADE, related_name="proposals")
    proposed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    outcome = models.CharField(max_length=10, choices=DisputeOutcome.choices)
    # what the seller gets out of the escrow (before commission); the rest goes back to the buyer
    seller_amount_cents = models.PositiveIntegerField()
    buyer_amount_cents = models.PositiveIntegerField()
    note = models.TextField(max_length=2000, blank=True)
    status = FSMField(max_length=10, choices=SettlementStatus.choices, default=SettlementStatus.PENDING, protected=True)
    created_at = models.DateTimeField(default=clock.now)
    decided_at = models.DateTimeField(null=True, blank=True)

    objects = SettlementQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["dispute"], condition=models.Q(status="pending"), name="one_pending_settlement"
            )
        ]

    def __str__(self):
        return f"{self.get_outcome_display()} proposed on dispute #{self.dispute_id} ({self.get_status_display()})"

    @transition(status, source=SettlementStatus.PENDING, target=SettlementStatus.ACCEPTED)
    def accept(self):
        self.decided_at = clock.now()

    @transition(status, source=SettlementStatus.PENDING, target=SettlementStatus.DECLINED)
    def decline(self):
        self.decided_at = clock.now()

    @transition(status, source=SettlementStatus.PENDING, target=SettlementStatus.WITHDRAWN)
    def withdraw(self):
        self.decided_at = clock.now()

    @transition(status, source=SettlementStatus.PENDING, target=SettlementStatus.SUPERSEDED)
    def supersede(self):
        """A newer proposal on the same case replaces it (``SettlementQuerySet.supersede``)."""
        self.decided_at = clock.now()

    @transition(status, source=SettlementStatus.PENDING, target=SettlementStatus.LAPSED)
    def lapse(self):
        """The case closed first (``SettlementQuerySet.lapse``)."""
        self.decided_at = clock.now()
