"""Offers, orders, reviews and tips. Milestone actions live in ``milestones.services``."""

import hashlib
import json
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.urls import reverse

from accounts.notifications import notification_send, notifications_mark_read_for
from config import clock, limits
from config.money import format_cents
from config.text import clean_line
from marketplace import services as marketplace
from marketplace.exceptions import MarketplaceError
from marketplace.models import Conversation, Gig, GigPackage, GigStatus
from milestones import services as milestones
from milestones.exceptions import OrderError, StaleAction
from milestones.models import Milestone, Order, OrderStatus
from milestones.process import plural
from milestones.timeline import timeline_record
from payments.checkout import CheckoutPlan, Made, PlanStep

from .models import DEFAULT_OFFER_TITLE, OFFER_TITLE_MAX, Offer, OfferMilestone, OfferStatus, Review
from .stats import seller_stats_recount, seller_stats_recount_after_commit


@dataclass(frozen=True)
class PlanItem:
    title: str
    description: str
    amount_cents: int
    delivery_days: int
    revisions_allowed: int = 1


def validate_plan(items, *, min_items: int = 1, max_items: int | None = None) -> list:
    """THE rule of a milestone plan (an offer's, a counter-offer's, a gig package's): how many milestones
    (1 to ``ORDERS_MAX_MILESTONES`` unless narrowed), and each one's fields (``validate_plan_item``)."""
    items = list(items)
    most = settings.ORDERS_MAX_MILESTONES if max_items is None else max_items
    if not min_items <= len(items) <= most:
        raise OrderError(f"A plan has between {min_items} and {most} milestones; this one has {len(items)}.")
    for item in items:
        milestones.validate_plan_item(
            title=item.title,
            description=item.description,
            amount_cents=item.amount_cents,
            delivery_days=item.delivery_days,
            revisions_allowed=item.revisions_allowed,
        )
    return items


def _offer_url(offer):
    return offer.conversation.get_absolute_url() + f"#offer-{offer.pk}"


def offer_default_title(*, gig: Gig | None) -> str:
    """What an offer is called until its author says otherwise: its gig's title, else "Custom offer"."""
    return gig.title[:OFFER_TITLE_MAX] if gig is not None else DEFAULT_OFFER_TITLE


def _offer_title(title, gig):
    title = clean_line(title or "") or offer_default_title(gig=gig)
    if len(title) > OFFER_TITLE_MAX:
        raise OrderError(f"The offer's title can be at most {OFFER_TITLE_MAX} characters.")
    return title


def _new_offer(*, conversation, author, items, note, gig, title, previous=None):
    offer = Offer.objects.create(
        conversation=conversation,
        gig=gig,
        title=_offer_title(title, gig),
        buyer=conversation.buyer,
        seller=conversation.seller,
        author=author,
        previous=previous,
        note=note,
        expires_at=clock.now() + settings.OFFER_EXPIRY,
    )
    OfferMilestone.objects.bulk_create(
        OfferMilestone(
            offer=offer,
            position=i,
            title=item.title,
            description=item.description,
            amount_cents=item.amount_cents,
            delivery_days=item.delivery_days,
            revisions_allowed=item.revisions_allowed,
        )
        for i, item in enumerate(items, start=1)
    )
    total = sum(item.amount_cents for item in items)
    kind = "a counter-offer" if previous else ("a custom offer" if author.pk == conversation.seller_id else "a plan")
    offer.message = marketplace.message_send(
        conversation=conversation,
        sender=author,
        body=f"Sent {kind}: {plural(len(items), 'milestone', 'milestones')}, {format_cents(total)} in total.",
        kind="offer",
    )
    offer.save(update_fields=["message"])
    notification_send(
        user=conversation.other_party(author),
        text=f"{author.public_name} sent you {kind} ({format_cents(total)}). It expires in "
        f"{settings.OFFER_EXPIRY.days} days.",
        url=_offer_url(offer),
    )
    return offer


