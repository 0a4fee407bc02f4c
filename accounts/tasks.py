from celery import shared_task

from . import services


@shared_task
def purge_unverified_signups() -> int:
    return services.unverified_signups_purge()


@shared_task
def purge_form_submissions() -> int:
    return services.form_submissions_purge()


@shared_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def send_notification_email(notification_id):
    from .notifications import notification_email

    return notification_email(notification_id)


@shared_task(acks_late=True)
def run_sweeps() -> dict:
    """This app's timer sweeps once (emails a broker outage dropped); safe to run twice."""
    from config import sweeps

    return sweeps.run("accounts")
