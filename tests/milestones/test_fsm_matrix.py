"""Which transition each actor may take from each state: the lifecycle's permission matrix.

Conditions (revisions left, lateness, review window, one active milestone) are
tested with the services; this matrix is about state and actor only. Adding a
transition to ``Milestone`` without listing it here fails ``test_every_transition_is_listed``.
"""

import pytest

from milestones.lifecycle import transitions
from milestones.models import SYSTEM, Milestone, Order, State
from tests.factories import UserFactory
from tests.orders.dispute_builders import support_user

B, S, OTHER, T, Y = "buyer", "seller", "other", "staff", "system"

# state -> actor -> transitions allowed (the seller proposed the milestone)
MATRIX = {
    State.PROPOSED: {B: {"accept", "decline"}, S: {"withdraw"}},
    State.AWAITING_FUNDING: {B: {"fund", "cancel"}, S: {"cancel"}, T: {"cancel"}},
    State.FUNDED: {Y: {"start"}, B: {"cancel"}, S: {"cancel"}, T: {"cancel"}},
    State.IN_PROGRESS: {
        S: {"deliver", "open_dispute", "mutual_cancel"},
        B: {"open_dispute", "mutual_cancel", "cancel_late"},
    },
    State.DELIVERED: {
        B: {"approve", "request_revision", "open_dispute"},
        S: {"open_dispute"},
        Y: {"auto_approve"},
    },
    State.REVISION_REQUESTED: {S: {"deliver", "open_dispute"}, B: {"open_dispute"}},
    State.DISPUTED: {
        T: {"resolve_release", "resolve_refund", "resolve_split"},
        Y: {"resolve_release", "resolve_refund", "resolve_split"},
        B: {"withdraw_dispute"},
        S: {"withdraw_dispute"},
    },
    State.APPROVED: {},
    State.SETTLED: {},
    State.CANCELLED: {},
}

ALL_NAMES = {name for per_actor in MATRIX.values() for names in per_actor.values() for name in names}


@pytest.fixture
def people(db):
    buyer, seller, other = UserFactory(), UserFactory(), UserFactory()
    staff = support_user()  # the staff role is support's (accounts.permissions)
    return {B: buyer, S: seller, OTHER: other, T: staff, Y: SYSTEM}


def test_every_transition_is_listed():
    declared = {edge.name for edge in transitions()}
    assert declared == ALL_NAMES, f"not in the matrix: {declared - ALL_NAMES}; stale: {ALL_NAMES - declared}"


def test_every_state_is_in_the_matrix():
    assert set(MATRIX) == set(State.values)


@pytest.mark.parametrize("state", list(MATRIX))
@pytest.mark.parametrize("actor", [B, S, OTHER, T, Y])
def test_who_may_take_which_transition(people, state, actor):
    order = Order(pk=1, buyer=people[B], seller=people[S], title="t")
    milestone = Milestone(
        order=order, position=1, state=state, proposed_by=people[S], amount_cents=1000, delivery_days=3
    )
    field = Milestone._meta.get_field("state")
    from_here = [t for t in field.get_all_transitions(Milestone) if t.source in (state, "*")]
    allowed = {
        t.name
        for t in from_here
        # permission only (django_fsm.has_transition_perm would also check conditions)
        if getattr(milestone, t.name)._django_fsm.has_transition_perm(milestone, state, people[actor])
    }
    assert allowed == MATRIX[state].get(actor, set())


def test_state_field_is_protected(people):
    order = Order(pk=1, buyer=people[B], seller=people[S], title="t")
    milestone = Milestone(order=order, position=1, state=State.DELIVERED, amount_cents=1000, delivery_days=3)
    with pytest.raises(AttributeError):
        milestone.state = State.APPROVED


def test_the_diagram_matches_the_domain_document():
    """Every arrow of shared/DOMAIN.md's diagram is in the code (source, action, target)."""
    edges = {(e.source, e.name, e.target) for e in transitions()}
    expected = {
        ("proposed", "accept", "awaiting_funding"),
        ("proposed", "decline", "cancelled"),
        ("proposed", "withdraw", "cancelled"),
        ("awaiting_funding", "fund", "funded"),
        ("funded", "start", "in_progress"),
        ("in_progress", "deliver", "delivered"),
        ("revision_requested", "deliver", "delivered"),
        ("delivered", "request_revision", "revision_requested"),
        ("delivered", "approve", "approved"),
        ("delivered", "auto_approve", "approved"),
        ("delivered", "open_dispute", "disputed"),
        ("in_progress", "open_dispute", "disputed"),
        ("revision_requested", "open_dispute", "disputed"),
        ("disputed", "resolve_release", "approved"),
        ("disputed", "resolve_refund", "cancelled"),
        ("disputed", "resolve_split", "settled"),
        ("awaiting_funding", "cancel", "cancelled"),
        ("funded", "cancel", "cancelled"),
        ("in_progress", "mutual_cancel", "cancelled"),
        ("in_progress", "cancel_late", "cancelled"),
    }
    assert expected <= edges, expected - edges
