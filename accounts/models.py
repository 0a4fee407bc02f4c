from typing import ClassVar

from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.db import models
from django.db.models.functions import Lower

from config import clock
from config.text import LineCharField, clean_line
from config.uploads import private_upload_to

from .zones import TIME_ZONE_HELP, default_time_zone, validate_time_zone


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def _create_user(self, email, password, **extra):
        if not email:
            raise ValueError("An email address is required.")
        email = self.normalize_email(email)
        user = self.model(email=email, **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email, password=None, **extra):
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra)

    def create_superuser(self, email, password=None, **extra):
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        return self._create_user(email, password, **extra)

    def get_by_natural_key(self, email):
        return self.get(email__iexact=email)


class User(AbstractUser):
    """A person on the marketplace; any user can both buy and sell.

    Email is the login. ``display_name`` is what others see.
    """

    # AbstractUser's fields this model does without (the stubs type them as always there)
    username = None  # type: ignore[assignment]
    first_name = None  # type: ignore[assignment]
    last_name = None  # type: ignore[assignment]
    email = models.EmailField("email address", unique=True)
    display_name = LineCharField(max_length=60, blank=True)
    avatar = models.ImageField(upload_to=private_upload_to("avatars"), blank=True)
    bio = models.TextField("short bio", max_length=600, blank=True)
    # Every time is shown in this zone (accounts.zones): chosen in the profile, guessed by the browser at sign-up.
    time_zone = models.CharField(
        max_length=64, default=default_time_zone, validators=[validate_time_zone], help_text=TIME_ZONE_HELP
    )

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS = []

    # email login: not AbstractUser's username-based manager, which the stubs expect here
    objects: ClassVar[UserManager] = UserManager()  # type: ignore[assignment]

    class Meta:
        ordering = ["email"]
        constraints = [models.UniqueConstraint(Lower("email"), name="user_email_ci_unique")]

    def __str__(self):
        return self.public_name

    @property
    def public_name(self):
        return self.display_name or self.email.split("@", 1)[0]

    @property
    def initials(self):
        return "".join(part[0] for part in clean_line(self.public_name).split()[:2]).upper() or "?"


class FormSubmission(models.Model):
    """A form that was sent once: its one-time key and where it led (``accounts.once``).

    Every form that creates something carries a fresh key; a repeat with the same key (a double click,
    a resubmitted tab, two requests at the same moment) is sent to the first one's result instead of
    creating again. Rows older than a day are purged by the hourly accounts task.
    """

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=64)
    result_url = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=clock.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "key"], name="form_submission_once")]
        indexes = [models.Index(fields=["created_at"])]

    def __str__(self):
        return f"{self.key} by user {self.user_id}"


class Notification(models.Model):
    """An in-app notice (the bell); most are also emailed."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="notifications")
    text = models.CharField(max_length=300)
    url = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=clock.now)
    read_at = models.DateTimeField(null=True, blank=True)
    # Email is sent by a Celery task after commit; a sweep resends what a broker
    # outage dropped (email_wanted and not emailed yet).
    email_wanted = models.BooleanField(default=True)
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "orders_notification"  # moved from the orders app with its table
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["user", "read_at"]),
            models.Index(
                fields=["created_at"],
                condition=models.Q(email_wanted=True, emailed_at=None),
                name="notification_unsent",
            ),
        ]

    def __str__(self):
        return self.text


class StaffAction(models.Model):
    """The audit log of support staff and admins: who did what, when, to what, and why."""

    staff = models.ForeignKey(User, on_delete=models.PROTECT, related_name="staff_actions")
    action = models.CharField(max_length=40, db_index=True)
    # What it was about, by id (the apps above this one own those rows): a log outlives what it names.
    order_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    milestone_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    dispute_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    target = models.CharField(max_length=120, blank=True, help_text="Anything else it acted on, e.g. “gig 12”.")
    detail = models.TextField(blank=True, help_text="What was done (amounts, outcome).")
    reason = models.TextField(blank=True, help_text="Why: the decision or note the staff member wrote.")
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=clock.now, db_index=True)

    class Meta:
        db_table = "orders_staffaction"  # moved from the orders app with its table
        ordering = ["-created_at", "-pk"]
        verbose_name = "staff action (audit log)"
        verbose_name_plural = "staff actions (audit log)"

    def __str__(self):
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.staff} {self.action}"
