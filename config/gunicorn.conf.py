"""Gunicorn settings for production (``make serve`` / ``scripts/serve.sh``), all overridable from the environment.

Each web node runs this; put as many nodes as you like behind a load balancer
that terminates TLS and sets ``X-Forwarded-Proto`` (see README "Deploying and
scaling out").
"""

import multiprocessing
import os


def _int(name, default):
    value = os.environ.get(name)
    return int(value) if value not in (None, "") else default


# Where to listen: BIND wins, else 0.0.0.0:$PORT (8000).
bind = os.environ.get("BIND") or f"0.0.0.0:{_int('PORT', 8000)}"
# Sync workers: the app is CPU + database bound and every request is short.
workers = _int("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2 + 1)
worker_class = "sync"
# A slow client cannot hold a worker for long (the load balancer buffers requests).
timeout = _int("GUNICORN_TIMEOUT", 30)
graceful_timeout = _int("GUNICORN_GRACEFUL_TIMEOUT", 30)
keepalive = _int("GUNICORN_KEEPALIVE", 5)
# Recycle workers now and then so a slow leak never grows without bound.
max_requests = _int("GUNICORN_MAX_REQUESTS", 2000)
max_requests_jitter = _int("GUNICORN_MAX_REQUESTS_JITTER", 200)
# Load the app once in the master: workers fork ready, and a broken deploy fails at start.
preload_app = os.environ.get("GUNICORN_PRELOAD", "1") == "1"
# Heartbeat files in memory, not on a possibly slow disk.
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None  # noqa: S108 - gunicorn's documented advice
# Only these proxies may tell us the original scheme and client address (Django reads the same variable
# for the client address the login limits count, with TRUSTED_PROXY_COUNT: config/settings.py).
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
accesslog = os.environ.get("GUNICORN_ACCESSLOG", "-") or None
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOGLEVEL", "info")
proc_name = "milestone-market"


def post_fork(server, worker):
    # Database connections must never be shared between forked workers.
    from django.db import connections

    connections.close_all()
