from datetime import timedelta

from allauth.account.models import EmailAddress
from django.conf import settings
from django.db import transaction
from django.db.models import ProtectedError

from config import clock

from .models import User
from .permissions import STAFF_MEMBERS


@transaction.atomic
def profile_update(*, user: User, form) -> User:
    """Save a validated ProfileForm for ``user`` (the form is bound to ``user``)."""
    if form.instance.pk != user.pk:
        raise PermissionError("A profile can only be edited by its owner.")
    old_avatar = User.objects.select_for_update().get(pk=user.pk).avatar
    updated = form.save()
    name = old_avatar.name  # empty when there was no avatar
    if name and name != updated.avatar.name:
        transaction.on_commit(lambda: old_avatar.storage.delete(name), robust=True)
    return updated


def unverified_signups_purge(*, older_than: timedelta | None = None) -> int:
    """Delete accounts that never confirmed an email address.

    Staff, and anyone with any verified address, are kept. Returns how many
    were deleted. Running it twice deletes nothing more.
    """
    older_than = older_than or settings.ACCOUNT_UNVERIFIED_PURGE_AFTER
    cutoff = clock.now() - older_than
    verified = EmailAddress.objects.filter(verified=True).values("user_id")
    stale = User.objects.filter(date_joined__lt=cutoff).exclude(STAFF_MEMBERS).exclude(pk__in=verified)
    deleted = 0
    for user in stale.iterator():
        try:
            with transaction.atomic():
                user.delete()
        except ProtectedError:
            continue  # money or orders refer to it: keep the account (it is no longer just a sign-up)
        deleted += 1
    return deleted


def form_submissions_purge(*, older_than: timedelta = timedelta(days=1)) -> int:
    """Forget one-time form keys older than ``older_than`` (a form is not resubmitted a day later)."""
    from .models import FormSubmission

    deleted, _ = FormSubmission.objects.filter(created_at__lt=clock.now() - older_than).delete()
    return deleted
