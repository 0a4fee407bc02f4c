"""A package with a milestone plan, in Chromium: the seller writes the plan on the gig form (on a phone), a buyer
sees its steps on the gig page, orders it, sees the plan and its totals at checkout, pays the first milestone
and lands on an order of three milestones that add up to the package's price."""

import re

import pytest

from marketplace.categories import ensure_category_tree
from milestones.models import Order, State
from payments.fees import fee_quote
from payments.providers.sandbox import CARD_SUCCEEDS
from tests.e2e.browsing import PHONE, log_in
from tests.factories import UserFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PACKAGES = {  # tier: name, price, delivery days (standard: blank, the plan's sum)
    "basic": ("Starter", "200", "4"),
    "standard": ("Brand kit", "450", ""),
    "premium": ("Complete", "900", "20"),
}
PLAN = [  # title, deliverables, amount, days
    ("Logo concepts", "Three logo concepts in SVG.", "100", "3"),
    ("Brand guide", "Colours, type and usage rules.", "$200.00", "4"),
    ("Social kit", "Profile and cover images.", "150", "2"),
]


def no_sideways_scroll(page):
    return page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth")


def test_a_seller_publishes_a_planned_package_and_a_buyer_orders_it(new_page):
    ensure_category_tree()
    seller_user = UserFactory(email="sia@example.com", display_name="Sia Seller")
    buyer_user = UserFactory(email="ben@example.com", display_name="Ben Buyer")

    seller = new_page()
    seller.set_viewport_size(PHONE)
    log_in(seller, seller_user)
    seller.goto("/selling/gigs/new/")
    seller.fill("input[name=title]", "I will design your brand identity in three phases")
    seller.select_option("select[name=category]", label="Logo Design")
    seller.fill("textarea[name=description]", "Logo, brand guide and social media kit, one phase after the other.")
    seller.check("input[name=pricing][value=packages]")
    for tier, (name, price, days) in PACKAGES.items():
        seller.fill(f"input[name={tier}-name]", name)
        seller.fill(f"textarea[name={tier}-description]", f"The {name.lower()} package.")
        seller.fill(f"input[name={tier}-price]", price)
        seller.fill(f"input[name={tier}-delivery_days]", days)
    plan = seller.locator("[data-testid=plan-standard]")
    plan.locator("summary").click()
    assert no_sideways_scroll(seller)
    # one milestone is not a plan: refused, everything typed is kept
    seller.fill("input[name=standard-plan-0-title]", PLAN[0][0])
    seller.fill("textarea[name=standard-plan-0-description]", PLAN[0][1])
    seller.fill("input[name=standard-plan-0-amount]", PLAN[0][2])
    seller.fill("input[name=standard-plan-0-delivery_days]", PLAN[0][3])
    seller.click("button:has-text('Publish gig')")
    seller.wait_for_load_state()
    assert "A plan has between 2 and 6 milestones; this one has 1." in seller.content()
    assert seller.input_value("input[name=standard-plan-0-title]") == PLAN[0][0]
    assert seller.input_value("input[name=premium-price]") == "900"
    assert no_sideways_scroll(seller)
    for i, (title, deliverables, amount, days) in enumerate(PLAN):
        seller.fill(f"input[name=standard-plan-{i}-title]", title)
        seller.fill(f"textarea[name=standard-plan-{i}-description]", deliverables)
        seller.fill(f"input[name=standard-plan-{i}-amount]", amount)
        seller.fill(f"input[name=standard-plan-{i}-delivery_days]", days)
    seller.click("button:has-text('Publish gig')")
    seller.wait_for_url(re.compile(r".*/gigs/i-will-design-your-brand-identity-in-three-phases/$"))
    assert "Your gig is published." in seller.content()
    gig_url = seller.url

    buyer = new_page()
    log_in(buyer, buyer_user)
    buyer.goto(gig_url)
    steps = buyer.locator("[data-testid=package-plan-standard] [data-testid=package-plan-step]")
    assert steps.count() == 3
    assert "Paid milestone by milestone" in buyer.locator("[data-testid=package-plan-standard]").inner_text()
    # 22.2 / 44.4 / 33.3 %: shown as whole percents that add up to 100 (the largest remainder gets the point)
    shares = [steps.nth(i).inner_text() for i in range(3)]
    assert "$100.00 (22% of the price) · 3 days" in shares[0]
    assert "$200.00 (45% of the price) · 4 days" in shares[1]
    assert "$150.00 (33% of the price) · 2 days" in shares[2]
    buyer.click("button:has-text('Order Standard ($450.00)')")
    buyer.wait_for_url(re.compile(r".*/payments/checkout/.*"))

    quotes = [fee_quote(cents) for cents in (10000, 20000, 15000)]
    assert buyer.locator("[data-testid=checkout-plan-step]").count() == 3
    summary = buyer.locator("[data-testid=checkout-plan]").inner_text()
    assert "Logo concepts" in summary and "Social kit" in summary and "$200.00 · 4 days" in summary
    assert buyer.locator("[data-testid=checkout-total]").inner_text() == f"${quotes[0].total_cents / 100:,.2f}"
    whole = sum(q.total_cents for q in quotes)
    assert buyer.locator("[data-testid=checkout-plan-total]").inner_text() == f"${whole / 100:,.2f}"
    buyer.fill("input[name=card_number]", CARD_SUCCEEDS)
    buyer.fill("input[name=expiry]", "12/34")
    buyer.fill("input[name=cvc]", "123")
    buyer.click("[data-testid=pay-card]")
    buyer.wait_for_url(re.compile(r".*/orders/\d+/.*"))

    for position, amount in ((1, "$100.00"), (2, "$200.00"), (3, "$150.00")):
        assert amount in buyer.locator(f"[data-testid=milestone-{position}]").inner_text()
    order = Order.objects.get()
    milestones = list(order.milestones.order_by("position"))
    assert sum(m.amount_cents for m in milestones) == 45000
    assert [m.state for m in milestones] == [State.IN_PROGRESS, State.AWAITING_FUNDING, State.AWAITING_FUNDING]
    assert "In progress" in buyer.locator("[data-testid=milestone-1] [data-testid=state]").inner_text()
