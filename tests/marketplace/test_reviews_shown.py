"""Reviews written after an order show on the gig page and the seller's profile, once published."""

import pytest

from marketplace import services as marketplace
from milestones import services as milestone_services
from orders import services
from tests.orders.builders import deliver, fund, ms, plan

pytestmark = pytest.mark.django_db


def test_published_reviews_show_on_the_gig_page_and_seller_profile(client, clock, gig, buyer):
    conversation = marketplace.conversation_start(buyer=buyer, seller=gig.seller, gig=gig)
    offer = services.offer_create(conversation=conversation, author=gig.seller, items=plan(10000), gig=gig)
    order = services.offer_accept(offer_id=offer.pk, actor=buyer)
    milestone_services.milestone_approve(milestone_id=deliver(fund(ms(order, 1))).pk, actor=buyer)
    services.review_submit(order_id=order.pk, author=buyer, rating=5, text="Superb <b>work</b>")
    # double-blind: hidden until the seller writes theirs or the window passes
    assert "Superb" not in client.get(gig.get_absolute_url()).content.decode()
    clock.advance(days=15)
    escaped = "Superb &lt;b&gt;work&lt;/b&gt;"
    assert escaped in client.get(gig.get_absolute_url()).content.decode()
    assert escaped in client.get(f"/sellers/{gig.seller.pk}/").content.decode()
