from celery import shared_task

from .timeline import notification_email


@shared_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def send_notification_email(notification_id):
    return notification_email(notification_id)
