"""Settings for the test suite: the real settings with faster hashing.

The database and Redis come from DATABASE_URL / REDIS_URL exactly as in
production (CI points them at PostgreSQL and Redis).
"""

import os

os.environ.setdefault("DJANGO_ENV", "test")

from .settings import *  # noqa: E402, F403
from .settings import REDIS_BROKER_TRANSPORT_OPTIONS, REDIS_URL  # noqa: E402

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
MEDIA_ROOT = BASE_DIR / "var" / "test-media"  # noqa: F405
# Tasks published by the code under test go nowhere unless a test starts a
# worker; the in-memory transport keeps the filesystem queue clean.
CELERY_BROKER_URL = REDIS_URL or "memory://"
# Fail fast on a dead or frozen broker, as production does with Redis.
CELERY_BROKER_TRANSPORT_OPTIONS = REDIS_BROKER_TRANSPORT_OPTIONS
# Each test process gets its own cache so rate-limit counters do not leak
# between runs that share one Redis (tests/faults/test_redis_outages.py runs
# the production cache, REDIS_CACHE, against a Redis of its own).
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
STATIC_ROOT = BASE_DIR / "var" / "test-static"  # noqa: F405
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
WHITENOISE_USE_FINDERS = True
