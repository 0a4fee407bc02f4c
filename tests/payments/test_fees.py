from decimal import Decimal

import pytest

from payments import fees


@pytest.mark.parametrize(
    ("amount", "fee"),
    [
        (5000, 275 + 300),  # 5.5% of $50 = $2.75, plus $3 under $100
        (9999, 550 + 300),  # 549.945 rounds half-up to 550
        (10000, 550),  # $100 is not "under $100"
        (12345, 679),  # 678.975 → 679
        (1, 0 + 300),  # 0.055 → 0
        (10, 1 + 300),  # 0.55 → 1 (half-up)
    ],
)
def test_buyer_service_fee_is_percent_plus_small_order_fee_rounded_half_up(amount, fee):
    assert fees.buyer_service_fee_cents(amount) == fee


@pytest.mark.parametrize(("amount", "commission"), [(10000, 2000), (5000, 1000), (9, 2), (2, 0), (3, 1), (12345, 2469)])
def test_seller_commission_is_twenty_percent_rounded_half_up(amount, commission):
    assert fees.seller_commission_cents(amount) == commission


def test_half_a_cent_rounds_up_never_down():
    assert fees.percent_of_cents(10, "5") == 1  # 0.5 cent
    assert fees.percent_of_cents(30, "5") == 2  # 1.5 cents (banker's rounding would give 2 as well)
    assert fees.percent_of_cents(50, "5") == 3  # 2.5 cents: half-up gives 3, banker's 2


def test_fee_quote_parts_add_up():
    quote = fees.fee_quote(5000)
    assert quote.service_fee_cents == 575
    assert quote.total_cents == 5575
    assert quote.commission_cents == 1000
    assert quote.seller_net_cents == 4000
    assert quote.commission_cents + quote.seller_net_cents == quote.amount_cents


def test_fee_quote_without_service_fee_for_tips():
    quote = fees.fee_quote(5000, service_fee=False)
    assert quote.service_fee_cents == 0
    assert quote.total_cents == 5000


def test_fees_follow_the_settings(settings):
    settings.PAYMENTS_BUYER_FEE_PERCENT = Decimal("10")
    settings.PAYMENTS_SMALL_ORDER_FEE_CENTS = 0
    settings.PAYMENTS_SELLER_COMMISSION_PERCENT = Decimal("12.5")
    assert fees.buyer_service_fee_cents(5000) == 500
    assert fees.seller_commission_cents(1000) == 125
    assert fees.service_fee_rule() == "10% of the amount"
    assert fees.commission_rule() == "12.5%"


def test_fee_rules_are_described_in_words():
    assert fees.service_fee_rule() == "5.5% of the amount, plus $3.00 on payments under $100.00"
    assert fees.commission_rule() == "20%"
