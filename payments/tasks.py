"""Celery entry points: periodic sweeps over the database (safe to run twice)."""

from celery import shared_task

from config import sweeps

from . import services


@shared_task(acks_late=True)
def run_sweeps() -> dict:
    """This app's timer sweeps once: clearance of due earnings, card payments whose outcome is unknown."""
    return sweeps.run("payments")


@shared_task
def retry_payouts() -> int:
    """Withdrawals the provider did not answer are asked about again (same idempotency key)."""
    return services.payouts_retry()
