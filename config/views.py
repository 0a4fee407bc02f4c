"""Project-wide pages: home, health check and the error pages."""

import logging

import redis
from django.conf import settings
from django.core.cache import caches
from django.db import connection
from django.http import JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_safe

from .cache import RedisCache
from .celery import app as celery_app
from .celery import ensure_broker_folders
from .outages import describe

logger = logging.getLogger(__name__)


@require_safe
def home(request):
    return render(request, "home.html")


def _check_database():
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


def _ping_redis(url, timeout):
    client = redis.Redis.from_url(url, socket_timeout=timeout, socket_connect_timeout=timeout)
    try:
        client.ping()
    finally:
        client.close()


def _broker_redis_url():
    url = celery_app.conf.broker_url or ""
    return url if url.startswith(("redis://", "rediss://", "unix://")) else None


def _check_local_broker(timeout):
    """The embedded filesystem broker (or the tests' in-memory one): local, answers at once."""
    ensure_broker_folders()
    with celery_app.connection_for_write() as conn:
        conn.ensure_connection(max_retries=1, timeout=timeout)


@never_cache
@require_GET
def healthz(request):
    """Can this node serve pages? 200 when its database answers, 503 when not.

    The broker's and the cache's state are reported in the body ("ok" or "down"): without them pages
    still work (README "Deploying and scaling out"), so they never take the node out of rotation.
    ``?strict=1`` (for alerting) answers 503 when any of the three is down. Redis gets at most
    ``HEALTHZ_TIMEOUT`` seconds per address (a broker and cache on one Redis are asked once), so the
    answer comes within a second whatever Redis does.
    """
    timeout = settings.HEALTHZ_TIMEOUT
    pinged = {}

    def ping(url):
        if url not in pinged:
            try:
                _ping_redis(url, timeout)
            except Exception as exc:  # noqa: BLE001 - reported below
                pinged[url] = exc
            else:
                pinged[url] = None
        if pinged[url] is not None:
            raise pinged[url]

    def check_broker():
        url = _broker_redis_url()
        if url:
            ping(url)
        else:
            _check_local_broker(timeout)

    def check_cache():
        backend = caches["default"]
        if isinstance(backend, RedisCache):
            ping(backend.url)
        # Any other cache (locmem in the embedded set-up) lives in this process.

    checks, failures = {}, {}
    for name, check in (("database", _check_database), ("broker", check_broker), ("cache", check_cache)):
        try:
            check()
        except Exception as exc:  # noqa: BLE001 - any failure is reported, never raised
            # The load balancer asks every few seconds: only a database failure (this node is out) is a
            # warning; a Redis outage is logged once by config.outages and alerted on by ?strict=1.
            logger.log(logging.WARNING if name == "database" else logging.DEBUG, "healthz: %s down: %s", name, exc)
            checks[name], failures[name] = "down", describe(exc)
        else:
            checks[name] = "ok"
    strict = request.GET.get("strict") not in (None, "", "0")
    if "database" in failures or (strict and failures):
        status, code = "unavailable", 503
    else:
        status, code = ("degraded" if failures else "ok"), 200
    payload = {"status": status, "checks": checks}
    if failures:
        payload["failures"] = failures
    return JsonResponse(payload, status=code)


def error_400(request, exception=None):
    return render(request, "400.html", status=400)


def error_403(request, exception=None):
    return render(request, "403.html", status=403)


def error_404(request, exception=None):
    return render(request, "404.html", status=404)


def error_500(request):
    return render(request, "500.html", status=500)
