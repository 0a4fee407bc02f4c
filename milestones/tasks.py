"""Celery entry points: thin wrappers around the sweeps in ``milestones.timers``."""

from celery import shared_task

from . import timers


@shared_task(acks_late=True)
def run_sweeps() -> dict:
    """Every timer sweep once; safe to run twice or on two workers at once."""
    return timers.run_all()
