from django.contrib import admin

from accounts.admin_audit import AuditedAdmin
from config.admin import MoneyTabularInline, ReadOnlyAdmin

from .admin_operator import MilestoneTransitionsAdminMixin
from .models import (
    CancellationRequest,
    Delivery,
    DeliveryFile,
    ExtensionRequest,
    Milestone,
    Order,
    PlanChange,
    RevisionRequest,
    State,
    TimelineEvent,
)
from .timers import next_event

LIFECYCLE_FIELDS = (
    "state",
    "proposed_by",
    "revisions_used",
    "extra_revisions",
    "created_at",
    "accepted_at",
    "funded_at",
    "funding_due_at",
    "started_at",
    "due_at",
    "delivered_at",
    "auto_approve_at",
    "approved_at",
    "closed_at",
    "delivered_on_time",
)

# What the parties agreed to: its wording may be mended in the admin only until the milestone is funded.
PLAN_FIELDS = ("title", "description", "delivery_days", "revisions_allowed")
PLAN_EDITABLE_STATES = (State.PROPOSED, State.AWAITING_FUNDING)


class DeliveryInline(MoneyTabularInline):
    model = Delivery
    extra = 0
    can_delete = False
    fields = ("number", "message", "links", "created_at")
    readonly_fields = fields
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Milestone)
class MilestoneAdmin(MilestoneTransitionsAdminMixin, AuditedAdmin):
    list_display = ("__str__", "order", "state", "amount_cents", "due_at", "next_scheduled_event")
    list_filter = ("state", "delivered_on_time")
    search_fields = ("title", "order__title", "order__buyer__email", "order__seller__email")
    list_select_related = ("order",)
    date_hierarchy = "created_at"
    # The state machine and the ledger own these: no editing by hand. Amount and
    # order are fixed once the plan is agreed (changes go through plan changes).
    # Transitions an operator may take (cancel an unstarted one, resolve a dispute) are the
    # "operator actions" buttons: each goes through the same services as the staff pages.
    readonly_fields = (
        *LIFECYCLE_FIELDS,
        "order",
        "position",
        "amount_cents",
        "delivery_days",
        "revisions_allowed",
        "next_scheduled_event",
        "operator_actions",
    )
    inlines = [DeliveryInline]

    def get_readonly_fields(self, request, obj=None):
        # the plan is what the buyer paid for: once money is held, it changes only through a plan change both
        # sides accept (before work starts), never by hand
        fields = super().get_readonly_fields(request, obj)
        if obj is not None and obj.state not in PLAN_EDITABLE_STATES:
            fields = [*fields, *(f for f in PLAN_FIELDS if f not in fields)]
        return fields

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="next scheduled event")
    def next_scheduled_event(self, obj):
        event = next_event(obj)
        if event is None:
            return "—"
        label, when = event
        return f"{label}: {when:%Y-%m-%d %H:%M} UTC"


class DeliveryFileInline(MoneyTabularInline):
    model = DeliveryFile
    extra = 0
    readonly_fields = ("file", "name", "size")
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Delivery)
class DeliveryAdmin(AuditedAdmin):
    list_display = ("__str__", "milestone", "number", "created_at")
    search_fields = ("milestone__title", "message")
    readonly_fields = ("milestone", "number", "message", "links", "created_at")
    inlines = [DeliveryFileInline]

    def has_add_permission(self, request):
        return False


class _RequestAdmin(AuditedAdmin):
    list_display = ("__str__", "milestone", "status", "created_at", "decided_at")
    list_filter = ("status",)
    search_fields = ("milestone__title", "milestone__order__buyer__email", "milestone__order__seller__email")
    readonly_fields = ("milestone", "status", "created_at", "decided_at")

    def has_add_permission(self, request):
        return False


@admin.register(ExtensionRequest)
class ExtensionRequestAdmin(_RequestAdmin):
    readonly_fields = (*_RequestAdmin.readonly_fields, "requested_by", "days")


@admin.register(CancellationRequest)
class CancellationRequestAdmin(_RequestAdmin):
    readonly_fields = (*_RequestAdmin.readonly_fields, "requested_by")


@admin.register(PlanChange)
class PlanChangeAdmin(_RequestAdmin):
    readonly_fields = (
        *_RequestAdmin.readonly_fields,
        "requested_by",
        "amount_cents",
        "delivery_days",
        "revisions_allowed",
    )


@admin.register(RevisionRequest)
class RevisionRequestAdmin(AuditedAdmin):
    list_display = ("__str__", "milestone", "created_at")
    search_fields = ("milestone__title", "feedback")
    readonly_fields = ("milestone", "delivery", "feedback", "created_at")

    def has_add_permission(self, request):
        return False


class TimelineInline(MoneyTabularInline):
    model = TimelineEvent
    extra = 0
    can_delete = False
    fields = ("created_at", "actor", "action", "milestone", "from_state", "to_state", "detail")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Order)
class OrderAdmin(AuditedAdmin):
    list_display = ("id", "title", "buyer", "seller", "status", "created_at", "ended_at")
    list_filter = ("status", "created_at")
    search_fields = ("=id", "title", "buyer__email", "seller__email")
    list_select_related = ("buyer", "seller")
    date_hierarchy = "created_at"
    readonly_fields = ("buyer", "seller", "gig", "conversation", "offer", "status", "created_at", "ended_at")
    inlines = [TimelineInline]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(TimelineEvent)
class TimelineEventAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "order", "milestone", "actor", "action", "from_state", "to_state")
    list_filter = ("action",)
    search_fields = ("order__title", "actor__email", "detail")
    readonly_fields = ("order", "milestone", "actor", "action", "from_state", "to_state", "detail", "created_at")
