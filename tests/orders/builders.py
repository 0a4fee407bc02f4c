"""Build orders the way users do: through the services, never by writing states."""

from marketplace import services as marketplace
from milestones import services as milestone_services
from milestones.models import Milestone
from orders import services
from orders.services import PlanItem
from tests.factories import UserFactory


def plan(*amounts_cents, days=3, revisions=1):
    return [
        PlanItem(f"Milestone {i}", f"Deliverables of milestone {i}", amount, days, revisions)
        for i, amount in enumerate(amounts_cents, start=1)
    ]


def make_offer(*amounts, buyer=None, seller=None, author="seller", revisions=1, days=3):
    buyer = buyer or UserFactory()
    seller = seller or UserFactory()
    conversation = marketplace.conversation_start(buyer=buyer, seller=seller)
    offer = services.offer_create(
        conversation=conversation,
        author=seller if author == "seller" else buyer,
        items=plan(*(amounts or (10000, 20000, 30000)), revisions=revisions, days=days),
    )
    return offer


def make_order(*amounts, buyer=None, seller=None, revisions=1, days=3):
    offer = make_offer(*amounts, buyer=buyer, seller=seller, revisions=revisions, days=days)
    return services.offer_accept(offer_id=offer.pk, actor=offer.buyer)


def ms(order, position):
    """A fresh copy of milestone ``position`` of ``order``."""
    return Milestone.objects.select_related("order").get(order=order, position=position)


def fund(milestone, card=None):
    """The buyer pays the milestone's checkout with the sandbox card that succeeds."""
    from payments import services as payments
    from payments.providers.sandbox import CARD_SUCCEEDS

    checkout = milestone_services.milestone_fund_checkout(milestone=milestone, actor=milestone.order.buyer)
    payments.checkout_pay(checkout=checkout, actor=milestone.order.buyer, payment_method=card or CARD_SUCCEEDS)
    return ms(milestone.order, milestone.position)


def deliver(milestone, message="Here is the work."):
    milestone_services.milestone_deliver(milestone_id=milestone.pk, actor=milestone.order.seller, message=message)
    return ms(milestone.order, milestone.position)


def approve(milestone):
    milestone_services.milestone_approve(milestone_id=milestone.pk, actor=milestone.order.buyer)
    return ms(milestone.order, milestone.position)
