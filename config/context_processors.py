from django.conf import settings


def site(request):
    return {"SITE_NAME": settings.SITE_NAME, "LIVE_POLL_SECONDS": settings.LIVE_POLL_SECONDS}
