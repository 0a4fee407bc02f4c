"""Celery entry points of the orders app."""

from celery import shared_task

from config import sweeps


@shared_task(acks_late=True)
def run_sweeps() -> dict:
    """This app's timer sweeps once (offer expiry, review publication, dispute deadlines); safe to run twice."""
    return sweeps.run("orders")
