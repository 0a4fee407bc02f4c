"""What the payments pages call a milestone's payment or a tip: by the order and the milestone's place in it,
as the order page does ("Order #3 · Milestone 2: Logo"), never by a row id. Registered with
``payments.selectors.register_namer`` in ``OrdersConfig.ready``."""

from django.urls import reverse

from milestones.models import Milestone, Order
from payments.selectors import Named


def milestone_label(milestone) -> str:
    return f"Order #{milestone.order_id} · Milestone {milestone.position}: {milestone.title}"


def milestone_names(milestone_ids) -> dict[int, Named]:
    """``{milestone_id: Named}``, linked to the milestone on its order's page (1 query)."""
    # plain rows: a model instance would load its deferred state field (the state machine's mixin reads it)
    rows = Milestone.objects.filter(pk__in=list(milestone_ids)).values_list("id", "order_id", "position", "title")
    return {
        pk: Named(
            f"Order #{order_id} · Milestone {position}: {title}",
            reverse("orders:detail", args=[order_id]) + f"#milestone-{pk}",
        )
        for pk, order_id, position, title in rows
    }


def tip_names(checkouts) -> dict[int, Named]:
    """``{checkout_pk: Named}`` for tips given on an order ("Tip for order #3"): the order the tip names, when
    its buyer and seller are the tip's (a tip from the seller's page names the seller instead) (1 query)."""
    checkouts = list(checkouts)
    orders = {
        o.pk: o
        for o in Order.objects.filter(pk__in={c.reference_id for c in checkouts}).only(
            "id", "buyer_id", "seller_id", "status"
        )
    }
    names = {}
    for c in checkouts:
        order = orders.get(c.reference_id)
        if order is not None and order.buyer_id == c.buyer_id and order.seller_id == c.payee_id:
            names[c.pk] = Named(f"Tip for order #{order.pk}", order.get_absolute_url())
    return names
