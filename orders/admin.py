from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html, format_html_join

from accounts.admin_audit import AuditedAdmin
from accounts.models import StaffAction
from config.admin import MoneyTabularInline, ReadOnlyAdmin
from milestones.admin_operator import operator_buttons

from .models import Dispute, DisputeAttachment, DisputeMessage, Offer, OfferMilestone, Review, SettlementProposal


class OfferMilestoneInline(MoneyTabularInline):
    model = OfferMilestone
    extra = 0
    can_delete = False
    readonly_fields = ("position", "title", "description", "amount_cents", "delivery_days", "revisions_allowed")

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Offer)
class OfferAdmin(AuditedAdmin):
    list_display = ("__str__", "buyer", "seller", "author", "status", "created_at", "expires_at")
    list_filter = ("status",)
    search_fields = ("buyer__email", "seller__email", "note")
    list_select_related = ("buyer", "seller", "author")
    readonly_fields = (
        "conversation",
        "gig",
        "buyer",
        "seller",
        "author",
        "previous",
        "message",
        "status",
        "created_at",
        "expires_at",
        "decided_at",
    )
    inlines = [OfferMilestoneInline]

    def has_add_permission(self, request):
        return False


@admin.register(Review)
class ReviewAdmin(AuditedAdmin):
    list_display = ("order", "author", "recipient", "rating", "about_seller", "published_at")
    list_filter = ("rating", "about_seller")
    search_fields = ("author__email", "recipient__email", "text")
    readonly_fields = ("order", "author", "recipient", "about_seller", "rating", "created_at", "published_at")

    def has_add_permission(self, request):
        return False


# --- Disputes (decided in the Resolution Center or with the milestone's operator buttons) ---
# The Django admin dashboard: the default index plus the operations counts.
admin.site.index_template = "staff/admin_index.html"


class _ReadOnlyInline(MoneyTabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class DisputeMessageInline(_ReadOnlyInline):
    model = DisputeMessage
    fields = ("created_at", "author", "kind", "body")
    readonly_fields = fields


class SettlementProposalInline(_ReadOnlyInline):
    model = SettlementProposal
    fields = ("created_at", "proposed_by", "outcome", "seller_amount_cents", "buyer_amount_cents", "status", "note")
    readonly_fields = fields


@admin.register(Dispute)
class DisputeAdmin(ReadOnlyAdmin):
    """Read-only: a case changes only through the dispute services (Resolution Center or operator buttons)."""

    list_display = ("id", "milestone", "order", "opened_by", "reason", "status", "outcome", "created_at", "closed_at")
    list_filter = ("status", "reason", "outcome", "escalation", "settled_by_parties", "created_at")
    search_fields = ("=id", "milestone__title", "order__buyer__email", "order__seller__email", "opened_by__email")
    list_select_related = ("milestone", "order", "opened_by")
    date_hierarchy = "created_at"
    fields = (
        "case",
        "order",
        "milestone",
        "opened_by",
        "reason",
        "description",
        "state_before",
        "status",
        "answer_due_at",
        "answered_at",
        "escalation",
        "escalated_at",
        "outcome",
        "seller_amount_cents",
        "buyer_amount_cents",
        "decision",
        "decided_by",
        "settled_by_parties",
        "created_at",
        "closed_at",
        "milestone_actions",
        "audit_log",
    )
    readonly_fields = fields
    inlines = [DisputeMessageInline, SettlementProposalInline]

    @admin.display(description="resolution center")
    def case(self, obj):
        return staff_case_link(obj)

    @admin.display(description="operator actions")
    def milestone_actions(self, obj):
        return operator_buttons(obj.milestone)

    @admin.display(description="staff actions (audit log)")
    def audit_log(self, obj):
        rows = StaffAction.objects.filter(dispute_id=obj.pk).select_related("staff").order_by("created_at")
        return (
            format_html_join(
                "\n",
                "<p>{} · {} · {}: {} <em>{}</em></p>",
                ((f"{r.created_at:%Y-%m-%d %H:%M}", r.staff, r.action, r.detail, r.reason) for r in rows),
            )
            or "—"
        )


@admin.register(DisputeMessage)
class DisputeMessageAdmin(ReadOnlyAdmin):
    list_display = ("dispute", "author", "kind", "created_at")
    list_filter = ("kind",)
    search_fields = ("body", "author__email", "=dispute__id")
    list_select_related = ("dispute", "author")
    readonly_fields = ("dispute", "author", "kind", "body", "created_at")


@admin.register(DisputeAttachment)
class DisputeAttachmentAdmin(AuditedAdmin):
    list_display = ("name", "message", "size")
    search_fields = ("name", "=message__dispute__id")
    readonly_fields = ("message", "file", "name", "size")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(SettlementProposal)
class SettlementProposalAdmin(ReadOnlyAdmin):
    list_display = ("dispute", "proposed_by", "outcome", "seller_amount_cents", "buyer_amount_cents", "status")
    list_filter = ("status", "outcome")
    search_fields = ("=dispute__id", "proposed_by__email", "note")
    list_select_related = ("dispute", "proposed_by")
    readonly_fields = (
        "dispute",
        "proposed_by",
        "outcome",
        "seller_amount_cents",
        "buyer_amount_cents",
        "note",
        "status",
        "created_at",
        "decided_at",
    )


def staff_case_link(dispute):
    return format_html(
        '<a href="{}">Open case #{} in the Resolution Center</a>',
        reverse("staff_dispute", args=[dispute.pk]),
        dispute.pk,
    )
