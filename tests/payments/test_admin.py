"""The payments admin: every model registered, the ledger read-only."""

import pytest
from django.contrib import admin
from django.urls import reverse

from payments import models, services

from .conftest import fund_milestone, pay_tip

pytestmark = pytest.mark.django_db

MODELS = [
    models.LedgerAccount,
    models.LedgerTransaction,
    models.LedgerEntry,
    models.Checkout,
    models.Earning,
    models.Payout,
    models.SandboxOperation,
]


@pytest.fixture
def filled(buyer, seller, milestone_purpose, clock):
    fund_milestone(buyer, 5, 10000)
    services.escrow_release(milestone_id=5, seller=seller)
    pay_tip(buyer, seller, 1000)
    clock.advance(days=15)
    services.earnings_clear()
    services.payout_request(seller=seller, amount_cents=1000, idempotency_key="k")


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_every_payments_model_is_registered_and_read_only(model, admin_client, filled, rf, admin_user):
    model_admin = admin.site._registry[model]
    request = rf.get("/")
    request.user = admin_user
    assert not model_admin.has_add_permission(request)
    assert not model_admin.has_change_permission(request)
    assert not model_admin.has_delete_permission(request)
    changelist = reverse(f"admin:payments_{model._meta.model_name}_changelist")
    assert admin_client.get(changelist).status_code == 200
    obj = model.objects.first()
    assert (
        admin_client.get(reverse(f"admin:payments_{model._meta.model_name}_change", args=[obj.pk])).status_code == 200
    )


def test_the_ledger_list_filters_by_kind(admin_client, filled):
    url = reverse("admin:payments_ledgertransaction_changelist")
    response = admin_client.get(url, {"kind__exact": "release"})
    assert response.status_code == 200
    assert "Milestone #5 approved" in response.content.decode()
    assert "Tip for" not in response.content.decode()


def test_staff_can_hold_earnings_from_the_admin(admin_client, filled, buyer, seller):
    fund_milestone(buyer, 6, 10000)
    services.escrow_release(milestone_id=6, seller=seller)
    earning = models.Earning.objects.get(milestone_id=6)
    response = admin_client.post(
        reverse("admin:payments_earning_changelist"),
        {"action": "hold", "_selected_action": [earning.pk]},
        follow=True,
    )
    assert response.status_code == 200
    earning.refresh_from_db()
    assert earning.on_hold
