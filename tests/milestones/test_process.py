"""The process declaration (``milestones.process``) is what the lifecycle, the order page, the help page and the
notifications read: every test here is generated from ``STEPS``, so a new step is covered without a line here."""

import re

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import Notification
from milestones import process
from milestones import services as milestone_services
from milestones.lifecycle import transitions
from milestones.models import SYSTEM, Milestone, State
from orders import disputes
from tests.factories import UserFactory
from tests.orders.builders import deliver, fund, make_order, ms
from tests.orders.dispute_builders import support_user

pytestmark = pytest.mark.django_db

PARTIES = ("buyer", "seller")


# --- the declaration and the state machine agree ---------------------------------------------------
def test_every_transition_of_the_state_machine_is_declared_once_as_a_step():
    declared = process.transition_steps()
    assert {e.name for e in transitions()} == set(declared)
    for step in process.STEPS.values():
        if step.transition is not None:
            assert step.transition in declared, f"{step.name} takes an undeclared transition {step.transition}"


@pytest.mark.parametrize("name", sorted(process.transition_steps()))
def test_a_transitions_permission_is_its_steps_who(name):
    """The state machine's permission is read from ``who``: each kind of person is allowed exactly then."""
    buyer, seller, staff = UserFactory(), UserFactory(), support_user()  # the staff role is support's
    order = make_order(10000, buyer=buyer, seller=seller)
    milestone = ms(order, 1)
    step = process.STEPS[name]
    method = getattr(milestone, name)._django_fsm

    def side(person):
        return "proposer" if person.pk == milestone.proposed_by_id else "other side"

    for person, roles in (
        (buyer, {"buyer", side(buyer)}),
        (seller, {"seller", side(seller)}),
        (staff, {"staff"}),
        (SYSTEM, {"system"}),
    ):
        expected = bool(roles & set(step.who))
        for source in method.transitions:
            assert method.has_transition_perm(milestone, source, person) == expected, (name, person, source)


def test_every_step_has_a_label_a_verb_and_help_and_every_notice_names_who_is_told():
    for step in process.STEPS.values():
        assert step.label and step.verb and step.help, step.name
        assert set(step.who) <= {"buyer", "seller", "staff", "system", "proposer", "other side"}, step.name
        for notice in step.notices:
            assert notice.to in ("buyer", "seller", "other", "both"), step.name
        if step.form and not step.form.startswith("link:") and step.on_order_page:
            assert step.form in FORM_DATA, f"the order page's form for {step.name} has no test data"
    for name, notices in process.EVENTS.items():
        assert notices and all(n.to in ("buyer", "seller", "other", "both") for n in notices), name


# --- the help page ------------------------------------------------------------------------------
def test_the_help_page_lists_every_step_with_who_and_its_states(client):
    body = client.get(reverse("orders:lifecycle_help")).content.decode()
    for row in process.STEPS.values():
        assert f'data-step="{row.name}"' in body, row.name
        match = re.search(rf'data-step="{row.name}">(.*?)</tr>', body, re.S)
        assert process.who_text(row) in match.group(1)


# --- the order page's buttons ---------------------------------------------------------------------
def _proposed():
    order = make_order(10000)
    milestone_services.milestone_propose(
        order_id=order.pk,
        actor=order.seller,
        title="Extra",
        description="More work",
        amount_cents=5000,
        delivery_days=2,
        revisions_allowed=0,
    )
    return ms(order, 2)


def _funded():
    order = make_order(10000, 10000)
    fund(ms(order, 1))
    return fund(ms(order, 2))


def _revision_requested(revisions=1):
    order = make_order(10000, 10000, revisions=revisions)
    first = deliver(fund(ms(order, 1)))
    milestone_services.milestone_request_revision(milestone_id=first.pk, actor=order.buyer, feedback="Again")
    return ms(order, 1)


def _delivered_no_revisions():
    order = make_order(10000, 10000, revisions=0)
    return deliver(fund(ms(order, 1)))


def _disputed():
    order = make_order(10000)
    first = deliver(fund(ms(order, 1)))
    disputes.dispute_open(milestone_id=first.pk, actor=order.buyer, reason="quality", description="Not as agreed")
    return ms(order, 1)


SCENARIOS = {
    "proposed": _proposed,
    "awaiting funding": lambda: ms(make_order(10000, 10000), 1),
    "funded": _funded,
    "in progress": lambda: fund(ms(make_order(10000, 10000), 1)),
    "delivered": lambda: deliver(fund(ms(make_order(10000, 10000), 1))),
    "delivered, no revisions left": _delivered_no_revisions,
    "revision requested": _revision_requested,
    "disputed": _disputed,
}


def _person(milestone, role):
    return getattr(milestone.order, role)


def _offered(body, milestone, step):
    """Does the page offer ``step`` on ``milestone``: its button, form or link?"""
    if step.form.startswith("link:"):
        return f'href="{reverse(step.form[5:], args=[milestone.pk])}"' in body
    return f'action="{reverse("orders:milestone_action", args=[milestone.pk, step.name])}"' in body


