"""Settings for ``make bench``: the real settings, a database of its own and a benchmarks-only urlconf.

The baseline views (``/bench/baseline``, ``/bench/frame``) exist only here, in
``benchmarks.urls``; the production urlconf never has them.
"""

import os

os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/mk_bench")

from config.settings import *  # noqa: E402, F403
from config.settings import BASE_DIR, REDIS_CACHE, TEMPLATES  # noqa: E402

ROOT_URLCONF = "benchmarks.urls"
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "testserver"]
# Pages are timed as production serves them (cached template loader, no debug
# toolbar), but over plain HTTP on loopback.
SECURE_SSL_REDIRECT = False
# Tasks published by the code under test (notification emails) stay in-process:
# the benchmark measures the web and the database, not the broker.
CELERY_BROKER_URL = "memory://localhost/"
CELERY_BROKER_TRANSPORT_OPTIONS = {}
# The cache as production has it (Redis: the cached page fragments cost their round trip here too), in a
# database of its own that each run empties; without a Redis on loopback, the in-process cache.
BENCH_REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/13")


def _redis_answers(url):
    import redis

    try:
        return redis.Redis.from_url(url, socket_connect_timeout=0.5).ping()
    except redis.RedisError:
        return False


if _redis_answers(BENCH_REDIS_URL):
    CACHES = {"default": {**REDIS_CACHE, "LOCATION": BENCH_REDIS_URL}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
STATIC_ROOT = BASE_DIR / "var" / "bench-static"  # whitenoise wants it to exist; nothing is served from it
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
TEMPLATES = [dict(TEMPLATES[0], DIRS=[*TEMPLATES[0]["DIRS"], BASE_DIR / "benchmarks" / "templates"])]
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
}
