"""What the browser tests share: the two window sizes and logging in through the real login form."""

import re

from tests.factories import PASSWORD

PHONE = {"width": 390, "height": 844}


def log_in(page, user):
    """Log ``user`` in through the login page; returns once the dashboard is shown."""
    page.goto("/accounts/login/")
    page.fill("input[name=login]", user.email)
    page.fill("input[name=password]", PASSWORD)
    page.click("main form button[type=submit]")
    page.wait_for_url(re.compile(r".*/dashboard/$"))
