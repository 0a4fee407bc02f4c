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
