"""A small marketplace with one object of every kind a URL can name, built through the services.

``build_world()`` returns the people (buyer, seller, other, support, admin)
and the objects between the buyer and the seller: a gig with an image and
packages, a conversation with an attachment, orders in the states the pages
need (delivered with a file, in progress with pending requests, disputed
with evidence and a settlement proposal, completed with a review), an open
offer, paid and open checkouts. ``build_world(buyer=..., seller=...)`` builds
a second, foreign world for the IDOR tries.
"""

from dataclasses import dataclass, field

from django.contrib.auth.models import Group
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile

from accounts.models import Notification
from config.uploads import UploadedFile
from marketplace import services as marketplace
from marketplace.categories import ensure_category_tree
from marketplace.models import Category, PackageTier
from marketplace.services import PackageData
from milestones import services as milestone_services
from milestones.models import DeliveryFile
from orders import disputes
from orders import services as order_services
from orders.models import DisputeAttachment
from payments.models import Checkout, CheckoutStatus
from tests.factories import UserFactory
from tests.marketplace.conftest import image_file
from tests.orders.builders import approve, deliver, fund, make_order, ms, plan

SUPPORT_GROUP = "Support"


@dataclass
class World:
    users: dict
    objects: dict = field(default_factory=dict)

    def __getattr__(self, name):
        try:
            return self.objects[name]
        except KeyError:
            raise AttributeError(name) from None


def text_file(name="notes.txt", body=b"plain notes\n"):
    return SimpleUploadedFile(name, body, content_type="text/plain")


def make_people():
    support = UserFactory(display_name="Sam Support", is_staff=True)
    support.groups.add(Group.objects.get(name=SUPPORT_GROUP))
    return {
        "buyer": UserFactory(display_name="Bea Buyer"),
        "seller": UserFactory(display_name="Sol Seller"),
        "other": UserFactory(display_name="Oscar Other"),
        "support": support,
        "admin": UserFactory(display_name="Ada Admin", is_staff=True, is_superuser=True),
    }


def build_world(*, buyer=None, seller=None, people=None) -> World:
    ensure_category_tree()
    people = people or make_people()
    if buyer is not None:
        people = dict(people, buyer=buyer, seller=seller)
    buyer, seller = people["buyer"], people["seller"]
    w = World(users=people)
    o = w.objects
    o["seller_user"] = seller
    if not seller.avatar:
        seller.avatar.save("avatar.png", ContentFile(image_file().read()), save=True)

    packages = [
        PackageData(tier, tier.capitalize(), f"The {tier} package", price, 3 + i, 1)
        for i, (tier, price) in enumerate(zip(PackageTier.values, (10000, 20000, 40000), strict=True))
    ]
    o["gig"] = marketplace.gig_create(
        seller=seller,
        title=f"I will design a logo for {seller.pk}",
        description="A clean logo with source files.",
        category=Category.objects.get(slug="logo-design"),
        tags=["logo"],
        packages=packages,
        images=[image_file()],
    )
    o["gig_image"] = o["gig"].images.first()

    o["conversation"] = marketplace.conversation_start(buyer=buyer, seller=seller, gig=o["gig"])
    message = marketplace.message_send(
        conversation=o["conversation"], sender=buyer, body="Hello, here are my notes.", files=[text_file()]
    )
    o["attachment"] = message.attachments.get()

    # An order whose first milestone is delivered with a file; the second waits for funding (and a change).
    o["order"] = make_order(10000, 20000, buyer=buyer, seller=seller)
    first = fund(ms(o["order"], 1))
    milestone_services.milestone_deliver(
        milestone_id=first.pk,
        actor=seller,
        message="Here is the first draft.",
        files=[UploadedFile(file=text_file("draft.txt"), name="draft.txt")],
    )
    o["milestone"] = ms(o["order"], 1)
    o["delivery_file"] = DeliveryFile.objects.get(delivery__milestone=o["milestone"])
    o["plan_change"] = milestone_services.plan_change_propose(
        milestone_id=ms(o["order"], 2).pk,
        actor=seller,
        title="Phase 2, revised",
        description="Revised deliverables",
        amount_cents=20000,
        delivery_days=4,
        revisions_allowed=1,
    )
    o["open_checkout"] = milestone_services.milestone_fund_checkout(milestone=ms(o["order"], 2), actor=buyer)
    o["paid_checkout"] = Checkout.objects.get(reference_id=first.pk, status=CheckoutStatus.PAID)

    # An order in progress with an extension and a cancellation request pending.
    o["order_in_progress"] = make_order(10000, buyer=buyer, seller=seller)
    working = fund(ms(o["order_in_progress"], 1))
    o["extension"] = milestone_services.extension_request(
        milestone_id=working.pk, actor=seller, days=2, reason="More time please"
    )
    o["cancellation"] = milestone_services.cancellation_request(
        milestone_id=working.pk, actor=buyer, reason="Plans changed"
    )

    # A disputed milestone with evidence and a settlement proposal.
    o["order_disputed"] = make_order(10000, buyer=buyer, seller=seller)
    disputed = deliver(fund(ms(o["order_disputed"], 1)))
    o["dispute"] = disputes.dispute_open(
        milestone_id=disputed.pk,
        actor=buyer,
        reason="quality",
        description="The logo is blurry.",
        files=[UploadedFile(file=text_file("evidence.txt"), name="evidence.txt")],
    )
    o["disputed_milestone"] = ms(o["order_disputed"], 1)
    o["dispute_attachment"] = DisputeAttachment.objects.get(message__dispute=o["dispute"])
    o["proposal"] = disputes.settlement_propose(
        dispute_id=o["dispute"].pk, actor=seller, outcome="split", seller_amount_cents=5000
    )

    # A completed order with the buyer's review.
    o["order_completed"] = make_order(5000, buyer=buyer, seller=seller)
    approve(deliver(fund(ms(o["order_completed"], 1))))
    o["review"] = order_services.review_submit(
        order_id=o["order_completed"].pk, author=buyer, rating=5, text="Great work."
    )

    # An open offer in the conversation.
    o["offer"] = order_services.offer_create(conversation=o["conversation"], author=seller, items=plan(15000))
    o["notification"] = Notification.objects.filter(user=buyer).first()
    return w
