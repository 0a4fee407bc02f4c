"""Issue 16, "wrong or internal numbers" and "words for developers": what people read is right and in words.

Offers have their own title; the order's progress says where the money is (from the ledger); payments are
named by order and milestone; every success message says what happened and where a refund went; the
timeline speaks in words; plurals are proper."""

import re
from datetime import date
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from accounts.models import Notification
from marketplace import services as marketplace
from milestones import process, timeline
from milestones import services as milestone_services
from milestones.models import OrderStatus, State
from orders import disputes, selectors, services
from orders.models import DisputeOutcome, Offer
from orders.services import OrderError
from payments import selectors as payments_selectors
from payments.chart import bar_chart, label_room
from tests.factories import UserFactory
from tests.orders.builders import approve, deliver, fund, make_offer, make_order, ms, plan
from tests.orders.dispute_builders import open_dispute

pytestmark = pytest.mark.django_db


def _said(response):
    return [str(m) for m in response.context["messages"]]


def _client(user):
    client = Client()
    client.force_login(user)
    return client


# --- an offer's own title -----------------------------------------------------------------------
def _gig(title):
    from marketplace.categories import ensure_category_tree
    from marketplace.models import Category

    ensure_category_tree()
    return marketplace.gig_create(
        seller=UserFactory(),
        title=title,
        description="A complete Django application with tests, deployed for you.",
        category=Category.objects.get(slug="web-applications"),
        tags=["django"],
        price_cents=50000,
        delivery_days=7,
    )


def test_the_order_takes_the_offer_title_not_the_gig_title():
    offer = make_offer(10000)
    assert offer.title == "Custom offer"  # no gig, no title given
    conversation = offer.conversation
    titled = services.offer_create(
        conversation=conversation, author=offer.seller, items=plan(10000), title="  Shopify store setup  "
    )
    assert titled.title == "Shopify store setup"
    order = services.offer_accept(offer_id=titled.pk, actor=titled.buyer)
    assert order.title == "Shopify store setup"


def test_a_counter_offer_keeps_or_changes_the_title():
    offer = make_offer(10000)
    offer.title = "Logo"
    offer.save(update_fields=["title"])
    kept = services.offer_counter(offer_id=offer.pk, actor=offer.buyer, items=plan(9000))
    assert kept.title == "Logo"
    changed = services.offer_counter(offer_id=kept.pk, actor=kept.seller, items=plan(9500), title="Logo and icon")
    assert changed.title == "Logo and icon"
    assert services.offer_accept(offer_id=changed.pk, actor=changed.buyer).title == "Logo and icon"


def test_a_title_too_long_is_refused():
    offer = make_offer(10000)
    with pytest.raises(OrderError, match="at most 140"):
        services.offer_create(conversation=offer.conversation, author=offer.seller, items=plan(10000), title="x" * 141)


def test_the_offer_form_asks_for_the_title_prefilled_from_the_gig():
    gig = _gig("A Django website")
    buyer = UserFactory()
    conversation = marketplace.conversation_start(buyer=buyer, seller=gig.seller, gig=gig)
    client = _client(gig.seller)
    page = client.get(reverse("orders:offer_new", args=[conversation.pk])).content.decode()
    assert 'name="title"' in page and 'value="A Django website"' in page
    data = {
        "title": "Shopify store setup",
        "plan-TOTAL_FORMS": "1",
        "plan-INITIAL_FORMS": "0",
        "plan-MIN_NUM_FORMS": "0",
        "plan-MAX_NUM_FORMS": "20",
        "plan-0-title": "Store",
        "plan-0-description": "Set up the store",
        "plan-0-amount": "200",
        "plan-0-delivery_days": "3",
        "plan-0-revisions_allowed": "1",
    }
    assert client.post(reverse("orders:offer_new", args=[conversation.pk]), data).status_code == 302
    offer = Offer.objects.get(conversation=conversation)
    assert offer.title == "Shopify store setup" and offer.gig_id == gig.pk
    order = services.offer_accept(offer_id=offer.pk, actor=buyer)
    assert order.title == "Shopify store setup"


# --- the order's progress -----------------------------------------------------------------------
def _progress(order):
    return selectors.order_progress(list(order.milestones.all()))


