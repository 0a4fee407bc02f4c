import re

import pytest
from django.urls import reverse

from accounts.models import User
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


def signup(client, email="new@example.com", password="a-Strong-pass-4821", password2=None, name="New Person"):
    return client.post(
        reverse("account_signup"),
        {"email": email, "password1": password, "password2": password2 or password, "display_name": name},
    )


def test_signup_creates_a_user_who_logs_in_with_email(client, mailoutbox):
    response = signup(client)
    assert response.status_code == 302
    user = User.objects.get(email="new@example.com")
    assert user.display_name == "New Person"
    assert len(mailoutbox) == 1
    assert "confirm" in mailoutbox[0].body.lower()


def test_signup_with_a_taken_email_is_refused_on_the_page(client):
    UserFactory(email="taken@example.com")
    response = signup(client, email="Taken@Example.com")
    assert response.status_code == 200
    assert "already registered" in response.content.decode()
    assert User.objects.filter(email__iexact="taken@example.com").count() == 1


def test_signup_with_a_weak_password_is_refused_on_the_page(client):
    response = signup(client, password="password")
    body = response.content.decode()
    assert response.status_code == 200
    assert "too common" in body or "too short" in body
    assert not User.objects.filter(email="new@example.com").exists()


def test_signup_with_a_malformed_address_is_refused_on_the_page(client):
    response = signup(client, email="not-an-email")
    assert response.status_code == 200
    assert "Enter a valid email address" in response.content.decode()
    assert User.objects.count() == 0


def test_login_with_email_and_password(client):
    user = UserFactory()
    response = client.post(reverse("account_login"), {"login": user.email, "password": PASSWORD})
    assert response.status_code == 302
    assert response.url == reverse("dashboard")


def test_ten_failed_logins_in_a_row_are_blocked(client):
    user = UserFactory()
    bodies = []
    for _ in range(10):
        response = client.post(reverse("account_login"), {"login": user.email, "password": "wrong-password"})
        bodies.append(response.content.decode())
    assert "Too many failed login attempts" in bodies[-1]
    # Even the right password is refused while blocked.
    response = client.post(reverse("account_login"), {"login": user.email, "password": PASSWORD})
    assert response.status_code in (200, 429)
    assert "_auth_user_id" not in client.session


def test_confirmation_link_verifies_the_address(client, mailoutbox):
    signup(client)
    link = re.search(r"https?://\S+/accounts/confirm-email/\S+/", mailoutbox[0].body).group(0)
    path = link.split("testserver", 1)[1]
    response = client.post(path)
    assert response.status_code == 302
    user = User.objects.get(email="new@example.com")
    assert user.emailaddress_set.get().verified


def test_dashboard_needs_login(client):
    response = client.get(reverse("dashboard"))
    assert response.status_code == 302
    assert reverse("account_login") in response.url
