from django.contrib import admin

from .models import Notification, Offer, OfferMilestone, Order, Review, TimelineEvent


class OfferMilestoneInline(admin.TabularInline):
    model = OfferMilestone
    extra = 0
    can_delete = False
    readonly_fields = ("position", "title", "description", "amount_cents", "delivery_days", "revisions_allowed")

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Offer)
class OfferAdmin(admin.ModelAdmin):
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


class TimelineInline(admin.TabularInline):
    model = TimelineEvent
    extra = 0
    can_delete = False
    fields = ("created_at", "actor", "action", "milestone", "from_state", "to_state", "detail")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin):
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
class TimelineEventAdmin(admin.ModelAdmin):
    list_display = ("created_at", "order", "milestone", "actor", "action", "from_state", "to_state")
    list_filter = ("action",)
    search_fields = ("order__title", "actor__email", "detail")
    readonly_fields = ("order", "milestone", "actor", "action", "from_state", "to_state", "detail", "created_at")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Review)
class ReviewAdmin(admin.ModelAdmin):
    list_display = ("order", "author", "recipient", "rating", "about_seller", "published_at")
    list_filter = ("rating", "about_seller")
    search_fields = ("author__email", "recipient__email", "text")
    readonly_fields = ("order", "author", "recipient", "about_seller", "rating", "created_at", "published_at")

    def has_add_permission(self, request):
        return False


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ("user", "text", "created_at", "read_at")
    list_filter = ("read_at",)
    search_fields = ("user__email", "text")
    readonly_fields = ("user", "text", "url", "created_at", "read_at")

    def has_add_permission(self, request):
        return False
