"""Every status that has transitions is a protected state machine, and nothing writes one outside a transition.

Built from the code, so a new model, module or transition is covered without editing this file (or fails
until it is listed):

* the source of every module (tests and migrations aside) assigns no ``.status`` / ``.state`` and calls no
  ``.update(status=...)`` outside a ``models.py`` (where the queryset methods named for a transition use
  ``config.fsm.bulk_transition``);
* on a row loaded from the database, assigning the field of every model that has an ``FSMField`` raises;
* each lifecycle's graph is listed here edge by edge, and every status is reachable from the initial one;
* the admin shows every such field read-only.
"""

import ast
from collections import deque
from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.urls import NoReverseMatch, reverse
from django_fsm import RETURN_VALUE, FSMFieldMixin, FSMModelMixin

from config.fsm import bulk_transition, declared_transitions
from milestones.models import ExtensionRequest, Milestone, RequestStatus
from payments import services as payments
from payments.models import CardDispute, LedgerTransaction, ProviderTransfer, TransactionKind
from tests.security.world import build_world

PROJECT_APPS = ("accounts", "marketplace", "payments", "milestones", "orders", "config")
SKIPPED_DIRS = {"tests", "migrations", "node_modules", "var", "staticfiles", "static", "templates"}


def fsm_fields():
    """(model, field) for every FSMField of the project's models."""
    return [
        (model, field)
        for model in apps.get_models()
        if model._meta.app_label in PROJECT_APPS
        for field in model._meta.concrete_fields
        if isinstance(field, FSMFieldMixin)
    ]


def label(model):
    return model._meta.label


FSM_FIELD_NAMES = frozenset(field.name for _model, field in fsm_fields())


# --- (a) no status written outside a transition, read from the source ------------------------------
def project_modules():
    root = Path(settings.BASE_DIR)
    for path in sorted(root.rglob("*.py")):
        parts = path.relative_to(root).parts
        if any(part in SKIPPED_DIRS or part.startswith(".") for part in parts[:-1]):
            continue
        yield path.relative_to(root)


def _targets(node):
    if isinstance(node, ast.Tuple | ast.List):
        for element in node.elts:
            yield from _targets(element)
    elif isinstance(node, ast.Starred):
        yield from _targets(node.value)
    else:
        yield node


def _keyword_names(call):
    """The keyword names a call passes, including the literal keys of a ``**{...}``."""
    for keyword in call.keywords:
        if keyword.arg is not None:
            yield keyword.arg
        elif isinstance(keyword.value, ast.Dict):
            yield from (k.value for k in keyword.value.keys if isinstance(k, ast.Constant))


def status_writes(source, *, fields=FSM_FIELD_NAMES, models_module=False):
    """(line, what) for every write of a state field in ``source`` that is not a transition."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Assign | ast.AugAssign | ast.AnnAssign | ast.For | ast.AsyncFor):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                for t in _targets(target):
                    if isinstance(t, ast.Attribute) and t.attr in fields:
                        found.append((node.lineno, f"assigns .{t.attr}"))
        elif isinstance(node, ast.withitem) and node.optional_vars is not None:
            for t in _targets(node.optional_vars):
                if isinstance(t, ast.Attribute) and t.attr in fields:
                    found.append((t.lineno, f"assigns .{t.attr}"))
        elif isinstance(node, ast.Call):
            func = node.func
            if (
                isinstance(func, ast.Name)
                and func.id == "setattr"
                and len(node.args) >= 2
                and isinstance(node.args[1], ast.Constant)
                and node.args[1].value in fields
            ):
                found.append((node.lineno, f"setattr(..., {node.args[1].value!r})"))
            if not isinstance(func, ast.Attribute) or models_module:
                continue
            if func.attr == "update" and set(_keyword_names(node)) & fields:
                found.append((node.lineno, ".update() of a state field"))
            elif func.attr == "update_or_create":
                defaults = [kw.value for kw in node.keywords if kw.arg in ("defaults", "create_defaults")]
                keys = {
                    k.value for d in defaults if isinstance(d, ast.Dict) for k in d.keys if isinstance(k, ast.Constant)
                }
                if keys & fields:
                    found.append((node.lineno, ".update_or_create() of a state field"))
            elif func.attr == "bulk_update" and len(node.args) >= 2 and isinstance(node.args[1], ast.List | ast.Tuple):
                if {e.value for e in node.args[1].elts if isinstance(e, ast.Constant)} & fields:
                    found.append((node.lineno, ".bulk_update() of a state field"))
    return found


def test_the_state_fields_are_found():
    assert {"status", "state"} <= FSM_FIELD_NAMES


def test_the_source_walk_sees_every_kind_of_write():
    bad = """