@transaction.atomic
def offer_create(
    *, conversation: Conversation, author, items, note="", gig: Gig | None = None, title: str = ""
) -> Offer:
    """A seller's custom offer, or a buyer's draft plan for the seller, sent in the conversation. ``title``
    names the work (the order made from the offer takes it); blank: the gig's title, else "Custom offer"."""
    conversation = Conversation.objects.select_for_update().get(pk=conversation.pk)
    if author.pk not in (conversation.buyer_id, conversation.seller_id):
        raise OrderError("Only the two people in this conversation can send offers in it.")
    if conversation.buyer_id == conversation.seller_id:
        raise OrderError("You can't order from yourself.")
    items = validate_plan(items)
    gig = gig or conversation.gig
    return _new_offer(conversation=conversation, author=author, items=items, note=note, gig=gig, title=title)


def _lock_open_offer(offer_id):
    offer = Offer.objects.select_for_update().select_related("conversation").filter(pk=offer_id).first()
    if offer is None:
        raise OrderError("This offer does not exist.")
    if offer.status != OfferStatus.PENDING:
        raise StaleAction(f"This offer is no longer open: {offer.get_status_display().lower()}.")
    if offer.expires_at <= clock.now():
        # the refusal rolls back; the expiry sweep records the status
        raise StaleAction("This offer has expired. Ask for a new one in the conversation.")
    return offer


def _require_recipient(offer, actor, verb):
    if actor.pk not in (offer.buyer_id, offer.seller_id):
        raise OrderError("This offer is not addressed to you.")
    if actor.pk == offer.author_id:
        raise OrderError(f"You sent this offer; the other side must {verb} it.")


@transaction.atomic
def offer_counter(*, offer_id, actor, items, note="", title: str = "") -> Offer:
    """Answer an offer with an edited plan; the old version stays on record as superseded. A blank
    ``title`` keeps the answered offer's."""
    offer = _lock_open_offer(offer_id)
    _require_recipient(offer, actor, "answer")
    items = validate_plan(items)
    offer.supersede()
    offer.save(update_fields=["status", "decided_at"])
    return _new_offer(
        conversation=offer.conversation,
        author=actor,
        items=items,
        note=note,
        gig=offer.gig,
        title=title or offer.title,
        previous=offer,
    )


def _create_order(*, buyer, seller, conversation, gig, offer, title, items, proposer, acceptor):
    order = Order.objects.create(buyer=buyer, seller=seller, gig=gig, conversation=conversation, title=title[:140])
    if offer is not None:
        offer.order = order
        offer.save(update_fields=["order"])
    timeline_record(order=order, actor=acceptor, action="order_created", to_state=OrderStatus.ACTIVE)
    for position, item in enumerate(items, start=1):
        milestone = Milestone.objects.create(
            order=order,
            position=position,
            title=item.title,
            description=item.description,
            amount_cents=item.amount_cents,
            delivery_days=item.delivery_days,
            revisions_allowed=item.revisions_allowed,
            proposed_by=proposer,
        )
        milestone.order = order
        # recorded on the timeline, not announced: the order's own notice ("accepted your offer", "ordered and
        # paid") tells the other side once, not once per milestone (outside try: six emails for one order)
        milestones.run_transition(milestone, "accept", acceptor, announce=False)
    milestones.order_activate_next(order=order)
    return order


