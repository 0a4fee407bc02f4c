"""Fixtures for the payments tests: people, a stand-in "milestone" purpose, sandbox faults, both providers."""

from types import SimpleNamespace

import pytest

from payments import services
from payments.checkout import get_purpose, register_purpose, unregister_purpose
from payments.exceptions import PaymentError
from payments.providers.sandbox import CARD_SUCCEEDS, SandboxProvider
from tests.factories import UserFactory

from .providers import PROVIDERS, SandboxSide, StripeSide


@pytest.fixture(autouse=True)
def _no_sandbox_faults():
    SandboxProvider.clear_faults()
    yield
    SandboxProvider.clear_faults()


@pytest.fixture(params=PROVIDERS)
def provider(request):
    """The test runs on each payment provider: the sandbox, and Stripe against the fake Stripe API
    (tests/payments/providers.py says what the adapter gives)."""
    if request.param == "sandbox":
        side = SandboxSide()
    else:
        side = StripeSide(request.getfixturevalue("fake_stripe"))
    yield side
    side.reset()


@pytest.fixture
def buyer(db):
    return UserFactory(display_name="Bea Buyer")


@pytest.fixture
def seller(db):
    return UserFactory(display_name="Sol Seller")


@pytest.fixture
def milestone_purpose():
    """A tiny "milestone" purpose (the milestones app's one is put back afterwards).

    ``state.refuse = "..."`` makes validate refuse; ``state.fail_on_paid = exc``
    makes on_paid raise; ``state.paid`` lists the milestone ids it saw paid.
    """
    original = get_purpose("milestone")
    state = SimpleNamespace(refuse=None, fail_on_paid=None, paid=[])

    def validate(checkout):
        if state.refuse:
            raise PaymentError(state.refuse)

    def on_paid(checkout):
        if state.fail_on_paid is not None:
            raise state.fail_on_paid
        state.paid.append(checkout.reference_id)

    register_purpose("milestone", validate=validate, on_paid=on_paid, posting="escrow")
    yield state
    if original is not None:
        register_purpose(
            original.name,
            validate=original.validate,
            on_paid=original.on_paid,
            posting=original.posting,
            service_fee=original.service_fee,
            prepare=original.prepare,
            group=original.group,  # (forgetting it made later tests' charges lose their order's group)
        )
    else:
        unregister_purpose("milestone")


def open_milestone_checkout(buyer, milestone_id, amount_cents):
    return services.checkout_create(
        buyer=buyer,
        purpose="milestone",
        reference_id=milestone_id,
        amount_cents=amount_cents,
        description=f"Milestone {milestone_id}",
        return_url=f"/orders/m/{milestone_id}/",
    )


def fund_milestone(buyer, milestone_id, amount_cents, *, card=CARD_SUCCEEDS):
    checkout = open_milestone_checkout(buyer, milestone_id, amount_cents)
    return services.checkout_pay(checkout=checkout, actor=buyer, payment_method=card)


def pay_tip(buyer, seller, amount_cents, *, card=CARD_SUCCEEDS):
    checkout = services.tip_send(buyer=buyer, seller=seller, amount_cents=amount_cents, return_url="/payments/history/")
    return services.checkout_pay(checkout=checkout, actor=buyer, payment_method=card)
