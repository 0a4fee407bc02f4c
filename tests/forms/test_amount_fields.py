"""Every amount field of every form, through its real view: the typos of issue #14 are refused, never stored.

Generated from the fuzz registry (``registry.py``), so a new form with an
amount is covered as soon as it has its entry. Before the one parser,
``10,00`` was stored as $1,000.00, ``$1,2,3,4`` as $1,234.00, ``1e3`` and
``1_000`` as $1,000.00, and ``1e26`` raised ``decimal.InvalidOperation`` (a 500).
"""

import importlib

import pytest
from django.utils.html import escape

from config.money import MESSAGES, AmountField

from .fuzzing import post, signed_in
from .registry import SUBMISSIONS, Ctx, amount_keys

pytestmark = pytest.mark.django_db


def _form_class(path):
    module, name = path.rsplit(".", 1)
    return getattr(importlib.import_module(module), name)


def takes_amounts(sub) -> bool:
    return any(
        isinstance(field, AmountField)
        for path in sub.forms
        for field in getattr(_form_class(path), "base_fields", {}).values()
    )


WITH_AMOUNTS = [sub for sub in SUBMISSIONS if takes_amounts(sub)]

# The typos of the issue; every amount field of a form gets the first two, its first field all of them.
TYPOS = {
    "10,00": MESSAGES["decimal_comma"],
    "1e26": MESSAGES["invalid"],
    "$1,2,3,4": MESSAGES["separators"],
    "1e3": MESSAGES["invalid"],
    "1_000": MESSAGES["invalid"],
    "-5": MESSAGES["negative"],
}
# Entries of a form with an amount field whose form, as posted there, has none.
WITHOUT_AMOUNT = {"admin_cancel": "the admin's cancel transition asks only for a reason (no split)"}


def test_every_form_with_an_amount_is_here():
    names = {sub.name for sub in WITH_AMOUNTS}
    assert {
        "offer_new",
        "offer_counter",
        "order_add_milestone",
        "milestone_change",
        "order_tip",
        "tip_page",
        "withdraw",
        "settlement_propose",
        "staff_resolve",
        "admin_resolve_split",
        "gig_create",
        "gig_create_packages",
        "gig_edit",
        "gig_request_offer",
        "gig_search",
    } <= names


@pytest.mark.parametrize("sub", WITH_AMOUNTS, ids=lambda sub: sub.name)
def test_amount_typos_are_refused_next_to_the_field_and_nothing_is_stored(sub, world):
    ctx = Ctx(world, sub.setup(world) if sub.setup else {})
    fields = sub.fields(ctx)
    good = sub.valid(ctx)
    signed = signed_in(sub, ctx)
    keys = sub.amounts(ctx, good, {}) if sub.amounts else amount_keys(fields)
    assert bool(keys) != (sub.name in WITHOUT_AMOUNT), f"{sub.name}: amount fields {keys}"
    for number, key in enumerate(keys):
        for typed, message in list(TYPOS.items())[: None if number == 0 else 2]:
            outcome = post(sub, ctx, {**good, key: typed}, signed)
            where = f"{sub.name}: {key}={typed!r} → {outcome.describe()}"
            assert outcome.status < 500, where
            assert not outcome.changed, f"stored: {where}"
            assert outcome.shows(message), f"the message {message!r} is not shown: {where}"
            if outcome.html:  # the form is shown again (the order page's action forms redirect with a message)
                assert f'value="{escape(typed)}"' in outcome.html, f"what was typed is not shown back: {where}"