@transaction.atomic
def offer_accept(*, offer_id, actor) -> Order:
    """The other side accepts the plan: the order and its milestones come to life, awaiting funding."""
    offer = _lock_open_offer(offer_id)
    _require_recipient(offer, actor, "accept")
    offer.accept()
    offer.save(update_fields=["status", "decided_at"])
    notifications_mark_read_for(user=actor, urls=[_offer_url(offer)])  # the offer's notice is answered
    plan = list(offer.plan.all())
    order = _create_order(
        buyer=offer.buyer,
        seller=offer.seller,
        conversation=offer.conversation,
        gig=offer.gig,
        offer=offer,
        title=offer.title,
        items=[PlanItem(p.title, p.description, p.amount_cents, p.delivery_days, p.revisions_allowed) for p in plan],
        proposer=offer.author,
        acceptor=actor,
    )
    marketplace.message_send(
        conversation=offer.conversation,
        sender=actor,
        body=f"Accepted the offer. Order #{order.pk} is open: the buyer funds each milestone to start it.",
        kind="system",
    )
    notification_send(
        user=offer.conversation.other_party(actor),
        text=f"{actor.public_name} accepted your offer: order #{order.pk}.",
        url=order.get_absolute_url(),
    )
    return order


@transaction.atomic
def offer_decline(*, offer_id, actor) -> Offer:
    offer = _lock_open_offer(offer_id)
    _require_recipient(offer, actor, "decline")
    offer.decline()
    offer.save(update_fields=["status", "decided_at"])
    notifications_mark_read_for(user=actor, urls=[_offer_url(offer)])
    notification_send(
        user=offer.conversation.other_party(actor),
        text=f"{actor.public_name} declined your offer.",
        url=_offer_url(offer),
    )
    return offer


@transaction.atomic
def offer_withdraw(*, offer_id, actor) -> Offer:
    offer = _lock_open_offer(offer_id)
    if actor.pk != offer.author_id:
        raise OrderError("Only the person who sent an offer can withdraw it.")
    offer.withdraw()
    offer.save(update_fields=["status", "decided_at"])
    return offer


def offers_expire(*, now=None, batch_size=500) -> int:
    """Mark open offers past their expiry as expired, in bounded batches. Idempotent."""
    now = now or clock.now()
    done = 0
    while True:
        with transaction.atomic():
            ids = list(
                Offer.objects.select_for_update(skip_locked=True)
                .filter(status=OfferStatus.PENDING, expires_at__lte=now)
                .values_list("pk", flat=True)[:batch_size]
            )
            if not ids:
                return done
            done += Offer.objects.filter(pk__in=ids).expire(now=now)


# --- ordering a package (or a gig's single price) directly: made when paid ---------------------
PRICE_TIER = "price"  # the tier slug of a gig sold at a single price (no packages)
PACKAGE_PURPOSES = ("package", "gig_price")  # payments checkout purposes: a package's pk, a gig's pk


def package_plan_validate(steps) -> None:
    """Registered with the marketplace (``hooks.register_plan_validator``): a gig package's milestone plan is
    checked as any plan is (``validate_plan``), with 2 to ``limits.package_plan_max_milestones()`` steps."""
    from marketplace.exceptions import InvalidInput

    items = [PlanItem(s.title, s.description, s.amount_cents, s.delivery_days, s.revisions) for s in steps]
    try:
        validate_plan(
            items, min_items=limits.PACKAGE_PLAN_MIN_MILESTONES, max_items=limits.package_plan_max_milestones()
        )
    except OrderError as exc:
        raise InvalidInput(str(exc)) from exc


@dataclass(frozen=True)
class PackageChoice:
    """What a buyer orders with one click: a package of a gig, or a gig's single price: one milestone, or the
    package's milestone plan (the checkout pays the first; the buyer funds the others as the work goes on)."""

    gig: Gig
    purpose: str  # PACKAGE_PURPOSES
    reference_id: int
    title: str
    items: tuple[PlanItem, ...]

    @property
    def has_plan(self) -> bool:
        return len(self.items) > 1

    @property
    def terms_digest(self) -> str:
        """What the buyer agrees to when ordering a plan, as a digest the checkout keeps (``terms_digest``):
        every step's title, deliverables, amount, days and revisions. Empty for one milestone, whose price
        the checkout's amount already pins down."""
        if not self.has_plan:
            return ""
        terms = [[i.title, i.description, i.amount_cents, i.delivery_days, i.revisions_allowed] for i in self.items]
        return hashlib.sha256(json.dumps(terms, ensure_ascii=False).encode()).hexdigest()


