"""What a checkout can pay for: purposes registered by the apps that sell things.

An app registers a purpose once, usually in its ``AppConfig.ready()``::

    from payments.checkout import register_purpose

    register_purpose("milestone", validate=milestone_can_be_funded, on_paid=milestone_funded)

* ``validate(checkout)`` runs before the card is charged and raises
  ``payments.exceptions.PaymentError`` (with a readable message) if paying is
  no longer allowed (the milestone was cancelled, already funded...).
* ``on_paid(checkout)`` runs inside the same ``transaction.atomic()`` block as
  the ledger posting, right after it. If it raises after the card was charged,
  the whole block is rolled back and the charged total is credited to the
  buyer's balance instead (the checkout becomes "credited"): money never
  vanishes.
* ``posting`` says which ledger transaction paying posts:

  - ``"escrow"``: the amount goes to the escrow of milestone ``reference_id``,
    the buyer service fee to platform revenue (``services.escrow_fund``);
  - ``"tip"``: the amount minus the seller commission goes to the payee's
    pending earnings, the commission to revenue (``services.tip_post``).

* ``group(checkout)`` (optional): the provider's transfer group for the charge
  (Stripe's ``transfer_group``), e.g. ``"order-12"``; by default the purpose and id.
* ``service_fee``: whether the buyer service fee is added (default: yes for
  escrow, no for tips).
* ``prepare(checkout)`` (optional, escrow postings): what is bought is made only
  once it is paid (a package order: nothing exists before the payment). It runs
  inside the atomic block *before* the posting and returns a ``Made``: the id
  of the milestone whose escrow receives the amount, and the page of what was
  made (the buyer is sent there once paid); ``on_paid(checkout,
  milestone_id=...)`` is then called with it. If anything raises, nothing is
  made and the charge is credited, as above.
"""

from collections.abc import Callable
from dataclasses import dataclass

POSTINGS = ("escrow", "tip")


@dataclass(frozen=True)
class Made:
    """What a purpose's ``prepare`` made: the milestone the payment funds, and its page."""

    milestone_id: int
    return_url: str


@dataclass(frozen=True)
class PlanStep:
    title: str
    amount_cents: int
    delivery_days: int


@dataclass(frozen=True)
class CheckoutPlan:
    """The steps a checkout pays the first of; ``problem``: why it cannot be paid as it was opened."""

    steps: tuple[PlanStep, ...]
    problem: str = ""
    back_url: str = ""  # with a problem: where the buyer sees what they pay for as it is now


@dataclass(frozen=True)
class Purpose:
    name: str
    on_paid: Callable
    validate: Callable
    posting: str
    service_fee: bool
    prepare: Callable | None = None
    group: Callable | None = None  # checkout -> the provider's transfer group (e.g. "order-12")
    plan: Callable | None = None  # checkout -> CheckoutPlan | None, shown on the checkout page


_purposes: dict[str, Purpose] = {}


def register_purpose(
    name: str,
    *,
    on_paid: Callable,
    validate: Callable,
    posting: str = "escrow",
    service_fee: bool | None = None,
    prepare: Callable | None = None,
    group: Callable | None = None,
    plan: Callable | None = None,
) -> Purpose:
    """Register (or replace) the purpose ``name``; returns it."""
    if posting not in POSTINGS:
        raise ValueError(f"posting must be one of {POSTINGS}, not {posting!r}")
    if prepare is not None and posting != "escrow":
        raise ValueError("prepare makes the milestone an escrow posting pays for: only for posting='escrow'")
    purpose = Purpose(
        name=name,
        on_paid=on_paid,
        validate=validate,
        posting=posting,
        service_fee=(posting == "escrow") if service_fee is None else service_fee,
        prepare=prepare,
        group=group,
        plan=plan,
    )
    _purposes[name] = purpose
    return purpose


def unregister_purpose(name: str) -> None:
    _purposes.pop(name, None)


def get_purpose(name: str) -> Purpose | None:
    return _purposes.get(name)


def registered_purposes() -> dict[str, Purpose]:
    return dict(_purposes)
