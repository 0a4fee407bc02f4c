import json

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_home_page_renders_with_the_frame(client):
    response = client.get(reverse("home"))
    assert response.status_code == 200
    body = response.content.decode()
    assert "Hire freelancers, pay by milestone" in body
    assert "/static/css/site.css" in body
    assert "cdn" not in body.lower()


def test_unknown_url_gets_the_sites_own_404(client):
    response = client.get("/no/such/page/")
    assert response.status_code == 404
    assert "Page not found" in response.content.decode()


def test_security_headers_are_sent(client):
    response = client.get(reverse("home"))
    csp = response["Content-Security-Policy"]
    assert "default-src 'self'" in csp
    assert "frame-ancestors 'none'" in csp
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Content-Type-Options"] == "nosniff"


def test_healthz_is_200_when_database_and_broker_answer(client):
    response = client.get(reverse("healthz"))
    assert response.status_code == 200
    assert json.loads(response.content) == {"status": "ok"}


def test_healthz_is_503_with_a_reason_when_the_broker_is_down(client, settings):
    from config.celery import app

    old = app.conf.broker_url
    app.conf.broker_url = "redis://127.0.0.1:1/0"
    app.pool.force_close_all() if app._pool else None
    app._pool = None
    try:
        response = client.get(reverse("healthz"))
    finally:
        app.conf.broker_url = old
        app._pool = None
    assert response.status_code == 503
    payload = json.loads(response.content)
    assert payload["status"] == "unavailable"
    assert "broker" in payload["failures"]


def test_healthz_is_503_when_the_database_fails(client, monkeypatch):
    from config import views

    def broken():
        raise RuntimeError("database is gone")

    monkeypatch.setattr(views, "_check_database", broken)
    response = client.get(reverse("healthz"))
    assert response.status_code == 503
    assert "database is gone" in json.loads(response.content)["failures"]["database"]