def _orderable_gig(gig_id, buyer) -> Gig:
    gig = Gig.objects.select_related("seller").filter(pk=gig_id, status=GigStatus.ACTIVE).first()
    if gig is None:
        raise OrderError("This gig is not available right now.")
    if gig.seller_id == buyer.pk:
        raise OrderError("You can't order your own gig.")
    return gig


def _package_choice(gig: Gig, tier: str) -> PackageChoice:
    if tier == PRICE_TIER:
        if GigPackage.objects.filter(gig=gig).exists():
            raise OrderError("This gig is sold as packages: choose one of them.")
        item = PlanItem(gig.title, gig.description, gig.price_cents, gig.delivery_days)
        return PackageChoice(gig, "gig_price", gig.pk, gig.title, (item,))
    package = GigPackage.objects.filter(gig=gig, tier=tier).prefetch_related("plan").first()
    if package is None:
        raise OrderError("This package does not exist.")
    title = f"{gig.title} ({package.get_tier_display()})"
    plan = list(package.plan.all())
    if not plan:
        item = PlanItem(
            package.name, package.description, package.price_cents, package.delivery_days, package.revisions
        )
        return PackageChoice(gig, "package", package.pk, title, (item,))
    try:  # a plan that no longer fits its package (changed in the admin) is not sold
        marketplace.package_plan_check(
            label=package.get_tier_display(),
            price_cents=package.price_cents,
            delivery_days=package.delivery_days,
            plan=plan,
        )
    except MarketplaceError as exc:
        raise OrderError(f"This package cannot be ordered right now: {exc}") from exc
    items = tuple(PlanItem(m.title, m.description, m.amount_cents, m.delivery_days, m.revisions) for m in plan)
    return PackageChoice(gig, "package", package.pk, title, items)


def order_package_checkout(*, gig_id, tier, buyer):
    """The buyer clicked Order on a package (``tier``) or on a single-price gig (``PRICE_TIER``): open (or reuse)
    the checkout that pays for it: the price, or with a milestone plan the plan's first milestone. Nothing else
    is made now: an abandoned click leaves no order; paying makes the order (one milestone, or the whole plan)
    and funds its first milestone, in the payment's transaction (``package_order_prepare``)."""
    from payments import services as payments

    choice = _package_choice(_orderable_gig(gig_id, buyer), tier)
    validate_plan(choice.items)
    return payments.checkout_create(
        buyer=buyer,
        purpose=choice.purpose,
        reference_id=choice.reference_id,
        amount_cents=choice.items[0].amount_cents,
        description=choice.title,
        payee=choice.gig.seller,
        return_url=reverse("dashboard"),
        terms_digest=choice.terms_digest,
    )


def _ordered_from(checkout) -> tuple[int, str] | None:
    """The gig and tier ``checkout`` orders (None if its package is gone)."""
    if checkout.purpose == "gig_price":
        return checkout.reference_id, PRICE_TIER
    package = GigPackage.objects.filter(pk=checkout.reference_id).only("gig_id", "tier").first()
    return (package.gig_id, package.tier) if package is not None else None