def test_a_60_60_split_shows_released_and_refunded_apart():
    order = make_order(12000, 28000)
    first = deliver(fund(ms(order, 1)))
    dispute = open_dispute(first)
    proposal = disputes.settlement_propose(
        dispute_id=dispute.pk, actor=order.seller, outcome=DisputeOutcome.SPLIT, seller_amount_cents=6000
    )
    disputes.settlement_accept(proposal_id=proposal.pk, actor=order.buyer)
    progress = _progress(order)
    assert (progress.released_cents, progress.refunded_cents, progress.held_cents, progress.to_fund_cents) == (
        6000,
        6000,
        0,
        28000,
    )
    assert progress.total_cents == 40000
    assert (progress.done, progress.count) == (1, 2)


def test_a_fully_refunded_order_says_so():
    order = make_order(10000, 20000)
    first = fund(ms(order, 1))
    asked = milestone_services.cancellation_request(milestone_id=first.pk, actor=order.buyer, reason="Plans changed")
    milestone_services.cancellation_decide(request_id=asked.pk, actor=order.seller, accept=True)
    milestone_services.milestone_cancel(milestone_id=ms(order, 2).pk, actor=order.buyer)
    order.refresh_from_db()
    assert order.status == OrderStatus.CANCELLED
    progress = _progress(order)
    assert (progress.released_cents, progress.refunded_cents, progress.held_cents, progress.to_fund_cents) == (
        0,
        10000,
        0,
        0,
    )
    assert (progress.done, progress.count) == (2, 2)


def test_progress_of_a_running_order_adds_up():
    order = make_order(10000, 20000, 30000)
    approve(deliver(fund(ms(order, 1))))
    fund(ms(order, 2))
    progress = _progress(order)
    assert (progress.released_cents, progress.held_cents, progress.to_fund_cents) == (10000, 20000, 30000)
    assert progress.total_cents == 60000 and (progress.done, progress.count) == (1, 3)


# --- payments named by order and milestone ----------------------------------------------------------
def test_earnings_name_the_order_and_the_milestone_position():
    order = make_order(10000, 20000)
    approve(deliver(fund(ms(order, 1))))
    second = approve(deliver(fund(ms(order, 2))))
    overview = payments_selectors.earnings_overview(user=order.seller)
    labels = [e.for_label.text for e in overview.pending]
    assert f"Order #{order.pk} · Milestone 2: Milestone 2" in labels
    assert all(f"#{second.pk}" not in label or second.pk == order.pk for label in labels)
    urls = [e.for_label.url for e in overview.pending]
    assert order.get_absolute_url() + f"#milestone-{second.pk}" in urls


def test_payment_history_names_payments_and_refunds_by_order_and_milestone():
    order = make_order(10000, 20000)
    first = fund(ms(order, 1))
    second = fund(ms(order, 2))
    milestone_services.milestone_cancel(milestone_id=second.pk, actor=order.buyer)
    history = payments_selectors.buyer_history(user=order.buyer)
    assert {p.for_label.text for p in history.payments} == {
        f"Order #{order.pk} · Milestone 1: Milestone 1",
        f"Order #{order.pk} · Milestone 2: Milestone 2",
    }
    moved = [e.transaction.for_label.text for e in history.balance_movements]
    assert f"Order #{order.pk} · Milestone 2: Milestone 2" in moved
    assert not any(re.search(rf"#{first.pk}\b|#{second.pk}\b", t) for t in moved if f"Order #{order.pk}" not in t)


def test_a_tip_receipt_says_what_it_was_for_without_ids():
    from payments import services as payments
    from payments.providers.sandbox import CARD_SUCCEEDS

    order = make_order(10000)
    approve(deliver(fund(ms(order, 1))))
    checkout = services.tip_checkout_start(order_id=order.pk, actor=order.buyer, amount_cents=500)
    payments.checkout_pay(checkout=checkout, actor=order.buyer, payment_method=CARD_SUCCEEDS)
    page = _client(order.buyer).get(reverse("payments:receipt", args=[checkout.uuid])).content.decode()
    assert f"Tip for order #{order.pk}" in page
    assert "Ledger" not in page
    assert str(checkout.uuid) not in page.replace(reverse("payments:receipt", args=[checkout.uuid]), "")
    assert not re.search(r"[0-9a-f]{8}-[0-9a-f]{3}", page)


