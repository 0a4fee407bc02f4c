from django import forms
from django.contrib import admin, messages
from django.db.models import Count
from django.forms.models import BaseInlineFormSet
from django.template.defaultfilters import pluralize

from accounts.admin_audit import AuditedAdmin
from accounts.permissions import is_support
from config import limits
from config.admin import MoneyStackedInline, MoneyTabularInline, ReadOnlyAdmin
from config.converters import MAX_ID
from config.money import AmountField, format_cents

from . import services
from .exceptions import MarketplaceError
from .models import (
    Category,
    Conversation,
    Gig,
    GigImage,
    GigPackage,
    Message,
    MessageAttachment,
    PackageMilestone,
    PackageTier,
    SellerStats,
    Tag,
)


class SubcategoryInline(MoneyTabularInline):
    model = Category
    fk_name = "parent"
    extra = 0
    fields = ["name", "slug", "position"]
    verbose_name = "subcategory"
    verbose_name_plural = "subcategories"


@admin.register(Category)
class CategoryAdmin(AuditedAdmin):
    list_display = ["name", "parent", "slug", "position"]
    list_filter = [("parent", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    list_select_related = ["parent"]
    inlines = [SubcategoryInline]


@admin.register(Tag)
class TagAdmin(AuditedAdmin):
    list_display = ["name"]
    search_fields = ["name"]


def _gig_price_limits(form):
    """The admin's price field keeps the gig form's limits (``GIG_MIN_PRICE_CENTS``..``GIG_MAX_PRICE_CENTS``),
    with its messages: a price the seller could not set is refused here too (outside try, issue 20: $0.01
    saved here left a package nobody could order and the seller's own form refusing the gig)."""
    price = form.fields.get("price_cents")
    if isinstance(price, AmountField):
        price.min_cents, price.max_cents = limits.gig_min_price_cents, limits.gig_max_price_cents
        price.error_messages.update(
            {"min_value": "The lowest price is {short_limit}.", "max_value": "The highest price is {short_limit}."}
        )


class GigAdminForm(forms.ModelForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _gig_price_limits(self)


class GigPackageAdminForm(forms.ModelForm):
    """A package as staff may change it: the gig form's price limits, the tier it was made with, and, for a
    package paid in milestones, the price and delivery time its plan adds up to.

    The plan is the seller's (read-only here: they change it together with the price in their gig form), so
    a change here that would break it is refused, saying why (``services.package_plan_check``), instead of
    leaving a package that nobody can order while the gig page still shows its old steps. A package's tier
    is its identity (open checkouts and the gig form name it): swapping two tiers in one save was a 500.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _gig_price_limits(self)

    def clean(self):
        cleaned = super().clean()
        package = self.instance
        gig_id, tier = cleaned["gig"].pk if cleaned.get("gig") else package.gig_id, cleaned.get("tier")
        if not package.pk and gig_id and tier and GigPackage.objects.filter(gig_id=gig_id, tier=tier).exists():
            # a page opened before another added it (the inline checks only its own rows): was a 500
            self.add_error(
                "tier",
                f"This gig has a {PackageTier(tier).label} package already (added since this page was opened?). "
                "Reload the page to see it.",
            )
        if package.pk and "tier" in self.changed_data:
            self.add_error(
                "tier",
                f"A package keeps its tier: this one stays {package.get_tier_display()}. Change its name, price "
                "and details instead.",
            )
        price, days = cleaned.get("price_cents"), cleaned.get("delivery_days")
        plan = list(package.plan.all()) if package.pk else []
        if plan and price is not None and days is not None:
            try:
                services.package_plan_check(
                    label=package.get_tier_display(), price_cents=price, delivery_days=days, plan=plan
                )
            except MarketplaceError as exc:
                raise forms.ValidationError(
                    f"{exc} The milestone plan is the seller's: they change it and the price together in their "
                    "gig form."
                ) from exc
        return cleaned


class GigPackageFormSet(BaseInlineFormSet):
    """A package paid in milestones is not deleted here: its plan is the seller's (the package's own delete
    page refuses it too, as the plan's steps are read-only)."""

    def clean(self):
        super().clean()
        for form in self.deleted_forms:
            package = form.instance
            if package.pk and package.plan.exists():
                raise forms.ValidationError(
                    f"The {package.get_tier_display()} package is paid in milestones and cannot be deleted here: "
                    "its plan is the seller's. Pause the gig instead if it should not be sold."
                )


class GigPackageInline(MoneyStackedInline):
    model = GigPackage
    form = GigPackageAdminForm
    formset = GigPackageFormSet
    extra = 0
    max_num = 3
    readonly_fields = ["milestone_plan"]

    @admin.display(description="milestone plan")
    def milestone_plan(self, obj):
        return plan_summary(obj)


def plan_summary(package) -> str:
    """A package's milestone plan in one line ("1. Sketches $100.00, 3 days · 2. ..."), or "—"."""
    steps = list(package.plan.all()) if package.pk else []
    if not steps:
        return "—"
    return " · ".join(
        f"{s.position}. {s.title} {format_cents(s.amount_cents)}, {s.delivery_days} day{pluralize(s.delivery_days)}"
        for s in steps
    )


class PackageMilestoneInline(MoneyTabularInline):
    """Read-only: a plan is written by the seller's gig form (``services.gig_create``/``gig_update``), which
    checks that its amounts add up to the package's price and its days to its delivery time."""

    model = PackageMilestone
    extra = 0
    fields = ["position", "title", "description", "amount_cents", "delivery_days", "revisions"]
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class GigImageInline(MoneyTabularInline):
    model = GigImage
    extra = 0
    fields = ["position", "image", "thumbnail", "width", "height"]
    readonly_fields = ["image", "thumbnail", "width", "height"]
    can_delete = True

    def has_add_permission(self, request, obj=None):
        return False  # images are added (and re-encoded) by the gig form only


@admin.register(Gig)
class GigAdmin(AuditedAdmin):
    form = GigAdminForm
    list_display = [
        "title",
        "seller",
        "category",
        "price_cents",
        "delivery_days",
        "status",
        "offers_milestones",
        "seller_rating",
        "created_at",
    ]
    list_filter = ["status", "offers_milestones", ("category", admin.RelatedOnlyFieldListFilter), "created_at"]
    search_fields = ["title", "description", "slug", "seller__email", "seller__display_name", "tags__name"]
    list_select_related = ["seller", "category", "category__parent"]
    raw_id_fields = ["seller"]
    filter_horizontal = ["tags"]
    # The rating is the seller's, copied here by services.seller_stats_update (the browse order's key).
    # The status moves only through the gig's lifecycle: the actions below, or its seller's pages.
    readonly_fields = ["status", "created_at", "updated_at", "seller_rating", "seller_rating_count"]
    date_hierarchy = "created_at"
    inlines = [GigPackageInline, GigImageInline]
    # Adding and changing go through services.gig_staff_save (search vector, prices from packages, audit row).
    audited_by_service = ("add", "change")

    def get_readonly_fields(self, request, obj=None):
        # a gig stays its seller's: its packages, plans, reviews and open checkouts are theirs (outside try,
        # issue 20: a checkout opened for one seller paid another after the gig's seller was changed here)
        fields = list(super().get_readonly_fields(request, obj))
        return [*fields, "seller"] if obj is not None and "seller" not in fields else fields

    def has_add_permission(self, request):
        return is_support(request.user) and super().has_add_permission(request)

    def has_change_permission(self, request, obj=None):
        return is_support(request.user) and super().has_change_permission(request, obj)

    def save_model(self, request, obj, form, change):
        pass  # saved with its tags, packages and images by save_related, in one service call

    def save_related(self, request, form, formsets, change):
        services.gig_staff_save(actor=request.user, form=form, formsets=formsets)

    actions = ["pause", "resume", "soft_delete"]

    def _status_change(self, request, queryset, transition):
        changed = sum(
            services.gig_status_change_by_staff(gig_id=pk, actor=request.user, transition=transition)
            for pk in queryset.values_list("pk", flat=True)
        )
        self.message_user(
            request, f"{changed} gig{pluralize(changed)} changed; the others' status does not allow it.", messages.INFO
        )

    @admin.action(description="Pause the selected gigs")
    def pause(self, request, queryset):
        self._status_change(request, queryset, "pause")

    @admin.action(description="Resume the selected paused gigs")
    def resume(self, request, queryset):
        self._status_change(request, queryset, "resume")

    @admin.action(description="Delete the selected gigs (they leave every listing for good)")
    def soft_delete(self, request, queryset):
        self._status_change(request, queryset, "soft_delete")


@admin.register(GigPackage)
class GigPackageAdmin(AuditedAdmin):
    form = GigPackageAdminForm
    list_display = ["gig", "tier", "name", "price_cents", "delivery_days", "revisions", "plan_steps"]
    list_filter = ["tier"]
    search_fields = ["gig__title", "name"]
    list_select_related = ["gig"]
    raw_id_fields = ["gig"]
    inlines = [PackageMilestoneInline]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(plan_count=Count("plan"))

    def get_readonly_fields(self, request, obj=None):
        # a package stays on the gig it was made for (moving one put a seller's plan on another's gig), with
        # the tier it was made with
        fields = list(super().get_readonly_fields(request, obj))
        return [*fields, *(f for f in ("gig", "tier") if f not in fields)] if obj is not None else fields

    @admin.display(description="milestones", ordering="plan_count")
    def plan_steps(self, obj):
        return obj.plan_count or "—"


@admin.register(PackageMilestone)
class PackageMilestoneAdmin(ReadOnlyAdmin):
    """The steps of packages' milestone plans, to look up; the seller's gig form writes them."""

    list_display = ["package", "position", "title", "amount_cents", "delivery_days", "revisions"]
    list_filter = ["package__tier", "delivery_days"]
    search_fields = ["title", "description", "package__name", "package__gig__title"]
    list_select_related = ["package__gig"]


@admin.register(GigImage)
class GigImageAdmin(AuditedAdmin):
    list_display = ["gig", "position", "width", "height", "created_at"]
    search_fields = ["gig__title"]
    list_select_related = ["gig"]
    raw_id_fields = ["gig"]
    readonly_fields = ["image", "thumbnail", "width", "height", "created_at"]


@admin.register(SellerStats)
class SellerStatsAdmin(AuditedAdmin):
    """Read-only: every figure is counted from the seller's orders, reviews and messages (``orders.stats``).

    Typing a number here would make it disagree with the reviews and orders the pages list, so nothing
    can be edited, added or deleted; the "Recount" action counts the selected sellers again through
    ``services.seller_stats_staff_recount``, which leaves an audit row.
    """

    list_display = [
        "seller",
        "level",
        "orders_completed",
        "orders_on_time",
        "rating_avg",
        "rating_count",
        "avg_response_seconds",
        "updated_at",
    ]
    list_filter = ["level"]
    search_fields = ["seller__email", "seller__display_name"]
    list_select_related = ["seller"]
    actions = ["recount"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description="Recount the selected sellers' stats from their orders, reviews and messages")
    def recount(self, request, queryset):
        count = queryset.count()
        try:
            changed = services.seller_stats_staff_recount(
                actor=request.user, seller_ids=list(queryset.values_list("seller_id", flat=True))
            )
        except MarketplaceError as exc:
            self.message_user(request, str(exc), level=messages.ERROR)
            return
        self.message_user(request, f"Recounted {count} seller{pluralize(count)}; {changed} had figures that changed.")

    def get_object(self, request, object_id, from_field=None):
        # The key is the seller's user id through a one-to-one, and Django bounds a number only in a
        # lookup on an integer column, not on a relation: on SQLite /admin/.../99999999999999999999/change/
        # raised OverflowError (HTTP 500). No row has an id past a bigint's.
        if str(object_id).isdecimal() and int(object_id) > MAX_ID:
            return None
        return super().get_object(request, object_id, from_field)


class MessageInline(MoneyTabularInline):
    model = Message
    extra = 0
    fields = ["created_at", "sender", "kind", "body", "off_platform"]
    readonly_fields = fields
    can_delete = False
    show_change_link = True
    ordering = ["-created_at"]

    def has_add_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("sender")


@admin.register(Conversation)
class ConversationAdmin(AuditedAdmin):
    list_display = ["__str__", "gig", "last_message_at", "buyer_unread", "seller_unread", "created_at"]
    list_filter = ["last_message_at", "created_at"]
    search_fields = ["buyer__email", "buyer__display_name", "seller__email", "seller__display_name", "gig__title"]
    list_select_related = ["buyer", "seller", "gig"]
    raw_id_fields = ["buyer", "seller", "gig"]
    readonly_fields = ["created_at", "last_message_at", "last_message_preview", "awaiting_seller_since"]
    inlines = [MessageInline]


class MessageAttachmentInline(MoneyTabularInline):
    model = MessageAttachment
    extra = 0
    readonly_fields = ["file", "name", "size"]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Message)
class MessageAdmin(AuditedAdmin):
    list_display = ["id", "conversation", "sender", "kind", "off_platform", "created_at"]
    list_filter = ["kind", "off_platform", "created_at"]
    search_fields = ["body", "sender__email", "sender__display_name"]
    list_select_related = ["conversation__buyer", "conversation__seller", "sender"]
    raw_id_fields = ["conversation", "sender"]
    readonly_fields = ["created_at"]
    inlines = [MessageAttachmentInline]


@admin.register(MessageAttachment)
class MessageAttachmentAdmin(AuditedAdmin):
    list_display = ["name", "size", "message"]
    search_fields = ["name", "message__body"]
    list_select_related = ["message"]
    raw_id_fields = ["message"]
