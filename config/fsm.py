"""What every state machine of the project shares (django-fsm-2).

Each status or state that has transitions is an ``FSMField(protected=True)`` on a model that mixes in
``FSMModelMixin`` (so ``refresh_from_db`` can still reload it): it changes only through the model's
``@transition`` methods, and assigning it raises ``AttributeError``.

A sweep that moves many rows at once (offers expiring, requests closing with their milestone,
earnings clearing) does it with ``bulk_transition`` from a queryset method in the model's own module,
named after the transition it takes: one UPDATE whose source and target states are read from that
transition's declaration, so the bulk path cannot drift from the lifecycle.
"""

from django.core.exceptions import ImproperlyConfigured
from django_fsm import FSMModelMixin, State

__all__ = ["FSMModelMixin", "bulk_transition", "declared_transitions"]

_WILDCARDS = ("*", "+")


def declared_transitions(method):
    """(sources, target, field name) of the transition ``method`` declares (accessed on the model class)."""
    meta = method._django_fsm
    targets = {t.target for t in meta.transitions.values()}
    sources = list(meta.transitions)
    if len(targets) != 1 or any(isinstance(t, State) for t in targets) or any(s in _WILDCARDS for s in sources):
        raise ImproperlyConfigured(f"{method.__qualname__}: a bulk transition needs listed sources and one target")
    field = meta.field if isinstance(meta.field, str) else meta.field.name
    return sources, targets.pop(), field


def bulk_transition(queryset, method, **fields) -> int:
    """Take the transition ``method`` declares on every row of ``queryset`` still in one of its sources.

    Returns how many rows moved. One UPDATE and no instances, so the method's body does not run and
    its conditions are not evaluated: ``fields`` are what the body would set, and the calling queryset
    method filters for what the conditions would check.
    """
    sources, target, field = declared_transitions(method)
    return queryset.filter(**{f"{field}__in": sources}).update(**{field: target}, **fields)
