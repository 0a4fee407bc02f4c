import pytest

from marketplace import services as marketplace
from milestones.exceptions import OrderError, StaleAction
from milestones.models import Order, State, TimelineEvent
from orders import services
from orders.models import Offer, OfferStatus
from tests.factories import UserFactory

from .builders import make_offer, plan

pytestmark = pytest.mark.django_db


def test_seller_offer_accepted_by_buyer_becomes_an_order_awaiting_funding():
    offer = make_offer(10000, 20000, 30000)
    order = services.offer_accept(offer_id=offer.pk, actor=offer.buyer)
    assert order.buyer == offer.buyer and order.seller == offer.seller
    states = list(order.milestones.order_by("position").values_list("state", "amount_cents"))
    assert states == [(State.AWAITING_FUNDING, 10000), (State.AWAITING_FUNDING, 20000), (State.AWAITING_FUNDING, 30000)]
    offer.refresh_from_db()
    assert offer.status == OfferStatus.ACCEPTED
    actions = list(TimelineEvent.objects.filter(order=order).values_list("action", flat=True))
    assert actions[0] == "order_created" and actions.count("accept") == 3


def test_buyer_can_draft_a_plan_that_the_seller_accepts():
    offer = make_offer(5000, author="buyer")
    with pytest.raises(OrderError):
        services.offer_accept(offer_id=offer.pk, actor=offer.buyer)
    order = services.offer_accept(offer_id=offer.pk, actor=offer.seller)
    assert order.milestones.get().state == State.AWAITING_FUNDING


@pytest.mark.parametrize("count", [0, 7])
def test_a_plan_with_0_or_7_milestones_is_refused(count):
    buyer, seller = UserFactory(), UserFactory()
    conversation = marketplace.conversation_start(buyer=buyer, seller=seller)
    with pytest.raises(OrderError, match="between 1 and 6"):
        services.offer_create(conversation=conversation, author=seller, items=plan(*[1000] * count))
    assert not Offer.objects.exists()


@pytest.mark.parametrize("amount", [0, -500, 499])
def test_a_zero_negative_or_too_small_amount_is_refused(amount):
    buyer, seller = UserFactory(), UserFactory()
    conversation = marketplace.conversation_start(buyer=buyer, seller=seller)
    with pytest.raises(OrderError, match="at least"):
        services.offer_create(conversation=conversation, author=seller, items=plan(amount))
    assert not Offer.objects.exists()


def test_only_participants_send_offers():
    buyer, seller, stranger = UserFactory(), UserFactory(), UserFactory()
    conversation = marketplace.conversation_start(buyer=buyer, seller=seller)
    with pytest.raises(OrderError):
        services.offer_create(conversation=conversation, author=stranger, items=plan(1000))


def test_counter_offer_supersedes_and_keeps_every_version():
    offer = make_offer(10000, 20000)
    counter = services.offer_counter(offer_id=offer.pk, actor=offer.buyer, items=plan(9000, 18000))
    offer.refresh_from_db()
    assert offer.status == OfferStatus.SUPERSEDED
    assert counter.previous == offer and counter.author == offer.buyer
    assert counter.message.kind == "offer" and offer.message.kind == "offer"
    with pytest.raises(StaleAction):
        services.offer_accept(offer_id=offer.pk, actor=offer.buyer)
    with pytest.raises(OrderError):  # the buyer wrote the counter: the seller accepts it
        services.offer_accept(offer_id=counter.pk, actor=offer.buyer)
    order = services.offer_accept(offer_id=counter.pk, actor=offer.seller)
    assert sorted(order.milestones.values_list("amount_cents", flat=True)) == [9000, 18000]


def test_an_expired_offer_cannot_be_accepted(clock):
    offer = make_offer(10000)
    clock.advance(days=7, seconds=1)
    with pytest.raises(StaleAction, match="expired"):
        services.offer_accept(offer_id=offer.pk, actor=offer.buyer)
    assert not Order.objects.exists()
    offer.refresh_from_db()
    assert not offer.is_open
    services.offers_expire()
    offer.refresh_from_db()
    assert offer.status == OfferStatus.EXPIRED


def test_offers_expire_sweep_is_idempotent(clock):
    make_offer(10000)
    make_offer(10000)
    assert services.offers_expire() == 0
    clock.advance(days=8)
    assert services.offers_expire() == 2
    assert services.offers_expire() == 0


def test_declined_and_withdrawn_offers_cannot_be_accepted():
    offer = make_offer(10000)
    with pytest.raises(OrderError):
        services.offer_withdraw(offer_id=offer.pk, actor=offer.buyer)
    services.offer_decline(offer_id=offer.pk, actor=offer.buyer)
    with pytest.raises(StaleAction):
        services.offer_accept(offer_id=offer.pk, actor=offer.buyer)
    other = make_offer(10000)
    services.offer_withdraw(offer_id=other.pk, actor=other.seller)
    with pytest.raises(StaleAction):
        services.offer_accept(offer_id=other.pk, actor=other.buyer)


def test_nobody_orders_from_themselves():
    person = UserFactory()
    with pytest.raises(Exception, match="(?i)yourself|own"):
        conversation = marketplace.conversation_start(buyer=person, seller=person)
        services.offer_create(conversation=conversation, author=person, items=plan(1000))
