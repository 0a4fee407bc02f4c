"""Build disputes and support staff the way people do: through the services."""

from django.contrib.auth.models import Group

from orders import disputes
from orders.models import DisputeReason
from tests.factories import UserFactory
from tests.orders.builders import deliver, fund, make_order, ms


def support_user(**kwargs):
    """An active staff member in the Support group."""
    user = UserFactory(is_staff=True, **kwargs)
    group, _ = Group.objects.get_or_create(name="Support")
    user.groups.add(group)
    return user


def delivered(*amounts, buyer=None, seller=None):
    """An order whose first milestone is funded and delivered; returns (order, milestone)."""
    order = make_order(*(amounts or (10000,)), buyer=buyer, seller=seller)
    return order, deliver(fund(ms(order, 1)))


def open_dispute(milestone, by="buyer", reason=DisputeReason.NOT_AS_DESCRIBED, description="Not what we agreed."):
    actor = milestone.order.buyer if by == "buyer" else milestone.order.seller
    return disputes.dispute_open(milestone_id=milestone.pk, actor=actor, reason=reason, description=description)


def answered(dispute, body="I delivered what the brief asked for."):
    dispute.refresh_from_db()
    respondent = dispute.order.seller if dispute.opened_by_id == dispute.order.buyer_id else dispute.order.buyer
    disputes.dispute_answer(dispute_id=dispute.pk, actor=respondent, body=body)
    dispute.refresh_from_db()
    return dispute
