"""Login limits behind the load balancer: counted per client, not per proxy, and not dodged by a forged header.

The test client plays the load balancer (REMOTE_ADDR 127.0.0.1, in FORWARDED_ALLOW_IPS) that appends
the client's address to X-Forwarded-For, or a client that reaches a web node directly. Production counts
one proxy by default (TRUSTED_PROXY_COUNT=1, see tests/deploy/ for ``make serve`` behind a proxy).
"""

import pytest
from django.urls import reverse

from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

BLOCKED = "Too many failed login attempts"
PROXY = "127.0.0.1"


@pytest.fixture
def behind_one_proxy(settings):
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 1
    settings.FORWARDED_ALLOW_IPS = [PROXY]


def login(client, email, password, *, peer=PROXY, forwarded_for=None):
    headers = {"REMOTE_ADDR": peer}
    if forwarded_for:
        headers["HTTP_X_FORWARDED_FOR"] = forwarded_for
    return client.post(reverse("account_login"), {"login": email, "password": password}, **headers)


def fail_ten_times(client, **where):
    """Ten failed logins over ten addresses: the per-address limit (10 a minute) is used up."""
    for i in range(10):
        response = login(client, f"nobody{i}@example.com", "wrong-password", **where)
    return response


def test_failures_of_one_client_behind_the_proxy_do_not_lock_out_another(client, behind_one_proxy):
    fail_ten_times(client, forwarded_for="198.51.100.7")
    assert BLOCKED in login(client, "nobody@example.com", "wrong", forwarded_for="198.51.100.7").content.decode()
    someone = UserFactory()
    response = login(client, someone.email, PASSWORD, forwarded_for="203.0.113.20")
    assert response.status_code == 302  # another client is let in


def test_a_client_behind_the_proxy_cannot_dodge_the_limit_with_its_own_forwarded_header(client, behind_one_proxy):
    # The client writes an address of its choice; the proxy appends the real one, which is what counts.
    for i in range(10):
        login(client, f"nobody{i}@example.com", "wrong", forwarded_for=f"10.0.0.{i}, 198.51.100.7")
    response = login(client, "nobody@example.com", "wrong", forwarded_for="10.9.9.9, 198.51.100.7")
    assert BLOCKED in response.content.decode()


def test_a_client_that_is_not_a_trusted_proxy_cannot_name_its_address(client, behind_one_proxy):
    # Reaching a web node directly, a forged X-Forwarded-For is ignored: the peer address counts.
    for i in range(10):
        login(client, f"nobody{i}@example.com", "wrong", peer="192.0.2.50", forwarded_for=f"203.0.113.{i}")
    response = login(client, "nobody@example.com", "wrong", peer="192.0.2.50", forwarded_for="203.0.113.99")
    assert BLOCKED in response.content.decode()
    someone = UserFactory()
    assert login(client, someone.email, PASSWORD, peer="192.0.2.51").status_code == 302


def test_without_a_trusted_proxy_the_forwarded_header_is_ignored(client):
    # The embedded set-up (TRUSTED_PROXY_COUNT=0): every request counts against its peer address.
    fail_ten_times(client, forwarded_for="198.51.100.7")
    response = login(client, "nobody@example.com", "wrong", forwarded_for="203.0.113.20")
    assert BLOCKED in response.content.decode()


def test_forwarded_allow_ips_takes_networks_and_a_star(client, settings):
    from accounts.adapter import from_trusted_proxy

    settings.FORWARDED_ALLOW_IPS = ["10.0.0.0/8", "::1"]
    assert from_trusted_proxy("10.1.2.3") and from_trusted_proxy("::1")
    assert not from_trusted_proxy("127.0.0.1") and not from_trusted_proxy("not-an-address")
    settings.FORWARDED_ALLOW_IPS = ["*"]
    assert from_trusted_proxy("192.0.2.1")
