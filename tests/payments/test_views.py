"""The payments pages: who sees what, bad input refused with a message, constant query counts."""

import re

import pytest
from django.urls import reverse

from payments import services
from payments.models import Checkout, CheckoutStatus, LedgerTransaction, Payout, SandboxOperation
from payments.providers.sandbox import CARD_DECLINED, CARD_NETWORK_ERROR, CARD_SUCCEEDS
from payments.selectors import balances_for, escrow_balance_cents

from .conftest import fund_milestone, open_milestone_checkout, pay_tip

pytestmark = pytest.mark.django_db

CARD = {"pay_with": "card", "card_number": "4242 4242 4242 4242", "expiry": "12/34", "cvc": "123"}


def _text(response):
    return re.sub(r"\s+", " ", response.content.decode())


def _card(number):
    return {**CARD, "card_number": number}


@pytest.fixture
def buyer_client(client, buyer):
    client.force_login(buyer)
    return client


@pytest.fixture
def tip_checkout(buyer, seller):
    return services.tip_send(buyer=buyer, seller=seller, amount_cents=5000, return_url="/payments/history/")


# --- Checkout page ---------------------------------------------------------------
def test_checkout_page_shows_amount_fee_total_and_the_card_form(buyer_client, buyer, milestone_purpose):
    checkout = open_milestone_checkout(buyer, 11, 5000)
    response = buyer_client.get(checkout.get_absolute_url())
    text = _text(response)
    assert response.status_code == 200
    assert "$50.00" in text and "$5.75" in text and "$55.75" in text
    assert "5.5% of the amount, plus $3.00 on payments under $100.00" in text
    assert 'name="card_number"' in text
    assert "4242 4242 4242 4242" in text  # the sandbox's test cards are listed
    assert "from balance" not in text  # no balance to pay from


def test_only_the_buyer_can_open_a_checkout(client, other_user, tip_checkout):
    client.force_login(other_user)
    assert client.get(tip_checkout.get_absolute_url()).status_code == 404
    assert client.post(tip_checkout.get_absolute_url(), CARD).status_code == 404
    assert SandboxOperation.objects.count() == 0


def test_anonymous_visitors_are_sent_to_log_in(client, tip_checkout):
    response = client.get(tip_checkout.get_absolute_url())
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_paying_by_card_redirects_to_the_return_url_with_a_success_message(buyer_client, tip_checkout, seller):
    response = buyer_client.post(tip_checkout.get_absolute_url(), CARD, follow=True)
    assert response.redirect_chain[-1][0] == "/payments/history/"
    assert "Payment of $50.00 received" in _text(response)
    assert balances_for(seller).pending_cents == 4000


def test_a_declined_card_shows_a_message_and_moves_nothing(buyer_client, tip_checkout):
    response = buyer_client.post(tip_checkout.get_absolute_url(), _card(CARD_DECLINED), follow=True)
    assert "Your card was declined" in _text(response)
    assert response.redirect_chain[-1][0] == tip_checkout.get_absolute_url()
    assert LedgerTransaction.objects.count() == 0


def test_a_network_failure_shows_a_message_and_moves_nothing(buyer_client, tip_checkout):
    response = buyer_client.post(tip_checkout.get_absolute_url(), _card(CARD_NETWORK_ERROR), follow=True)
    assert "could not reach the payment provider" in _text(response)
    assert LedgerTransaction.objects.count() == 0
    assert SandboxOperation.objects.count() == 0


def test_a_double_submitted_checkout_charges_once_and_says_so(buyer_client, tip_checkout):
    buyer_client.post(tip_checkout.get_absolute_url(), CARD)
    response = buyer_client.post(tip_checkout.get_absolute_url(), CARD, follow=True)
    assert "already paid" in _text(response)
    assert SandboxOperation.objects.count() == 1
    assert LedgerTransaction.objects.count() == 1


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("card_number", "1234 5678 9012 3456", "card number is not valid"),
        ("card_number", "abcd", "card number is not valid"),
        ("expiry", "01/20", "expired"),
        ("expiry", "13/40", "MM/YY"),
        ("cvc", "12", "CVC"),
    ],
)
def test_bad_card_details_are_refused_on_the_page(buyer_client, tip_checkout, field, value, message):
    response = buyer_client.post(tip_checkout.get_absolute_url(), {**CARD, field: value})
    assert response.status_code == 200
    assert message in _text(response)
    assert SandboxOperation.objects.count() == 0
    # the card number and the CVC are asked for again, never written back into the page; the expiry is kept
    body = response.content.decode()
    for name in ("card_number", "cvc"):
        field_tag = re.search(rf'<input[^>]*name="{name}"[^>]*>', body)[0]
        assert "value=" not in field_tag, field_tag
    assert f'value="{CARD["card_number"]}"' not in body and f'value="{CARD["cvc"]}"' not in body
    if field != "expiry":
        assert f'value="{CARD["expiry"]}"' in body


