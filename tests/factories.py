import factory
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.internal.auth import TOTP, format_hotp_value, generate_totp_secret, hotp_value
from allauth.mfa.utils import decrypt

from accounts.models import User

PASSWORD = "test-pass-2026!"


class UserFactory(factory.django.DjangoModelFactory):
    """A user with a verified address. Staff (``is_staff`` or superusers) get an authenticator app and
    recovery codes, as they must have to open the staff pages and the admin (``accounts.second_factor``):
    ``second_factor=False`` makes staff without one, ``second_factor=True`` gives anyone one."""

    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"person{n}@example.com")
    display_name = factory.Faker("name")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def verified(obj, create, extracted, **kwargs):
        obj.save()
        if create and extracted is not False:
            EmailAddress.objects.create(user=obj, email=obj.email, verified=True, primary=True)

    @factory.post_generation
    def second_factor(obj, create, extracted, **kwargs):
        wanted = extracted if extracted is not None else bool(obj.is_staff or obj.is_superuser)
        if create and wanted:
            enrol_totp(obj)


def enrol_totp(user) -> str:
    """Turn on an authenticator app (and recovery codes) for ``user`` as allauth does; returns the secret."""
    secret = generate_totp_secret()
    TOTP.activate(user, secret)
    RecoveryCodes.activate(user)
    return secret


def totp_secret(user) -> str:
    return decrypt(Authenticator.objects.get(user_id=user.pk, type=Authenticator.Type.TOTP).data["secret"])


def totp_code(user, *, counter_offset=0) -> str:
    """The code ``user``'s authenticator app shows now (allauth's own TOTP functions)."""
    return code_for_secret(totp_secret(user), counter_offset=counter_offset)


# A code is only good within its period (allauth's TOTP_TOLERANCE is 0): a code read in the last seconds of a
# period may be checked in the next one and be refused, as a person typing it then would be. A test reads a
# code only when at least this many seconds of its period are left, and waits for the next period otherwise.
FRESH_CODE_SECONDS = 5


def code_for_secret(secret: str, *, counter_offset=0) -> str:
    import time

    from allauth.mfa import app_settings

    period = app_settings.TOTP_PERIOD
    left = period - time.time() % period
    if left < FRESH_CODE_SECONDS:
        time.sleep(left + 0.05)
    counter = int(time.time()) // period + counter_offset
    return format_hotp_value(hotp_value(secret, counter))


def recovery_codes(user) -> list[str]:
    """``user``'s unused recovery codes."""
    return RecoveryCodes(
        Authenticator.objects.get(user_id=user.pk, type=Authenticator.Type.RECOVERY_CODES)
    ).get_unused_codes()
