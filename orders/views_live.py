"""Pages that update themselves: the one URL an open page polls (``static/js/live.js``).

Every signed-in page asks it every ``LIVE_POLL_SECONDS`` for the navigation's two counts (the bell and the
inbox); the conversation and order pages also name what they show (``?c=<conversation>`` or ``?o=<order>``)
and get its stamp back: one value that changes whenever the page would. When it differs from the page's
own, the script fetches the page again and swaps its live parts in, keeping whatever the person is typing.
Polling, not a stream: it runs the same under gunicorn's sync workers and ``runserver``, holds no worker
between polls, and costs a fixed handful of queries (asserted in tests/orders/test_live.py, measured by
``make bench``). Without JavaScript nothing polls and the pages update on reload.
"""

from django.conf import settings
from django.http import Http404, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from marketplace.selectors import conversation_stamp

from .context_processors import Badges
from .selectors import order_stamp

# what a page may watch: its query parameter, and the stamp of that object for a user (None: not theirs)
WATCHED = {"c": conversation_stamp, "o": order_stamp}


def _watched(request):
    """(stamp function, pk) named by the query string, or None; Http404 for anything else."""
    named = [key for key in request.GET if key in WATCHED]
    if len(named) != len(request.GET) or len(named) > 1:
        raise Http404("Nothing to watch here.")
    if not named:
        return None
    raw = request.GET[named[0]]
    if not raw.isascii() or not raw.isdigit() or len(raw) > 12:
        raise Http404("Nothing to watch here.")
    return WATCHED[named[0]], int(raw)


@never_cache
@require_safe
def live(request):
    """JSON: ``notifications`` and ``messages`` (the navigation's counts), ``every`` (seconds to the next
    poll) and, when the page watches something, its ``stamp``. 403 signed out; 404 for what is not theirs."""
    if not request.user.is_authenticated:
        return JsonResponse({"signed_in": False}, status=403)
    watched = _watched(request)
    answer = {}
    if watched is not None:
        stamp_of, pk = watched
        stamp = stamp_of(user=request.user, pk=pk)
        if stamp is None:
            raise Http404("Nothing to watch here.")
        answer["stamp"] = stamp
    badges = Badges(request.user.pk)
    answer.update(notifications=badges.notifications, messages=badges.messages, every=settings.LIVE_POLL_SECONDS)
    return JsonResponse(answer)