def test_pay_from_balance_is_offered_and_works_when_the_balance_covers_the_total(
    buyer_client, buyer, milestone_purpose
):
    fund_milestone(buyer, 90, 20000)
    services.escrow_refund(milestone_id=90, buyer=buyer)
    checkout = open_milestone_checkout(buyer, 11, 5000)
    assert "Pay $55.75 from balance" in _text(buyer_client.get(checkout.get_absolute_url()))
    response = buyer_client.post(checkout.get_absolute_url(), {"pay_with": "balance"}, follow=True)
    assert "Payment of $55.75 received" in _text(response)
    assert escrow_balance_cents(milestone_id=11) == 5000
    assert balances_for(buyer).buyer_balance_cents == 20000 - 5575


def test_pay_from_balance_without_enough_balance_is_refused_with_a_message(buyer_client, tip_checkout):
    response = buyer_client.post(tip_checkout.get_absolute_url(), {"pay_with": "balance"}, follow=True)
    assert "does not cover the total" in _text(response)
    assert LedgerTransaction.objects.count() == 0


def test_when_the_purchase_fails_after_charging_the_page_says_the_money_is_in_the_balance(
    buyer_client, buyer, milestone_purpose
):
    checkout = open_milestone_checkout(buyer, 11, 5000)
    milestone_purpose.fail_on_paid = services.PaymentError("The milestone was cancelled meanwhile.")
    response = buyer_client.post(checkout.get_absolute_url(), CARD, follow=True)
    text = _text(response)
    assert "The milestone was cancelled meanwhile." in text
    assert "added to your balance" in text
    assert response.redirect_chain[-1][0] == reverse("payments:history")
    assert balances_for(buyer).buyer_balance_cents == 5575


def test_a_paid_checkout_page_links_to_the_receipt(buyer_client, buyer, seller):
    paid = pay_tip(buyer, seller, 5000)
    text = _text(buyer_client.get(paid.get_absolute_url()))
    assert "See the receipt" in text
    assert 'name="card_number"' not in text


# --- Tip page --------------------------------------------------------------------
def test_the_tip_page_opens_a_checkout(buyer_client, seller):
    response = buyer_client.post(reverse("payments:tip", args=[seller.pk]), {"amount": "25.50", "note": "Thanks!"})
    checkout = Checkout.objects.get()
    assert response["Location"] == checkout.get_absolute_url()
    assert (checkout.amount_cents, checkout.payee, checkout.service_fee_cents) == (2550, seller, 0)


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        ("-5", "cannot be negative"),
        ("0", "greater than zero"),
        ("abc", "like 1250 or 1,250.50"),
        ("NaN", "like 1250 or 1,250.50"),
        ("1.005", "at most two decimals"),
        ("", "Enter an amount"),
        ("99999999", "at most"),
    ],
)
def test_the_tip_page_refuses_bad_amounts_with_a_message(buyer_client, seller, amount, message):
    response = buyer_client.post(reverse("payments:tip", args=[seller.pk]), {"amount": amount})
    assert response.status_code == 200
    assert message in _text(response)
    assert Checkout.objects.count() == 0


def test_nobody_can_tip_themselves_on_the_page(buyer_client, buyer):
    response = buyer_client.post(reverse("payments:tip", args=[buyer.pk]), {"amount": "5"})
    assert "cannot pay yourself" in _text(response)
    assert Checkout.objects.count() == 0


# --- History and receipts --------------------------------------------------------------
def test_history_shows_balance_payments_and_movements(buyer_client, buyer, seller, milestone_purpose):
    pay_tip(buyer, seller, 5000)
    fund_milestone(buyer, 12, 10000)
    services.escrow_refund(milestone_id=12, buyer=buyer, amount_cents=2500)
    response = buyer_client.get(reverse("payments:history"))
    text = _text(response)
    assert "$25.00" in text  # the balance after the partial refund
    assert "Tip for Sol Seller" in text and "Milestone 12" in text
    assert "Card •••• 4242" in text
    assert "Refund" in text


def test_history_query_count_does_not_grow_with_payments(buyer_client, buyer, seller, django_assert_max_num_queries):
    for _ in range(3):
        pay_tip(buyer, seller, 1000)
    with django_assert_max_num_queries(12) as few:
        buyer_client.get(reverse("payments:history"))
    for _ in range(6):
        pay_tip(buyer, seller, 1000)
    with django_assert_max_num_queries(len(few)):
        buyer_client.get(reverse("payments:history"))


def test_the_receipt_shows_what_was_paid(buyer_client, buyer, seller):
    paid = pay_tip(buyer, seller, 5000)
    text = _text(buyer_client.get(paid.get_receipt_url()))
    assert "Tip for Sol Seller" in text
    assert "$50.00" in text and "Card •••• 4242" in text and paid.provider_reference in text


def test_a_receipt_is_only_for_its_buyer_and_staff(client, buyer, seller, other_user, admin_user):
    paid = pay_tip(buyer, seller, 5000)
    client.force_login(other_user)
    assert client.get(paid.get_receipt_url()).status_code == 404
    client.force_login(admin_user)
    assert client.get(paid.get_receipt_url()).status_code == 200


def test_an_unpaid_checkout_has_no_receipt(buyer_client, tip_checkout):
    assert buyer_client.get(tip_checkout.get_receipt_url()).status_code == 404


