"""The milestone: one payable phase of an order, and its whole lifecycle.

The state machine below is the single declaration of the lifecycle in
``shared/DOMAIN.md``. Transitions only change state (and the timestamps that
belong to the state); who may act, money and the timeline live in
``milestones.services``, which is the only caller of these methods.
"""

from datetime import timedelta

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.urls import reverse
from django_fsm import RETURN_VALUE, ConcurrentTransitionMixin, FSMField, transition

from config import clock, limits
from config.fsm import FSMModelMixin, bulk_transition
from config.models import Attachment
from config.text import LineCharField
from config.uploads import private_upload_to

from .process import SYSTEM, Actor, allowed, role_of  # noqa: F401 - SYSTEM, Actor, role_of: re-exported


class OrderStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    COMPLETED = "completed", "Completed"
    CANCELLED = "cancelled", "Cancelled"


class Order(FSMModelMixin, models.Model):
    """An agreed plan between a buyer and a seller: its milestones run in sequence.

    Active while any milestone is open; once all are final it is completed (one was paid) or cancelled
    (none was): ``milestones.services.order_refresh_status`` decides which and takes the transition.
    """

    buyer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="orders_bought")
    seller = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="orders_sold")
    gig = models.ForeignKey("marketplace.Gig", on_delete=models.SET_NULL, null=True, blank=True, related_name="orders")
    conversation = models.ForeignKey("marketplace.Conversation", on_delete=models.PROTECT, related_name="orders")
    title = LineCharField(max_length=140)
    status = FSMField(
        max_length=10, choices=OrderStatus.choices, default=OrderStatus.ACTIVE, db_index=True, protected=True
    )
    created_at = models.DateTimeField(default=clock.now)
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "orders_order"  # created by the orders app; the model moved here with its table
        ordering = ["-created_at"]
        # The dashboard lists each side's orders active first, newest first, 20 at a time: read in that order,
        # a page costs the same for a seller with 40 orders or 4,000 (make bench --compare-scale).
        indexes = [
            models.Index(fields=["seller", "status", "-created_at", "-id"], name="order_seller_list"),
            models.Index(fields=["buyer", "status", "-created_at", "-id"], name="order_buyer_list"),
        ]
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

    @transition(status, source=OrderStatus.ACTIVE, target=OrderStatus.COMPLETED)
    def complete(self):
        """Every milestone is final and at least one was paid."""
        self.ended_at = clock.now()

    @transition(status, source=OrderStatus.ACTIVE, target=OrderStatus.CANCELLED)
    def cancel(self):
        """Every milestone is final and none was paid."""
        self.ended_at = clock.now()


class State(models.TextChoices):
    PROPOSED = "proposed", "Proposed"
    AWAITING_FUNDING = "awaiting_funding", "Awaiting funding"
    FUNDED = "funded", "Funded"
    IN_PROGRESS = "in_progress", "In progress"
    DELIVERED = "delivered", "Delivered"
    REVISION_REQUESTED = "revision_requested", "Revision requested"
    DISPUTED = "disputed", "Disputed"
    APPROVED = "approved", "Approved"
    SETTLED = "settled", "Settled"
    CANCELLED = "cancelled", "Cancelled"


# Only one milestone of an order may be in one of these states at a time.
ACTIVE_STATES = (State.IN_PROGRESS, State.DELIVERED, State.REVISION_REQUESTED, State.DISPUTED)
# Funded but not yet started, or waiting for money: what "stop the order" cancels.
UNSTARTED_STATES = (State.PROPOSED, State.AWAITING_FUNDING, State.FUNDED)
FINAL_STATES = (State.APPROVED, State.SETTLED, State.CANCELLED)
PAID_STATES = (State.APPROVED, State.SETTLED)


# Who is acting, and who may take each transition, is the process declaration's (``process.STEPS``): the
# transitions below take their permission from it (``allowed``).
def _has_revisions_left(milestone):
    return milestone.revisions_left > 0


def _late_grace_passed(milestone):
    return milestone.can_cancel_for_lateness


def _review_window_over(milestone):
    return milestone.auto_approve_at is not None and milestone.auto_approve_at <= clock.now()


def _no_other_active_milestone(milestone):
    # .all() uses the order's prefetched milestones when a page loaded them
    return not any(m.pk != milestone.pk and m.state in ACTIVE_STATES for m in milestone.order.milestones.all())


