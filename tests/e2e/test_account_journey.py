"""Sign up, confirm the email, log in, edit the profile, log out: in Chromium."""

import re

import pytest

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_signup_confirm_login_edit_profile_logout(page, live_server, mailoutbox):
    page.goto("/accounts/signup/")
    page.fill("input[name=email]", "journey@example.com")
    page.fill("input[name=display_name]", "Journey Person")
    page.fill("input[name=password1]", "a-Strong-pass-4821")
    page.fill("input[name=password2]", "a-Strong-pass-4821")
    page.click("main form button[type=submit]")
    page.wait_for_load_state()
    assert len(mailoutbox) == 1

    # Log out of the session sign-up opened, then confirm from the email.
    link = re.search(r"https?://\S+/accounts/confirm-email/\S+/", mailoutbox[0].body).group(0)
    path = "/accounts/" + link.split("/accounts/", 1)[1]
    page.goto(path)
    page.click("main form button[type=submit]")
    page.wait_for_load_state()
    assert "confirmed" in page.content().lower()

    page.click("text=Journey Person")
    page.click("button:has-text('Log out')")
    page.wait_for_url(re.compile(r".*/$"))

    page.goto("/accounts/login/")
    page.fill("input[name=login]", "journey@example.com")
    page.fill("input[name=password]", "a-Strong-pass-4821")
    page.click("main form button[type=submit]")
    page.wait_for_url(re.compile(r".*/dashboard/$"))
    assert page.inner_text("h1") == "Welcome, Journey Person"  # the name is in a <bdi>

    page.goto("/profile/")
    page.fill("input[name=display_name]", "Journey Renamed")
    page.fill("textarea[name=bio]", "I test things in browsers.")
    page.click("button:has-text('Save profile')")
    page.wait_for_load_state()
    assert "Your profile was saved." in page.content()
    assert page.input_value("input[name=display_name]") == "Journey Renamed"

    page.click("text=Journey Renamed")
    page.click("button:has-text('Log out')")
    page.wait_for_load_state()
    assert page.locator("text=Log in").first.is_visible()
