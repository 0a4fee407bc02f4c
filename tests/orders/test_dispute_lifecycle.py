"""A case and its milestone move in one step: ``Dispute.objects.open``, ``Dispute.resolve`` and
``Dispute.withdraw`` take the milestone's own transition, and nothing else takes those."""

import ast
from pathlib import Path

import pytest
from django.conf import settings
from django_fsm import TransitionNotAllowed

from milestones.exceptions import OrderError
from milestones.models import State
from orders.models import RESOLVE_TRANSITIONS, Dispute, DisputeOutcome, DisputeStatus
from tests.config.test_fsm import project_modules
from tests.orders.dispute_builders import delivered, open_dispute

pytestmark = pytest.mark.django_db

# The milestone transitions that belong to a case.
CASE_TRANSITIONS = frozenset({"open_dispute", "withdraw_dispute", *RESOLVE_TRANSITIONS.values()})
OWNERS = {Path("milestones/models.py"), Path("orders/models.py")}  # where they are declared, and taken


def _loaded(dispute):
    dispute = Dispute.objects.select_related("milestone__order").get(pk=dispute.pk)
    return dispute, dispute.milestone


def _resolve(dispute, take):
    dispute.resolve(
        take=take,
        outcome=DisputeOutcome.REFUND,
        seller_amount_cents=0,
        buyer_amount_cents=10000,
        decision="Refund.",
        decided_by=None,
    )


def test_a_case_does_not_resolve_when_its_milestone_does_not_move():
    _order, milestone = delivered()
    dispute, milestone = _loaded(open_dispute(milestone))
    with pytest.raises(TransitionNotAllowed):
        _resolve(dispute, take=lambda m, name: None)
    assert (dispute.status, milestone.state) == (DisputeStatus.OPEN, State.DISPUTED)


def test_a_milestone_transition_refused_leaves_the_case_as_it_was():
    _order, milestone = delivered()
    dispute, milestone = _loaded(open_dispute(milestone))

    def refuse(m, name):
        raise OrderError(f"no {name}")

    with pytest.raises(OrderError, match="no resolve_refund"):
        _resolve(dispute, take=refuse)
    with pytest.raises(OrderError, match="no withdraw_dispute"):
        dispute.withdraw(take=lambda m, name, **kw: refuse(m, name))
    assert (dispute.status, dispute.closed_at) == (DisputeStatus.OPEN, None)


def test_the_case_names_the_milestone_transition_its_outcome_takes():
    _order, milestone = delivered()
    dispute, milestone = _loaded(open_dispute(milestone))
    taken = []

    def take(m, name):
        taken.append((m.pk, name))
        getattr(m, name)()  # the state change alone (the service's run_transition also checks and records)

    _resolve(dispute, take=take)
    assert taken == [(milestone.pk, "resolve_refund")]
    assert (dispute.status, milestone.state) == (DisputeStatus.RESOLVED, State.CANCELLED)


def test_no_case_opens_when_its_milestone_does_not_move():
    _order, milestone = delivered()
    with pytest.raises(TransitionNotAllowed):
        Dispute.objects.open(
            milestone=milestone,
            take=lambda m, name: None,
            answer_window=settings.DISPUTE_ANSWER_WINDOW,
            opened_by=milestone.order.buyer,
            reason="quality",
            description="Blurry.",
        )
    assert not Dispute.objects.exists()


def _case_transitions_taken(source):
    """(line, name) of every place ``source`` takes one of the case's milestone transitions by name."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Attribute) and node.attr in CASE_TRANSITIONS:
            found.append((node.lineno, node.attr))
        elif isinstance(node, ast.Call):
            literal = [a.value for a in node.args if isinstance(a, ast.Constant) and a.value in CASE_TRANSITIONS]
            if literal and isinstance(node.func, ast.Name) and node.func.id in ("run_transition", "getattr"):
                found.append((node.lineno, literal[0]))
    return found


def test_only_the_case_takes_its_milestone_transitions():
    assert _case_transitions_taken('run_transition(m, "open_dispute", actor)\nm.resolve_split()') == [
        (1, "open_dispute"),
        (2, "resolve_split"),
    ]
    taken = [
        f"{path}:{line}: {name}"
        for path in project_modules()
        if path not in OWNERS
        for line, name in _case_transitions_taken((Path(settings.BASE_DIR) / path).read_text(encoding="utf-8"))
    ]
    assert taken == [], "open, resolve or withdraw the Dispute instead:\n" + "\n".join(taken)
