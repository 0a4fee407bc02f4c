"""A delivery with one bad link comes back as it was sent, in Chromium, on a desktop and on a 390×844 phone: the
message and the links kept, the form open, the error beside the links field and in view, the file input naming the
file to choose again; corrected, it goes through (the refused form got a fresh form key)."""

import pytest
from playwright.sync_api import expect

from milestones.models import Delivery, State
from tests.e2e.browsing import log_in
from tests.factories import UserFactory
from tests.orders.builders import fund, make_order, ms

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

VIEWPORTS = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 390, "height": 844}}
MESSAGE = "The landing page is live; the sources are attached."
GOOD_LINK = "https://example.com/landing"


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_a_delivery_with_one_bad_link_comes_back_with_the_work_kept(new_page, viewport):
    seller = UserFactory(display_name="Sol Seller")
    order = make_order(10000, seller=seller)
    fund(ms(order, 1))
    page = new_page()
    page.set_viewport_size(VIEWPORTS[viewport])
    log_in(page, seller)
    page.goto(order.get_absolute_url())

    box = page.locator("[data-testid=milestone-1]")
    box.locator("summary", has_text="Deliver work").click()
    box.locator("textarea[name=message]").fill(MESSAGE)
    box.locator("textarea[name=links]").fill(f"{GOOD_LINK}\nwww.example.com/no-scheme")
    box.locator("input[name=files]").set_input_files(
        [{"name": "sources.txt", "mimeType": "text/plain", "buffer": b"the sources"}]
    )
    box.get_by_role("button", name="Submit for review").click()
    page.wait_for_load_state()

    # Nothing was delivered; the page is the order page again, around the refused form.
    assert ms(order, 1).state == State.IN_PROGRESS and not Delivery.objects.exists()
    box = page.locator("[data-testid=milestone-1]")
    form = box.locator("details[data-action=deliver]")
    expect(form).to_have_attribute("open", "")
    expect(form.locator("textarea[name=message]")).to_have_value(MESSAGE)
    expect(form.locator("textarea[name=links]")).to_have_value(f"{GOOD_LINK}\nwww.example.com/no-scheme")
    # the error sits with the links field (same wrapper), is on screen, and the cursor is in that field
    links_field = form.locator("div", has=page.locator("textarea[name=links]")).last
    error = links_field.locator(".errorlist")
    expect(error).to_contain_text("is not a web address")
    expect(error).to_be_in_viewport()
    assert page.evaluate("document.activeElement.name") == "links"
    # a file input cannot be refilled: it says which file to choose again
    expect(form.locator("[data-testid=choose-again]")).to_contain_text("sources.txt")

    # Corrected (and the file chosen again), it goes through once.
    form.locator("textarea[name=links]").fill(GOOD_LINK)
    form.locator("input[name=files]").set_input_files(
        [{"name": "sources.txt", "mimeType": "text/plain", "buffer": b"the sources"}]
    )
    form.get_by_role("button", name="Submit for review").click()
    page.wait_for_load_state()
    assert "Delivered. The buyer has been asked to review it." in page.content()
    delivery = Delivery.objects.get()
    assert delivery.message == MESSAGE and delivery.links == GOOD_LINK
    assert [f.name for f in delivery.files.all()] == ["sources.txt"]
