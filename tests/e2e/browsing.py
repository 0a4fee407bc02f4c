"""What the browser tests share: the two window sizes and logging in through the real login form."""

import re

from tests.factories import PASSWORD, totp_code

PHONE = {"width": 390, "height": 844}


def log_in(page, user):
    """Log ``user`` in through the login page; returns once the dashboard is shown."""
    page.goto("/accounts/login/")
    page.fill("input[name=login]", user.email)
    page.fill("input[name=password]", PASSWORD)
    page.click("main form button[type=submit]")
    page.wait_for_url(re.compile(r".*/(dashboard|accounts/2fa/authenticate)/$"))
    if "/accounts/2fa/authenticate/" in page.url:  # staff have an authenticator app: its code after the password
        page.fill("input[name=code]", totp_code(user))
        page.click("main form button[type=submit]")
        page.wait_for_url(re.compile(r".*/dashboard/$"))