offer.status = "accepted"
offer.status, x = "accepted", 1
milestone.state += "x"
for offer.status in ("a",): pass
setattr(gig, "status", "paused")
Offer.objects.filter(pk=1).update(status="expired", decided_at=now)
Offer.objects.filter(pk=1).update(**{"state": "x"})
Offer.objects.update_or_create(pk=1, defaults={"status": "x"})
Offer.objects.bulk_update(offers, ["status"])
"""
    assert [line for line, _what in status_writes(bad)] == [2, 3, 4, 5, 6, 7, 8, 9, 10]
    allowed = """
if offer.status == "pending": offer.accept()
Offer.objects.filter(status="pending").expire(now=now)
Offer.objects.create(status="pending")
Offer.objects.filter(pk=1).update(decided_at=now)
checkout.state_before = "x"
"""
    assert status_writes(allowed) == []
    assert status_writes('Offer.objects.filter(pk=1).update(status="x")', models_module=True) == []


def test_no_module_writes_a_status_outside_a_transition():
    modules = list(project_modules())
    assert Path("orders/services.py") in modules and Path("payments/models.py") in modules
    writes = [
        f"{path}:{line}: {what}"
        for path in modules
        for line, what in status_writes(
            (Path(settings.BASE_DIR) / path).read_text(encoding="utf-8"), models_module=path.name == "models.py"
        )
    ]
    assert writes == [], "take the model's transition instead (a queryset method in models.py for bulk):\n" + "\n".join(
        writes
    )


# --- (b) assigning a state field raises, on every model that has one -------------------------------
def test_every_state_field_is_protected_and_reloadable():
    assert len({label(model) for model, _field in fsm_fields()}) >= 12
    for model, field in fsm_fields():
        assert field.protected, f"{label(model)}.{field.name}: FSMField(protected=True)"
        # refresh_from_db() must still reload the row (django-fsm-2's FSMModelMixin lifts the guard for it)
        assert issubclass(model, FSMModelMixin), f"{label(model)}: mix in config.fsm.FSMModelMixin"


@pytest.fixture
def world(db, clock):
    """One saved row of every model with a state machine (the security world, plus a payout)."""
    w = build_world()
    clock.advance(days=30)
    payments.earnings_clear()
    w.objects["payout"] = payments.payout_request(seller=w.seller_user, amount_cents=1000, idempotency_key="fsm")
    # what only the Stripe provider makes: a queued transfer of a clearance, a card dispute on a paid checkout
    clearance = LedgerTransaction.objects.filter(kind=TransactionKind.CLEARANCE).first()
    ProviderTransfer.objects.create(seller=clearance.user, clearance=clearance, amount_cents=100)
    CardDispute.objects.create(dispute_id="dp_fsm", checkout=w.objects["paid_checkout"], amount_cents=100)
    return w


def test_assigning_a_state_field_on_a_saved_row_raises(world):
    for model, field in fsm_fields():
        row = model.objects.order_by("pk").first()
        assert row is not None, f"{label(model)}: add a row of it to this test's world"
        current = getattr(row, field.name)
        other = next(value for value, _label in field.choices if value != current)
        with pytest.raises(AttributeError, match="modification is not allowed"):
            setattr(row, field.name, other)
        row.refresh_from_db()
        assert getattr(row, field.name) == current


def test_the_admin_shows_every_state_field_read_only(world, client):
    client.force_login(world.users["admin"])
    for model, field in fsm_fields():
        row = model.objects.order_by("pk").first()
        try:
            url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_change", args=[row.pk])
        except NoReverseMatch:
            continue  # not in the admin
        response = client.get(url)
        assert response.status_code == 200, label(model)
        form = response.context["adminform"].form
        assert field.name not in form.fields, f"{label(model)}.{field.name} is editable in the admin"


# --- (c) each lifecycle's graph ------------------------------------------------------------------------
REQUEST = {
    ("pending", "accept", "accepted"),
    ("pending", "decline", "declined"),
    ("pending", "withdraw", "withdrawn"),
    ("pending", "close", "closed"),
}

# (source, transition, target) of every model's state machine: a new transition is added here too.
EDGES = {
    "marketplace.Gig": {
        ("active", "pause", "paused"),
        ("paused", "resume", "active"),
        ("active", "soft_delete", "deleted"),
        ("paused", "soft_delete", "deleted"),
    },
    "milestones.Order": {("active", "complete", "completed"), ("active", "cancel", "cancelled")},
    "milestones.ExtensionRequest": REQUEST,
    "milestones.CancellationRequest": REQUEST,
    "milestones.PlanChange": REQUEST,
    "milestones.Milestone": {
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
        ("in_progress", "open_dispute", "disputed"),
        ("delivered", "open_dispute", "disputed"),
        ("revision_requested", "open_dispute", "disputed"),
        ("disputed", "resolve_release", "approved"),
        ("disputed", "resolve_refund", "cancelled"),
        ("disputed", "resolve_split", "settled"),
        ("disputed", "withdraw_dispute", "in_progress"),
        ("disputed", "withdraw_dispute", "delivered"),
        ("disputed", "withdraw_dispute", "revision_requested"),
        ("awaiting_funding", "cancel", "cancelled"),
        ("funded", "cancel", "cancelled"),
        ("in_progress", "mutual_cancel", "cancelled"),
        ("in_progress", "cancel_late", "cancelled"),
    },
    "orders.Offer": {
        ("pending", "accept", "accepted"),
        ("pending", "decline", "declined"),
        ("pending", "withdraw", "withdrawn"),
        ("pending", "supersede", "superseded"),
        ("pending", "expire", "expired"),
    },
    "orders.Dispute": {
        ("open", "escalate", "waiting_for_staff"),
        ("open", "resolve", "resolved"),
        ("waiting_for_staff", "resolve", "resolved"),
        ("open", "withdraw", "withdrawn"),
        ("waiting_for_staff", "withdraw", "withdrawn"),
    },
    "orders.SettlementProposal": {
        ("pending", "accept", "accepted"),
        ("pending", "decline", "declined"),
        ("pending", "withdraw", "withdrawn"),
        ("pending", "supersede", "superseded"),
        ("pending", "lapse", "lapsed"),
    },
    "payments.Checkout": {
        ("open", "claim", "processing"),
        ("processing", "claim", "processing"),  # a card retry takes over a claim whose request died
        ("processing", "release_claim", "open"),
        ("open", "pay", "paid"),
        ("processing", "pay", "paid"),
        ("open", "credit", "credited"),
        ("processing", "credit", "credited"),
        ("cancelled", "credit", "credited"),
        ("open", "replace", "cancelled"),
        ("processing", "replace", "cancelled"),
        ("open", "close", "cancelled"),
    },
    "payments.Earning": {("pending", "clear", "cleared")},
    "payments.Payout": {("processing", "complete", "paid"), ("processing", "fail", "failed")},
    "payments.ProviderTransfer": {("pending", "sent", "sent")},
    "payments.CardDispute": {("open", "won", "won"), ("open", "lost", "lost")},
}


def declared_edges(model, field):
    edges = set()
    for t in field.get_all_transitions(model):
        targets = t.target.allowed_states if isinstance(t.target, RETURN_VALUE) else [t.target]
        edges |= {(str(t.source), t.name, str(target)) for target in targets}
    return edges


def test_every_state_machine_is_listed():
    assert set(EDGES) == {label(model) for model, _field in fsm_fields()}


@pytest.mark.parametrize(("model", "field"), fsm_fields(), ids=lambda v: label(v) if hasattr(v, "_meta") else v.name)
def test_each_lifecycle_is_the_listed_graph(model, field):
    edges, listed = declared_edges(model, field), EDGES[label(model)]
    assert edges == listed, f"not listed: {edges - listed}; stale: {listed - edges}"


@pytest.mark.parametrize(("model", "field"), fsm_fields(), ids=lambda v: label(v) if hasattr(v, "_meta") else v.name)
def test_every_status_is_reachable_from_the_initial_one(model, field):
    choices = {value for value, _label in field.choices}
    edges = declared_edges(model, field)
    assert {s for s, _n, t in edges} | {t for s, _n, t in edges} <= choices, "a transition names an unknown status"
    assert field.default in choices
    reached, queue = {field.default}, deque([field.default])
    while queue:
        state = queue.popleft()
        for source, _name, target in edges:
            if source == state and target not in reached:
                reached.add(target)
                queue.append(target)
    assert reached == choices, f"unreachable from {field.default!r}: {choices - reached}"


# --- bulk transitions ----------------------------------------------------------------------------------
def test_a_bulk_transition_reads_its_states_from_the_declaration():
    assert declared_transitions(ExtensionRequest.close) == (["pending"], "closed", "status")
    with pytest.raises(ImproperlyConfigured):
        # withdraw_dispute returns one of three states: not something one UPDATE can take
        bulk_transition(Milestone.objects.none(), Milestone.withdraw_dispute)


def test_a_bulk_transition_moves_only_rows_in_its_source_states(world, clock):
    pending = ExtensionRequest.objects.filter(status=RequestStatus.PENDING)
    assert pending.count() == 1
    now = clock.now()
    assert ExtensionRequest.objects.all().close(now=now) == 1
    assert ExtensionRequest.objects.all().close(now=now) == 0  # nothing pending is left
    assert set(ExtensionRequest.objects.values_list("status", "decided_at")) == {(RequestStatus.CLOSED, now)}
