from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from config.admin import ReadOnlyAdmin

from .models import FormSubmission, Notification, StaffAction, User


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    ordering = ["email"]
    list_display = ["email", "display_name", "is_active", "is_staff", "date_joined", "last_login"]
    list_filter = ["is_active", "is_staff", "is_superuser", "groups", "date_joined"]
    search_fields = ["email", "display_name"]
    readonly_fields = ["date_joined", "last_login"]
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        ("Profile", {"fields": ("display_name", "bio", "avatar")}),
        ("Permissions", {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")}),
        ("Dates", {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "password1", "password2")}),)


@admin.register(FormSubmission)
class FormSubmissionAdmin(admin.ModelAdmin):
    """One-time form keys (read-only: written by ``accounts.once``, purged after a day)."""

    list_display = ["created_at", "user", "key", "result_url"]
    search_fields = ["user__email", "key", "result_url"]
    list_filter = ["created_at"]
    list_select_related = ["user"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ("user", "text", "created_at", "read_at")
    list_filter = ("read_at",)
    search_fields = ("user__email", "text")
    readonly_fields = ("user", "text", "url", "created_at", "read_at")

    def has_add_permission(self, request):
        return False


@admin.register(StaffAction)
class StaffActionAdmin(ReadOnlyAdmin):
    """The staff audit log: append-only."""

    list_display = ("created_at", "staff", "action", "order_id", "milestone_id", "dispute_id", "target", "detail")
    list_filter = ("action", "created_at")
    search_fields = ("staff__email", "detail", "reason", "target", "=order_id", "=dispute_id")
    list_select_related = ("staff",)
    date_hierarchy = "created_at"
    readonly_fields = (
        "created_at",
        "staff",
        "action",
        "order_id",
        "milestone_id",
        "dispute_id",
        "target",
        "detail",
        "reason",
        "data",
    )
