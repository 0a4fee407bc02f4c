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
        use_balance = request.POST.get("pay_with") == "balance"
        if checkout.status in (CheckoutStatus.PAID, CheckoutStatus.CREDITED):
            messages.info(request, "This checkout is already paid. Nothing more was charged or taken.")
            return redirect(checkout.get_receipt_url())
        if checkout.status == CheckoutStatus.CANCELLED:
            messages.error(
                request, checkout.failure_message or "This checkout was replaced by a newer one; nothing was charged."
            )
            return redirect(_return_url(request, checkout))
        if not use_balance:
            card_form = CardForm(request.POST)
        if use_balance or card_form.is_valid():
            try:
                services.checkout_pay(
                    checkout=checkout,
                    actor=request.user,
                    payment_method=None if use_balance else card_form.cleaned_data["card_number"],
                    use_balance=use_balance,
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
            messages.success(
                request,
                f"Payment of {format_cents(checkout.total_cents)} received for “{checkout.description}”. Thank you!",
            )
            return redirect(_return_url(request, checkout))
    balances = selectors.balances_for(request.user)
    quote = fee_quote(checkout.amount_cents, service_fee=checkout.service_fee_cents > 0)
    return render(
        request,
        "payments/checkout.html",
        {
            "checkout": checkout,
            "card_form": card_form,
            "balances": balances,
            "can_pay_from_balance": checkout.is_open and balances.buyer_balance_cents >= checkout.total_cents,
            "quote": quote,
            "fee_rule": service_fee_rule(),
            "test_cards": [(format_card_number(number), outcome) for number, outcome in TEST_CARDS],
        },
    )


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
