"""A buyer disputes a delivery, the seller answers, support splits 60/40: in Chromium, through the real pages."""

import re

import pytest
from django.core.management import call_command

from milestones.models import State
from orders.models import Dispute, DisputeStatus
from tests.factories import PASSWORD, UserFactory, recovery_codes, totp_code
from tests.orders.builders import deliver, fund, make_order, ms
from tests.orders.dispute_builders import support_user

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def log_in(page, email, second_factor=None):
    page.goto("/accounts/login/")
    page.fill("input[name=login]", email)
    page.fill("input[name=password]", PASSWORD)
    page.click("main form button[type=submit]")
    if second_factor is not None:  # staff have an authenticator app: its code after the password
        page.wait_for_url(re.compile(r".*/accounts/2fa/authenticate/$"))
        page.fill("input[name=code]", second_factor())
        page.click("main form button[type=submit]")
    page.wait_for_url(re.compile(r".*/dashboard/$"))


def test_buyer_disputes_seller_answers_support_splits_sixty_forty(new_page):
    buyer = UserFactory(email="bea@example.com", display_name="Bea Buyer")
    seller = UserFactory(email="sol@example.com", display_name="Sol Seller")
    support = support_user(email="sam@example.com", display_name="Sam Support")
    order = make_order(10000, buyer=buyer, seller=seller)
    deliver(fund(ms(order, 1)), message="Here is the landing page.")

    # The buyer opens a dispute from the order page.
    buyer_page = new_page()
    buyer_page.on("dialog", lambda dialog: dialog.accept())
    log_in(buyer_page, "bea@example.com")
    buyer_page.goto(order.get_absolute_url())
    buyer_page.click("summary:has-text('More options')")  # disputes wait behind the main next step
    buyer_page.click("text=Open a dispute")
    buyer_page.check("input[name=reason][value=not_as_described]")
    buyer_page.fill("textarea[name=description]", "Only the hero section was built; the pricing page is missing.")
    buyer_page.click("button:has-text('Open the dispute')")
    buyer_page.wait_for_url(re.compile(r".*/disputes/\d+/$"))
    assert buyer_page.locator("[data-testid=dispute-status]").inner_text() == "Open"
    dispute = Dispute.objects.get()
    assert ms(order, 1).state == State.DISPUTED

    # The seller answers from the order page's link.
    seller_page = new_page()
    seller_page.on("dialog", lambda dialog: dialog.accept())
    log_in(seller_page, "sol@example.com")
    seller_page.goto(order.get_absolute_url())
    seller_page.click("[data-testid=dispute-link]")
    seller_page.wait_for_url(re.compile(rf".*/disputes/{dispute.pk}/$"))
    seller_page.fill("[data-testid=answer-form] textarea[name=body]", "The pricing page was never in the brief.")
    seller_page.click("button:has-text('Send answer')")
    seller_page.wait_for_load_state()
    assert "Your answer was added." in seller_page.content()

    # Support finds the case in the queue and splits 60/40 with a written decision.
    staff_page = new_page()
    staff_page.on("dialog", lambda dialog: dialog.accept())
    log_in(staff_page, "sam@example.com", second_factor=lambda: totp_code(support))
    staff_page.click("text=Resolution center")
    staff_page.wait_for_url(re.compile(r".*/staff/disputes/$"))
    staff_page.click(f"a:has-text('#{dispute.pk}')")
    staff_page.wait_for_url(re.compile(rf".*/staff/disputes/{dispute.pk}/$"))
    assert "$100.00" in staff_page.locator("[data-testid=held]").inner_text()
    assert "The pricing page was never in the brief." in staff_page.content()
    staff_page.check("input[name=outcome][value=split]")
    staff_page.fill("input[name=seller_amount]", "60.00")
    staff_page.fill(
        "textarea[name=decision]", "The hero section matches the brief; the pricing page was discussed in chat."
    )
    # The decision moves money: support types a code again (a recovery code: the app's code went on the login).
    staff_page.fill("input[name=second_factor_code]", recovery_codes(support)[0])
    staff_page.click("button:has-text('Resolve the case')")
    staff_page.wait_for_load_state()
    assert "The dispute is resolved" in staff_page.content()

    dispute.refresh_from_db()
    assert dispute.status == DisputeStatus.RESOLVED
    assert ms(order, 1).state == State.SETTLED

    # Both parties see the decision.
    for page in (buyer_page, seller_page):
        page.goto(dispute.get_absolute_url())
        decision = page.locator("[data-testid=decision]").inner_text()
        assert "the pricing page was discussed in chat" in decision
        assert "$60.00 to the seller" in decision and "$40.00 back to the buyer" in decision

    # The seller's 60% is pending clearance (minus the 20% commission); the buyer's 40% is in their balance.
    seller_page.goto("/payments/earnings/")
    assert seller_page.locator("[data-testid=pending]").inner_text() == "$48.00"
    pending_row = seller_page.locator("[data-testid=pending-table] tbody tr").first.inner_text()
    assert "$60.00" in pending_row and "$48.00" in pending_row
    buyer_page.goto("/payments/history/")
    assert buyer_page.locator("[data-testid=buyer-balance]").inner_text() == "$40.00"

    call_command("ledger_check")
