"""Reads of the dispute pages and the Resolution Center, each in a fixed number of queries."""

from django.core.paginator import Paginator
from django.db.models import Count, Prefetch, Q
from django.http import Http404

from accounts.models import StaffAction
from accounts.permissions import is_support
from milestones.models import Delivery, Milestone, RevisionRequest, TimelineEvent
from payments.models import AccountKind, LedgerAccount
from payments.selectors import escrow_balance_cents

from . import disputes
from .models import (
    ACTIVE_DISPUTE_STATUSES,
    Dispute,
    DisputeMessage,
    DisputeStatus,
    SettlementProposal,
    SettlementStatus,
)

QUEUE_FILTERS = {
    "active": ("Open and waiting", list(ACTIVE_DISPUTE_STATUSES)),
    "waiting": ("Waiting for staff", [DisputeStatus.WAITING_FOR_STAFF]),
    "open": ("Open", [DisputeStatus.OPEN]),
    "resolved": ("Resolved or withdrawn", [DisputeStatus.RESOLVED, DisputeStatus.WITHDRAWN]),
}
QUEUE_PAGE_SIZE = 50
CASE_PAGE_MESSAGES = 200
# A party who opened this many other disputes is flagged on the case page.
REPEAT_DISPUTES_FLAG = 2


def _dispute_base():
    return Dispute.objects.select_related(
        "order", "order__buyer", "order__seller", "milestone", "opened_by", "decided_by"
    )


def _thread(dispute):
    return list(DisputeMessage.objects.filter(dispute=dispute).select_related("author").prefetch_related("attachments"))


def dispute_page(*, user, pk):
    """The parties' dispute page (support staff may open it too); 404 for anyone else."""
    dispute = _dispute_base().filter(pk=pk).first()
    if dispute is None or not user.is_authenticated:
        raise Http404("No such dispute.")
    order = dispute.order
    role = order.party_role(user)
    if role is None and not is_support(user):
        raise Http404("No such dispute.")
    dispute.milestone.order = order
    proposals = list(SettlementProposal.objects.filter(dispute=dispute).select_related("proposed_by"))
    pending = next((p for p in proposals if p.status == SettlementStatus.PENDING), None)
    active = dispute.is_active
    is_opener = user.pk == dispute.opened_by_id
    return {
        "dispute": dispute,
        "order": order,
        "milestone": dispute.milestone,
        "role": role,
        "thread": _thread(dispute),
        "proposals": proposals,
        "pending_proposal": pending,
        "held_cents": escrow_balance_cents(milestone_id=dispute.milestone_id),
        "is_opener": is_opener,
        # the services' own rules (orders.disputes): a button shows only where the service would act
        "can_answer": bool(role) and active and disputes.answer_refusal(dispute, user) is None,
        "can_write": bool(role) and active,
        "can_withdraw": bool(role) and active and disputes.withdraw_refusal(dispute, user) is None,
        "can_ask_staff": bool(role) and active and disputes.ask_staff_refusal(dispute) is None,
        "can_answer_proposal": bool(role)
        and active
        and pending is not None
        and disputes.proposal_answer_refusal(pending, user) is None,
    }


def latest_dispute_for_milestone(*, user, milestone_pk) -> Dispute:
    milestone = Milestone.objects.select_related("order").filter(pk=milestone_pk).first()
    if milestone is None or not user.is_authenticated:
        raise Http404("No such milestone.")
    if milestone.order.party_role(user) is None and not is_support(user):
        raise Http404("No such milestone.")
    dispute = Dispute.objects.filter(milestone=milestone).order_by("-created_at", "-pk").first()
    if dispute is None:
        raise Http404("This milestone has no dispute.")
    return dispute