def _paid_choice(checkout, *, charged: bool) -> PackageChoice:
    """What ``checkout`` pays for, if it can still be bought as it was when the checkout opened: from the same
    seller, for the same amount and, for a milestone plan, the same plan (``terms_digest``)."""
    from payments.exceptions import PaymentError

    ordered = _ordered_from(checkout)
    if ordered is None:
        raise PaymentError("This package is no longer offered; nothing was charged.")
    try:
        choice = _package_choice(_orderable_gig(ordered[0], checkout.buyer), ordered[1])
    except OrderError as exc:
        raise PaymentError(str(exc)) from exc
    # the buyer agreed to pay the seller the checkout names; then the plan: a plan added, removed or changed
    # also moves what the first payment is (outside try: a removed plan was reported as "the price changed")
    changed = (
        "This gig has another seller"
        if choice.gig.seller_id != checkout.payee_id
        else "The milestone plan changed"
        if choice.terms_digest != checkout.terms_digest
        else "The price changed"
        if choice.items[0].amount_cents != checkout.amount_cents
        else ""
    )
    if changed:
        raise PaymentError(
            f"{changed} since you clicked Order."
            + ("" if charged else " Nothing was charged.")
            + " Go back to the gig to see it as it is now and order again."
        )
    return choice


def _checkout_gig_url(checkout) -> str:
    """The page of the gig ``checkout`` orders from ("" if the gig is off sale or its package is gone)."""
    ordered = _ordered_from(checkout)
    gig = Gig.objects.filter(pk=ordered[0], status=GigStatus.ACTIVE).first() if ordered else None
    return gig.get_absolute_url() if gig is not None else ""


def package_checkout_validate(checkout) -> None:
    """Before charging: the gig is still on sale at this price (and plan), to this buyer."""
    _paid_choice(checkout, charged=False)


def package_checkout_plan(checkout) -> CheckoutPlan | None:
    """The checkout page's view of what is ordered: a package's milestone plan (None for one milestone), or
    why it can no longer be paid as it was when the buyer clicked Order."""
    from payments.exceptions import PaymentError

    try:
        choice = _paid_choice(checkout, charged=False)
    except PaymentError as exc:
        return CheckoutPlan(steps=(), problem=exc.message, back_url=_checkout_gig_url(checkout))
    if not choice.has_plan:
        return None
    return CheckoutPlan(steps=tuple(PlanStep(i.title, i.amount_cents, i.delivery_days) for i in choice.items))


def package_order_prepare(checkout) -> Made:
    """Paid (inside the payment's transaction, before the escrow posting): make the order (one milestone, or
    the package's whole plan) and return its first milestone, whose escrow receives the payment, and its page.
    Once per checkout (it is paid once)."""
    order = _order_from_choice(_paid_choice(checkout, charged=True), buyer=checkout.buyer)
    return Made(milestone_id=order.milestones.get(position=1).pk, return_url=order.get_absolute_url())


def package_order_paid(checkout, *, milestone_id) -> None:
    """After the escrow posting (same transaction): the first milestone is funded and starts; the plan's
    others wait for the buyer to fund them, as in any milestone order."""
    milestone = milestones.lock_milestone(milestone_id)
    # the seller is told "ordered and paid for it" (``_order_from_choice``): not once more as "funded"
    milestones.run_transition(milestone, "fund", checkout.buyer, announce=False)
    milestones.order_activate_next(order=milestone.order)


def _order_from_choice(choice: PackageChoice, *, buyer) -> Order:
    gig = choice.gig
    conversation = marketplace.conversation_start(buyer=buyer, seller=gig.seller, gig=gig)
    order = _create_order(
        buyer=buyer,
        seller=gig.seller,
        conversation=conversation,
        gig=gig,
        offer=None,
        title=choice.title,
        items=list(choice.items),
        proposer=gig.seller,
        acceptor=buyer,
    )
    paid = "paid its first milestone" if choice.has_plan else "paid for it"
    notification_send(
        user=gig.seller,
        text=f"{buyer.public_name} ordered “{choice.title}” and {paid} (order #{order.pk}).",
        url=order.get_absolute_url(),
    )
    return order


