from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"

    def ready(self):
        from django.conf import settings

        from config import sweeps

        from .notifications import notification_emails_resend

        def sweep_notification_emails(*, now=None):
            return notification_emails_resend(now=now, batch_size=settings.TIMER_BATCH_SIZE)

        sweeps.register("accounts", "notification_emails", sweep_notification_emails, order=70)