@pytest.fixture(scope="module")
def pages(django_db_setup, django_db_blocker):
    """Every scenario's order page, as the buyer and as the seller (built once: they are only read)."""
    with django_db_blocker.unblock():
        from django.db import connection, transaction

        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            seen = {}
            for scenario, build in SCENARIOS.items():
                milestone = build()
                for role in PARTIES:
                    client = Client()
                    user = _person(milestone, role)
                    client.force_login(user)
                    body = client.get(milestone.order.get_absolute_url()).content.decode()
                    fresh = Milestone.objects.select_related("order").get(pk=milestone.pk)
                    expected = {s.name for s in process.actions_for(_with_page_facts(fresh), user)}
                    seen[(scenario, role)] = (fresh, body, expected)
            yield seen
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)
            connection.close()


def _with_page_facts(milestone):
    """What the page's selector adds to a milestone before asking the process (pending requests, others)."""
    milestone.pending_extension = milestone.extension_requests.filter(status="pending").first()
    milestone.pending_cancellation = milestone.cancellation_requests.filter(status="pending").first()
    milestone.pending_change = milestone.plan_changes.filter(status="pending").first()
    others = milestone.order.milestones.exclude(pk=milestone.pk)
    milestone.others_unstarted = others.filter(state__in=("proposed", "awaiting_funding", "funded")).exists()
    return milestone


ORDER_PAGE_STEPS = [s for s in process.STEPS.values() if s.on_order_page]


@pytest.mark.parametrize("step", ORDER_PAGE_STEPS, ids=lambda s: s.name)
def test_every_step_on_the_order_page_is_offered_exactly_to_whom_the_process_allows(pages, step):
    offered_somewhere = False
    for (scenario, role), (milestone, body, expected) in pages.items():
        shown = _offered(body, milestone, step)
        assert shown == (step.name in expected), (scenario, role, step.name)
        if shown:
            offered_somewhere = True
            assert role in process.parties(step.name), (scenario, role, step.name)
    steps_by_system = {"system"} >= set(step.who) or step.name == "cancel_late"
    assert offered_somewhere or steps_by_system, f"no scenario shows {step.name}: add one to SCENARIOS"


# --- the notices ------------------------------------------------------------------------------------
FORM_DATA = {
    "deliver": {"message": "Here it is.", "links": ""},
    "request_revision": {"feedback": "Please change the colours."},
    "extension": {"days": "2", "reason": "The client's assets came late."},
    "cancellation": {"reason": "We agreed to stop."},
    "change": {
        "change-title": "Renamed",
        "change-description": "New deliverables",
        "change-amount": "100",
        "change-delivery_days": "4",
        "change-revisions_allowed": "1",
    },
}


def _scenario_for(pages, step):
    for (scenario, role), (_, _, expected) in pages.items():
        if step.name in expected:
            return scenario, role
    return None


@pytest.mark.parametrize("step", [s for s in ORDER_PAGE_STEPS if s.notices], ids=lambda s: s.name)
def test_taking_a_step_on_the_order_page_tells_whom_its_notices_name(pages, step):
    found = _scenario_for(pages, step)
    if found is None:
        assert step.name == "cancel_late"  # needs a late milestone: its notice is tested with the timers
        return
    scenario, role = found
    milestone = SCENARIOS[scenario]()
    actor = _person(milestone, role)
    other = milestone.order.seller if role == "buyer" else milestone.order.buyer
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
    milestone = Milestone.objects.select_related("order").get(pk=milestone.pk)
    for notice in step.notices:
        people = {"buyer": [milestone.order.buyer], "seller": [milestone.order.seller], "other": [other]}.get(
            notice.to, [milestone.order.buyer, milestone.order.seller]
        )
        pattern = _pattern(notice.text)
        for person in people:
            texts = list(Notification.objects.filter(user=person).values_list("text", flat=True))
            assert any(pattern.fullmatch(text) for text in texts), (step.name, notice.text, texts)


def _pattern(text):
    """A notice's text with each ``{detail}`` as a wildcard (a detail may say nothing: ``{refund}``)."""
    parts = re.split(r"\{[^}]*\}", text)
    return re.compile(".*?".join(re.escape(part) for part in parts), re.S)


def test_a_milestone_that_starts_by_itself_tells_both_sides():
    order = make_order(10000)
    fund(ms(order, 1))
    for notice in process.STEPS["start"].notices:
        person = getattr(order, notice.to)
        texts = Notification.objects.filter(user=person).values_list("text", flat=True)
        assert any(_pattern(notice.text).fullmatch(text) for text in texts), notice.text


def test_an_auto_approval_tells_both_sides(clock):
    from milestones import timers

    order = make_order(10000)
    first = deliver(fund(ms(order, 1)))
    clock.advance(days=30)
    timers.sweep_auto_approve()
    assert ms(order, 1).state == State.APPROVED
    said = f"“{first.title}” was approved automatically"
    assert Notification.objects.filter(user=order.seller, text__startswith=said).exists()
    assert Notification.objects.filter(user=order.buyer, text__startswith=said).exists()


def test_a_new_message_tells_the_other_side_in_the_bell():
    from marketplace import services as marketplace

    order = make_order(10000)
    marketplace.message_send(conversation=order.conversation, sender=order.buyer, body="Any news?")
    told = Notification.objects.filter(user=order.seller, text__startswith="New message from").latest("pk")
    assert "Any news?" in told.text and told.url == order.conversation.get_absolute_url()
    assert not Notification.objects.filter(user=order.buyer, text__startswith="New message from").exists()