class Milestone(ConcurrentTransitionMixin, models.Model):
    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="milestones")
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
    revisions_used = models.PositiveSmallIntegerField(default=0)
    extra_revisions = models.PositiveSmallIntegerField(default=0)

    state = FSMField(default=State.PROPOSED, choices=State.choices, protected=True, db_index=True)
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )

    created_at = models.DateTimeField(default=clock.now)
    accepted_at = models.DateTimeField(null=True, blank=True)
    funded_at = models.DateTimeField(null=True, blank=True)
    funding_due_at = models.DateTimeField(null=True, blank=True)  # when the buyer was asked to fund it
    started_at = models.DateTimeField(null=True, blank=True)
    due_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    auto_approve_at = models.DateTimeField(null=True, blank=True)
    approved_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    # set at the first delivery: was it in time? (feeds the seller's on-time rate)
    delivered_on_time = models.BooleanField(null=True, blank=True)

    class Meta:
        ordering = ["order_id", "position"]
        constraints = [
            models.UniqueConstraint(fields=["order", "position"], name="milestone_position_unique"),
            models.CheckConstraint(condition=models.Q(amount_cents__gt=0), name="milestone_amount_positive"),
        ]
        indexes = [
            models.Index(fields=["state", "due_at"]),
            # deliveries waiting for review, soonest auto-approval first: the sweeps and the dashboards'
            # review lists walk only delivered rows (an index on auto_approve_at alone made the planner
            # walk every milestone for a seller with few deliveries: make bench)
            models.Index(fields=["state", "auto_approve_at"], name="milestone_review_idx"),
        ]

    def __str__(self):
        return f"#{self.order_id}.{self.position} {self.title}"

    # --- derived values ---------------------------------------------------
    @property
    def revisions_left(self):
        return max(0, self.revisions_allowed + self.extra_revisions - self.revisions_used)

    @property
    def is_late(self):
        return (
            self.state in (State.IN_PROGRESS, State.REVISION_REQUESTED)
            and self.due_at is not None
            and clock.now() > self.due_at
        )

    @property
    def late_cancel_from(self):
        if self.due_at is None:
            return None
        return self.due_at + settings.MILESTONE_LATE_CANCEL_GRACE

    @property
    def can_cancel_for_lateness(self):
        return self.is_late and clock.now() >= self.late_cancel_from

    @property
    def is_final(self):
        return self.state in FINAL_STATES

    # --- the lifecycle ----------------------------------------------------
    # proposed: a plan change waiting for the other side
    @transition(state, source=State.PROPOSED, target=State.AWAITING_FUNDING, permission=allowed("accept"))
    def accept(self):
        self.accepted_at = clock.now()

    @transition(state, source=State.PROPOSED, target=State.CANCELLED, permission=allowed("decline"))
    def decline(self):
        self.closed_at = clock.now()

    @transition(state, source=State.PROPOSED, target=State.CANCELLED, permission=allowed("withdraw"))
    def withdraw(self):
        self.closed_at = clock.now()

    # funding and activation
    @transition(state, source=State.AWAITING_FUNDING, target=State.FUNDED, permission=allowed("fund"))
    def fund(self):
        self.funded_at = clock.now()

    @transition(
        state,
        source=State.FUNDED,
        target=State.IN_PROGRESS,
        conditions=[_no_other_active_milestone],
        permission=allowed("start"),
    )
    def start(self):
        self.started_at = clock.now()
        self.due_at = self.started_at + timedelta(days=self.delivery_days)

    # delivery and review
    @transition(
        state,
        source=[State.IN_PROGRESS, State.REVISION_REQUESTED],
        target=State.DELIVERED,
        permission=allowed("deliver"),
    )
    def deliver(self):
        self.delivered_at = clock.now()
        self.auto_approve_at = self.delivered_at + settings.MILESTONE_REVIEW_WINDOW
        if self.delivered_on_time is None and self.due_at is not None:
            self.delivered_on_time = self.delivered_at <= self.due_at

    @transition(
        state,
        source=State.DELIVERED,
        target=State.REVISION_REQUESTED,
        conditions=[_has_revisions_left],
        permission=allowed("request_revision"),
    )
    def request_revision(self):
        self.revisions_used += 1
        self.auto_approve_at = None  # the review window pauses until the next delivery

    @transition(state, source=State.DELIVERED, target=State.APPROVED, permission=allowed("approve"))
    def approve(self):
        self.approved_at = self.closed_at = clock.now()
        self.auto_approve_at = None

    @transition(
        state,
        source=State.DELIVERED,
        target=State.APPROVED,
        conditions=[_review_window_over],
        permission=allowed("auto_approve"),
    )
    def auto_approve(self):
        self.approved_at = self.closed_at = clock.now()
        self.auto_approve_at = None

    # disputes (opened by a party, resolved by support staff or a settlement)
    @transition(
        state,
        source=[State.IN_PROGRESS, State.DELIVERED, State.REVISION_REQUESTED],
        target=State.DISPUTED,
        permission=allowed("open_dispute"),
    )
    def open_dispute(self):
        self.auto_approve_at = None  # frozen while the dispute is open

    @transition(state, source=State.DISPUTED, target=State.APPROVED, permission=allowed("resolve_release"))
    def resolve_release(self):
        self.approved_at = self.closed_at = clock.now()

    @transition(state, source=State.DISPUTED, target=State.CANCELLED, permission=allowed("resolve_refund"))
    def resolve_refund(self):
        self.closed_at = clock.now()

    @transition(state, source=State.DISPUTED, target=State.SETTLED, permission=allowed("resolve_split"))
    def resolve_split(self):
        self.closed_at = clock.now()

    # a dispute withdrawn by the one who opened it puts the milestone back
    @transition(
        state,
        source=State.DISPUTED,
        target=RETURN_VALUE(State.IN_PROGRESS, State.DELIVERED, State.REVISION_REQUESTED),
        permission=allowed("withdraw_dispute"),
    )
    def withdraw_dispute(self, *, back_to):
        if back_to == State.DELIVERED:
            # the buyer gets a fresh review window
            self.auto_approve_at = clock.now() + settings.MILESTONE_REVIEW_WINDOW
        return back_to

    # cancellations
    @transition(
        state,
        source=[State.AWAITING_FUNDING, State.FUNDED],
        target=State.CANCELLED,
        permission=allowed("cancel"),
    )
    def cancel(self):
        self.closed_at = clock.now()

    @transition(state, source=State.IN_PROGRESS, target=State.CANCELLED, permission=allowed("mutual_cancel"))
    def mutual_cancel(self):
        """Taken by the side that accepts the other side's cancellation request."""
        self.closed_at = clock.now()

    @transition(
        state,
        source=State.IN_PROGRESS,
        target=State.CANCELLED,
        conditions=[_late_grace_passed],
        permission=allowed("cancel_late"),
    )
    def cancel_late(self):
        self.closed_at = clock.now()


