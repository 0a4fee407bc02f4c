"""Reads the order pages need, each in a fixed number of queries."""

import datetime
from dataclasses import dataclass

from django.core.paginator import Paginator
from django.db.models import Count, F, OuterRef, Prefetch, Q, Subquery, Value
from django.db.models.functions import Coalesce
from django.http import Http404

from accounts.models import Notification, User
from accounts.permissions import is_staff_member
from config import clock
from marketplace.models import Message
from milestones import process
from milestones.models import (
    FINAL_STATES,
    UNSTARTED_STATES,
    CancellationRequest,
    Delivery,
    ExtensionRequest,
    Milestone,
    Order,
    OrderStatus,
    PlanChange,
    RequestStatus,
    RevisionRequest,
    State,
    TimelineEvent,
)
from milestones.services import order_stop_refusal
from milestones.timers import next_event
from payments.selectors import escrow_outcome

from .models import Offer, OfferStatus, Review
from .stats import published_reviews

ORDER_PAGE_MESSAGES = 50


def can_see_order(user, order):
    return user.is_authenticated and (user.pk in (order.buyer_id, order.seller_id) or is_staff_member(user))


def order_for_user(*, user, pk) -> Order:
    """The order if ``user`` is a party or support staff; 404 for everyone else."""
    order = Order.objects.select_related("buyer", "seller", "gig", "conversation").filter(pk=pk).first()
    if order is None or not can_see_order(user, order):
        raise Http404("No such order.")
    return order


def offers_decided():
    """A subquery: when an offer of the conversation ``OuterRef("pk")`` was last decided (accepted, declined,
    withdrawn, expired): part of the conversation page's live stamp (``marketplace.hooks``)."""
    decided = Offer.objects.filter(conversation=OuterRef("pk"), decided_at__isnull=False).order_by("-decided_at")
    return Subquery(decided.values("decided_at")[:1])


def order_stamp(*, user, pk) -> str | None:
    """What the order page shows, as one value that changes whenever the page would: every step, request,
    answer and review is a timeline event, and its conversation panel shows the newest messages. The live
    poll compares it with the page's. None for anyone who may not see the order. One query."""
    newest_event = TimelineEvent.objects.filter(order=OuterRef("pk")).order_by("-id").values("id")[:1]
    newest_message = Message.objects.filter(conversation=OuterRef("conversation_id")).order_by("-id").values("id")[:1]
    order = (
        Order.objects.filter(pk=pk)
        .annotate(
            _event=Coalesce(Subquery(newest_event), Value(0)), _message=Coalesce(Subquery(newest_message), Value(0))
        )
        .only("pk", "buyer_id", "seller_id", "status")
        .first()
    )
    if order is None or not can_see_order(user, order):
        return None
    return f"o{order._event}.{order._message}.{order.status}"


def order_page(*, user, pk):
    """Everything the order page shows, with the actions ``user`` may take on each milestone."""
    order = order_for_user(user=user, pk=pk)
    pending = Q(status=RequestStatus.PENDING)
    milestones = list(
        Milestone.objects.filter(order=order)
        .select_related("proposed_by")
        .prefetch_related(
            Prefetch(
                "deliveries",
                queryset=Delivery.objects.prefetch_related("files").order_by("-number"),
            ),
            Prefetch("revision_requests", queryset=RevisionRequest.objects.order_by("created_at")),
            # every request (the history lists them with their answers; the pending one is asked of the process)
            Prefetch("extension_requests", queryset=ExtensionRequest.objects.order_by("created_at", "pk")),
            Prefetch("cancellation_requests", queryset=CancellationRequest.objects.order_by("created_at", "pk")),
            Prefetch("plan_changes", queryset=PlanChange.objects.filter(pending), to_attr="pending_changes"),
        )
        .order_by("position")
    )
    order._prefetched_objects_cache = {"milestones": _as_queryset_cache(order, milestones)}  # type: ignore[attr-defined]
    unstarted = {m.pk for m in milestones if m.state in UNSTARTED_STATES}
    staff = is_staff_member(user)
    for milestone in milestones:
        milestone.order = order
        milestone.others_unstarted = bool(unstarted - {milestone.pk})  # "approve and end the order here" applies
        milestone.pending_extension = _pending(milestone.extension_requests.all())
        milestone.pending_cancellation = _pending(milestone.cancellation_requests.all())
        milestone.pending_change = milestone.pending_changes[0] if milestone.pending_changes else None
        # the buttons and the answers to open requests: from the process declaration
        milestone.actions = process.actions(milestone, user)
        milestone.action_names = {action.name for action in milestone.actions}
        milestone.open_requests = process.open_requests(milestone, user)
        milestone.next_event = next_event(milestone) if staff else None
        milestone.history = milestone_history(milestone)
        milestone.stages = milestone_stages(milestone)
        milestone.working = milestone.state in WORKING_STATES  # its due date counts down
    events, messages = side_panel(order, milestones)
    reviews = list(Review.objects.filter(order=order).select_related("author", "recipient"))
    now = clock.now()
    role = order.party_role(user)
    return {
        "order": order,
        "role": role,
        "milestones": milestones,
        "progress": order_progress(milestones),
        "events": events,
        "conversation_messages": messages,
        "reviews": [r for r in reviews if r.published_at <= now or r.author_id == user.pk],
        "my_review": next((r for r in reviews if r.author_id == user.pk), None),
        # the service's own rule (milestones.services.order_stop), asked of the milestones already loaded
        "can_stop": role == "buyer"
        and order.status == OrderStatus.ACTIVE
        and not order_stop_refusal(milestones)
        and bool(unstarted),
        # the order's own forms, offered where their services would act
        "can_propose": bool(role) and order.status == OrderStatus.ACTIVE,
        "can_review": bool(role)
        and order.status == OrderStatus.COMPLETED
        and not any(r.author_id == user.pk for r in reviews),
        "can_tip": role == "buyer" and order.status == OrderStatus.COMPLETED,
        "now": now,
    }


