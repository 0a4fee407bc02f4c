"""Forms, services and model validators take their limits from one setting each (``config/limits.py``).

Changing a setting moves the form's check, the page's ``min``/``max`` attributes, the service's check
and the model's validator together; no form keeps a limit of its own.
"""

import ast

import pytest
from django.core.exceptions import ValidationError
from django.test import override_settings

from config import limits
from config.money import AmountField
from config.numbers import WholeNumberField
from marketplace import services as marketplace
from marketplace.exceptions import InvalidInput
from marketplace.forms import CustomOfferRequestForm, GigForm, PackageForm
from milestones.exceptions import OrderError
from milestones.models import ExtensionRequest
from milestones.services import validate_plan_item
from orders.forms import ExtensionForm, PlanItemForm
from payments.forms import WithdrawForm
from tests.architecture.source import ROOT, parsed, project_files

from .registry import discover_forms

PLAN_ITEM = {"title": "Design", "description": "The logo", "amount": "100", "revisions_allowed": "1"}


def _errors(form_class, data, **kwargs):
    form = form_class(data=data, **kwargs)
    form.is_valid()
    return form.errors


def test_the_plan_item_form_follows_the_delivery_days_setting():
    assert "delivery_days" in _errors(PlanItemForm, {**PLAN_ITEM, "delivery_days": "366"})
    assert not _errors(PlanItemForm, {**PLAN_ITEM, "delivery_days": "365"})
    with override_settings(MAX_DELIVERY_DAYS=30):
        errors = _errors(PlanItemForm, {**PLAN_ITEM, "delivery_days": "31"})
        assert errors["delivery_days"] == ["Ensure this value is less than or equal to 30."]
        assert not _errors(PlanItemForm, {**PLAN_ITEM, "delivery_days": "30"})
        assert 'max="30"' in str(PlanItemForm()["delivery_days"])
    assert 'max="365"' in str(PlanItemForm()["delivery_days"])


def test_the_revisions_and_extension_limits_follow_their_settings():
    with override_settings(MAX_REVISIONS=3, MAX_EXTENSION_DAYS=7):
        assert "revisions_allowed" in _errors(
            PlanItemForm, {**PLAN_ITEM, "delivery_days": "5", "revisions_allowed": "4"}
        )
        assert "revisions" in _errors(PackageForm, {"basic-revisions": "4"}, tier="basic")
        assert "days" in _errors(ExtensionForm, {"days": "8", "reason": "More"})
        assert not _errors(ExtensionForm, {"days": "7", "reason": "More"})
        assert 'max="7"' in str(ExtensionForm()["days"])
    assert not _errors(ExtensionForm, {"days": "8", "reason": "More"})


@pytest.mark.django_db
def test_gig_forms_follow_the_delivery_days_and_price_settings():
    with override_settings(MAX_DELIVERY_DAYS=10, GIG_MIN_PRICE_CENTS=1_000, GIG_MAX_PRICE_CENTS=2_050):
        errors = _errors(GigForm, {"delivery_days": "11", "price": "5"})
        assert "delivery_days" in errors
        assert errors["price"] == ["The lowest price is $10."]
        assert _errors(GigForm, {"price": "30"})["price"] == ["The highest price is $20.50."]
        assert "delivery_days" in _errors(CustomOfferRequestForm, {"description": "x" * 30, "delivery_days": "11"})
    assert "delivery_days" not in _errors(GigForm, {"delivery_days": "11", "price": "5"})


def test_amount_limits_follow_their_settings():
    with override_settings(PAYMENTS_MIN_PAYOUT_CENTS=5_000):
        assert _errors(WithdrawForm, {"amount": "40"})["amount"] == ["The amount must be at least $50.00."]
    assert "amount" not in _errors(WithdrawForm, {"amount": "40"})
    with override_settings(ORDERS_MIN_MILESTONE_CENTS=20_000):
        assert "amount" in _errors(PlanItemForm, {**PLAN_ITEM, "delivery_days": "5"})


def test_services_follow_the_same_settings():
    item = {"title": "Design", "description": "The logo", "amount_cents": 10_000, "revisions_allowed": 1}
    validate_plan_item(**item, delivery_days=365)
    with override_settings(MAX_DELIVERY_DAYS=30), pytest.raises(OrderError, match="between 1 and 30 days"):
        validate_plan_item(**item, delivery_days=31)
    with override_settings(MAX_REVISIONS=0), pytest.raises(OrderError, match="between 0 and 0"):
        validate_plan_item(**item, delivery_days=5)
    with override_settings(MAX_DELIVERY_DAYS=30), pytest.raises(InvalidInput, match="1 to 30 days"):
        marketplace.custom_offer_request_send(buyer=None, gig=None, description="x" * 30, delivery_days=31)


def test_model_validators_follow_the_same_settings():
    request = ExtensionRequest(days=61)
    with pytest.raises(ValidationError) as refused:
        request.clean_fields(exclude=["milestone", "requested_by", "reason", "status"])
    assert "days" in refused.value.message_dict
    with override_settings(MAX_EXTENSION_DAYS=90):
        request.clean_fields(exclude=["milestone", "requested_by", "reason", "status"])


LIMIT_SETTINGS = ("max_delivery_days", "max_revisions", "max_extension_days", "gig_min_price_cents",
                  "gig_max_price_cents", "min_milestone_cents", "max_milestone_cents", "max_payment_cents",
                  "min_payout_cents")  # fmt: skip


def test_no_form_field_keeps_a_limit_of_its_own():
    """Every number or amount field of every form: a limit equal to a setting's is that setting's function."""
    values = {getattr(limits, name)() for name in LIMIT_SETTINGS}
    found = []
    for name, form_class in discover_forms().items():
        for field_name, field in getattr(form_class, "base_fields", {}).items():
            if isinstance(field, WholeNumberField):
                bounds = (field.min_value, field.max_value)
            elif isinstance(field, AmountField):
                bounds = (field.min_cents, field.max_cents)
            else:
                continue
            found += [f"{name}.{field_name}: {bound}" for bound in bounds if isinstance(bound, int) and bound in values]
    assert not found, "read the limit from config.limits:\n" + "\n".join(found)


def test_the_delivery_days_limit_is_written_once():
    """365 (the default of MAX_DELIVERY_DAYS) appears in config/settings.py and nowhere else in the code."""
    found = [
        f"{path.relative_to(ROOT)}:{node.lineno}"
        for path in project_files()
        if path != ROOT / "config" / "settings.py"
        for node in ast.walk(parsed(path))
        if isinstance(node, ast.Constant) and node.value == 365
    ]
    assert not found, found
