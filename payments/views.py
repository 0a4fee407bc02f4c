"""Payments pages. Thin: parse the form, call one service, turn its error into a message."""

from urllib.parse import urlsplit

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_safe

from accounts.once import once_per_form_key
from config.money import format_cents

from . import connect, selectors, services, webhooks
from .exceptions import (
    CheckoutAlreadyPaid,
    CheckoutCredited,
    PaymentError,
    PaymentInProgress,
    PaymentNeedsAction,
    ProviderError,
    ProviderUnavailable,
)
from .fees import commission_rule, fee_quote, service_fee_rule
from .forms import CardForm, HostedCardForm, PayoutAccountForm, TipForm, WithdrawForm
from .models import CheckoutStatus, PayoutAccount, PayoutStatus
from .providers import get_provider
from .providers.sandbox import TEST_CARDS, format_card_number

WEBHOOK_MAX_BYTES = 512 * 1024  # Stripe's events are a few KB; anything this big is not one


def _return_url(request, checkout):
    url = checkout.return_url
    if url_has_allowed_host_and_scheme(url, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return url
    return reverse("payments:history")


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def _stripe_page_policy(response):
    """The checkout page (and only it) may load Stripe's script and frames and talk to Stripe's API: the CSP
    is widened for this response alone, to the origins the settings name."""
    js, api = _origin(settings.STRIPE_JS_URL), _origin(settings.STRIPE_API_BASE)
    response._csp_update = {
        "script-src": [js, *settings.STRIPE_CSP_EXTRA["script-src"]],
        "frame-src": [js, *settings.STRIPE_CSP_EXTRA["frame-src"]],
        "connect-src": [api, *settings.STRIPE_CSP_EXTRA["connect-src"]],
        "img-src": settings.STRIPE_CSP_EXTRA["img-src"],
    }
    return response


def _awaiting_buyer(provider, checkout) -> PaymentNeedsAction | None:
    """The bank's pending confirmation of the checkout's card payment, if it waits for the buyer."""
    if not checkout.provider_intent:
        return None
    try:
        status = provider.charge_status(intent=checkout.provider_intent)
    except PaymentError:  # no answer now: the page says the payment is being processed
        return None
    if status.status != "requires_action":
        return None
    return PaymentNeedsAction(reference=checkout.provider_intent, client_secret=status.client_secret)


def _checkout_outcome(request, checkout, call):
    """Run a paying service and answer as the page does for every outcome: a redirect, or None when the page
    is drawn again (with ``request.card_error`` / ``request.next_action`` set)."""
    try:
        paid = call()
    except PaymentNeedsAction as action:
        request.next_action = action
        return None
    except CheckoutAlreadyPaid as error:
        messages.info(request, error.message)
        return redirect(_return_url(request, checkout))
    except PaymentInProgress as error:
        messages.info(request, error.message)
        return redirect(checkout.get_absolute_url())
    except CheckoutCredited as error:
        messages.warning(request, error.message)
        return redirect("payments:history")
    except ProviderUnavailable as error:
        messages.info(request, error.message)
        return redirect(checkout.get_absolute_url())
    except PaymentError as error:
        request.card_error = error.message
        return None
    if paid.status not in (CheckoutStatus.PAID, CheckoutStatus.CREDITED):
        messages.info(request, "Your bank is still confirming the payment. This page shows the result once it has.")
        return redirect(checkout.get_absolute_url())
    messages.success(request, _paid_message(paid))
    return redirect(_return_url(request, paid))


@login_required
@require_http_methods(["GET", "POST"])
def checkout(request, checkout_uuid):
    checkout = selectors.checkout_for_buyer(user=request.user, checkout_uuid=checkout_uuid)
    provider = get_provider()
    hosted_card = provider.name == "stripe"  # the card is typed into Stripe's own frame (Payment Element)
    form_class = HostedCardForm if hosted_card else CardForm
    card_form = form_class()
    request.card_error = request.next_action = None
    returned_intent = request.GET.get("payment_intent", "")
    if request.method == "GET" and returned_intent and returned_intent == checkout.provider_intent:
        # back from the bank's confirmation (3-D Secure): ask the provider what became of the payment
        answer = _checkout_outcome(request, checkout, lambda: services.checkout_settle(checkout=checkout))
        if answer is not None:
            return answer
        if request.card_error:
            messages.error(request, request.card_error)
            return redirect(checkout.get_absolute_url())
        checkout.refresh_from_db()
    elif request.method == "GET" and hosted_card and checkout.status == CheckoutStatus.PROCESSING:
        # reloaded while the bank waits for the buyer (3-D Secure): show its window again, not "being processed"
        request.next_action = _awaiting_buyer(provider, checkout)
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
            card_form = form_class(request.POST)
        if by_balance_only or card_form.is_valid():
            answer = _checkout_outcome(
                request,
                checkout,
                lambda: services.checkout_pay(
                    checkout=checkout,
                    actor=request.user,
                    payment_method=None if by_balance_only else card_form.cleaned_data["payment_method"],
                    use_balance=by_balance_only or card_form.cleaned_data["split_payment"],
                ),
            )
            if answer is not None:
                return answer
            if request.card_error and (by_balance_only or not hosted_card):
                plan = selectors.checkout_plan_summary(checkout)
                if not (plan and plan.problem == request.card_error):  # the page says that itself: once
                    messages.error(request, request.card_error)
                return redirect(checkout.get_absolute_url())
            checkout.refresh_from_db()
    balances = selectors.balances_for(request.user)
    split = services.payment_split(
        total_cents=checkout.total_cents,
        balance_cents=balances.buyer_balance_cents,
        min_card_cents=provider.min_charge_cents,
    )
    quote = fee_quote(checkout.amount_cents, service_fee=checkout.service_fee_cents > 0)
    response = render(
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
            "plan": selectors.checkout_plan_summary(checkout),
            "fee_rule": service_fee_rule(),
            "test_cards": [(format_card_number(number), outcome) for number, outcome in TEST_CARDS],
            "hosted_card": hosted_card,
            "card_error": request.card_error,
            "next_action": request.next_action,
            "stripe": {
                "js_url": settings.STRIPE_JS_URL,
                "publishable_key": settings.STRIPE_PUBLISHABLE_KEY,
                "currency": settings.STRIPE_CURRENCY,
            },
        },
        status=400 if request.card_error else 200,
    )
    return _stripe_page_policy(response) if hosted_card else response


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
    form = WithdrawForm(user=request.user)
    if request.method == "POST":
        form = WithdrawForm(request.POST, user=request.user)
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
                elif payout.status == PayoutStatus.PROCESSING and payout.provider_reference:
                    messages.success(
                        request,
                        f"Your withdrawal of {amount} is on its way to your bank account: Stripe pays it out, "
                        "usually within a few business days. This page shows when it has arrived.",
                    )
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
    payout_setup = _payout_setup(request.user)
    response = render(
        request,
        "payments/earnings.html",
        {
            "overview": overview,
            "form": form,
            "clearance_days": settings.PAYMENTS_CLEARANCE_DAYS,
            "clearance_days_top_rated": settings.PAYMENTS_CLEARANCE_DAYS_TOP_RATED,
            "commission_rule": commission_rule(),
            "min_payout_cents": settings.PAYMENTS_MIN_PAYOUT_CENTS,
            "payout_setup": payout_setup,
        },
    )
    if payout_setup is not None:
        # "Set up payouts" is answered with a redirect to the provider's onboarding: form-action must allow it
        # (and the API's own origin: a Stripe-compatible API elsewhere, such as the tests' fake, serves it there)
        response._csp_update = {
            "form-action": [*settings.STRIPE_CSP_EXTRA["form-action"], _origin(settings.STRIPE_API_BASE)]
        }
    return response


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