@dataclass(frozen=True)
class SideMessage:
    """A message as the order page's side panel shows it (sender, time, text, warning; the attachments are on
    the conversation page)."""

    pk: int
    sender_id: int | None
    sender: object  # the User, or None for a notice from the platform
    body: str
    off_platform: bool
    created_at: datetime.datetime


@dataclass(frozen=True)
class Event:
    """A timeline event as the order page shows it (the names ``TimelineEvent`` has, for the same filters)."""

    pk: int
    created_at: datetime.datetime
    action: str
    from_state: str
    to_state: str
    detail: str
    milestone_id: int | None
    milestone: object  # the order's Milestone, or None
    actor_label: str


def side_panel(order, milestones) -> tuple[list[Event], list[SideMessage]]:
    """The order's timeline (newest first) and its conversation's last ``ORDER_PAGE_MESSAGES`` messages (oldest
    first), as plain rows: they are only displayed, and a model instance per row, with its sender's or actor's,
    cost more than the rows' own query (make bench). Names come from the order's parties, already loaded; anyone
    else who acted (support, say) from one more query."""
    events = list(
        TimelineEvent.objects.filter(order=order)
        .order_by("-created_at", "-pk")
        .values_list("pk", "created_at", "action", "from_state", "to_state", "detail", "milestone_id", "actor_id")
    )
    messages = list(
        order.conversation.messages.order_by("-created_at", "-pk").values_list(
            "pk", "sender_id", "body", "off_platform", "created_at"
        )[:ORDER_PAGE_MESSAGES]
    )[::-1]
    people = {order.buyer_id: order.buyer, order.seller_id: order.seller}
    others = {row[-1] for row in events} | {row[1] for row in messages}
    others -= {None, *people}
    if others:
        people |= User.objects.in_bulk(others)
    by_pk = {m.pk: m for m in milestones}
    # a milestone added between the two reads (a proposal sent meanwhile): its event still names it
    unknown = {row[6] for row in events} - {None, *by_pk}
    if unknown:
        by_pk |= Milestone.objects.in_bulk(unknown)

    def label(actor_id):
        person = people.get(actor_id)
        return person.public_name if person is not None else "System"

    return (
        [Event(*row[:7], by_pk.get(row[6]), label(row[7])) for row in events],
        [SideMessage(pk, sender_id, people.get(sender_id), *rest) for pk, sender_id, *rest in messages],
    )


def _pending(requests):
    return next((r for r in requests if r.status == RequestStatus.PENDING), None)


WORKING_STATES = (State.IN_PROGRESS, State.REVISION_REQUESTED)


@dataclass(frozen=True)
class HistoryEntry:
    """One thing that happened on a milestone, for its history on the order page."""

    kind: str  # delivery, revision, extension, cancellation, answer (``templates/orders/history/<kind>.html``)
    at: datetime.datetime
    item: object  # the Delivery, RevisionRequest or request (an answer: the request answered)
    by: str = ""  # "buyer" or "seller" ("": nobody; a request closed with its milestone)
    about: str = ""  # an answer: the kind of request answered