class Delivery(models.Model):
    """One submission of work for a milestone; every one is kept."""

    milestone = models.ForeignKey(Milestone, on_delete=models.PROTECT, related_name="deliveries")
    number = models.PositiveSmallIntegerField()
    message = models.TextField(max_length=5000)
    links = models.TextField(blank=True, help_text="One link per line.")
    created_at = models.DateTimeField(default=clock.now)

    class Meta:
        ordering = ["milestone_id", "number"]
        constraints = [models.UniqueConstraint(fields=["milestone", "number"], name="delivery_number_unique")]
        verbose_name_plural = "deliveries"

    def __str__(self):
        return f"Delivery {self.number} of {self.milestone}"

    @property
    def link_list(self):
        return [line.strip() for line in self.links.splitlines() if line.strip()]


class DeliveryFile(Attachment):
    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="files")
    file = models.FileField(upload_to=private_upload_to("deliveries"))


class RevisionRequest(models.Model):
    """The buyer's written feedback when asking for changes."""

    milestone = models.ForeignKey(Milestone, on_delete=models.PROTECT, related_name="revision_requests")
    delivery = models.ForeignKey(Delivery, on_delete=models.PROTECT, related_name="revision_requests")
    feedback = models.TextField(max_length=5000)
    created_at = models.DateTimeField(default=clock.now)

    class Meta:
        ordering = ["created_at"]

    def __str__(self):
        return f"Revision request on {self.milestone_id}"


class RequestStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    ACCEPTED = "accepted", "Accepted"
    DECLINED = "declined", "Declined"
    WITHDRAWN = "withdrawn", "Withdrawn"
    CLOSED = "closed", "Closed with the milestone"  # the milestone ended first: it can no longer be answered


class RequestQuerySet(models.QuerySet):
    def close(self, *, now) -> int:
        """Take ``close`` on these requests (the pending ones) in one UPDATE; returns how many closed."""
        return bulk_transition(self, self.model.close, decided_at=now)  # type: ignore[attr-defined]


class RequestLifecycle(FSMModelMixin, models.Model):
    """The lifecycle of a request one side makes about a milestone: pending until the other side accepts
    or declines it, the one who asked withdraws it, or its milestone ends (closed)."""

    status = FSMField(max_length=10, choices=RequestStatus.choices, default=RequestStatus.PENDING, protected=True)
    decided_at = models.DateTimeField(null=True, blank=True)

    objects = RequestQuerySet.as_manager()

    class Meta:
        abstract = True

    @transition(status, source=RequestStatus.PENDING, target=RequestStatus.ACCEPTED)
    def accept(self):
        self.decided_at = clock.now()

    @transition(status, source=RequestStatus.PENDING, target=RequestStatus.DECLINED)
    def decline(self):
        self.decided_at = clock.now()

    @transition(status, source=RequestStatus.PENDING, target=RequestStatus.WITHDRAWN)
    def withdraw(self):
        self.decided_at = clock.now()

    @transition(status, source=RequestStatus.PENDING, target=RequestStatus.CLOSED)
    def close(self):
        """Its milestone ended first (see ``RequestQuerySet.close``, how the services take it)."""
        self.decided_at = clock.now()