# --- Earnings page ------------------------------------------------------------------
@pytest.fixture
def seller_client(client, seller):
    client.force_login(seller)
    return client


def test_earnings_page_shows_pending_with_clearance_dates_and_the_chart(seller_client, buyer, seller, clock):
    pay_tip(buyer, seller, 5000)
    response = seller_client.get(reverse("payments:earnings"))
    text = _text(response)
    assert response.status_code == 200
    assert "Tip from Bea Buyer" in text
    clears = (clock.now()).date()
    assert "$40.00" in text
    assert "−$10.00" in text  # commission shown
    assert "<svg" in text and 'class="bar"' in text
    assert text.count('class="bar"') == 12
    assert 'style="' not in text  # CSP: no inline styles
    earning = seller.earnings.get()
    assert earning.clears_at.date() > clears
    assert f"{earning.clears_at:%b} {earning.clears_at.day}, {earning.clears_at:%Y}" in text


def test_withdrawing_from_the_earnings_page(seller_client, buyer, seller, clock):
    pay_tip(buyer, seller, 5000)
    clock.advance(days=15)
    services.earnings_clear()
    page = seller_client.get(reverse("payments:earnings"))
    key = page.context["form"].initial["idempotency_key"]
    response = seller_client.post(reverse("payments:earnings"), {"amount": "40", "idempotency_key": key}, follow=True)
    assert "Withdrawal of $40.00 sent" in _text(response)
    again = seller_client.post(reverse("payments:earnings"), {"amount": "40", "idempotency_key": key}, follow=True)
    assert again.status_code == 200
    assert Payout.objects.count() == 1
    assert balances_for(seller).withdrawn_cents == 4000


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        ("41", "at most $40.00"),
        ("-10", "cannot be negative"),
        ("ten", "like 1250 or 1,250.50"),
        ("5", "at least $10.00"),
    ],
)
def test_bad_withdrawals_are_refused_on_the_page_and_nothing_moves(
    seller_client, buyer, seller, clock, amount, message
):
    pay_tip(buyer, seller, 5000)
    clock.advance(days=15)
    services.earnings_clear()
    response = seller_client.post(reverse("payments:earnings"), {"amount": amount, "idempotency_key": "k1"})
    assert response.status_code == 200
    assert message in _text(response)
    assert Payout.objects.count() == 0
    assert balances_for(seller).available_cents == 4000


def test_earnings_page_query_count_does_not_grow_with_earnings(
    seller_client, buyer, seller, django_assert_max_num_queries
):
    pay_tip(buyer, seller, 1000)
    with django_assert_max_num_queries(12) as few:
        seller_client.get(reverse("payments:earnings"))
    for _ in range(8):
        pay_tip(buyer, seller, 1000)
    with django_assert_max_num_queries(len(few)):
        seller_client.get(reverse("payments:earnings"))


def test_pending_earnings_are_paged_soonest_first(seller_client, buyer, seller, clock, django_assert_max_num_queries):
    from payments.selectors import PENDING_PAGE_SIZE

    total = PENDING_PAGE_SIZE + 3
    for _ in range(total):
        pay_tip(buyer, seller, 1000)
        clock.advance(hours=1)
    with django_assert_max_num_queries(13):
        first = _text(seller_client.get(reverse("payments:earnings")))
    assert f"1–{PENDING_PAGE_SIZE} of {total}" in first
    assert first.count("Tip from Bea Buyer") == PENDING_PAGE_SIZE
    second = _text(seller_client.get(reverse("payments:earnings"), {"pending": 2}))
    assert second.count("Tip from Bea Buyer") == 3
    last = seller.earnings.order_by("clears_at").last()
    assert f"{last.clears_at:%b} {last.clears_at.day}, {last.clears_at:%Y}" in second


def test_checkout_status_choices_cover_the_pages():
    assert {choice for choice, _ in CheckoutStatus.choices} == {"open", "processing", "paid", "credited", "cancelled"}


def test_card_constants_are_the_documented_ones():
    assert (CARD_SUCCEEDS, CARD_DECLINED, CARD_NETWORK_ERROR) == (
        "4242424242424242",
        "4000000000000002",
        "4000000000000119",
    )


def test_earnings_page_query_count_does_not_grow_with_milestone_earnings(client, django_assert_max_num_queries):
    """Each pending earning is named by its milestone ("Order #3 · Milestone 2: …"): the names come in one query,
    not one per earning (found by make bench: 20 earnings cost 20 more queries)."""
    from tests.orders.builders import approve, deliver, fund, make_order, ms

    order = make_order(10000, 10000, 10000, 10000, 10000)
    approve(deliver(fund(ms(order, 1))))
    client.force_login(order.seller)
    # (11 before two-factor authentication: one more asks whether the seller has it, for the withdraw form)
    with django_assert_max_num_queries(12) as few:
        assert "Milestone 1" in client.get(reverse("payments:earnings")).content.decode()
    for position in (2, 3, 4):
        approve(deliver(fund(ms(order, position))))
    with django_assert_max_num_queries(len(few)):
        body = client.get(reverse("payments:earnings")).content.decode()
    assert "Milestone 4" in body
