"""The Django admin for operators: pages, read-only lifecycle, FSM-gated buttons through the services, dashboard."""

import pytest
from django.contrib import admin
from django.core.management import call_command
from django.urls import reverse

from accounts.models import StaffAction
from milestones.models import Milestone, State
from orders import disputes
from orders.models import Dispute, DisputeStatus
from payments import services as payments
from tests.factories import UserFactory
from tests.orders.builders import fund, make_order, ms
from tests.orders.dispute_builders import answered, delivered, open_dispute, support_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def operator(client):
    user = support_user(is_superuser=True)
    client.force_login(user)
    return user


def transition_url(milestone, name):
    return reverse("admin:milestones_milestone_transition", args=[milestone.pk, name])


def test_every_orders_and_milestones_model_has_a_working_admin_list_and_page(client, operator):
    order, milestone = delivered()
    dispute = answered(open_dispute(milestone))
    disputes.settlement_propose(dispute_id=dispute.pk, actor=order.buyer, outcome="refund")
    disputes.dispute_message(dispute_id=dispute.pk, actor=operator, body="Looking into it.")
    for model, model_admin in admin.site._registry.items():
        if model._meta.app_label not in ("orders", "milestones"):
            continue
        opts = model._meta
        url = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
        response = client.get(url)
        assert response.status_code == 200, url
        if model_admin.search_fields:
            assert client.get(url, {"q": "example"}).status_code == 200, url
        obj = model.objects.first()
        if obj is not None:
            change = reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk])
            assert client.get(change).status_code == 200, change
    for name in ("dispute", "disputemessage", "disputeattachment", "settlementproposal", "staffaction"):
        assert any(m._meta.model_name == name for m in admin.site._registry), name


def test_the_admin_cannot_change_a_milestone_state_by_hand(client, operator):
    order, milestone = delivered(10000)
    url = reverse("admin:milestones_milestone_change", args=[milestone.pk])
    response = client.post(
        url,
        {
            "title": "Renamed",
            "description": milestone.description,
            "delivery_days": milestone.delivery_days,
            "revisions_allowed": milestone.revisions_allowed,
            "state": State.APPROVED,
            "amount_cents": 1,
            "deliveries-TOTAL_FORMS": "1",
            "deliveries-INITIAL_FORMS": "1",
            "deliveries-MIN_NUM_FORMS": "0",
            "deliveries-MAX_NUM_FORMS": "1000",
            "deliveries-0-id": milestone.deliveries.get().pk,
            "deliveries-0-milestone": milestone.pk,
        },
    )
    assert response.status_code == 302  # the form was accepted...
    milestone = ms(order, 1)
    assert milestone.title == "Milestone 1"  # ...but the plan of a funded milestone is read-only (issue 16),
    assert milestone.state == State.DELIVERED  # and the state and the amount did not move
    assert milestone.amount_cents == 10000
    assert payments.escrow_balance_cents(milestone_id=milestone.pk) == 10000
    assert "state" not in client.get(url).context["adminform"].form.fields


def test_a_dispute_cannot_be_edited_in_the_admin(client, operator):
    order, milestone = delivered()
    dispute = open_dispute(milestone)
    url = reverse("admin:orders_dispute_change", args=[dispute.pk])
    client.post(url, {"status": "resolved", "outcome": "release", "decision": "forged"})
    dispute.refresh_from_db()
    assert (dispute.status, dispute.outcome, dispute.decision) == (DisputeStatus.OPEN, "", "")
    assert client.post(reverse("admin:orders_dispute_delete", args=[dispute.pk]), {"post": "yes"}).status_code == 403
    assert Dispute.objects.filter(pk=dispute.pk).exists()


def test_operator_buttons_follow_the_state_machine(client, operator):
    order = make_order(10000, 20000, 30000)
    in_progress = fund(ms(order, 1))
    funded = fund(ms(order, 2))
    awaiting = ms(order, 3)

    def buttons(milestone):
        page = client.get(reverse("admin:milestones_milestone_change", args=[milestone.pk])).content.decode()
        return {
            name
            for name in ("cancel", "resolve_release", "resolve_refund", "resolve_split")
            if transition_url(milestone, name) in page
        }

    assert buttons(in_progress) == set()
    assert buttons(funded) == {"cancel"}
    assert buttons(awaiting) == {"cancel"}
    open_dispute(in_progress)
    assert buttons(ms(order, 1)) == {"resolve_release", "resolve_refund", "resolve_split"}
    # a transition the FSM does not allow is refused even when posted directly
    response = client.post(transition_url(ms(order, 2), "resolve_release"), {"reason": "no"})
    assert response.status_code == 302
    assert ms(order, 2).state == State.FUNDED
    assert client.get(transition_url(ms(order, 1), "approve")).status_code == 404


def test_an_operator_cancels_a_funded_milestone_through_the_service(client, operator):
    order = make_order(10000, 20000)
    fund(ms(order, 1))
    funded = fund(ms(order, 2))
    url = transition_url(funded, "cancel")
    assert client.get(url).status_code == 200
    assert client.post(url, {"reason": ""}).status_code == 200  # a reason is required
    assert ms(order, 2).state == State.FUNDED
    response = client.post(url, {"reason": "The buyer asked support to drop this phase.", "expected_state": "funded"})
    assert response.status_code == 302
    assert ms(order, 2).state == State.CANCELLED
    assert payments.balances_for(order.buyer).buyer_balance_cents == 20000
    log = StaffAction.objects.get()
    assert (log.staff, log.action, log.milestone_id) == (operator, "milestone_cancel", funded.pk)
    event = ms(order, 2).events.get(action="cancel")
    assert event.actor == operator and "support" in event.detail
    call_command("ledger_check")


def test_an_operator_resolves_a_dispute_with_a_split_through_the_service(client, operator):
    order, milestone = delivered(10000)
    answered(open_dispute(milestone))
    url = transition_url(milestone, "resolve_split")
    assert client.post(url, {"reason": "Half done", "seller_amount": "150.00"}).status_code == 200  # above escrow
    assert ms(order, 1).state == State.DISPUTED
    response = client.post(url, {"reason": "Half done", "seller_amount": "50.00"})
    assert response.status_code == 302
    assert ms(order, 1).state == State.SETTLED
    dispute = Dispute.objects.get()
    assert (dispute.seller_amount_cents, dispute.buyer_amount_cents, dispute.decided_by) == (5000, 5000, operator)
    assert StaffAction.objects.filter(action="dispute_resolve", staff=operator).count() == 1
    call_command("ledger_check")


def test_staff_outside_support_cannot_use_the_operator_buttons(client):
    order = make_order(10000, 20000)
    fund(ms(order, 1))
    funded = fund(ms(order, 2))
    staff = UserFactory(is_staff=True, is_superuser=False)
    client.force_login(staff)
    assert client.post(transition_url(funded, "cancel"), {"reason": "x"}).status_code in (302, 404)
    assert Milestone.objects.get(pk=funded.pk).state == State.FUNDED


def test_the_admin_index_shows_the_operations_dashboard(client, operator):
    order, milestone = delivered(10000)
    open_dispute(milestone)
    other_order, other = delivered(5000)
    waiting = open_dispute(other)
    disputes.disputes_escalate(now=waiting.answer_due_at)  # both unanswered cases go to staff
    response = client.get(reverse("admin:index"))
    page = response.content.decode()
    assert 'id="operations-dashboard"' in page
    assert '<td data-testid="open-orders">2</td>' in page
    assert '<td data-testid="disputes-waiting">2</td>' in page
    assert '<td data-testid="escrow">$150.00</td>' in page
