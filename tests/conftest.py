"""Fixtures shared by the whole suite.

- ``require_postgres`` / ``redis_url``: tests that need a real service. Without
  the service they skip locally, but fail when REQUIRE_SERVICES=1 (CI).
- ``clock``: moves the project's clock (``config.clock.now``).
- ``browser`` / ``page``: headless Debian Chromium driven by Playwright.
- ``fake_stripe``: a fake of Stripe's API on loopback, the Stripe provider pointed at it
  (tests/fake_stripe/).
"""

import os
import shutil
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from config import clock as project_clock

from .factories import UserFactory, enrol_totp
from .fake_stripe.fixtures import fake_stripe, fake_stripe_server  # noqa: F401 (fixtures)


def _missing(reason):
    if settings.REQUIRE_SERVICES:
        pytest.fail(f"required service missing: {reason}", pytrace=False)
    pytest.skip(reason)


@pytest.fixture
def require_postgres(db):
    if connection.vendor != "postgresql":
        _missing("this test needs PostgreSQL (set DATABASE_URL)")


def _redis_reachable(url):
    import redis

    try:
        redis.Redis.from_url(url, socket_connect_timeout=1).ping()
    except redis.RedisError:
        return False
    return True


@pytest.fixture(scope="session")
def redis_url():
    url = settings.REDIS_URL or "redis://127.0.0.1:6379/0"
    if not _redis_reachable(url):
        _missing(f"this test needs Redis at {url} (set REDIS_URL)")
    return url


class Clock:
    """Moves ``config.clock.now()``; put back after each test."""

    def __init__(self):
        self.offset = timedelta(0)

    def now(self):
        return project_clock.now()

    def advance(self, **kwargs):
        self.offset += timedelta(**kwargs)
        project_clock.set_offset(self.offset)
        return self.now()


@pytest.fixture
def clock():
    moved = Clock()
    yield moved
    project_clock.set_offset(None)


@pytest.fixture
def user(db):
    return UserFactory()


@pytest.fixture
def other_user(db):
    return UserFactory()


@pytest.fixture
def admin_user(db, django_user_model):
    """pytest-django's superuser (admin@example.com, password "password"), with an authenticator app as
    every admin must have to open the admin (accounts.second_factor); ``admin_client`` logs it in."""
    manager = django_user_model._default_manager
    user = manager.filter(email="admin@example.com").first()
    if user is None:
        user = manager.create_superuser(email="admin@example.com", password="password")
        enrol_totp(user)
    return user


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def _project_celery_app():
    """celery's start_worker makes its app the current and default one: put ours back after each test."""
    from config.celery import app

    yield
    app.set_current()
    app.set_default()


@pytest.fixture(autouse=True)
def _clear_cache():
    from django.core.cache import cache

    cache.clear()
    yield


# --- Browser --------------------------------------------------------------
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


@pytest.fixture(scope="session")
def browser():
    if not shutil.which(CHROMIUM) and not os.path.exists(CHROMIUM):
        _missing(f"Chromium not found at {CHROMIUM}; `make test` installs it when run as root")
    # Playwright's sync API runs an event loop in this thread; Django's ORM
    # must still be usable from the test body and the live server thread.
    from playwright.sync_api import sync_playwright

    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
            yield browser
            browser.close()
    finally:
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)


@pytest.fixture
def new_page(browser, live_server):
    """Open a fresh browser context (its own cookies) per person in a journey."""
    contexts = []

    def make():
        context = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 900})
        context.set_default_timeout(10_000)
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def page(new_page):
    return new_page()


# --- A Redis of the test's own --------------------------------------------
@pytest.fixture
def private_redis(redis_url, tmp_path):
    """A ``redis-server`` on a free loopback port that the test may stop and freeze (tests/redis_server.py).

    It needs the same Redis installation as ``redis_url``: without it the test skips locally and fails in CI.
    """
    from .redis_server import RedisServer

    binary = shutil.which("redis-server")
    if not binary:
        _missing("this test needs the redis-server program")
    server = RedisServer(binary, tmp_path).start()
    yield server
    server.stop()


@pytest.fixture
def production_redis(private_redis, settings):
    """The production cache and broker configuration (``REDIS_CACHE``, ``REDIS_BROKER_TRANSPORT_OPTIONS``)
    pointed at ``private_redis``; a failed Redis is left alone for 1 s (production: ``REDIS_RETRY_AFTER``)."""
    from config.celery import app as celery_app

    from .redis_server import point_broker_at

    settings.CACHES = {"default": {**settings.REDIS_CACHE, "LOCATION": private_redis.url}}
    settings.REDIS_RETRY_AFTER = 1.0
    saved = celery_app.conf.broker_url, celery_app.conf.broker_transport_options
    celery_app.conf.broker_transport_options = settings.REDIS_BROKER_TRANSPORT_OPTIONS
    point_broker_at(private_redis.url)
    yield private_redis
    celery_app.conf.broker_transport_options = saved[1]
    point_broker_at(saved[0])


@pytest.fixture(autouse=True)
def _forget_redis_failures():
    """A Redis failure remembered by one test (config.outages.Breaker) must not skip Redis in the next."""
    from config.cache import forget_failures
    from config.celery import broker_breaker

    forget_failures()
    broker_breaker.reset()
    yield


@pytest.fixture(scope="session")
def s3_server(tmp_path_factory):
    """moto's S3 server on a free loopback port (tests/s3_server.py), for the whole test process."""
    from .s3_server import S3Server

    if not shutil.which("moto_server") and not (Path(sys.executable).parent / "moto_server").exists():
        _missing("this test needs moto_server (moto[server] in requirements-dev.txt)")
    server = S3Server(tmp_path_factory.mktemp("s3")).start()
    yield server
    server.stop()


@pytest.fixture
def s3_media(s3_server, settings):
    """Uploads go to a bucket of this test's own on the S3 server, exactly as ``MEDIA_STORAGE=s3`` configures
    them (``settings.MEDIA_S3_OPTIONS``); yields the bucket's name."""
    import uuid

    bucket = f"media-{uuid.uuid4().hex[:12]}"
    s3_server.client().create_bucket(Bucket=bucket)
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "config.storage.MediaStorage",
            "OPTIONS": {
                **settings.MEDIA_S3_OPTIONS,
                "bucket_name": bucket,
                "endpoint_url": s3_server.url,
                "access_key": "testing",
                "secret_key": "testing",
            },
        },
    }
    yield bucket