# --- reviews, tips and seller stats -----------------------------------------
@transaction.atomic
def review_submit(*, order_id, author, rating, text) -> Review:
    """Rate the other party once the order is completed. Double-blind until both wrote or the window ends."""
    order = Order.objects.select_for_update().select_related("buyer", "seller").get(pk=order_id)
    role = order.party_role(author)
    if role is None:
        raise OrderError("Only the buyer and the seller of this order can review it.")
    if order.status != OrderStatus.COMPLETED:
        raise OrderError("Reviews open once the order is completed.")
    try:
        rating = int(rating)
    except (TypeError, ValueError):
        rating = 0
    if not 1 <= rating <= 5:
        raise OrderError("Choose a rating from 1 to 5 stars.")
    if not text.strip():
        raise OrderError("Write a few words about your experience.")
    if order.reviews.filter(author=author).exists():
        raise StaleAction("You have already reviewed this order.")
    now = clock.now()
    counterpart = order.reviews.select_for_update().first()
    assert order.ended_at is not None  # a completed order has ended
    window_end = order.ended_at + settings.REVIEW_BLIND_WINDOW
    published_at = now if counterpart or window_end <= now else window_end
    review = Review.objects.create(
        order=order,
        author=author,
        recipient=order.other_party(author),
        about_seller=role == "buyer",
        rating=rating,
        text=text,
        published_at=published_at,
    )
    if counterpart and counterpart.published_at > now:
        counterpart.published_at = now
        counterpart.save(update_fields=["published_at"])
    timeline_record(order=order, actor=author, action="review_written", detail=f"{rating}★")
    notification_send(
        user=review.recipient,
        text=f"{author.public_name} reviewed order #{order.pk}."
        + ("" if published_at <= now else " Write yours to see it (reviews are shown when both are in)."),
        url=order.get_absolute_url(),
    )
    seller_stats_recount_after_commit(seller_id=order.seller_id)
    # "you can now leave a review" / "… reviewed order #N, write yours": answered
    notifications_mark_read_for(user=author, urls=[order.get_absolute_url()])
    return review


@transaction.atomic
def review_reply(*, review_id, actor, reply) -> Review:
    review = Review.objects.select_for_update().filter(pk=review_id).first()
    if review is None or review.recipient_id != actor.pk or not review.about_seller:
        raise OrderError("Only the seller who was reviewed can reply to this review.")
    if not review.is_published:
        raise OrderError("You can reply once the review is published.")
    if review.replied_at:
        raise StaleAction("You have already replied to this review.")
    if not reply.strip():
        raise OrderError("Write your reply.")
    review.reply = reply
    review.replied_at = clock.now()
    review.save(update_fields=["reply", "replied_at"])
    return review


def on_order_completed(order):
    """Registered with the milestones app: an order that completed recounts its seller's stats."""
    seller_stats_refresh(seller=order.seller)


def seller_stats_refresh(*, seller):
    """Recount the seller's stats from their orders, reviews and messages (``orders.stats``)."""
    seller_stats_recount(seller_ids=[seller.pk])


def tip_checkout_start(*, order_id, actor, amount_cents):
    """The buyer tips the seller after a completed order (through the payments checkout)."""
    from payments import services as payments

    order = Order.objects.select_related("seller").get(pk=order_id)
    if actor.pk != order.buyer_id:
        raise OrderError("Only the buyer can tip the seller.")
    if order.status != OrderStatus.COMPLETED:
        raise OrderError("You can tip once the order is completed.")
    # the rest (the smallest tip, who can receive one) is the one tip path's: payments.services.tip_send
    return payments.tip_send(
        buyer=actor,
        seller=order.seller,
        amount_cents=amount_cents,
        reference_id=order.pk,
        note=f"order #{order.pk}",
        return_url=order.get_absolute_url(),
    )


def notifications_mark_read(*, user, pk=None) -> int:
    """Mark one notification (or all) of ``user`` as read."""
    from accounts.models import Notification

    mine = Notification.objects.filter(user=user)
    if pk is not None:
        mine = mine.filter(pk=pk)
        if not mine.exists():
            raise OrderError("That notification could not be found, so nothing was marked as read.")
    return mine.filter(read_at__isnull=True).update(read_at=clock.now())
