"""Demo orders for ``seed_demo``, made through the same services people use.

Idempotent: an order whose title is already there is not made again. The demo
buyer and seller get one order in progress (a delivery waiting for review, the
next milestone to fund) and one completed order with both reviews.
"""

from accounts.models import User
from marketplace import services as marketplace
from marketplace.models import Gig
from milestones import services as milestones
from milestones.models import Order
from payments import services as payments
from payments.providers.sandbox import CARD_SUCCEEDS

from . import services
from .services import PlanItem

ACTIVE_PLAN = [
    PlanItem("Data model and API design", "An OpenAPI spec and the database schema, reviewed together.", 20000, 3, 1),
    PlanItem("Orders and invoices", "Order history and PDF invoices for customers, with tests.", 45000, 7, 2),
    PlanItem("Returns and deploy", "A returns form that emails the team; deployed with CI.", 25000, 4, 1),
]
DONE_PLAN = [
    PlanItem("Logo concepts", "Three logo concepts as SVG and PNG.", 12000, 3, 2),
    PlanItem("Brand guide", "Colours, type and usage rules as a PDF.", 8000, 2, 1),
]


def _pay(milestone, buyer):
    checkout = milestones.milestone_fund_checkout(milestone=milestone, actor=buyer)
    payments.checkout_pay(checkout=checkout, actor=buyer, payment_method=CARD_SUCCEEDS)


def _order(buyer, seller, items, note):
    gig = Gig.objects.filter(seller=seller).order_by("pk").first()
    conversation = marketplace.conversation_start(buyer=buyer, seller=seller, gig=gig)
    offer = services.offer_create(conversation=conversation, author=seller, items=items, note=note, gig=gig)
    return services.offer_accept(offer_id=offer.pk, actor=buyer)


def seed(stdout) -> None:
    buyer = User.objects.filter(email="buyer@example.com").first()
    seller = User.objects.filter(email="seller@example.com").first()
    designer = User.objects.filter(email="seller2@example.com").first()
    if not (buyer and seller and designer):
        stdout.write("orders: demo people are missing; skipped the demo orders.")
        return
    made = 0
    if not Order.objects.filter(buyer=buyer, seller=seller).exists():
        order = _order(buyer, seller, ACTIVE_PLAN, "Here is the plan we discussed: three milestones.")
        first = order.milestones.get(position=1)
        _pay(first, buyer)
        milestones.milestone_deliver(
            milestone_id=first.pk,
            actor=seller,
            message="The spec and schema are ready for your review.",
            links="https://example.com/api-spec",
        )
        made += 1
    if not Order.objects.filter(buyer=buyer, seller=designer).exists():
        order = _order(buyer, designer, DONE_PLAN, "Two steps: concepts, then the guide.")
        for position in (1, 2):
            milestone = order.milestones.get(position=position)
            _pay(milestone, buyer)
            milestones.milestone_deliver(milestone_id=milestone.pk, actor=designer, message="Delivered, enjoy!")
            milestones.milestone_approve(milestone_id=milestone.pk, actor=buyer)
        services.review_submit(order_id=order.pk, author=buyer, rating=5, text="Lovely concepts, quick revisions.")
        services.review_submit(order_id=order.pk, author=designer, rating=5, text="Clear brief and fast feedback.")
        made += 1
    stdout.write(f"orders: {made} demo order{'' if made == 1 else 's'} created.")
