"""The payments admin: everything is read-only. Money only moves through payments.services."""

from django.contrib import admin, messages
from django.template.defaultfilters import pluralize

from accounts.permissions import is_support
from config.admin import MoneyTabularInline, ReadOnlyAdmin
from config.money import format_cents

from . import services
from .models import (
    CardDispute,
    Checkout,
    Earning,
    LedgerAccount,
    LedgerEntry,
    LedgerTransaction,
    Payout,
    PayoutAccount,
    ProviderEvent,
    ProviderTransfer,
    SandboxOperation,
)


class EntryInline(MoneyTabularInline):
    model = LedgerEntry
    fields = ["account", "amount", "memo"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description="amount")
    def amount(self, entry):
        return format_cents(entry.amount_cents)


@admin.register(LedgerAccount)
class LedgerAccountAdmin(ReadOnlyAdmin):
    list_display = ["id", "kind", "user", "milestone_id", "balance", "created_at"]
    list_filter = ["kind"]
    search_fields = ["user__email", "=milestone_id"]
    list_select_related = ["user"]

    @admin.display(description="balance", ordering="balance_cents")
    def balance(self, account):
        return format_cents(account.balance_cents)


@admin.register(LedgerTransaction)
class LedgerTransactionAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "kind", "description", "user", "milestone_id", "idempotency_key"]
    list_filter = ["kind", ("created_at", admin.DateFieldListFilter)]
    search_fields = ["idempotency_key", "description", "user__email", "=milestone_id", "=id"]
    date_hierarchy = "created_at"
    list_select_related = ["user"]
    inlines = [EntryInline]


@admin.register(LedgerEntry)
class LedgerEntryAdmin(ReadOnlyAdmin):
    list_display = ["id", "transaction_kind", "account", "amount", "memo", "created_at"]
    list_filter = ["account__kind", "transaction__kind", ("transaction__created_at", admin.DateFieldListFilter)]
    search_fields = ["account__user__email", "transaction__idempotency_key", "=account__milestone_id"]
    list_select_related = ["transaction", "account", "account__user"]

    @admin.display(description="kind", ordering="transaction__kind")
    def transaction_kind(self, entry):
        return entry.transaction.get_kind_display()

    @admin.display(description="amount", ordering="amount_cents")
    def amount(self, entry):
        return format_cents(entry.amount_cents)

    @admin.display(description="posted", ordering="transaction__created_at")
    def created_at(self, entry):
        return entry.transaction.created_at


@admin.register(Checkout)
class CheckoutAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "description", "buyer", "payee", "purpose", "reference_id", "total", "status"]
    list_filter = ["status", "purpose", "paid_with"]
    search_fields = ["=uuid", "buyer__email", "payee__email", "description", "provider_reference", "provider_intent"]
    list_select_related = ["buyer", "payee"]

    @admin.display(description="total")
    def total(self, checkout):
        return format_cents(checkout.total_cents)


@admin.register(Earning)
class EarningAdmin(ReadOnlyAdmin):
    list_display = ["seller", "description", "milestone_id", "net", "clears_at", "status", "on_hold"]
    list_filter = ["status", "on_hold"]
    search_fields = ["seller__email", "=milestone_id"]
    list_select_related = ["seller"]
    actions = ["hold", "unhold"]

    @admin.display(description="net", ordering="amount_cents")
    def net(self, earning):
        return format_cents(earning.amount_cents)

    def has_support_permission(self, request):
        return is_support(request.user)

    def _hold(self, request, queryset, hold):
        # Through the service (support only, one audit row per milestone), like support staff would.
        milestone_ids = queryset.exclude(milestone_id=None).values_list("milestone_id", flat=True)
        changed = services.earnings_staff_hold(actor=request.user, milestone_ids=set(milestone_ids), hold=hold)
        self.message_user(request, f"{changed} pending earning{pluralize(changed)} updated.", messages.SUCCESS)

    @admin.action(description="Hold clearance of these milestones' earnings", permissions=["support"])
    def hold(self, request, queryset):
        self._hold(request, queryset, True)

    @admin.action(description="Release the hold on these milestones' earnings", permissions=["support"])
    def unhold(self, request, queryset):
        self._hold(request, queryset, False)


@admin.register(Payout)
class PayoutAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "seller", "amount", "status", "attempts", "provider_reference"]
    list_filter = ["status"]
    search_fields = ["seller__email", "provider_reference", "idempotency_key"]
    list_select_related = ["seller"]

    @admin.display(description="amount", ordering="amount_cents")
    def amount(self, payout):
        return format_cents(payout.amount_cents)


@admin.register(SandboxOperation)
class SandboxOperationAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "kind", "reference", "amount", "card_last4", "idempotency_key"]
    list_filter = ["kind"]
    search_fields = ["reference", "idempotency_key", "charge_reference"]

    @admin.display(description="amount", ordering="amount_cents")
    def amount(self, operation):
        return format_cents(operation.amount_cents)


@admin.register(PayoutAccount)
class PayoutAccountAdmin(ReadOnlyAdmin):
    list_display = ["seller", "account_id", "payouts_enabled", "transfers_active", "details_submitted", "updated_at"]
    list_filter = ["payouts_enabled", "transfers_active", "details_submitted"]
    search_fields = ["seller__email", "account_id"]
    list_select_related = ["seller"]


@admin.register(ProviderTransfer)
class ProviderTransferAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "seller", "amount", "status", "attempts", "provider_reference", "last_error"]
    list_filter = ["status"]
    search_fields = ["seller__email", "provider_reference", "clearance__idempotency_key"]
    list_select_related = ["seller"]

    @admin.display(description="amount", ordering="amount_cents")
    def amount(self, transfer):
        return format_cents(transfer.amount_cents)


@admin.register(ProviderEvent)
class ProviderEventAdmin(ReadOnlyAdmin):
    list_display = ["received_at", "type", "event_id", "processed_at", "outcome"]
    list_filter = ["type", ("received_at", admin.DateFieldListFilter)]
    search_fields = ["event_id", "type", "outcome"]
    date_hierarchy = "received_at"


@admin.register(CardDispute)
class CardDisputeAdmin(ReadOnlyAdmin):
    list_display = ["opened_at", "dispute_id", "checkout", "amount", "reason", "status", "closed_at"]
    list_filter = ["status", "reason"]
    search_fields = ["dispute_id", "checkout__provider_intent", "checkout__buyer__email"]
    list_select_related = ["checkout"]

    @admin.display(description="amount", ordering="amount_cents")
    def amount(self, dispute):
        return format_cents(dispute.amount_cents)
