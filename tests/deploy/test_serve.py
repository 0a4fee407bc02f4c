"""``make serve``'s stack (gunicorn + a Celery worker + one beat, DJANGO_ENV=production) starts on loopback and serves.

It runs ``scripts/serve.sh all`` exactly as an operator would, against the
test database (PostgreSQL) and Redis, on a free port, then talks HTTP to it
as the load balancer would (``X-Forwarded-Proto: https``, since production
redirects plain HTTP).
"""

import contextlib
import http.client
import json
import os
import secrets
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from django.db import connection

from benchmarks.stack import free_port, poll_until, stop_group

ROOT = Path(__file__).resolve().parents[2]
pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.django_db(transaction=True)]


def get(port, path, *, https=True, timeout=5):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    headers = {"Host": "127.0.0.1"}
    if https:
        headers["X-Forwarded-Proto"] = "https"
    conn.request("GET", path, headers=headers)
    response = conn.getresponse()
    body = response.read()
    conn.close()
    return response.status, dict(response.getheaders()), body


def children(pid):
    """The command lines of every process below ``pid`` (from /proc)."""
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        try:
            kids = Path(f"/proc/{current}/task/{current}/children").read_text().split()
        except OSError:
            continue
        for kid in map(int, kids):
            try:
                found.append(Path(f"/proc/{kid}/cmdline").read_bytes().replace(b"\0", b" ").decode())
            except OSError:
                continue
            todo.append(kid)
    return found


@contextlib.contextmanager
def serving(tmp_path, redis_url):
    """``scripts/serve.sh all`` on a free loopback port against the test database and ``redis_url``."""
    db = connection.settings_dict
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in {"DJANGO_SETTINGS_MODULE", "DJANGO_ALLOW_ASYNC_UNSAFE"}}
    env.update(
        PYTHON=sys.executable,
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="127.0.0.1,localhost",
        DATABASE_URL=f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}",
        REDIS_URL=redis_url,
        CELERY_QUEUE=f"deploy-{uuid.uuid4().hex[:8]}",
        TIMER_SWEEP_SECONDS="1",
        BIND=f"127.0.0.1:{port}",
        WEB_CONCURRENCY="2",
        CELERY_CONCURRENCY="1",
        VAR_DIR=str(tmp_path / "var"),
        STATIC_ROOT=str(tmp_path / "static"),
        MEDIA_ROOT=str(tmp_path / "media"),
    )
    if db.get("PASSWORD"):
        env["PGPASSWORD"] = db["PASSWORD"]
    log_path = tmp_path / "serve.log"
    with open(log_path, "w") as log:
        process = subprocess.Popen(
            ["scripts/serve.sh", "all"],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        yield {"port": port, "process": process, "log": log_path}
    finally:
        stop_group(process)


@pytest.fixture
def stack(require_postgres, redis_url, tmp_path):
    with serving(tmp_path, redis_url) as running:
        yield running


def wait_for(predicate, timeout, stack):
    if poll_until(predicate, timeout, still_running=lambda: stack["process"].poll() is None):
        return
    if stack["process"].poll() is not None:
        pytest.fail("the stack stopped:\n" + stack["log"].read_text()[-4000:])
    pytest.fail(f"timed out after {timeout} s:\n" + stack["log"].read_text()[-4000:])


def test_the_production_stack_serves_health_and_pages(stack):
    port = stack["port"]
    wait_for(lambda: get(port, "/healthz")[0] == 200, 90, stack)

    status, headers, body = get(port, "/healthz?strict=1")
    assert json.loads(body) == {"status": "ok", "checks": {"database": "ok", "broker": "ok", "cache": "ok"}}
    assert get(port, "/healthz", https=False)[0] == 200  # the health checks are not redirected to HTTPS
    assert get(port, "/healthz?strict=1", https=False)[0] == 200
    status, headers, body = get(port, "/")
    assert status == 200, body[:500]
    assert b"<html" in body
    assert headers["Strict-Transport-Security"].startswith("max-age=")
    assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
    status, _headers, body = get(port, "/gigs/")
    assert status == 200, body[:500]
    status, headers, _ = get(port, "/static/css/site.css")  # collected and served by whitenoise
    assert status == 200
    # Plain HTTP is sent to HTTPS (the proxy header is what tells gunicorn the scheme).
    status, headers, _ = get(port, "/", https=False)
    assert status == 301 and headers["Location"].startswith("https://")

    # Exactly one beat and a worker run beside gunicorn, and beat's sweep reaches the worker through Redis.
    commands = children(stack["process"].pid)
    assert sum(" beat " in c for c in commands) == 1, commands
    assert any(" worker " in c for c in commands), commands
    assert any("gunicorn" in c for c in commands), commands
    wait_for(
        lambda: "milestones.tasks.run_sweeps" in stack["log"].read_text() and "succeeded" in stack["log"].read_text(),
        60,
        stack,
    )


def test_serve_refuses_to_start_without_its_settings(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "DATABASE_URL", "REDIS_URL"}}
    result = subprocess.run(["scripts/serve.sh", "web"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=30)
    assert result.returncode == 2
    assert "SECRET_KEY" in result.stderr and "DATABASE_URL" in result.stderr