def milestone_history(milestone) -> list[HistoryEntry]:
    """Deliveries, revision requests, extension and cancellation requests and their answers, in the order
    they happened (from the rows the page's selector prefetched: no query)."""
    order = milestone.order
    entries = [HistoryEntry("delivery", d.created_at, d, "seller") for d in milestone.deliveries.all()]
    entries += [HistoryEntry("revision", r.created_at, r, "buyer") for r in milestone.revision_requests.all()]
    for kind, requests in (
        ("extension", milestone.extension_requests.all()),
        ("cancellation", milestone.cancellation_requests.all()),
    ):
        for r in requests:
            asked = "buyer" if r.requested_by_id == order.buyer_id else "seller"
            entries.append(HistoryEntry(kind, r.created_at, r, asked))
            if r.decided_at is not None:
                other = "seller" if asked == "buyer" else "buyer"
                by = {RequestStatus.WITHDRAWN: asked, RequestStatus.CLOSED: ""}.get(r.status, other)
                entries.append(HistoryEntry("answer", r.decided_at, r, by, kind))
    rank = {"delivery": 0, "revision": 1, "extension": 1, "cancellation": 1, "answer": 2}
    return sorted(entries, key=lambda e: (e.at, rank[e.kind], getattr(e.item, "pk", 0)))


# The order page's per-milestone progress: its stages, and the stage each state has reached.
STAGES = ("Funded", "In progress", "Delivered", "Approved")
_REACHED = {
    State.AWAITING_FUNDING: -1,
    State.FUNDED: 0,
    State.IN_PROGRESS: 1,
    State.REVISION_REQUESTED: 1,
    State.DELIVERED: 2,
    State.APPROVED: 3,
    State.SETTLED: 3,
}


@dataclass(frozen=True)
class Stage:
    label: str
    status: str  # done, current or todo


def milestone_stages(milestone) -> list[Stage]:
    """The milestone's place on funded → in progress → delivered → approved (none while it is only proposed or
    once cancelled). A dispute holds the milestone where it was: delivered if any delivery was made."""
    if milestone.state == State.DISPUTED:
        reached = 2 if milestone.deliveries.all() else 1
    elif milestone.state in _REACHED:
        reached = _REACHED[milestone.state]
    else:
        return []
    done_through = len(STAGES) if reached == len(STAGES) - 1 else reached  # an approved milestone is done
    return [
        Stage(label, "done" if i < done_through else "current" if i == reached else "todo")
        for i, label in enumerate(STAGES)
    ]


@dataclass(frozen=True)
class OrderProgress:
    """The order's money and milestones at a glance: where the plan's money is (the four parts add up to
    ``total_cents``) and how many of the agreed milestones have ended."""

    released_cents: int  # to the seller
    refunded_cents: int  # to the buyer
    held_cents: int  # in escrow
    to_fund_cents: int  # agreed, not paid yet
    done: int  # ended: approved, settled or cancelled
    count: int  # agreed (a proposal never accepted is not part of the plan)

    @property
    def total_cents(self) -> int:
        return self.released_cents + self.refunded_cents + self.held_cents + self.to_fund_cents


def order_progress(milestones) -> OrderProgress:
    """From the milestones (already loaded) and their escrow postings (1 query)."""
    agreed = [m for m in milestones if m.accepted_at is not None]
    money = escrow_outcome(milestone_ids=[m.pk for m in agreed])
    return OrderProgress(
        released_cents=money.released_cents,
        refunded_cents=money.refunded_cents,
        held_cents=money.held_cents,
        to_fund_cents=sum(m.amount_cents for m in agreed if m.state == State.AWAITING_FUNDING),
        done=sum(1 for m in agreed if m.state in FINAL_STATES),
        count=len(agreed),
    )


def _as_queryset_cache(order, milestones):
    """Make ``order.milestones.all()`` return the rows already loaded (no extra query)."""
    qs = Milestone.objects.filter(order=order)
    qs._result_cache = milestones
    qs._prefetch_done = True
    return qs


def offer_for_user(*, user, pk) -> Offer:
    offer = (
        Offer.objects.select_related("conversation", "buyer", "seller", "author", "gig")
        .prefetch_related("plan")
        .filter(pk=pk)
        .first()
    )
    if offer is None or user.pk not in (offer.buyer_id, offer.seller_id):
        raise Http404("No such offer.")
    return offer


def attach_offers(messages):
    """Give each offer message of a conversation page its ``offer_card`` (one query for all)."""
    ids = [m.pk for m in messages if m.kind == "offer"]
    offers = {}
    if ids:
        rows = Offer.objects.filter(message_id__in=ids).select_related("author", "order").prefetch_related("plan")
        offers = {offer.message_id: offer for offer in rows}
    for message in messages:
        message.offer_card = offers.get(message.pk)
    return messages


DASHBOARD_PAGE_SIZE = 20


