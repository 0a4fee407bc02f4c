"""One-time form keys: a form that creates something is carried out once, whatever happens to the POST.

Each such form carries a fresh random key (``{% form_key %}``, a hidden ``form_key`` field). A view that
creates something is wrapped in ``@once_per_form_key``: the key is claimed (a unique row per user and key)
in the same database transaction as the view's work, so of two identical POSTs at the same moment the
second waits for the first, then is sent where the first went ("already sent") and creates nothing.

A POST without a key (an old page, a script) is carried out as before; a refused POST (the page shown
again with errors, or a redirect with an error message) releases its key, so the same form can be sent
again once corrected.
"""

import functools
import re
import uuid

from django.contrib import messages
from django.db import IntegrityError, transaction
from django.shortcuts import redirect

from .models import FormSubmission

FIELD = "form_key"
_KEY = re.compile(r"^[0-9a-f]{32}$")
ALREADY_SENT = "This form was already sent; it was not sent a second time."


def new_key() -> str:
    return uuid.uuid4().hex


def posted_key(request) -> str | None:
    key = request.POST.get(FIELD, "") if request.method == "POST" else ""
    return key if _KEY.match(key) else None


def _refused(request, response) -> bool:
    """Nothing was created: the form came back (not a redirect), or the redirect carries an error."""
    if not 300 <= response.status_code < 400:
        return True
    queued = getattr(getattr(request, "_messages", None), "_queued_messages", [])
    return any(message.level >= messages.ERROR for message in queued)


def once_per_form_key(view):
    """Carry out a POST of this view at most once per (user, form key); see the module docstring."""

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        key = posted_key(request)
        if key is None or not request.user.is_authenticated:
            return view(request, *args, **kwargs)
        with transaction.atomic():
            try:
                with transaction.atomic():
                    claim = FormSubmission.objects.create(user=request.user, key=key)
            except IntegrityError:  # sent before (that transaction has committed: its row is visible)
                first = FormSubmission.objects.filter(user=request.user, key=key).first()
                messages.info(request, ALREADY_SENT)
                return redirect(first.result_url if first and first.result_url else request.get_full_path())
            response = view(request, *args, **kwargs)
            if _refused(request, response):
                claim.delete()
            else:
                claim.result_url = response["Location"][:500]
                claim.save(update_fields=["result_url"])
            return response

    wrapper.once_per_form_key = True
    return wrapper
