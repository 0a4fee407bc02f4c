"""The order page's hierarchy, in Chromium: each side's main next step is the first, visible, primary button of
its milestone (deliver for the seller, approve for the buyer, fund for an unfunded one); disputes and
cancellations wait behind "More options"; each milestone shows its stage (in words, not colour only) and how long
is left; its history reads in the order things happened."""

import re

import pytest
from playwright.sync_api import expect

from milestones import services as milestone_services
from tests.e2e.browsing import log_in
from tests.factories import UserFactory
from tests.orders.builders import deliver, fund, make_order, ms

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}


def first_control(box):
    """The first visible button, link-button or disclosure of the milestone's actions."""
    return box.locator(".actions").first.locator("button:visible, summary:visible, a.button:visible").first


def test_each_sides_main_step_is_the_visible_primary_button(new_page):
    buyer, seller = UserFactory(display_name="Bea Buyer"), UserFactory(display_name="Sol Seller")
    order = make_order(10000, 20000, buyer=buyer, seller=seller)
    fund(ms(order, 1))

    seller_page = new_page()
    log_in(seller_page, seller)
    seller_page.goto(order.get_absolute_url())
    box = seller_page.locator("[data-testid=milestone-1]")
    main = first_control(box)
    expect(main).to_have_text(re.compile(r"^\s*Deliver work"))
    assert "secondary" not in (main.get_attribute("class") or "")
    dispute = box.get_by_role("link", name="Open a dispute")
    expect(dispute).to_be_hidden()
    box.locator("summary", has_text="More options").click()
    expect(dispute).to_be_visible()
    # the stage, in words; the countdown of the due date
    current = box.locator("[data-testid=stages] [aria-current=step]")
    expect(current).to_contain_text("In progress")
    expect(current).to_contain_text("current step")
    expect(box.locator("[data-testid=countdown]")).to_have_text("3 days left")

    deliver(ms(order, 1), message="First version.")
    buyer_page = new_page()
    buyer_page.set_viewport_size(PHONE)
    log_in(buyer_page, buyer)
    buyer_page.goto(order.get_absolute_url())
    box = buyer_page.locator("[data-testid=milestone-1]")
    expect(first_control(box)).to_have_text("Approve & release payment")
    expect(box.get_by_role("link", name="Open a dispute")).to_be_hidden()
    expect(box.locator("[data-testid=stages] [aria-current=step]")).to_contain_text("Delivered")
    second = buyer_page.locator("[data-testid=milestone-2]")
    expect(first_control(second)).to_have_text(re.compile(r"^Fund \$200"))


def test_the_history_reads_in_the_order_it_happened(new_page):
    order = make_order(10000, revisions=2)
    first = deliver(fund(ms(order, 1)), message="Delivery one text.")
    milestone_services.milestone_request_revision(milestone_id=first.pk, actor=order.buyer, feedback="Bolder please.")
    milestone_services.extension_request(milestone_id=first.pk, actor=order.seller, days=2, reason="Fonts")
    request = ms(order, 1).extension_requests.get()
    milestone_services.extension_decide(extension_id=request.pk, actor=order.buyer, accept=True)
    deliver(ms(order, 1), message="Delivery two text.")

    page = new_page()
    log_in(page, order.buyer)
    page.goto(order.get_absolute_url())
    entries = page.locator("[data-testid=milestone-1] [data-testid=history] > li").all_inner_texts()
    assert len(entries) == 5, entries
    assert "Delivery one text." in entries[0]
    assert "Revision requested" in entries[1] and "Bolder please." in entries[1]
    assert "More time asked" in entries[2] and "2 more days" in entries[2]
    assert "accepted" in entries[3]
    assert "Delivery two text." in entries[4]