def _paged(qs, page, count=None):
    """One page of a dashboard list: a slice, and a count unless ``count`` is given (already counted)."""
    paginator = Paginator(qs, DASHBOARD_PAGE_SIZE)
    if count is not None:
        paginator.count = count  # a cached_property: this stands in for its query
    return paginator.get_page(page)


def _milestone_counts(milestones, **lists):
    """The lengths of several milestone lists in one query: ``lists`` maps a name to the list's ``Q``.

    ``milestones`` is narrowed to the states the lists show first, so the count reads the open work
    and not the person's whole history.
    """
    states = {state for q in lists.values() for state in _states_of(q)}
    return milestones.filter(state__in=states).aggregate(**{name: Count("pk", filter=q) for name, q in lists.items()})


def _states_of(q):
    """The states a list's ``Q`` names (``state=`` or ``state__in=``)."""
    for child in q.children:
        if isinstance(child, Q):
            yield from _states_of(child)
        elif child[0] == "state":
            yield child[1]
        elif child[0] == "state__in":
            yield from child[1]


def buyer_dashboard(*, user, pages=None):
    """The buying half of the dashboard; each list is paged (``pages``: {list name: page number})."""
    pages = pages or {}
    now = clock.now()
    orders = (
        Order.objects.filter(buyer=user)
        .select_related("seller")
        .annotate(
            open_count=Count(
                "milestones", filter=~Q(milestones__state__in=[State.APPROVED, State.SETTLED, State.CANCELLED])
            )
        )
        .order_by("status", "-created_at", "-pk")
    )
    review_q = Q(state=State.DELIVERED)
    fund_q = Q(state=State.AWAITING_FUNDING, order__status=OrderStatus.ACTIVE)
    bought = Milestone.objects.filter(order__buyer=user)
    counts = _milestone_counts(bought, to_review=review_q, to_fund=fund_q)
    to_review = bought.filter(review_q).select_related("order", "order__seller").order_by("auto_approve_at", "pk")
    to_fund = bought.filter(fund_q).select_related("order").order_by("order_id", "position")
    offers = (
        Offer.objects.filter(buyer=user, status=OfferStatus.PENDING, expires_at__gt=now)
        .exclude(author=user)
        .select_related("seller")
        .prefetch_related("plan")
        .order_by("expires_at", "pk")
    )
    return {
        "orders": _paged(orders, pages.get("orders")),
        "to_review": _paged(to_review, pages.get("review"), counts["to_review"]),
        "to_fund": _paged(to_fund, pages.get("fund"), counts["to_fund"]),
        "offers_received": _paged(offers, pages.get("offers")),
        "now": now,
    }


def seller_dashboard(*, user, pages=None):
    """The selling half of the dashboard: active work most urgent first (late work on top), paged."""
    pages = pages or {}
    now = clock.now()
    work_q = Q(state__in=[State.IN_PROGRESS, State.REVISION_REQUESTED])
    delivered_q = Q(state=State.DELIVERED)
    sold = Milestone.objects.filter(order__seller=user)
    counts = _milestone_counts(sold, work=work_q, late=work_q & Q(due_at__lt=now), delivered=delivered_q)
    active = sold.filter(work_q).select_related("order", "order__buyer")
    delivered = sold.filter(delivered_q).select_related("order").order_by("auto_approve_at", "pk")
    offers = (
        Offer.objects.filter(seller=user, status=OfferStatus.PENDING, expires_at__gt=now)
        .select_related("buyer")
        .prefetch_related("plan")
        .order_by("expires_at", "pk")
    )
    orders = Order.objects.filter(seller=user).select_related("buyer").order_by("status", "-created_at", "-pk")
    return {
        "work": _paged(active.order_by(F("due_at").asc(nulls_last=True), "pk"), pages.get("work"), counts["work"]),
        "late_count": counts["late"],
        "delivered": _paged(delivered, pages.get("delivered"), counts["delivered"]),
        "offers_pending": _paged(offers, pages.get("offers_sent")),
        "orders": _paged(orders, pages.get("selling")),
        "now": now,
    }


def notifications_for(*, user, limit=50):
    return list(Notification.objects.filter(user=user).order_by("-created_at")[:limit])


def unread_notifications_count(user):
    return Notification.objects.filter(user=user, read_at__isnull=True).count()


def published_reviews_about(*, seller, gig=None):
    """Public reviews of a seller (optionally of one gig's orders), newest first, for gig pages and profiles:
    the rows the seller's rating counts (``stats.published_reviews``). A queryset, to page through."""
    qs = published_reviews().filter(recipient=seller)
    if gig is not None:
        qs = qs.filter(order__gig=gig)
    return qs.select_related("author", "order__gig").order_by("-published_at", "-pk")