# --- the Resolution Center ---------------------------------------------------------
def staff_queue(*, status="active", page=1):
    """The queue, oldest case first, with the count behind each filter."""
    if status not in QUEUE_FILTERS:
        status = "active"
    counts = Dispute.objects.aggregate(
        **{key: Count("pk", filter=Q(status__in=statuses)) for key, (_label, statuses) in QUEUE_FILTERS.items()}
    )
    cases = (
        _dispute_base()
        .filter(status__in=QUEUE_FILTERS[status][1])
        .annotate(message_count=Count("messages"))
        .order_by("created_at", "pk")
    )
    paginator = Paginator(cases, QUEUE_PAGE_SIZE)
    page_obj = paginator.get_page(page)
    return {
        "status": status,
        "filters": [(key, label, counts[key]) for key, (label, _statuses) in QUEUE_FILTERS.items()],
        "page_obj": page_obj,
        "cases": list(page_obj.object_list),
    }


def staff_case(*, pk):
    """Everything support needs to decide one case: the whole order's history and the parties' record."""
    dispute = _dispute_base().select_related("order__conversation", "order__gig").filter(pk=pk).first()
    if dispute is None:
        raise Http404("No such dispute.")
    order = dispute.order
    milestones = list(
        Milestone.objects.filter(order=order)
        .prefetch_related(
            Prefetch("deliveries", queryset=Delivery.objects.prefetch_related("files").order_by("number")),
            Prefetch("revision_requests", queryset=RevisionRequest.objects.order_by("created_at")),
        )
        .order_by("position")
    )
    held = dict(
        LedgerAccount.objects.filter(kind=AccountKind.ESCROW, milestone_id__in=[m.pk for m in milestones])
        .values_list("milestone_id", "balance_cents")
        .order_by()
    )
    for milestone in milestones:
        milestone.order = order
        milestone.held_cents = held.get(milestone.pk, 0)
        milestone.is_case = milestone.pk == dispute.milestone_id
    events = list(
        TimelineEvent.objects.filter(order=order).select_related("actor", "milestone").order_by("created_at", "pk")
    )
    conversation = list(
        order.conversation.messages.select_related("sender")
        .prefetch_related("attachments")
        .order_by("-created_at", "-id")[:CASE_PAGE_MESSAGES]
    )[::-1]
    proposals = list(SettlementProposal.objects.filter(dispute=dispute).select_related("proposed_by"))
    audit = list(StaffAction.objects.filter(dispute_id=dispute.pk).select_related("staff"))
    parties = [order.buyer_id, order.seller_id]
    others = Dispute.objects.filter(Q(order__buyer_id__in=parties) | Q(order__seller_id__in=parties)).exclude(
        pk=dispute.pk
    )
    previous = list(
        others.select_related("order", "order__buyer", "order__seller", "milestone", "opened_by").order_by(
            "-created_at", "-pk"
        )[:50]
    )
    record = others.aggregate(
        buyer_opened=Count("pk", filter=Q(opened_by_id=order.buyer_id)),
        seller_opened=Count("pk", filter=Q(opened_by_id=order.seller_id)),
        buyer_involved=Count("pk", filter=Q(order__buyer_id=order.buyer_id) | Q(order__seller_id=order.buyer_id)),
        seller_involved=Count("pk", filter=Q(order__buyer_id=order.seller_id) | Q(order__seller_id=order.seller_id)),
    )
    return {
        "dispute": dispute,
        "order": order,
        "milestones": milestones,
        "case_milestone": next(m for m in milestones if m.is_case),
        "held_cents": escrow_balance_cents(milestone_id=dispute.milestone_id),
        "thread": _thread(dispute),
        "proposals": proposals,
        "events": events,
        "conversation_messages": conversation,
        "audit": audit,
        "previous_disputes": previous,
        "record": record,
        "flag_buyer": record["buyer_opened"] >= REPEAT_DISPUTES_FLAG,
        "flag_seller": record["seller_opened"] >= REPEAT_DISPUTES_FLAG,
        "can_resolve": dispute.is_active and disputes.resolve_refusal(dispute) is None,
    }
