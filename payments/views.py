"""Payments pages. Thin: parse the form, call one service, turn its error into a message."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_safe

from accounts.once import once_per_form_key
from config.money import format_cents

from . import selectors, services
from .exceptions import CheckoutAlreadyPaid, CheckoutCredited, PaymentError, PaymentInProgress
from .fees import commission_rule, fee_quote, service_fee_rule
from .forms import CardForm, TipForm, WithdrawForm
from .models import CheckoutStatus, PayoutStatus
from .providers.sandbox import TEST_CARDS, format_card_number


def _return_url(request, checkout):
    url = checkout.return_url
    if url_has_allowed_host_and_scheme(url, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return url
    return reverse("payments:history")


@login_required
@require_http_methods(["GET", "POST"])
def checkout(request, checkout_uuid):
    checkout = selectors.checkout_for_buyer(user=request.user, checkout_uuid=checkout_uuid)
    card_form = CardForm()
    if request.method == "POST":
        # "balance": the balance pays it all (no card); "card": by card, with the balance first if ticked
        by_balance_only = request.POST.get("pay_with") == "balance"
        if checkout.status in (CheckoutStatus.PAID, CheckoutStatus.CREDITED):
            messages.info(request, "This checkout is already paid. Nothing more was charged or taken.")
            return redirect(checkout.get_receipt_url())
        if checkout.status == CheckoutStatus.CANCELLED:
            messages.error(
                request, checkout.failure_message or "This checkout was replaced by a newer one; nothing was charged."
            )
            return redirect(_return_url(request, checkout))
        if not by_balance_only:
            card_form = CardForm(request.POST)
        if by_balance_only or card_form.is_valid():
            try:
                paid = services.checkout_pay(
                    checkout=checkout,
                    actor=request.user,
                    payment_method=None if by_balance_only else card_form.cleaned_data["card_number"],
                    use_balance=by_balance_only or card_form.cleaned_data["split_payment"],
                )
            except CheckoutAlreadyPaid as error:
                messages.info(request, error.message)
                return redirect(_return_url(request, checkout))
            except PaymentInProgress as error:
                messages.info(request, error.message)
                return redirect(checkout.get_absolute_url())
            except CheckoutCredited as error:
                messages.warning(request, error.message)
                return redirect("payments:history")
            except PaymentError as error:
                messages.error(request, error.message)
                return redirect(checkout.get_absolute_url())
            messages.success(request, _paid_message(paid))
            return redirect(_return_url(request, paid))
    balances = selectors.balances_for(request.user)
    split = services.payment_split(total_cents=checkout.total_cents, balance_cents=balances.buyer_balance_cents)
    quote = fee_quote(checkout.amount_cents, service_fee=checkout.service_fee_cents > 0)
    return render(
        request,
        "payments/checkout.html",
        {
            "checkout": checkout,
            "card_form": card_form,
            "balances": balances,
            "can_pay_from_balance": checkout.is_open and split.card_cents == 0,
            # the balance pays part, the card the rest: offered as a box ticked on the card form
            "split": split if checkout.is_open and split.balance_cents and split.card_cents else None,
            "refund_destination": services.refund_destination(
                milestone_id=checkout.reference_id if checkout.purpose == "milestone" else None
            ),
            "quote": quote,
            "fee_rule": service_fee_rule(),
            "test_cards": [(format_card_number(number), outcome) for number, outcome in TEST_CARDS],
        },
    )


def _paid_message(paid) -> str:
    total = format_cents(paid.total_cents)
    if paid.balance_part_cents and paid.card_part_cents:
        return (
            f"Payment of {total} received for “{paid.description}”: {format_cents(paid.balance_part_cents)} "
            f"from your balance and {format_cents(paid.card_part_cents)} by card. Thank you!"
        )
    return f"Payment of {total} received for “{paid.description}”. Thank you!"


@login_required
@require_safe
def history(request):
    return render(request, "payments/history.html", {"history": selectors.buyer_history(user=request.user)})


@login_required
@require_safe
def receipt(request, checkout_uuid):
    paid = selectors.receipt_for(user=request.user, checkout_uuid=checkout_uuid)
    return render(
        request,
        "payments/receipt.html",
        {"checkout": paid, "transactions": selectors.receipt_transactions(paid)},
    )


@login_required
@require_http_methods(["GET", "POST"])
def earnings(request):
    form = WithdrawForm()
    if request.method == "POST":
        form = WithdrawForm(request.POST)
        if form.is_valid():
            try:
                payout = services.payout_request(
                    seller=request.user,
                    amount_cents=form.cleaned_data["amount"],
                    idempotency_key=form.cleaned_data["idempotency_key"],
                )
            except PaymentError as error:
                form.add_error(None, error.message)
            else:
                amount = format_cents(payout.amount_cents)
                if payout.status == PayoutStatus.PAID:
                    messages.success(request, f"Withdrawal of {amount} sent to your payout account.")
                elif payout.status == PayoutStatus.PROCESSING:
                    messages.info(
                        request,
                        f"Your withdrawal of {amount} is being processed: the payment provider has not answered yet. "
                        "It will be sent once, and retried automatically.",
                    )
                else:
                    messages.error(
                        request,
                        f"The withdrawal of {amount} was refused ({payout.failure_message}). It is available again.",
                    )
                return redirect("payments:earnings")
    overview = selectors.earnings_overview(user=request.user, pending_page=request.GET.get("pending"))
    return render(
        request,
        "payments/earnings.html",
        {
            "overview": overview,
            "form": form,
            "clearance_days": settings.PAYMENTS_CLEARANCE_DAYS,
            "clearance_days_top_rated": settings.PAYMENTS_CLEARANCE_DAYS_TOP_RATED,
            "commission_rule": commission_rule(),
            "min_payout_cents": settings.PAYMENTS_MIN_PAYOUT_CENTS,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
@once_per_form_key
def tip(request, seller_id):
    seller = get_object_or_404(get_user_model(), pk=seller_id, is_active=True)
    form = TipForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            opened = services.tip_send(
                buyer=request.user,
                seller=seller,
                amount_cents=form.cleaned_data["amount"],
                note=form.cleaned_data["note"],
                return_url=reverse("payments:history"),
            )
        except PaymentError as error:
            form.add_error(None, error.message)
        else:
            return redirect(opened.get_absolute_url())
    return render(
        request,
        "payments/tip.html",
        {"seller": seller, "form": form},
    )
