"""Celery entry points: thin wrappers around the sweeps in ``milestones.timers``."""

from celery import shared_task

from config import sweeps


@shared_task(acks_late=True)
def run_sweeps() -> dict:
    """This app's timer sweeps once (auto-approval, reminders, deadlines); safe to run twice or at once."""
    return sweeps.run("milestones")
