"""Each request is rendered in its user's time zone (``accounts.zones``)."""

from django.utils import timezone

from .zones import zone_of


class TimeZoneMiddleware:
    """Activate the signed-in user's zone for the request (anonymous visitors: ``settings.TIME_ZONE``).

    Django's ``date`` filter, forms and ``timezone.localtime`` then all use it; the zone is deactivated
    afterwards so a worker thread never carries one person's zone into the next request.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            timezone.activate(zone_of(user))
        else:
            timezone.deactivate()
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()
