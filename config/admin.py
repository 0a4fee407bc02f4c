"""Admin pieces shared by the apps."""

from django.conf import settings
from django.contrib import admin
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from .money import AmountField, format_cents

MONEY_SUFFIX = "_cents"  # every money column is integer cents named ``*_cents``
MONEY_PREFIX = "money_"  # the admin shows ``amount_cents`` as ``money_amount_cents``: "$200.00"


def money_fields(model) -> dict[str, models.Field]:
    """The model's money columns (``*_cents``), by name."""
    return {f.name: f for f in model._meta.concrete_fields if f.name.endswith(MONEY_SUFFIX)}


def money_label(field: models.Field) -> str:
    """A money column's name for people: its verbose name without the unit ("amount cents" → "amount")."""
    name = str(field.verbose_name)
    return name[: -len(" cents")] if name.endswith(" cents") else name


def money_display(field: models.Field):
    """What the admin shows for ``field`` in a list column or a read-only detail: "$200.00"."""

    def show(obj):
        value = getattr(obj, field.attname)
        return "—" if value is None else format_cents(value)

    show.short_description = money_label(field)  # type: ignore[attr-defined]
    show.admin_order_field = field.name  # type: ignore[attr-defined]
    show.__name__ = MONEY_PREFIX + field.name
    return show


class MoneyFieldsMixin:
    """Every ``*_cents`` column of the model shows as dollars, named without the unit, wherever this admin
    (or inline) shows it: list columns and read-only details through ``money_<field>`` displays, editable
    fields through the app's one amount field (typed and shown in dollars, stored in cents). Derived from the
    model's fields, so a new money column needs nothing here."""

    def __getattr__(self, name):
        if name.startswith(MONEY_PREFIX):
            model = self.__dict__.get("model") or getattr(type(self), "model", None)  # a ModelAdmin's, an inline's
            field = money_fields(model).get(name[len(MONEY_PREFIX) :]) if model is not None else None
            if field is not None:
                return money_display(field)
        raise AttributeError(name)

    def _as_money(self, names, only=None):
        """``names`` with each money column (of ``only``, if given) replaced by its dollar display."""
        money = money_fields(self.model)
        shown = []
        for name in names:
            if isinstance(name, list | tuple):
                shown.append(tuple(self._as_money(name, only)))
                continue
            if isinstance(name, str) and name in money and (only is None or name in only):
                name = MONEY_PREFIX + name
            if name not in shown:
                shown.append(name)
        return shown

    def get_list_display(self, request):
        return self._as_money(super().get_list_display(request))  # type: ignore[misc]

    def get_readonly_fields(self, request, obj=None):
        return self._as_money(super().get_readonly_fields(request, obj))

    def get_fieldsets(self, request, obj=None):
        readonly = set(super().get_readonly_fields(request, obj))
        all_readonly = not self.has_change_permission(request, obj)  # Django shows every field read-only
        only = None if all_readonly else readonly
        return [
            (title, {**options, "fields": self._as_money(options["fields"], only)})
            for title, options in super().get_fieldsets(request, obj)
        ]

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name in money_fields(self.model):
            low, high = _bounds(db_field, MinValueValidator), _bounds(db_field, MaxValueValidator)
            return AmountField(
                label=money_label(db_field).capitalize(),
                required=not db_field.blank,
                # the column's own bounds, checked by the field with its messages in dollars (the model's
                # validators would say "at least {limit}" unformatted: outside try, issue 20)
                min_cents=(lambda: max(_limit(v) for v in low)) if low else None,
                # never above the largest single payment, the amount field's own ceiling
                max_cents=(lambda: min(settings.PAYMENTS_MAX_CHECKOUT_CENTS, *(_limit(v) for v in high)))
                if high
                else None,
                allow_zero=not low or max(_limit(v) for v in low) <= 0,
                help_text=db_field.help_text or "In dollars and cents, like 1,250.50.",
            )
        return super().formfield_for_dbfield(db_field, request, **kwargs)


def _bounds(field: models.Field, kind) -> list:
    """The limits of ``field``'s validators of ``kind`` (MinValueValidator or MaxValueValidator)."""
    return [v.limit_value for v in field.validators if isinstance(v, kind)]


def _limit(value) -> int:
    return value() if callable(value) else value


class MoneyAdmin(MoneyFieldsMixin, admin.ModelAdmin):
    """A ModelAdmin whose money columns show as dollars (the base of every project admin)."""


class MoneyTabularInline(MoneyFieldsMixin, admin.TabularInline):
    pass


class MoneyStackedInline(MoneyFieldsMixin, admin.StackedInline):
    pass


class ReadOnlyAdmin(MoneyAdmin):
    """No add, change or delete: rows written by services (ledger, timeline, audit log) are records."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
