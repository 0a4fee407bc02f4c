"""Writing the order's history and telling people: used by every service."""

from django.conf import settings
from django.core.mail import send_mail

from config.celery import enqueue_on_commit

from .models import Notification, TimelineEvent


def timeline_record(*, order, action, actor=None, milestone=None, from_state="", to_state="", detail=""):
    return TimelineEvent.objects.create(
        order=order,
        milestone=milestone,
        actor=actor if getattr(actor, "pk", None) else None,
        action=action,
        from_state=from_state or "",
        to_state=to_state or "",
        detail=detail,
    )


def notification_send(*, user, text, url="", email=True):
    """An in-app notification now, and an email after the transaction commits."""
    notification = Notification.objects.create(user=user, text=text[:300], url=url)
    if email:
        from .tasks import send_notification_email

        enqueue_on_commit(send_notification_email, notification.pk)
    return notification


def notification_email(notification_id):
    """Send one notification's email (the Celery task calls this)."""
    notification = Notification.objects.select_related("user").filter(pk=notification_id).first()
    if notification is None:
        return False
    link = f"{settings.SITE_URL}{notification.url}" if notification.url else settings.SITE_URL
    send_mail(
        subject=f"[{settings.SITE_NAME}] {notification.text[:90]}",
        message=f"{notification.text}\n\n{link}\n",
        from_email=None,
        recipient_list=[notification.user.email],
    )
    return True
