"""Each request is rendered in its user's time zone (``accounts.zones``); staff need a second factor."""

from django.utils import timezone

from . import second_factor
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


class StaffSecondFactorMiddleware:
    """Staff without a second factor who open the staff pages or the admin are sent to set one up.

    The rule is ``accounts.second_factor.must_enrol`` (``settings.MFA_REQUIRED_FOR_STAFF``); the areas are
    ``second_factor.STAFF_AREAS``, by path, so a staff page added under them is covered without a decorator.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if second_factor.is_staff_area(request.path_info) and second_factor.must_enrol(getattr(request, "user", None)):
            return second_factor.enrol_redirect(request)
        return self.get_response(request)
