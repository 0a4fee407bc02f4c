"""Acting on something marks what the actor was told about it read, so the bell does not climb.

Generated from the process declaration (``process.STEPS``): for every step a party takes on the order page,
an unread notification the actor received about that milestone is read once they take it; one about another
milestone stays unread.
"""

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from accounts.models import Notification
from accounts.notifications import email_subject, notification_email, notification_send, notifications_mark_read_for
from milestones.models import Milestone
from milestones.services import milestone_url
from orders import disputes
from tests.factories import UserFactory
from tests.milestones.test_process import FORM_DATA, ORDER_PAGE_STEPS, SCENARIOS, _person, _scenario_for
from tests.milestones.test_process import pages as pages  # the fixture: every scenario's page
from tests.orders.builders import deliver, fund, make_order, ms

pytestmark = pytest.mark.django_db


def _told(user, url, text="Something happened."):
    return notification_send(user=user, text=text, url=url, email=False)


def _unread(notification):
    return Notification.objects.get(pk=notification.pk).read_at is None


@pytest.mark.parametrize("step", ORDER_PAGE_STEPS, ids=lambda s: s.name)
def test_taking_a_step_reads_the_actors_notifications_about_the_milestone(pages, step):  # noqa: F811 - the fixture imported above
    found = _scenario_for(pages, step)
    if found is None:
        assert step.name == "cancel_late"  # needs a late milestone: see the timers' tests
        return
    scenario, role = found
    milestone = SCENARIOS[scenario]()
    actor = _person(milestone, role)
    order = milestone.order
    about_it = _told(actor, order.get_absolute_url() + f"#milestone-{milestone.pk}")
    elsewhere = _told(actor, "/orders/999999/#milestone-999999")
    if step.name == "fund":
        fund(milestone)  # through the checkout the button opens
    elif step.form.startswith("link:"):
        disputes.dispute_open(milestone_id=milestone.pk, actor=actor, reason="quality", description="Not right")
    else:
        client = Client()
        client.force_login(actor)
        data = {"expected_state": milestone.state, **FORM_DATA.get(step.form, {})}
        response = client.post(reverse("orders:milestone_action", args=[milestone.pk, step.name]), data)
        assert response.status_code == 302
    assert not _unread(about_it), step.name
    assert _unread(elsewhere), step.name


def test_approving_the_delivery_a_notification_pointed_to_reads_it_and_the_badge_does_not_climb():
    order = make_order(10000, 10000)
    milestone = deliver(fund(ms(order, 1)))
    buyer = order.buyer
    delivered = Notification.objects.filter(user=buyer, read_at=None, url__endswith=f"#milestone-{milestone.pk}")
    assert delivered.exists()  # "… delivered “…”. Approve it or ask for a revision"
    client = Client()
    client.force_login(buyer)
    before = Notification.objects.filter(user=buyer, read_at=None).count()
    response = client.post(
        reverse("orders:milestone_action", args=[milestone.pk, "approve"]), {"expected_state": "delivered"}
    )
    assert response.status_code == 302
    assert not delivered.exists()
    assert Notification.objects.filter(user=buyer, read_at=None).count() < before
    assert Milestone.objects.get(pk=milestone.pk).state == "approved"


def test_answering_a_dispute_reads_the_notification_that_pointed_to_it():
    order = make_order(10000, 10000)
    milestone = deliver(fund(ms(order, 1)))
    dispute = disputes.dispute_open(
        milestone_id=milestone.pk, actor=order.buyer, reason="quality", description="Not as agreed"
    )
    told = Notification.objects.filter(
        user=order.seller, read_at=None, url__in=[dispute.get_absolute_url(), milestone_url(milestone)]
    )
    assert told.exists()
    disputes.dispute_answer(dispute_id=dispute.pk, actor=order.seller, body="The work matches the brief.")
    assert not told.exists()


def test_mark_read_for_touches_only_that_users_unread_notifications_at_those_links():
    alice, bob = UserFactory(), UserFactory()
    mine = _told(alice, "/orders/1/#milestone-2")
    other_link = _told(alice, "/orders/1/#milestone-3")
    bobs = _told(bob, "/orders/1/#milestone-2")
    assert notifications_mark_read_for(user=alice, urls=["/orders/1/#milestone-2", ""]) == 1
    assert not _unread(mine) and _unread(other_link) and _unread(bobs)
    assert notifications_mark_read_for(user=alice, urls=["/orders/1/#milestone-2"]) == 0  # already read
    assert notifications_mark_read_for(user=None, urls=["/x"]) == 0


def test_email_subjects_are_cut_at_a_word_with_an_ellipsis(settings):
    text = (
        "Bea Buyer delivered “A logo with three colour variants and a favicon”. "
        "Approve it or ask for a revision by 12 Dec, 10:00 UTC."
    )
    assert email_subject(text).endswith("…")
    notification = notification_send(user=UserFactory(), text=text, url="/orders/1/")
    notification_email(notification.pk)
    subject = mail.outbox[-1].subject
    shown = subject.removeprefix(f"[{settings.SITE_NAME}] ")
    assert shown.endswith("…") and len(shown) <= 90
    words = shown[:-1].split()
    assert words == text.split()[: len(words)], "cut mid-word"
    assert "ask fo…" not in subject


# Found by the outside try: a review written, an offer accepted and a conversation opened left their notices
# unread, so the badge kept counting them. Each uses the notice the app itself sends.
def test_accepting_an_offer_reads_the_offer_notice():
    from marketplace import services as marketplace
    from orders import services as order_services
    from tests.orders.builders import plan

    buyer, seller = UserFactory(), UserFactory()
    conversation = marketplace.conversation_start(buyer=buyer, seller=seller)
    offer = order_services.offer_create(conversation=conversation, author=seller, items=plan(15000))
    notice = Notification.objects.get(user=buyer, url__contains=f"#offer-{offer.pk}")
    assert _unread(notice)
    order_services.offer_accept(offer_id=offer.pk, actor=buyer)
    assert not _unread(notice)


def test_writing_the_review_reads_the_notice_that_asked_for_it():
    from orders import services as order_services
    from tests.orders.builders import approve

    order = make_order(5000)
    approve(deliver(fund(ms(order, 1))))
    asked = Notification.objects.filter(user=order.buyer, url=order.get_absolute_url(), read_at=None)
    assert asked.exists()
    order_services.review_submit(order_id=order.pk, author=order.buyer, rating=5, text="Great.")
    assert not asked.exists()


def test_opening_the_conversation_reads_its_new_message_notices():
    from marketplace import services as marketplace

    buyer, seller = UserFactory(), UserFactory()
    conversation = marketplace.conversation_start(buyer=buyer, seller=seller)
    marketplace.message_send(conversation=conversation, sender=buyer, body="Hello there")
    notices = Notification.objects.filter(user=seller, url=conversation.get_absolute_url(), read_at=None)
    assert notices.exists()
    client = Client()
    client.force_login(seller)
    assert client.get(conversation.get_absolute_url()).status_code == 200
    assert not notices.exists()