# --- the earnings chart's labels -----------------------------------------------------------------
@pytest.mark.parametrize("top", [0, 999, 100000, 250000, 1234567, 99999999])
def test_every_axis_label_has_its_currency_sign_and_room(top):
    chart = bar_chart([(date(2026, 11, 1), top // 2), (date(2026, 12, 1), top)])
    labels = [line.label for line in chart.grid]
    assert all(label.startswith("$") for label in labels), labels
    assert chart.plot_left >= label_room(labels)
    assert chart.label_x - 9 * max(len(label) for label in labels) >= 0  # the longest label starts inside


# --- the timeline in words -------------------------------------------------------------------------
def test_every_step_has_timeline_words():
    assert set(process.STEPS) <= set(timeline.STEP_WORDS)


@pytest.mark.parametrize("action", [*process.STEPS, *timeline.EVENT_WORDS, "extension_accepted", "settlement_lapsed"])
def test_timeline_words_are_words(action):
    words = timeline.event_words(action)
    assert "_" not in words and words[0].isupper()


def test_every_state_change_is_in_words():
    states = [*State.values, *OrderStatus.values, ""]
    for before in states:
        for after in states:
            words = timeline.change_words(before, after)
            assert "_" not in words
            assert not re.search(r"\b(awaiting|in_progress|revision_requested)\b", words)


def test_the_order_page_timeline_shows_no_codes():
    order = make_order(10000)
    deliver(fund(ms(order, 1)))
    page = _client(order.buyer).get(order.get_absolute_url()).content.decode()
    timeline_part = page[page.index("<h2>Timeline</h2>") :]
    assert "awaiting_funding" not in timeline_part and "in_progress" not in timeline_part
    assert "(– →" not in timeline_part
    assert "Awaiting funding → Funded" in timeline_part
    assert "Delivered the work" in timeline_part


# --- plurals ---------------------------------------------------------------------------------------
def test_no_text_says_s_in_brackets():
    root = Path(settings.BASE_DIR)
    found = []
    for folder in ("accounts", "config", "marketplace", "milestones", "orders", "payments", "templates"):
        for path in (root / folder).rglob("*"):
            if path.suffix in (".py", ".html", ".txt") and "migrations" not in path.parts:
                for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
                    if re.search(r"[a-z]\(s\)[ ,.:;\"'<]", line):
                        found.append(f"{path.relative_to(root)}:{number}: {line.strip()}")
    assert not found, "\n".join(found)


@pytest.mark.parametrize(("days", "words"), [(1, "1 more day"), (3, "3 more days")])
def test_an_extension_notice_says_days_properly(days, words):
    order = make_order(10000)
    first = fund(ms(order, 1))
    milestone_services.extension_request(milestone_id=first.pk, actor=order.seller, days=days, reason="More work")
    texts = list(Notification.objects.filter(user=order.buyer).values_list("text", flat=True))
    assert any(f"asks for {words} on" in t for t in texts), texts


# --- every success message says what happened ---------------------------------------------------------
def _request(kind, order):
    first = ms(order, 1)
    if kind == "extension":
        fund(first)
        asked = milestone_services.extension_request(milestone_id=first.pk, actor=order.seller, days=3, reason="x")
        return asked, order.seller
    if kind == "cancellation":
        fund(first)
        asked = milestone_services.cancellation_request(milestone_id=first.pk, actor=order.buyer, reason="x")
        return asked, order.buyer
    asked = milestone_services.plan_change_propose(
        milestone_id=ms(order, 2).pk,
        actor=order.seller,
        title="Bigger logo",
        description="More",
        amount_cents=25000,
        delivery_days=1,
        revisions_allowed=2,
    )
    return asked, order.seller


ANSWERS = [
    (kind, decision)
    for kind, step in process.STEPS.items()
    if step.answers[0]
    for decision, label in zip(("accept", "decline", "withdraw"), step.answers, strict=True)
    if label
]


@pytest.mark.parametrize(("kind", "decision"), ANSWERS)
def test_every_answer_to_a_request_says_what_happened(kind, decision):
    order = make_order(10000, 20000)
    asked, asker = _request(kind, order)
    answerer = asker if decision == "withdraw" else order.other_party(asker)
    response = _client(answerer).post(
        reverse("orders:request_decide", args=[kind, asked.pk]), {"decision": decision}, follow=True
    )
    said = _said(response)
    assert said and said[-1] != "Done." and said[-1].startswith("You "), said
    first = ms(order, 1)
    if (kind, decision) == ("extension", "accept"):
        assert said[-1] == f"You accepted the extension: the due date is now {first.due_at:%d %b}."
    if (kind, decision) == ("cancellation", "accept"):
        assert said[-1].endswith("$100.00 was added to your balance.") is (answerer == order.buyer)
        assert "$100.00 was added to the buyer's balance." in said[-1] or answerer == order.buyer
    if (kind, decision) == ("change", "accept"):
        assert said[-1] == "You accepted the change: “Bigger logo” is now $250.00, 1 day, 2 revisions."


def test_every_dispute_action_says_what_happened():
    order = make_order(10000)
    first = deliver(fund(ms(order, 1)))
    dispute = open_dispute(first)
    buyer, seller = _client(order.buyer), _client(order.seller)
    said = []
    post = lambda client, name, args, data=None: said.extend(  # noqa: E731
        _said(client.post(reverse(name, args=args), data or {}, follow=True))
    )
    post(seller, "orders:dispute_post", [dispute.pk, "answer"], {"body": "I did the work."})
    post(buyer, "orders:dispute_post", [dispute.pk, "message"], {"body": "Not really."})
    post(seller, "orders:dispute_post", [dispute.pk, "propose"], {"outcome": "split", "seller_amount": "60"})
    proposal = dispute.proposals.get(status="pending")
    post(buyer, "orders:settlement_decide", [proposal.pk, "decline"])
    post(seller, "orders:dispute_post", [dispute.pk, "propose"], {"outcome": "split", "seller_amount": "60"})
    proposal = dispute.proposals.get(status="pending")
    post(seller, "orders:settlement_decide", [proposal.pk, "decline"])  # its author withdraws it
    post(seller, "orders:dispute_post", [dispute.pk, "propose"], {"outcome": "refund"})
    proposal = dispute.proposals.get(status="pending")
    post(buyer, "orders:settlement_decide", [proposal.pk, "accept"])
    assert len(said) == 8, said
    assert "Done." not in said
    assert "You declined the settlement proposal. The dispute stays open" in said[3]
    assert said[5] == "You withdrew your settlement proposal. The dispute stays open."
    assert said[7].startswith("You accepted the settlement: the dispute is closed (all $100.00 refunded to")
    assert said[7].endswith("$100.00 was added to your balance.")


def test_dispute_withdraw_and_ask_support_say_what_happened():
    order = make_order(10000, 10000)
    dispute = open_dispute(deliver(fund(ms(order, 1))))
    said = _said(_client(order.buyer).post(reverse("orders:dispute_post", args=[dispute.pk, "ask_staff"]), follow=True))
    said += _said(_client(order.buyer).post(reverse("orders:dispute_post", args=[dispute.pk, "withdraw"]), follow=True))
    assert said and "Done." not in said


# --- refunds say where the money went; nothing refunded, nothing said ---------------------------------
def _act(user, milestone, action):
    response = _client(user).post(
        reverse("orders:milestone_action", args=[milestone.pk, action]),
        {"expected_state": milestone.state},
        follow=True,
    )
    return _said(response)


def test_cancelling_an_unfunded_milestone_says_nothing_of_a_refund():
    order = make_order(10000)
    said = _act(order.buyer, ms(order, 1), "cancel")
    assert said[-1] == "The milestone was cancelled."


def test_cancelling_a_funded_milestone_says_where_the_money_went():
    order2 = make_order(10000, 20000)
    fund(ms(order2, 1))
    waiting = fund(ms(order2, 2))
    assert waiting.state == State.FUNDED
    said = _act(order2.seller, waiting, "cancel")
    assert said[-1] == "The milestone was cancelled. $200.00 was added to the buyer's balance."
    told = list(Notification.objects.filter(user=order2.buyer).values_list("text", flat=True))
    assert "“Milestone 2” was cancelled. $200.00 was added to your balance." in told


def test_ending_the_order_says_only_what_happened():
    order = make_order(10000, 20000, 30000)
    approve(deliver(fund(ms(order, 1))))
    response = _client(order.buyer).post(reverse("orders:stop", args=[order.pk]), follow=True)
    said = _said(response)
    assert said[-1] == "You ended the order. 2 milestones that had not started were cancelled."
    assert "refund" not in said[-1]


def test_approving_and_ending_the_order_names_the_refund():
    order = make_order(10000, 20000)
    first = fund(ms(order, 1))
    assert fund(ms(order, 2)).state == State.FUNDED  # waits for the first
    said = _act(order.buyer, deliver(first), "approve_end")
    assert said[-1] == (
        "Approved: the payment is released to the seller, and the order ended here. 1 milestone that had not "
        "started was cancelled. $200.00 was added to your balance."
    )
