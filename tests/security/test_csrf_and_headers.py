"""CSRF on every POST, the security headers, and ``check --deploy`` in production mode."""

import subprocess
import sys

import pytest
from django.test import Client

from tests.config.test_settings import PRODUCTION_ENV, ROOT

from .conftest import example_path, fingerprint, url_patterns
from .matrix import MATRIX
from .world import build_world

pytestmark = pytest.mark.django_db


# Not posted by browsers, so not CSRF-protected: each is authenticated otherwise (and tested for it there).
NOT_CSRF = {"payments/stripe/webhook": "Stripe signs each event (HMAC-SHA256): tests/payments/test_stripe_webhooks.py"}


def test_every_url_refuses_a_post_without_the_csrf_token():
    """Signed in as the admin (who may reach the most), a POST with no token is refused everywhere."""
    world = build_world()
    before = fingerprint()
    refused, failures = 0, []
    paths = [
        (route, row.url(world), row.data(world) if row.data else {})
        for route, row in MATRIX.items()
        if route not in NOT_CSRF
    ]
    paths += [(route, example_path(route), {}) for route, _view in url_patterns() if route.startswith("admin/")]
    for user in (world.users["admin"], world.users["buyer"], None):
        client = Client(enforce_csrf_checks=True, raise_request_exception=False)
        if user is not None:
            client.force_login(user)
        for route, path, data in paths:
            response = client.post(path, data)
            if response.status_code == 403 and b"CSRF" in response.content:
                refused += 1
            else:
                failures.append(f"POST {path} ({route}) as {user}: {response.status_code}")
    assert not failures, "POSTs accepted without a CSRF token:\n" + "\n".join(failures)
    assert refused > 3 * 60
    assert fingerprint() == before


def test_a_post_with_the_token_goes_through():
    """The control: the same client with a real token is not refused (so the test above tests CSRF)."""
    world = build_world()
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.users["buyer"])
    client.get("/notifications/")
    token = client.cookies["csrftoken"].value
    response = client.post("/notifications/read", {"csrfmiddlewaretoken": token})
    assert response.status_code == 302


def test_login_form_needs_the_token_too():
    client = Client(enforce_csrf_checks=True)
    response = client.post("/accounts/login/", {"login": "a@example.com", "password": "whatever-123"})
    assert response.status_code == 403


def test_security_headers_on_every_page(client):
    world = build_world()
    client.force_login(world.users["buyer"])
    for path in ("/", "/gigs/", f"/orders/{world.order.pk}/", "/accounts/login/", "/no-such-page/"):
        response = client.get(path)
        csp = response["Content-Security-Policy"]
        assert "default-src 'self'" in csp, path
        assert "frame-ancestors 'none'" in csp, path
        assert "object-src 'none'" in csp, path
        assert "'unsafe-inline'" not in csp, path
        assert response["X-Frame-Options"] == "DENY", path
        assert response["Referrer-Policy"] == "same-origin", path
        assert response["X-Content-Type-Options"] == "nosniff", path
        assert response["Cross-Origin-Opener-Policy"] == "same-origin", path


def test_private_files_are_served_sandboxed(client):
    world = build_world()
    client.force_login(world.users["buyer"])
    response = client.get(f"/inbox/{world.conversation.pk}/files/{world.attachment.pk}/")
    assert response.status_code == 200
    assert response["Content-Security-Policy"] == "default-src 'none'; sandbox"
    assert response["Content-Disposition"].startswith("attachment")
    assert response["X-Content-Type-Options"] == "nosniff"


PRODUCTION_PAGE = """
from django.test import Client
response = Client().get("/healthz", secure=True, HTTP_HOST="market.example.com")
plain = Client().get("/gigs/", HTTP_HOST="market.example.com")
session = __import__("django.conf", fromlist=["settings"]).settings
print(response.status_code)
print(response["Strict-Transport-Security"])
print(response["Content-Security-Policy"])
print(plain.status_code, plain["Location"])
print(session.SESSION_COOKIE_SECURE, session.CSRF_COOKIE_SECURE, session.SECURE_PROXY_SSL_HEADER)
"""


def production(*args):
    env = {k: v for k, v in __import__("os").environ.items() if k not in {"DJANGO_SETTINGS_MODULE", "DJANGO_ENV"}}
    env.update(PRODUCTION_ENV, DATABASE_URL="sqlite:///:memory:")
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


def test_production_sends_hsts_and_redirects_to_https():
    result = production("shell", "--no-imports", "-c", PRODUCTION_PAGE)
    assert result.returncode == 0, result.stderr
    status, hsts, csp, redirect, cookies = result.stdout.strip().splitlines()[-5:]
    assert status in ("200", "503")  # healthz: 503 only if this machine's Redis is down
    assert hsts == "max-age=31536000; includeSubDomains; preload"
    assert "frame-ancestors 'none'" in csp
    assert redirect == "301 https://market.example.com/gigs/"
    assert cookies == "True True ('HTTP_X_FORWARDED_PROTO', 'https')"


def test_check_deploy_is_clean():
    result = production("check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout
