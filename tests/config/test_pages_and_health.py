import json
import time

import pytest
from django.urls import reverse

from config.celery import app

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


ALL_UP = {"status": "ok", "checks": {"database": "ok", "broker": "ok", "cache": "ok"}}


def test_healthz_is_200_when_database_broker_and_cache_answer(client):
    for path in ("/healthz", "/healthz?strict=1"):
        response = client.get(path)
        assert response.status_code == 200
        assert json.loads(response.content) == ALL_UP


@pytest.fixture
def dead_broker():
    from tests.redis_server import point_broker_at

    old = app.conf.broker_url
    point_broker_at("redis://127.0.0.1:1/0")  # nothing listens there
    yield
    point_broker_at(old)


def test_healthz_keeps_the_node_in_rotation_when_the_broker_is_down_and_says_so(client, dead_broker):
    response = client.get(reverse("healthz"))
    assert response.status_code == 200  # pages work without the broker: the load balancer keeps this node
    payload = json.loads(response.content)
    assert payload["status"] == "degraded"
    assert payload["checks"] == {"database": "ok", "broker": "down", "cache": "ok"}
    assert "Connection refused" in payload["failures"]["broker"]


def test_the_strict_healthz_for_alerting_is_503_when_the_broker_is_down(client, dead_broker):
    response = client.get("/healthz?strict=1")
    assert response.status_code == 503
    payload = json.loads(response.content)
    assert payload["status"] == "unavailable"
    assert list(payload["failures"]) == ["broker"]


def test_healthz_is_503_when_the_database_fails(client, monkeypatch):
    from config import views

    def broken():
        raise RuntimeError("database is gone")

    monkeypatch.setattr(views, "_check_database", broken)
    for path in ("/healthz", "/healthz?strict=1"):
        response = client.get(path)
        assert response.status_code == 503
        payload = json.loads(response.content)
        assert payload["status"] == "unavailable"
        assert "database is gone" in payload["failures"]["database"]


@pytest.mark.redis
@pytest.mark.parametrize("outage", ["stopped", "frozen"])
def test_healthz_answers_within_a_second_whatever_redis_does(client, production_redis, outage):
    production_redis.stop() if outage == "stopped" else production_redis.freeze()
    for path, status in (("/healthz", 200), ("/healthz?strict=1", 503)):
        started = time.monotonic()
        response = client.get(path)
        assert time.monotonic() - started < 1.0, path
        assert response.status_code == status
        assert json.loads(response.content)["checks"] == {"database": "ok", "broker": "down", "cache": "down"}
