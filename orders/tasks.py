from celery import shared_task

from .timeline import notification_email


@shared_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def send_notification_email(notification_id):
    return notification_email(notification_id)


@shared_task
def escalate_disputes():
    """Beat: open disputes left unanswered past their deadline go to support staff (safe to run twice)."""
    from .disputes import disputes_escalate

    return disputes_escalate()
