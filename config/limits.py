"""The limits on what people enter: each is one setting (``config/settings.py``), read here when it is used.

Forms (``WholeNumberField``'s ``min_value``/``max_value`` and ``AmountField``'s
``min_cents``/``max_cents`` take these callables), services and model validators
(``MaxValueValidator(limits.max_delivery_days)``) read the same function, so a
changed setting, or ``override_settings`` in a test, moves every check at once.
"""

from django.conf import settings


def max_delivery_days() -> int:
    """Longest delivery time in days: gigs, packages, offers, milestones, plan changes, custom-offer requests."""
    return settings.MAX_DELIVERY_DAYS


def max_revisions() -> int:
    """Most revisions a package, an offer's milestone or a milestone may include."""
    return settings.MAX_REVISIONS


def max_extension_days() -> int:
    """Most extra days one extension request may ask for."""
    return settings.MAX_EXTENSION_DAYS


def gig_min_price_cents() -> int:
    return settings.GIG_MIN_PRICE_CENTS


def gig_max_price_cents() -> int:
    return settings.GIG_MAX_PRICE_CENTS


def min_milestone_cents() -> int:
    return settings.ORDERS_MIN_MILESTONE_CENTS


def max_milestone_cents() -> int:
    return settings.ORDERS_MAX_MILESTONE_CENTS


# A package's milestone plan: at least two steps (one step is the package itself), and as many as the
# gig form shows rows for, never more than an order may have.
PACKAGE_PLAN_MIN_MILESTONES = 2
PACKAGE_PLAN_ROWS = 6


def package_plan_max_milestones() -> int:
    return min(PACKAGE_PLAN_ROWS, settings.ORDERS_MAX_MILESTONES)


def max_payment_cents() -> int:
    """The largest single payment (a checkout); every amount field's ceiling unless it names a lower one."""
    return settings.PAYMENTS_MAX_CHECKOUT_CENTS


def min_payout_cents() -> int:
    return settings.PAYMENTS_MIN_PAYOUT_CENTS
