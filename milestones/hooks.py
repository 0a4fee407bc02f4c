"""What higher apps plug into the milestones app (they register in their ``AppConfig.ready()``)."""

from collections.abc import Callable

from django.db import transaction

_order_completed: list[Callable] = []


def register_order_completed(listener: Callable) -> None:
    """``listener(order)`` runs after the transaction in which an order completed has committed
    (e.g. the orders app recounts the seller's stats); a listener that fails does not undo the order."""
    _order_completed.append(listener)


def order_completed(order) -> None:
    for listener in _order_completed:
        transaction.on_commit(lambda listener=listener: listener(order), robust=True)


# Operator actions: how support takes a step marked ``operator=True`` in the process declaration from the
# admin. ``handler(milestone=, actor=, reason=, seller_amount_cents=, expected_state=)`` runs the service;
# ``available(milestone)`` says whether it applies now (beyond the state machine); ``split`` asks for the
# seller's share.
_operator_actions: dict = {}


def register_operator_action(name, handler, *, available=None, split=False) -> None:
    _operator_actions[name] = (handler, available, split)


def operator_action(name):
    return _operator_actions.get(name)
