"""Celery entry points: periodic sweeps over the database (safe to run twice)."""

from celery import shared_task

from . import services


@shared_task
def clear_earnings() -> int:
    """Pending earnings whose clearance date has passed become available."""
    return services.earnings_clear()


@shared_task
def retry_payouts() -> int:
    """Withdrawals the provider did not answer are asked about again (same idempotency key)."""
    return services.payouts_retry()
