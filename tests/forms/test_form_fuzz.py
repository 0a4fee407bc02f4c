"""Every form field, fuzzed: hypothesis-generated input into every form of the app, through the real views.

For each ``Submission`` of ``registry.py`` the good submission must be
accepted; then hypothesis changes one to three of its fields at a time
(values suited to the field's type, and the hostile set of ``strategies.py``:
unicode, control characters, NUL, markup, huge numbers, exponents, commas,
empty, oversize) and posts it as the entry's user. Never a 500 (an exception in
a view fails the test); either the submission is refused with a message and
nothing changed, or it is accepted, and every amount stored equals what
``config.money`` reads from what was posted. A form the app defines or routes
to without an entry fails ``test_every_form_has_a_fuzz_entry``.
"""

import os

import pytest
from allauth.account import app_settings as allauth_settings
from django import forms
from hypothesis import HealthCheck, given, settings

from config.money import AmountField

from .fuzzing import judge, post, signed_in
from .registry import NOT_POSTED, SUBMISSIONS, Ctx, discover_forms
from .strategies import overrides

pytestmark = pytest.mark.django_db

# FORM_FUZZ_EXAMPLES=200 FORM_FUZZ_SEED=random: a longer, different run on a workstation (not in CI).
EXAMPLES = int(os.environ.get("FORM_FUZZ_EXAMPLES", "0")) or None
FUZZ = settings(
    deadline=None,
    derandomize=os.environ.get("FORM_FUZZ_SEED") != "random",  # the same examples on every run: CI is reproducible
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture, HealthCheck.data_too_large],
)


def test_every_form_has_a_fuzz_entry():
    found = set(discover_forms())
    covered = {name for sub in SUBMISSIONS for name in sub.forms}
    missing = sorted(found - covered - set(NOT_POSTED))
    stale = sorted((covered | set(NOT_POSTED)) - found)
    assert not missing, (
        "forms with no fuzz entry in tests/forms/registry.py (add a Submission, or a reason in NOT_POSTED):\n"
        + "\n".join(missing)
    )
    assert not stale, "entries for forms that no longer exist:\n" + "\n".join(stale)
    assert len(found) >= 25


MONEY_WORDS = ("amount", "price", "budget", "cents", "tip", "fee", "balance", "share")


def test_every_amount_field_reads_through_the_one_parser():
    """A Decimal or float field, or a field named like money, that is not ``config.money.AmountField``, fails."""
    wrong = []
    for name, form_class in discover_forms().items():
        for field_name, field in getattr(form_class, "base_fields", {}).items():
            money_like = isinstance(field, forms.DecimalField | forms.FloatField) or any(
                word in field_name.split("_") for word in MONEY_WORDS
            )
            if money_like and not isinstance(field, AmountField):
                wrong.append(f"{name}.{field_name} ({type(field).__name__})")
    assert not wrong, "amount fields that do not read through config.money.AmountField:\n" + "\n".join(wrong)


def test_the_forms_left_out_are_still_not_posted():
    assert not allauth_settings.LOGIN_BY_CODE_ENABLED, "login by code is on: ConfirmLoginCodeForm needs a Submission"


@pytest.mark.parametrize("sub", SUBMISSIONS, ids=lambda sub: sub.name)
def test_every_field_fuzzed(sub, world):
    ctx = Ctx(world, sub.setup(world) if sub.setup else {})
    fields = sub.fields(ctx)
    good = sub.valid(ctx)
    assert set(good) <= set(fields), (
        f"the good submission posts fields the form does not have: {set(good) - set(fields)}"
    )
    signed = signed_in(sub, ctx)
    outcome = post(sub, ctx, good, signed)
    judge(sub, ctx, fields, good, {}, outcome)
    assert outcome.accepted or sub.method == "GET", f"the good submission was refused: {outcome.describe()}"
    assert not outcome.shows_an_error, f"the good submission shows an error: {outcome.describe()}"

    @settings(FUZZ, max_examples=EXAMPLES or sub.max_examples)
    @given(changes=overrides(fields))
    def fuzz(changes):
        data = {**good, **changes}
        judge(sub, ctx, fields, data, changes, post(sub, ctx, data, signed))

    fuzz()
