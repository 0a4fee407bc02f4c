"""Shared pieces of the security suite: walking the URL resolver and fingerprinting the world's state."""

import re
import uuid

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from accounts.models import Notification
from marketplace.models import Gig, Message
from milestones.models import CancellationRequest, ExtensionRequest, Milestone, Order, PlanChange, TimelineEvent
from orders.models import Dispute, DisputeMessage, Offer, Review, SettlementProposal
from payments.models import Checkout, LedgerTransaction, Payout


def url_patterns(patterns=None, prefix=""):
    """(route, view) of every URL pattern, with the routes of included urlconfs joined."""
    if patterns is None:
        patterns = get_resolver().url_patterns
    for entry in patterns:
        if isinstance(entry, URLResolver):
            yield from url_patterns(entry.url_patterns, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern), entry.callback


_CONVERTER = re.compile(r"<(?:(\w+):)?(\w+)>")
_GROUP = re.compile(r"\(\?P<(\w+)>([^)]*)\)")


def example_path(route):
    """A concrete path for ``route`` (ids 1, a random UUID, the first choice of a regex group)."""

    def converter(match):
        kind = match.group(1) or "str"
        return str(uuid.uuid4()) if kind == "uuid" else ("1" if kind in ("int", "path") else "x")

    path = _CONVERTER.sub(converter, route)
    path = _GROUP.sub(lambda m: m.group(2).split("|")[0] if "|" in m.group(2) else "x", path)
    return "/" + path.replace("^", "").replace("$", "")


def fingerprint():
    """Everything a request could change that matters: states, counts, ledger size."""
    rows = [
        list(Milestone.objects.order_by("pk").values_list("pk", "state", "title", "amount_cents")),
        list(Order.objects.order_by("pk").values_list("pk", "status")),
        list(Offer.objects.order_by("pk").values_list("pk", "status")),
        list(Dispute.objects.order_by("pk").values_list("pk", "status")),
        list(SettlementProposal.objects.order_by("pk").values_list("pk", "status")),
        list(Review.objects.order_by("pk").values_list("pk", "reply")),
        list(Gig.objects.order_by("pk").values_list("pk", "status", "title")),
        list(Checkout.objects.order_by("pk").values_list("pk", "status")),
        list(ExtensionRequest.objects.order_by("pk").values_list("pk", "status")),
        list(CancellationRequest.objects.order_by("pk").values_list("pk", "status")),
        list(PlanChange.objects.order_by("pk").values_list("pk", "status")),
    ]
    counts = [
        model.objects.count()
        for model in (LedgerTransaction, Message, DisputeMessage, TimelineEvent, Payout, Review, Order, Offer)
    ]
    counts.append(Notification.objects.filter(read_at__isnull=False).count())
    return rows, counts


@pytest.fixture
def fast_uploads(settings):
    settings.UPLOAD_MAX_BYTES = 4096
    settings.AVATAR_MAX_BYTES = 4096
