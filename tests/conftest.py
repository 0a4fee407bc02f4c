"""Fixtures shared by the whole suite.

- ``require_postgres`` / ``redis_url``: tests that need a real service. Without
  the service they skip locally, but fail when REQUIRE_SERVICES=1 (CI).
- ``clock``: moves the project's clock (``config.clock.now``).
- ``browser`` / ``page``: headless Debian Chromium driven by Playwright.
"""

import os
import shutil
from datetime import timedelta

import pytest
from django.conf import settings
from django.db import connection

from config import clock as project_clock

from .factories import UserFactory


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
