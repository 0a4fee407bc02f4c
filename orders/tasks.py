from celery import shared_task


@shared_task
def escalate_disputes():
    """Beat: open disputes left unanswered past their deadline go to support staff (safe to run twice)."""
    from .disputes import disputes_escalate

    return disputes_escalate()
