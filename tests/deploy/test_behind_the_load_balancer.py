"""``make serve`` behind a load balancer, as production runs it: per-client login limits, and a frozen Redis.

The test is the load balancer: it connects from 127.0.0.1 (``FORWARDED_ALLOW_IPS``' default), says
``X-Forwarded-Proto: https`` and appends each person's address to ``X-Forwarded-For``. The stack
(gunicorn with config/gunicorn.conf.py, a Celery worker, beat; DJANGO_ENV=production, no setting but
the required ones) runs against a Redis of the test's own, which the test freezes (SIGSTOP: it accepts
connections and never answers) while a seller sends an offer.
"""

import http.client
import re
import time
from urllib.parse import urlencode

import pytest
from django.contrib.auth.hashers import PBKDF2PasswordHasher

from marketplace import services as marketplace
from orders.models import Offer
from tests.factories import PASSWORD, UserFactory

from .test_serve import get, serving, wait_for

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.django_db(transaction=True)]

BLOCKED = b"Too many failed login attempts"
SLOW = 5.0  # seconds: gunicorn kills a worker after 30, which is what a frozen Redis used to cost


class Person:
    """One person's browser reaching the stack through the load balancer: cookies kept, every request timed."""

    def __init__(self, port, address):
        self.port, self.address, self.cookies = port, address, {}

    def request(self, method, path, form=None):
        headers = {"Host": "127.0.0.1", "X-Forwarded-Proto": "https", "X-Forwarded-For": self.address}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            body = urlencode({"csrfmiddlewaretoken": self.cookies.get("csrftoken", ""), **form}, doseq=True)
            headers.update(
                {
                    "Content-Type": "application/x-www-form-urlencoded",
                    "Origin": "https://127.0.0.1",
                    "Referer": f"https://127.0.0.1{path}",
                }
            )
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=40)
        started = time.monotonic()
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        content = response.read()
        took = time.monotonic() - started
        conn.close()
        for cookie in response.headers.get_all("Set-Cookie") or []:
            name, _, rest = cookie.partition("=")
            self.cookies[name] = rest.split(";")[0]
        assert response.status < 500, f"{method} {path}: {response.status} after {took:.1f} s"
        assert took < SLOW, f"{method} {path} took {took:.1f} s"
        return response.status, content

    def get(self, path):
        return self.request("GET", path)

    def form(self, path, data):
        """GET the form (for its CSRF cookie and hidden fields), then POST it."""
        _status, page = self.get(path)
        hidden = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', page.decode()))
        hidden.pop("csrfmiddlewaretoken", None)
        return self.request("POST", path, {**hidden, **data})

    def log_in(self, email, password):
        return self.form("/accounts/login/", {"login": email, "password": password})


def production_user():
    """A user whose password the production stack can check (the tests hash with MD5, production does not)."""
    user = UserFactory()
    hasher = PBKDF2PasswordHasher()
    user.password = hasher.encode(PASSWORD, hasher.salt())
    user.save(update_fields=["password"])
    return user


def plan_post(title, amount):
    return {
        "plan-TOTAL_FORMS": "1",
        "plan-INITIAL_FORMS": "0",
        "plan-MIN_NUM_FORMS": "0",
        "note": "",
        "plan-0-title": title,
        "plan-0-description": "Deliverables",
        "plan-0-amount": amount,
        "plan-0-delivery_days": "3",
        "plan-0-due_date": "",
        "plan-0-revisions_allowed": "1",
    }


def test_behind_the_load_balancer_limits_count_per_client_and_a_frozen_redis_hangs_nothing(
    require_postgres, private_redis, tmp_path
):
    seller, buyer = production_user(), production_user()
    conversation = marketplace.conversation_start(buyer=buyer, seller=seller)
    with serving(tmp_path, private_redis.url) as stack:
        port = stack["port"]
        wait_for(lambda: get(port, "/healthz?strict=1")[0] == 200, 90, stack)

        # Ten failed logins from one client use up that client's allowance, not everybody's.
        attacker, someone = Person(port, "198.51.100.7"), Person(port, "203.0.113.20")
        for i in range(10):
            attacker.log_in(f"nobody{i}@example.com", "wrong-password")
        assert BLOCKED in attacker.log_in("nobody@example.com", "wrong-password")[1]
        status, page = someone.log_in(seller.email, "wrong-password")
        assert status == 200 and BLOCKED not in page

        sellers = Person(port, "203.0.113.30")
        assert sellers.log_in(seller.email, PASSWORD)[0] == 302

        # Redis freezes. Pages, sign-in and actions answer within seconds; the health check keeps the node.
        private_redis.freeze()
        try:
            status, _ = sellers.form(f"/conversations/{conversation.pk}/offer", plan_post("Logo", "120"))
            assert status == 302
            assert Offer.objects.filter(conversation=conversation).count() == 1
            assert Person(port, "203.0.113.40").log_in(buyer.email, PASSWORD)[0] == 302
            assert sellers.get("/dashboard/")[0] == 200
            started = time.monotonic()
            status, _headers, body = get(port, "/healthz")
            assert status == 200 and b'"degraded"' in body
            assert time.monotonic() - started < 1.0
            assert get(port, "/healthz?strict=1")[0] == 503
        finally:
            private_redis.thaw()
            thawed_at = len(stack["log"].read_text())
        wait_for(lambda: get(port, "/healthz?strict=1")[0] == 200, 30, stack)
        # Beat and the worker carry on through the same Redis: a sweep runs after the thaw.
        swept = re.compile(r"run_sweeps\[[^\]]+\] succeeded")
        wait_for(lambda: swept.search(stack["log"].read_text()[thawed_at:]), 60, stack)
        assert Offer.objects.filter(conversation=conversation).count() == 1
