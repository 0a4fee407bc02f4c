"""The second factor (allauth.mfa): who must have one, and asking for a code again before money moves.

Two rules, each in one place here:

- **Staff must have one** (:func:`must_enrol`, applied by ``accounts.middleware.StaffSecondFactorMiddleware``):
  a staff member (``accounts.permissions``: ``is_staff``, superusers, support) without an active
  authenticator (an authenticator app or a security key / passkey) who opens a page under
  :data:`STAFF_AREAS` is sent to the two-factor page with a message, while ``settings.MFA_REQUIRED_FOR_STAFF``
  is on (the default).
- **Asked again before money moves** (:class:`SecondFactorFormMixin`): a form that moves money takes the
  signed-in ``user``; when that user has two-factor authentication on, it gets an "Authentication code"
  field that accepts the current code of their authenticator app or one of their unused recovery codes.
  The code is checked by allauth itself (``allauth.mfa.base.forms.ReauthenticateForm``: its rate limit on
  failed tries, its TOTP replay guard, a recovery code spent once), last, once the rest of the form is
  valid, so a typo elsewhere never spends a code. Users without a second factor see no field.

Usage (the withdrawal form, the staff dispute decision; a change of payout account the same way)::

    class WithdrawForm(SecondFactorFormMixin, forms.Form): ...

    form = WithdrawForm(request.POST or None, user=request.user)

and in its template ``{% include "accounts/_second_factor_field.html" with field=form.second_factor_field %}``
(nothing is drawn for a user without a second factor; a ``{{ form }}`` draws the field by itself).
"""

from allauth.core import context
from allauth.mfa.base.forms import ReauthenticateForm
from allauth.mfa.models import Authenticator
from django import forms
from django.conf import settings
from django.contrib import messages
from django.shortcuts import redirect
from django.urls import reverse

from .permissions import is_staff_member, is_support

# The parts of the site only staff use: the Resolution Center (orders/urls_staff.py, mounted at staff/ by
# config/urls.py) and the Django admin. Every page under them, present and future, needs the second factor.
STAFF_AREAS = ("/staff/", "/admin/")

# The authenticators that make a second factor (recovery codes only come with one of these).
FACTORS = (Authenticator.Type.TOTP, Authenticator.Type.WEBAUTHN)

ENROL_MESSAGE = (
    "Staff accounts need two-factor authentication. Turn on an authenticator app (or add a security key) "
    "below, then open the staff pages again."
)
WRONG_CODE = (
    "This code is not right, or it was used already. Type the current code from your authenticator app, "
    "or one of your unused recovery codes."
)

FIELD = "second_factor_code"


def has_second_factor(user) -> bool:
    """True if ``user`` has an authenticator app or a security key."""
    if user is None or not user.is_authenticated:
        return False
    return Authenticator.objects.filter(user_id=user.pk, type__in=FACTORS).exists()


def asks_for_code(user) -> bool:
    """True if a code can be asked of ``user``: they have codes to type (an authenticator app, recovery codes)."""
    if user is None or not user.is_authenticated:
        return False
    return Authenticator.objects.filter(
        user_id=user.pk, type__in=(Authenticator.Type.TOTP, Authenticator.Type.RECOVERY_CODES)
    ).exists()


def must_enrol(user) -> bool:
    """True for a staff member who has no second factor yet (while MFA_REQUIRED_FOR_STAFF is on)."""
    if not getattr(settings, "MFA_REQUIRED_FOR_STAFF", True):
        return False
    return (is_staff_member(user) or is_support(user)) and not has_second_factor(user)


def is_staff_area(path: str) -> bool:
    return path.startswith(STAFF_AREAS)


def enrol_redirect(request):
    """Send a staff member without a second factor to the two-factor page, saying why."""
    messages.warning(request, ENROL_MESSAGE)
    return redirect(reverse("mfa_index"))


def check_code(user, code: str) -> str | None:
    """Check ``code`` for ``user`` with allauth's own check; None when it is good, else the error to show.

    A good TOTP code cannot be used again within its period (allauth's replay guard); a good recovery code
    is spent. The use is recorded as allauth records a reauthentication (last use, session record, signal).
    Needs the current request in allauth's context (``allauth.account.middleware.AccountMiddleware`` sets it).
    """
    if context.request is None:
        raise RuntimeError("check_code runs inside a request (allauth's AccountMiddleware sets its context).")
    check = ReauthenticateForm(user=user, data={"code": code})
    if check.is_valid():
        check.save()
        return None
    errors = check.errors.get("code") or [WRONG_CODE]
    # allauth's "Incorrect code." says too little here; its rate-limit message is kept as it is.
    return WRONG_CODE if str(errors[0]) == "Incorrect code." else str(errors[0])


class OneTimeCodeInput(forms.TextInput):
    """A one-time code is never written back into the page: a refused form asks for a fresh one."""

    def __init__(self, attrs=None):
        super().__init__(
            {"autocomplete": "one-time-code", "inputmode": "numeric", "spellcheck": "false", **(attrs or {})}
        )

    def format_value(self, value):
        return None


class SecondFactorCodeField(forms.CharField):
    def __init__(self, **kwargs):
        kwargs.setdefault("label", "Authentication code")
        kwargs.setdefault("help_text", "The 6-digit code from your authenticator app, or one of your recovery codes.")
        kwargs.setdefault("max_length", 64)
        kwargs.setdefault("widget", OneTimeCodeInput)
        kwargs.setdefault("error_messages", {"required": "Type the code from your authenticator app."})
        super().__init__(**kwargs)


class SecondFactorFormMixin:
    """Adds an "Authentication code" field for a ``user`` with two-factor authentication; see the module text.

    Put it first in the bases (``class F(SecondFactorFormMixin, forms.Form)``) and build the form with
    ``user=request.user``. The code is checked after every other field and the form's own ``clean()``,
    and only if they found nothing wrong, so a refused amount never spends a code; a wrong code is an error
    next to the field and leaves everything else typed in place.
    """

    second_factor_user = None

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.second_factor_user = user
        if asks_for_code(user):
            self.fields[FIELD] = SecondFactorCodeField()

    @property
    def asks_second_factor(self) -> bool:
        return FIELD in self.fields

    @property
    def second_factor_field(self):
        """The bound code field, or None when this user is not asked for one (for templates)."""
        return self[FIELD] if self.asks_second_factor else None

    def clean(self):
        cleaned = super().clean()
        if self.asks_second_factor and not self.errors:
            error = check_code(self.second_factor_user, self.cleaned_data.get(FIELD, ""))
            if error is not None:
                self.add_error(FIELD, error)
        return cleaned
