from allauth.account.admin import EmailAddressAdmin as BaseEmailAddressAdmin
from allauth.account.models import EmailAddress
from allauth.mfa.admin import AuthenticatorAdmin as BaseAuthenticatorAdmin
from allauth.mfa.models import Authenticator
from django.contrib import admin
from django.contrib.auth.admin import GroupAdmin as BaseGroupAdmin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.models import Group

from config.admin import ReadOnlyAdmin

from .admin_audit import AuditedAdmin
from .audit import staff_action_record
from .models import FormSubmission, Notification, StaffAction, User


@admin.register(User)
class UserAdmin(AuditedAdmin, BaseUserAdmin):
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
class FormSubmissionAdmin(AuditedAdmin):
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
class NotificationAdmin(AuditedAdmin):
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


# Django's and allauth's own admins, audited like the project's: who is in the Support group, which
# permissions it has and whose email address staff marked verified are staff actions too.
admin.site.unregister(Group)


@admin.register(Group)
class GroupAdmin(AuditedAdmin, BaseGroupAdmin):
    pass


admin.site.unregister(EmailAddress)


@admin.register(EmailAddress)
class EmailAddressAdmin(AuditedAdmin, BaseEmailAddressAdmin):
    def make_verified(self, request, queryset):
        unverified = list(queryset.filter(verified=False).values_list("pk", flat=True))
        super().make_verified(request, queryset)
        for address in EmailAddress.objects.filter(pk__in=unverified, verified=True).select_related("user"):
            staff_action_record(
                staff=request.user,
                action="email_verify",
                target=f"account.emailaddress {address.pk}",
                detail=f"Marked {address.email} (user {address.user_id}) as verified in the admin.",
            )

    make_verified.short_description = BaseEmailAddressAdmin.make_verified.short_description


# allauth's authenticators (two-factor authentication): staff may see who has which and remove one for a
# person who lost their phone (audited); nobody adds or edits one by hand, and the secrets are never shown.
admin.site.unregister(Authenticator)


@admin.register(Authenticator)
class AuthenticatorAdmin(AuditedAdmin, BaseAuthenticatorAdmin):
    fields = ("user", "type", "created_at", "last_used_at")
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
