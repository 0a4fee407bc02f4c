"""What higher apps plug into the marketplace (they register in their ``AppConfig.ready()``).

The marketplace shows things it does not own: reviews (written after orders) on gig pages and seller
profiles, and offer cards among a conversation's messages. The app that owns them registers how to
read them, so this app never imports a higher one.
"""

from collections.abc import Callable

_reviews_source: Callable | None = None
_stats_recount: Callable | None = None
_message_decorators: list[Callable] = []
_conversation_changes: list[Callable] = []
_plan_validator: Callable | None = None


def register_reviews_source(source: Callable) -> None:
    """``source(seller=..., gig=None)`` -> the published reviews of the seller (of one gig's orders)."""
    global _reviews_source
    _reviews_source = source


def register_stats_recount(recount: Callable) -> None:
    """``recount(seller_ids=[...])`` counts the sellers' stats again from orders, reviews and messages."""
    global _stats_recount
    _stats_recount = recount


def stats_recount(*, seller_ids) -> None:
    if _stats_recount is not None:
        _stats_recount(seller_ids=seller_ids)


def register_message_decorator(decorate: Callable) -> None:
    """``decorate(messages)`` adds what it owns to a page of a conversation's messages, in one query."""
    if decorate not in _message_decorators:
        _message_decorators.append(decorate)


def register_conversation_change(expression: Callable) -> None:
    """``expression()`` -> a subquery over ``OuterRef("pk")`` (a conversation) that changes whenever something
    the app owns and shows in the conversation changes (e.g. an offer is decided): part of its live stamp."""
    if expression not in _conversation_changes:
        _conversation_changes.append(expression)


def conversation_changes() -> list:
    return [expression() for expression in _conversation_changes]


def register_plan_validator(validate: Callable) -> None:
    """``validate(steps)`` checks a package's milestone plan as any milestone plan is checked (how many
    steps, each one's title, amount, days and revisions) and raises ``InvalidInput`` with the reason."""
    global _plan_validator
    _plan_validator = validate


def validate_plan(steps) -> None:
    if _plan_validator is None:
        from .exceptions import InvalidInput

        raise InvalidInput("Milestone plans cannot be checked right now, so none can be saved.")
    _plan_validator(steps)


def published_reviews(*, seller, gig=None) -> list:
    return _reviews_source(seller=seller, gig=gig) if _reviews_source is not None else []


def decorate_messages(messages) -> None:
    for decorate in _message_decorators:
        decorate(messages)