class MilestoneRequest(RequestLifecycle):
    """Something one side asks of the other about a milestone, answered once: more time, a cancellation, a
    change to the plan (``milestones.services.request_make`` / ``request_answer``, the steps of the same names
    in ``process.STEPS``)."""

    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    reason = models.TextField(max_length=2000, blank=True, default="")
    created_at = models.DateTimeField(default=clock.now)

    class Meta:
        abstract = True
        ordering = ["-created_at"]


class ExtensionRequest(MilestoneRequest):
    """The seller asks for more days; the buyer accepts or declines."""

    milestone = models.ForeignKey(Milestone, on_delete=models.PROTECT, related_name="extension_requests")
    days = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(limits.max_extension_days)]
    )

    class Meta(MilestoneRequest.Meta):
        constraints = [
            models.UniqueConstraint(
                fields=["milestone"], condition=models.Q(status="pending"), name="one_pending_extension"
            )
        ]

    def __str__(self):
        return f"+{self.days} day{'' if self.days == 1 else 's'} on milestone {self.milestone_id} ({self.status})"


class CancellationRequest(MilestoneRequest):
    """One side asks to cancel an in-progress milestone; the other accepts (refund) or declines."""

    milestone = models.ForeignKey(Milestone, on_delete=models.PROTECT, related_name="cancellation_requests")

    class Meta(MilestoneRequest.Meta):
        constraints = [
            models.UniqueConstraint(
                fields=["milestone"], condition=models.Q(status="pending"), name="one_pending_cancellation"
            )
        ]

    def __str__(self):
        return f"Cancellation of milestone {self.milestone_id} ({self.status})"


class PlanChange(MilestoneRequest):
    """A proposed edit to an unstarted milestone; applied only when the other side accepts.

    (Adding a milestone needs no such record: the new milestone itself waits in
    the ``proposed`` state.) The amount can change only while the milestone
    is awaiting funding; a funded one keeps its escrow.
    """

    milestone = models.ForeignKey(Milestone, on_delete=models.PROTECT, related_name="plan_changes")
    title = LineCharField(max_length=120)
    description = models.TextField("deliverables", max_length=4000)
    amount_cents = models.PositiveIntegerField(validators=[MinValueValidator(1)])
    delivery_days = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(limits.max_delivery_days)]
    )
    revisions_allowed = models.PositiveSmallIntegerField(validators=[MaxValueValidator(limits.max_revisions)])

    class Meta(MilestoneRequest.Meta):
        constraints = [
            models.UniqueConstraint(
                fields=["milestone"], condition=models.Q(status="pending"), name="one_pending_plan_change"
            )
        ]

    def __str__(self):
        return f"Change to milestone {self.milestone_id} ({self.status})"


class TimerMark(models.Model):
    """A timer that has fired: (kind, target, moment) once and only once.

    ``moment`` is the time the timer is keyed to (the delivery, the due date,
    ...), so a new delivery or a moved due date is a new moment and fires
    again, while re-running a sweep, or two workers running it at once, never
    sends the same reminder twice (the unique constraint decides).
    """

    kind = models.CharField(max_length=40)
    target_id = models.BigIntegerField()
    moment = models.DateTimeField()
    done_at = models.DateTimeField(default=clock.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["kind", "target_id", "moment"], name="timer_mark_once")]
        indexes = [models.Index(fields=["kind", "target_id"])]

    def __str__(self):
        return f"{self.kind} #{self.target_id} @ {self.moment:%Y-%m-%d %H:%M}"


class TimelineEvent(models.Model):
    """Who did what, when, from which state to which: the order's history."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="events")
    milestone = models.ForeignKey("Milestone", on_delete=models.CASCADE, null=True, blank=True, related_name="events")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True)
    action = models.CharField(max_length=40)
    from_state = models.CharField(max_length=20, blank=True)
    to_state = models.CharField(max_length=20, blank=True)
    detail = models.TextField(blank=True)
    created_at = models.DateTimeField(default=clock.now, db_index=True)

    class Meta:
        db_table = "orders_timelineevent"  # moved from the orders app with its table
        ordering = ["created_at", "pk"]

    def __str__(self):
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.action}"

    @property
    def actor_label(self):
        return self.actor.public_name if self.actor is not None else "System"

    @property
    def action_label(self):
        return self.action.replace("_", " ")
