"""Telling people: the bell, and an email after the transaction commits (every app notifies through here).

A notification is written in the same transaction as what it tells of, so nothing is told that did not
happen; its email is sent by a Celery task after the commit, and ``notification_emails_resend`` (a sweep)
sends what a broker outage dropped, once.
"""

from datetime import timedelta

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction

from config import clock
from config.celery import enqueue_on_commit
from config.text import clean_line

from .models import Notification
from .zones import in_zone_of


def notification_send(*, user=None, user_id=None, text, url="", email=True):
    """An in-app notification now, and an email after the transaction commits.

    The text is one clean line (``config.text.clean_line``): a name stored before names were cleaned
    cannot reverse the words around it in the bell, the list or the email.
    """
    notification = Notification.objects.create(
        user_id=user.pk if user is not None else user_id, text=clean_line(text)[:300], url=url, email_wanted=email
    )
    if email:
        from .tasks import send_notification_email  # the task module imports this one

        enqueue_on_commit(send_notification_email, notification.pk)
    return notification


def notification_email_now(notification) -> None:
    """Email an in-app notification that was not emailed when it was made (e.g. a message the receiver then
    left unseen): once, after the transaction commits, through the same task and resend sweep as the others."""
    from .tasks import send_notification_email

    Notification.objects.filter(pk=notification.pk, emailed_at=None).update(email_wanted=True)
    enqueue_on_commit(send_notification_email, notification.pk)


def notifications_mark_read_for(*, user, urls) -> int:
    """``user`` acted on something: their unread notifications that point at it (any of ``urls``, the links
    the notices about it carry) are read now, so the bell counts only what still waits for them. Returns how
    many were marked."""
    wanted = sorted({url for url in urls if url})
    if user is None or getattr(user, "pk", None) is None or not wanted:
        return 0
    return Notification.objects.filter(user_id=user.pk, read_at=None, url__in=wanted).update(read_at=clock.now())


def email_subject(text, limit=90):
    """The notification's text as a subject line: whole words, with an ellipsis when it was cut."""
    if len(text) <= limit:
        return text
    return text[: limit - 1].rsplit(" ", 1)[0].rstrip(" ,;:") + "…"


def notification_email(notification_id):
    """Send one notification's email once (the Celery task and the resend sweep call this)."""
    with transaction.atomic():
        notification = (
            Notification.objects.select_for_update(skip_locked=True)
            .filter(pk=notification_id, email_wanted=True, emailed_at=None)
            .first()
        )
        if notification is None:
            return False  # already sent, not wanted, or being sent by another worker
        user = notification.user
        link = f"{settings.SITE_URL}{notification.url}" if notification.url else settings.SITE_URL
        with in_zone_of(user):  # its text was written in the recipient's zone; anything rendered here is too
            send_mail(
                subject=f"[{settings.SITE_NAME}] {email_subject(notification.text)}",
                message=f"{notification.text}\n\n{link}\n",
                from_email=None,
                recipient_list=[user.email],
            )
        notification.emailed_at = clock.now()
        notification.save(update_fields=["emailed_at"])
    return True


def notification_emails_resend(*, now=None, older_than=None, batch_size=200) -> int:
    """Send the emails a broker outage dropped: wanted, unsent, older than a couple of minutes."""
    now = now or clock.now()
    cutoff = now - (older_than or timedelta(minutes=2))
    sent = 0
    last_pk = 0
    while True:
        ids = list(
            Notification.objects.filter(email_wanted=True, emailed_at=None, created_at__lte=cutoff, pk__gt=last_pk)
            .order_by("pk")
            .values_list("pk", flat=True)[:batch_size]
        )
        if not ids:
            return sent
        for pk in ids:
            sent += notification_email(pk)
        last_pk = ids[-1]