def _payout_setup(user):
    """What the earnings page says of the seller's payout account (None when the provider needs none)."""
    if not get_provider().connected_accounts:
        return None
    account = PayoutAccount.objects.filter(seller=user).first()
    return {
        "account": account,
        "needs": connect.requirements_in_words(account.requirements_due) if account else [],
        "refusal": connect.payout_account_refusal(user),
        "form": PayoutAccountForm(user=user),
    }


@login_required
@require_http_methods(["POST"])
def payout_account_setup(request):
    """Set up (or update) the seller's payout account: on to the provider's own onboarding pages."""
    if not get_provider().connected_accounts:
        raise Http404
    form = PayoutAccountForm(request.POST, user=request.user)
    if not form.is_valid():
        for message in form.errors.values():
            messages.error(request, " ".join(message))
        return redirect("payments:earnings")
    try:
        url = connect.payout_account_start(
            seller=request.user,
            refresh_url=request.build_absolute_uri(reverse("payments:payout_account_refresh")),
            return_url=request.build_absolute_uri(reverse("payments:payout_account_return")),
        )
    except PaymentError as error:
        messages.error(request, error.message)
        return redirect("payments:earnings")
    return redirect(url)


@login_required
@require_safe
def payout_account_return(request):
    """Back from the provider's onboarding: ask it what the account can do now."""
    account = PayoutAccount.objects.filter(seller=request.user).first()
    if account is None or not get_provider().connected_accounts:
        return redirect("payments:earnings")
    try:
        account = connect.payout_account_refresh(account_id=account.account_id)
    except PaymentError as error:
        messages.error(request, error.message)
        return redirect("payments:earnings")
    if account.can_receive:
        messages.success(request, "Your payout account is ready: you can withdraw your available earnings.")
    else:
        needs = connect.requirements_in_words(account.requirements_due)
        messages.info(
            request,
            "Your payout account is not ready yet."
            + (f" Stripe still needs {', '.join(needs)}." if needs else " Stripe is checking your details."),
        )
    return redirect("payments:earnings")


@login_required
@require_safe
def payout_account_refresh(request):
    """The provider's setup link expired (or was opened twice): a new one is made only by the button."""
    messages.info(request, "The setup link expired. Press “Continue setup” to carry on where you left off.")
    return redirect("payments:earnings")


@csrf_exempt
@require_http_methods(["POST"])
def stripe_webhook(request):
    """Stripe's events: signed with the endpoint's secret; each stored once and acted on (payments.webhooks)."""
    if get_provider().name != "stripe":
        raise Http404
    if len(request.body) > WEBHOOK_MAX_BYTES:
        return HttpResponse("Too large.", status=413, content_type="text/plain")
    try:
        event = webhooks.event_receive(payload=request.body, signature=request.headers.get("Stripe-Signature", ""))
    except ProviderUnavailable:
        return HttpResponse("Try again later.", status=503, content_type="text/plain")
    except ProviderError as error:
        return HttpResponse(error.message, status=400, content_type="text/plain")
    return HttpResponse(f"OK: {event.outcome}", content_type="text/plain")
