"""Times in each person's own zone, with the zone named, in Chromium.

The same milestone's due time is shown in JST to a seller in Tokyo and in EST to a buyer in New York; a
browser set to Asia/Kolkata signs up and its account keeps that zone; a garbage guess is dropped quietly.
"""

import re
import zoneinfo

import pytest

from accounts.models import User
from tests.e2e.browsing import log_in
from tests.factories import UserFactory
from tests.orders.builders import fund, make_order, ms

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}


def test_each_side_sees_the_due_time_in_its_own_zone(new_page):
    seller = UserFactory(time_zone="Asia/Tokyo")
    buyer = UserFactory(time_zone="America/New_York")
    order = make_order(10000, 20000, buyer=buyer, seller=seller)
    due = fund(ms(order, 1)).due_at
    for person, zone, name in ((seller, "Asia/Tokyo", "JST"), (buyer, "America/New_York", "EST")):
        local = due.astimezone(zoneinfo.ZoneInfo(zone))
        page = new_page()
        log_in(page, person)
        page.goto(order.get_absolute_url())
        shown = page.locator("[data-testid=milestone-1] time").first
        assert shown.inner_text() == f"{local:%d %b %Y, %H:%M} {name}"
        assert shown.get_attribute("datetime") == local.isoformat(timespec="seconds")
        line = page.locator("[data-testid=milestone-1] p.small.muted").first.inner_text()
        assert "UTC" not in line and re.search(r"\b\d+ days? left\b", line), line
        # the dashboard's list of work says the same
        if person == seller:
            page.goto("/dashboard/")
            assert f"{local:%d %b, %H:%M} {name}" in page.locator("#work").inner_text()


def test_signup_keeps_the_browsers_zone(browser, live_server):
    context = browser.new_context(base_url=live_server.url, timezone_id="Asia/Kolkata", viewport=PHONE)
    try:
        page = context.new_page()
        page.goto("/accounts/signup/")
        page.fill("input[name=email]", "kolkata@example.com")
        page.fill("input[name=password1]", "a-Strong-pass-4821")
        page.fill("input[name=password2]", "a-Strong-pass-4821")
        assert page.input_value("input[name=time_zone]") in ("Asia/Kolkata", "Asia/Calcutta")  # Chrome's old name
        page.click("main form button[type=submit]")
        page.wait_for_url(lambda url: "/signup/" not in url)
        assert User.objects.get(email="kolkata@example.com").time_zone == "Asia/Kolkata"
        page.goto("/profile/")
        assert page.input_value("select[name=time_zone]") == "Asia/Kolkata"
    finally:
        context.close()


def test_a_garbage_zone_from_the_browser_falls_back_to_the_default(page, settings):
    page.goto("/accounts/signup/")
    page.fill("input[name=email]", "garbage@example.com")
    page.fill("input[name=password1]", "a-Strong-pass-4821")
    page.fill("input[name=password2]", "a-Strong-pass-4821")
    page.evaluate("document.querySelector('input[name=time_zone]').value = '../../etc/passwd<script>'")
    response_codes = []
    page.on("response", lambda response: response_codes.append(response.status))
    page.click("main form button[type=submit]")
    page.wait_for_url(lambda url: "/signup/" not in url)
    assert 500 not in response_codes
    assert User.objects.get(email="garbage@example.com").time_zone == settings.TIME_ZONE


def test_the_profile_changes_the_zone_and_every_time_follows(page):
    seller = UserFactory()
    order = make_order(10000, seller=seller)
    due = fund(ms(order, 1)).due_at
    log_in(page, seller)
    page.goto(order.get_absolute_url())
    assert page.locator("[data-testid=milestone-1] time").first.inner_text().endswith(" UTC")

    page.goto("/profile/")
    page.select_option("select[name=time_zone]", "America/New_York")
    page.click("button:has-text('Save profile')")
    page.wait_for_load_state()
    assert "Your profile was saved." in page.content()
    page.goto(order.get_absolute_url())
    local = due.astimezone(zoneinfo.ZoneInfo("America/New_York"))
    assert page.locator("[data-testid=milestone-1] time").first.inner_text() == f"{local:%d %b %Y, %H:%M} EST"


def test_an_unknown_zone_in_the_profile_is_refused_next_to_the_field(page):
    user = UserFactory(time_zone="Europe/Paris")
    log_in(page, user)
    page.goto("/profile/")
    page.evaluate(
        "() => { const s = document.querySelector('select[name=time_zone]');"
        " s.add(new Option('Mars', 'Mars/Olympus')); s.value = 'Mars/Olympus'; }"
    )
    page.fill("input[name=display_name]", "Kept Name")
    page.click("button:has-text('Save profile')")
    page.wait_for_load_state()
    error = page.locator("select[name=time_zone]").locator("xpath=..")
    assert "Choose a time zone from the list" in error.inner_text()
    assert page.input_value("input[name=display_name]") == "Kept Name"
    user.refresh_from_db()
    assert user.time_zone == "Europe/Paris"
