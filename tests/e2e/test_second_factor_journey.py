"""Two-factor authentication in Chromium, through the real pages.

A seller turns on an authenticator app (the codes are computed from the secret the page shows, with
allauth's own TOTP functions), is asked for a code at withdrawal, is refused with a wrong one (the message
next to the field, the amount kept, nothing withdrawn) and withdraws with the right one. A support member
without a second factor cannot reach the Resolution Center (nor the admin): they are sent to set one up.
"""

import re
import time

import pytest
from allauth.mfa import app_settings as mfa_settings
from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value
from axe_playwright_python.sync_playwright import Axe
from django.contrib.auth.models import Group

from accounts.second_factor import ENROL_MESSAGE, WRONG_CODE
from payments import services
from payments.models import Payout
from payments.selectors import balances_for
from tests.factories import PASSWORD, UserFactory
from tests.payments.conftest import pay_tip

from .browsing import log_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def code_now(secret: str) -> str:
    """What an authenticator app shows now for ``secret`` (allauth's own HOTP over the current period)."""
    return format_hotp_value(hotp_value(secret, int(time.time()) // mfa_settings.TOTP_PERIOD))


def serious_axe_violations(page):
    results = Axe().run(page)
    return [v["id"] for v in results.response["violations"] if v["impact"] in ("serious", "critical")]


def test_a_seller_turns_on_an_authenticator_app_and_is_asked_for_it_at_withdrawal(page, clock):
    buyer, seller = UserFactory(display_name="Bea Buyer"), UserFactory(display_name="Sol Seller")
    pay_tip(buyer, seller, 5000)
    clock.advance(days=15)
    services.earnings_clear()

    log_in(page, seller)
    # From the account menu to the two-factor page, and on to the authenticator app.
    page.click("summary:has-text('Sol Seller')")
    page.click("text=Two-factor authentication")
    page.wait_for_url(re.compile(r".*/accounts/2fa/$"))
    page.click("a:has-text('Activate')")
    # Changing a factor asks for the password again (allauth's reauthentication).
    page.wait_for_url(re.compile(r".*/accounts/reauthenticate/.*"))
    page.fill("input[name=password]", PASSWORD)
    page.click("main form button[type=submit]")
    page.wait_for_url(re.compile(r".*/accounts/2fa/totp/activate/$"))
    assert page.locator("img[src^='data:image/svg+xml']").is_visible()  # the QR code, drawn by the server
    assert not serious_axe_violations(page)
    secret = page.input_value("#authenticator_secret")
    page.fill("input[name=code]", code_now(secret))
    page.click("main form button[type=submit]")
    page.wait_for_url(re.compile(r".*/accounts/2fa/recovery-codes/$"))
    assert not serious_axe_violations(page)

    # The withdrawal asks for a code; a wrong one is refused next to the field and nothing moves.
    page.goto("/payments/earnings/")
    assert page.locator("label:has-text('Authentication code')").is_visible()
    page.fill("input[name=amount]", "12.34")
    right = code_now(secret)
    page.fill("input[name=second_factor_code]", "000000" if right != "000000" else "111111")
    page.click("[data-testid=withdraw]")
    page.wait_for_load_state()
    field = page.locator(".second-factor")
    assert WRONG_CODE in field.locator(".errorlist").inner_text()
    assert page.input_value("input[name=amount]") == "12.34"  # what was typed stays
    assert page.input_value("input[name=second_factor_code]") == ""
    assert not Payout.objects.exists()
    assert balances_for(seller).withdrawn_cents == 0

    # The right code withdraws.
    page.fill("input[name=second_factor_code]", code_now(secret))
    page.click("[data-testid=withdraw]")
    page.wait_for_load_state()
    assert "Withdrawal of $12.34 sent" in page.inner_text(".messages")
    assert Payout.objects.count() == 1
    assert balances_for(seller).withdrawn_cents == 1234


def test_support_without_a_second_factor_cannot_reach_the_resolution_center(page):
    support = UserFactory(display_name="Sam Support", is_staff=True, second_factor=False)
    support.groups.add(Group.objects.get_or_create(name="Support")[0])
    log_in(page, support)  # no second factor: the password alone signs in
    page.click("text=Resolution center")
    page.wait_for_url(re.compile(r".*/accounts/2fa/$"))
    assert ENROL_MESSAGE in page.inner_text(".messages")
    for path in ("/staff/disputes/", "/admin/"):
        page.goto(path)
        assert page.url.endswith("/accounts/2fa/"), path
