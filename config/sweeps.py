"""The timers' registry: each app registers its periodic sweeps here (in its ``AppConfig.ready()``).

Every timer is a sweep over the database (shared/DOMAIN.md "Time"): idempotent, run by Celery beat,
and caught up by the next run if Redis or a worker was down. Each app owns its sweeps, its
``tasks.run_sweeps`` Celery task and its beat entry (``CELERY_BEAT_SCHEDULE`` in settings); this
registry lets ``manage.py run_timers`` and the tests run every app's sweeps at once, in a fixed order,
without any app importing another.
"""

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Sweep:
    app_label: str
    name: str
    run: Callable[..., int]  # run(now=None) -> how many rows it acted on
    order: int  # when all run at once: lower first


_sweeps: dict[str, Sweep] = {}


def register(app_label: str, name: str, run: Callable[..., int], *, order: int) -> None:
    """Register (or replace) sweep ``name`` of ``app_label``."""
    _sweeps[name] = Sweep(app_label, name, run, order)


def registered(app_label: str | None = None) -> list[Sweep]:
    found = [s for s in _sweeps.values() if app_label is None or s.app_label == app_label]
    return sorted(found, key=lambda s: (s.order, s.name))


def run(app_label: str | None = None, *, now=None) -> dict[str, int]:
    """Run the sweeps of ``app_label`` (every app's when None) once; {name: rows acted on}."""
    return {sweep.name: sweep.run(now=now) for sweep in registered(app_label)}
