"""Every way money moves: the only functions that write to the ledger.

All services are keyword-only, run in ``transaction.atomic()``, lock what they
change (business row first, then the ledger accounts in id order), refuse
anything that would take a balance below zero or move money twice, and raise
``payments.exceptions.PaymentError`` (or a subclass) with a message a person
can read. Amounts are integer cents.

Escrow is keyed by a plain integer ``milestone_id``: payments never imports the
milestones app.
"""

import logging
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.db.models import Case, F, Q, UUIDField, Value, When
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django_fsm import can_proceed

from accounts.audit import staff_action_record
from accounts.notifications import notification_send
from accounts.permissions import is_staff_member, is_support
from config import clock
from config.money import format_cents
from config.paging import after_row, in_ids

from . import fees
from .checkout import Purpose, get_purpose
from .exceptions import (
    AlreadyProcessed,
    CardDeclined,
    CheckoutAlreadyPaid,
    CheckoutCredited,
    InsufficientFunds,
    InvalidAmount,
    PaymentError,
    PaymentInProgress,
    PaymentNeedsAction,
    ProviderError,
    ProviderUnavailable,
)
from .ledger import (
    accounts_lock,
    accounts_open,
    escrow_account,
    ledger_post,
    ledger_post_many,
    lock_accounts,
    platform_account,
    user_account,
)
from .models import (
    AccountKind,
    Checkout,
    CheckoutStatus,
    Earning,
    EarningStatus,
    LedgerAccount,
    LedgerTransaction,
    PaymentSource,
    Payout,
    PayoutStatus,
    ProviderTransfer,
    TransactionKind,
)
from .providers import ProviderResult, get_provider
from .selectors import Balances, balances_for, escrow_balance_cents

logger = logging.getLogger(__name__)

__all__ = [
    "Balances",
    "balances_for",
    "checkout_create",
    "checkout_pay",
    "checkouts_close",
    "checkout_settle",
    "checkouts_recover",
    "PaymentSplit",
    "payment_split",
    "refund_destination",
    "earnings_clear",
    "earnings_hold",
    "earnings_staff_hold",
    "escrow_balance_cents",
    "escrow_fund",
    "escrow_refund",
    "escrow_release",
    "escrow_settlement_lock",
    "escrow_split",
    "payout_request",
    "payout_send",
    "payout_settle",
    "payouts_retry",
    "tip_post",
    "tip_send",
]


# --- Checks shared by the services -----------------------------------------
def _cents(value, *, what: str = "amount", allow_zero: bool = False) -> int:
    """Only a real ``int`` is money here: floats, Decimals, strings and booleans are refused."""
    if type(value) is not int:
        raise InvalidAmount(f"The {what} must be a whole number of cents.")
    if value < 0 or (value == 0 and not allow_zero):
        raise InvalidAmount(f"The {what} must be greater than zero.")
    return value


def _milestone(milestone_id) -> int:
    if type(milestone_id) is not int or milestone_id <= 0:
        raise PaymentError("That milestone does not exist.")
    return milestone_id


def _clears_at(*, top_rated: bool):
    days = settings.PAYMENTS_CLEARANCE_DAYS_TOP_RATED if top_rated else settings.PAYMENTS_CLEARANCE_DAYS
    return clock.now() + timedelta(days=days)


def _safe_return_url(url: str) -> bool:
    # Only a path on this site: the buyer is sent there after paying.
    return (
        isinstance(url, str)
        and url.startswith("/")
        and not url.startswith("//")
        and url_has_allowed_host_and_scheme(url, allowed_hosts=None)
    )


# --- Checkout -------------------------------------------------------------
def checkout_create(
    *,
    buyer,
    purpose: str,
    reference_id: int,
    amount_cents: int,
    description: str,
    payee=None,
    return_url: str,
    terms_digest: str = "",
) -> Checkout:
    """Open a checkout, or return the buyer's open one for the same (purpose, reference_id).

    An open checkout with a different amount, payee or ``terms_digest`` (what the purpose says the buyer
    agreed to, e.g. a package's milestone plan) is replaced (marked cancelled) by a new one; paying a
    replaced checkout is refused.
    """
    registered = get_purpose(purpose)
    if registered is None:
        raise PaymentError("This kind of payment is not available.")
    amount = _cents(amount_cents)
    if amount > settings.PAYMENTS_MAX_CHECKOUT_CENTS:
        raise InvalidAmount(f"One payment can be at most {format_cents(settings.PAYMENTS_MAX_CHECKOUT_CENTS)}.")
    if type(reference_id) is not int:
        raise PaymentError("What you are paying for could not be found.")
    if payee is not None and payee.pk == buyer.pk:
        raise PaymentError("You cannot pay yourself.")
    if registered.posting == "tip" and payee is None:
        raise PaymentError("A tip needs a seller to receive it.")
    if not _safe_return_url(return_url):
        raise PaymentError("The page to return to after paying is not on this site.")
    service_fee = fees.buyer_service_fee_cents(amount) if registered.service_fee else 0
    description = " ".join(str(description or "").split())[:200] or purpose.capitalize()
    payee_id = payee.pk if payee is not None else None
    accounts_open(users=[buyer, payee])  # before any money moves (see ledger.accounts_open)

    for _attempt in range(3):
        with transaction.atomic():
            current = (
                Checkout.objects.select_for_update()
                .filter(
                    buyer=buyer,
                    purpose=purpose,
                    reference_id=reference_id,
                    status__in=[CheckoutStatus.OPEN, CheckoutStatus.PROCESSING],
                )
                .first()
            )
            if current is not None:
                if (current.amount_cents, current.service_fee_cents, current.payee_id, current.terms_digest) == (
                    amount,
                    service_fee,
                    payee_id,
                    terms_digest,
                ):
                    if (current.description, current.return_url) != (description, return_url):
                        current.description, current.return_url = description, return_url
                        current.save(update_fields=["description", "return_url"])
                    return current
                # A card payment of it may be under way: its charge then finds it replaced and is credited.
                current.replace(reason="Replaced by a newer checkout with a different amount or terms.")
                current.save(update_fields=["status", "failure_message", "processing_since"])
            try:
                with transaction.atomic():
                    return Checkout.objects.create(
                        buyer=buyer,
                        payee=payee,
                        purpose=purpose,
                        reference_id=reference_id,
                        description=description,
                        amount_cents=amount,
                        service_fee_cents=service_fee,
                        terms_digest=terms_digest,
                        return_url=return_url,
                        created_at=clock.now(),
                    )
            except IntegrityError:
                continue  # a concurrent request opened one first: reuse it on the next pass
    raise PaymentError("The checkout could not be opened. Please try again.")


def checkouts_close(*, purpose: str, reference_id: int, reason: str) -> int:
    """What these checkouts paid for can no longer be bought as they stand (the milestone was cancelled, its
    amount changed): every OPEN one is closed with ``reason``, which its page then shows instead of a pay
    button. A checkout being paid by card right now is left to its charge, which is then credited."""
    return Checkout.objects.filter(purpose=purpose, reference_id=reference_id).close(reason=reason)


def _purpose_of(checkout: Checkout) -> Purpose:
    purpose = get_purpose(checkout.purpose)
    if purpose is None:
        raise PaymentError("This kind of payment is not available any more.")
    return purpose


def _claim_expired(checkout: Checkout, now) -> bool:
    return checkout.claim_expired(now)


def _refuse_if_not_payable(checkout: Checkout, *, source: str) -> None:
    """Raise unless ``checkout`` may be paid now from ``source``; nothing is charged or taken when it raises.

    A checkout being paid by card is "processing": nothing else may pay it until that charge is recorded or
    refused. A card retry may take over a claim older than ``PAYMENTS_CHECKOUT_CLAIM`` (its request died):
    it charges with the same idempotency key, so the provider returns the first charge instead of a second.
    """
    if checkout.status in (CheckoutStatus.PAID, CheckoutStatus.CREDITED):
        raise CheckoutAlreadyPaid(
            "This checkout is already paid. Nothing was taken from your balance."
            if source == PaymentSource.BALANCE
            else None
        )
    if checkout.status == CheckoutStatus.PROCESSING:
        if source == PaymentSource.CARD and _claim_expired(checkout, clock.now()):
            return
        raise PaymentInProgress()
    if checkout.status != CheckoutStatus.OPEN:
        raise PaymentError("This checkout was replaced by a newer one; nothing was charged.")


@dataclass(frozen=True)
class PaymentSplit:
    """How a total is paid when the buyer uses their balance: ``balance_cents`` from it, ``card_cents`` by card."""

    balance_cents: int
    card_cents: int


def payment_split(*, total_cents: int, balance_cents: int, min_card_cents: int = 1) -> PaymentSplit:
    """The balance pays min(balance, total); the card the rest (nothing when the balance covers it).

    ``min_card_cents``: the smallest card charge the provider accepts (Stripe: $0.50). A rest below it is
    raised to it (at most the total), and the balance pays that much less, so that the card can be charged."""
    from_balance = max(0, min(balance_cents, total_cents))
    card = total_cents - from_balance
    if 0 < card < min_card_cents:
        card = min(min_card_cents, total_cents)
    return PaymentSplit(balance_cents=total_cents - card, card_cents=card)


REFUND_DESTINATION = "your balance on the platform"


def refund_destination(*, milestone_id: int | None = None) -> str:
    """Where a refund of a milestone's escrow goes, in the buyer's words ("… was refunded to {destination}").

    The rule (``PAYMENTS_REFUND_TO``, one setting): "balance" (the default) credits every refund of escrow
    (a cancellation, a refusal, a dispute's buyer share, all or part of it) to the buyer's balance on the
    platform, whether the milestone was paid by card, from the balance, or partly from each; the buyer can
    spend it on the next payment. "card" refunds what a card alone paid to that card through the provider
    (a Stripe Refund of the PaymentIntent); what the balance paid still goes back to the balance.
    ``milestone_id`` is accepted so that a per-payment rule needs no change at the callers.
    """
    if settings.PAYMENTS_REFUND_TO == "card":
        return "the card you paid with (what your balance paid goes back to your balance)"
    return REFUND_DESTINATION


def _payer_legs(checkout: Checkout) -> list:
    """Who pays ``checkout``'s total: its ``balance_part_cents`` from the buyer's balance, the rest by card."""
    balance_part = checkout.balance_part_cents
    card_part = checkout.total_cents - balance_part
    legs = []
    if balance_part:
        legs.append((user_account(checkout.buyer, AccountKind.BUYER_BALANCE), -balance_part, "paid from balance"))
    if card_part:
        legs.append((platform_account(AccountKind.PROVIDER_CLEARING), -card_part, "card payment"))
    return legs


def escrow_fund(*, checkout: Checkout, source: str, milestone_id: int | None = None) -> LedgerTransaction:
    """Post a paid checkout into escrow: the amount to the escrow of milestone ``reference_id`` (or
    ``milestone_id``, the one its purpose's ``prepare`` made), the buyer service fee to platform revenue.
    Once per milestone.

    Called by ``checkout_pay`` inside its atomic block (other apps fund a
    milestone with ``checkout_create`` + the checkout page, never directly).
    """
    milestone_id = _milestone(checkout.reference_id if milestone_id is None else milestone_id)
    payer_legs = _payer_legs(checkout)
    escrow = escrow_account(milestone_id)
    revenue = platform_account(AccountKind.PLATFORM_REVENUE)
    lock_accounts([*(account for account, _amount, _memo in payer_legs), escrow, revenue])
    if LedgerTransaction.objects.filter(kind=TransactionKind.FUND, milestone_id=milestone_id).exists():
        raise AlreadyProcessed(f"Milestone #{milestone_id} is already paid for; it cannot be funded twice.")
    try:
        return ledger_post(
            kind=TransactionKind.FUND,
            idempotency_key=checkout.charge_idempotency_key,
            legs=[
                *payer_legs,
                (escrow, checkout.amount_cents, "held in escrow"),
                (revenue, checkout.service_fee_cents, "buyer service fee"),
            ],
            description=checkout.description,
            user=checkout.buyer,
            milestone_id=milestone_id,
            checkout=checkout,
        )
    except InsufficientFunds as exc:
        raise InsufficientFunds(_balance_short_message(checkout)) from exc


def tip_post(*, checkout: Checkout, source: str) -> LedgerTransaction:
    """Post a paid tip: the amount minus the seller commission to the payee's pending earnings."""
    seller = checkout.payee
    assert seller is not None  # a tip checkout names its payee (checkout_create)
    payer_legs = _payer_legs(checkout)
    pending = user_account(seller, AccountKind.SELLER_PENDING)
    revenue = platform_account(AccountKind.PLATFORM_REVENUE)
    lock_accounts([*(account for account, _amount, _memo in payer_legs), pending, revenue])
    commission = fees.seller_commission_cents(checkout.amount_cents)
    net = checkout.amount_cents - commission
    try:
        posted = ledger_post(
            kind=TransactionKind.TIP,
            idempotency_key=checkout.charge_idempotency_key,
            legs=[
                *payer_legs,
                (pending, net, "tip (pending clearance)"),
                (revenue, commission, "seller commission"),
                (revenue, checkout.service_fee_cents, "buyer service fee"),
            ],
            description=checkout.description,
            user=checkout.buyer,
            checkout=checkout,
        )
    except InsufficientFunds as exc:
        raise InsufficientFunds(_balance_short_message(checkout)) from exc
    Earning.objects.create(
        seller=seller,
        checkout=checkout,
        description=f"Tip from {checkout.buyer.public_name}",
        gross_cents=checkout.amount_cents,
        commission_cents=commission,
        amount_cents=net,
        clears_at=_clears_at(top_rated=False),
        released_transaction=posted,
        created_at=clock.now(),
    )
    return posted


_POSTINGS = {"escrow": escrow_fund, "tip": tip_post}


def _balance_short_message(checkout: Checkout) -> str:
    balance = balances_for(checkout.buyer).buyer_balance_cents
    if checkout.balance_part_cents < checkout.total_cents:
        return (
            f"Your balance ({format_cents(balance)}) no longer covers its part "
            f"({format_cents(checkout.balance_part_cents)}) of the total; it was spent meanwhile."
        )
    return f"Your balance ({format_cents(balance)}) does not cover the total of {format_cents(checkout.total_cents)}."


def _record_payment(checkout: Checkout, purpose: Purpose, *, source: str, result: ProviderResult | None) -> None:
    """Inside the caller's atomic block: mark paid, post the ledger transaction, run the purpose's handler.

    A card charge (``result``) for less than the total pays the rest from the balance: both parts are legs of
    the one posting, so either both move or neither (a balance spent meanwhile refuses the posting, and the
    caller credits the charge instead).
    """
    if result is None:
        balance_part = checkout.total_cents
    else:
        if not 0 < result.amount_cents <= checkout.total_cents:
            raise PaymentError("The card was charged an amount that does not match this checkout.")
        balance_part = checkout.total_cents - result.amount_cents
        source = PaymentSource.CARD if balance_part == 0 else PaymentSource.BALANCE_AND_CARD
    checkout.pay(source=source, balance_part_cents=balance_part)
    if result is not None:
        checkout.provider_reference = result.reference
        checkout.card_last4 = result.card_last4
        checkout.charge_unknown_since = None  # this is the charge the provider had not told us about
    checkout.save(
        update_fields=[
            "status",
            "paid_with",
            "balance_part_cents",
            "paid_at",
            "provider_reference",
            "card_last4",
            "processing_since",
            "charge_unknown_since",
        ]
    )
    if purpose.prepare is None:
        _POSTINGS[purpose.posting](checkout=checkout, source=source)
        purpose.on_paid(checkout)
    else:  # what is bought is made now that it is paid (a package order), then funded
        made = purpose.prepare(checkout)
        checkout.return_url = made.return_url  # the buyer goes on to what was made (its page exists now)
        checkout.save(update_fields=["return_url"])
        escrow_fund(checkout=checkout, source=source, milestone_id=made.milestone_id)
        purpose.on_paid(checkout, milestone_id=made.milestone_id)


def _credit_charge(checkout: Checkout, result: ProviderResult, reason: str, *, mark_credited: bool) -> bool:
    """A card charge that cannot pay for ``checkout``: the charged amount becomes the buyer's balance.

    ``mark_credited``: the checkout itself ends "credited" (the purchase could not complete). Otherwise the
    checkout was already paid by other means and keeps its status; the charge is credited beside it. Once per
    provider charge (its reference is in the key); returns False when this charge was already credited.
    """
    with transaction.atomic():
        locked = Checkout.objects.select_for_update(of=("self",)).select_related("buyer").get(pk=checkout.pk)
        key = f"{locked.charge_idempotency_key}:credit:{result.reference}"
        if LedgerTransaction.objects.filter(idempotency_key=key).exists():
            return False
        ledger_post(
            kind=TransactionKind.CREDIT,
            idempotency_key=key,
            legs=[
                (platform_account(AccountKind.PROVIDER_CLEARING), -result.amount_cents, "card payment"),
                (user_account(locked.buyer, AccountKind.BUYER_BALANCE), result.amount_cents, "credited to balance"),
            ],
            description=f"{locked.description} (could not be completed)",
            user=locked.buyer,
            checkout=locked,
        )
        fields = ["charge_unknown_since", "processing_since"]
        locked.charge_unknown_since = locked.processing_since = None
        # (a checkout paid meanwhile keeps its status: the charge is credited beside it)
        if mark_credited and can_proceed(locked.credit):
            locked.credit(reason=reason)
            locked.provider_reference = result.reference
            locked.card_last4 = result.card_last4
            fields += ["status", "paid_with", "paid_at", "provider_reference", "card_last4", "failure_message"]
        locked.save(update_fields=fields)
    return True


def _charged_message(reason: str, result: ProviderResult) -> str:
    return (
        f"{reason} Your card was charged {format_cents(result.amount_cents)}, so that amount was added to your "
        "balance; you can use it for another payment."
    )


def _checkout_claim(checkout: Checkout, *, balance_part_cents: int = 0) -> None:
    """Mark the checkout "processing" (committed) before the card is charged: nothing else can pay it now.

    ``balance_part_cents``: what the balance is to pay besides the card; refused now (nothing charged) if the
    balance no longer holds it. The balance is not held during the charge: if another payment spends it
    meanwhile, the posting refuses and the card charge is credited to the balance (``_checkout_record_charge``).
    """
    with transaction.atomic():
        locked = Checkout.objects.select_for_update(of=("self",)).select_related("buyer").get(pk=checkout.pk)
        _refuse_if_not_payable(locked, source=PaymentSource.CARD)
        if balance_part_cents:
            balance = balances_for(locked.buyer).buyer_balance_cents
            if balance < balance_part_cents:
                raise InsufficientFunds(
                    f"Your balance is now {format_cents(balance)}, less than the {format_cents(balance_part_cents)} "
                    "it was to pay. Nothing was charged; check the amounts and pay again."
                )
        locked.claim()
        locked.save(update_fields=["status", "processing_since"])


def _checkout_unclaim(checkout: Checkout, *, outcome_unknown: bool) -> None:
    """The charge did not go through (or its outcome is unknown): the checkout is open again.

    An unknown outcome is remembered (``charge_unknown_since``): the recovery sweep asks the provider
    whether the charge happened and, if it did, records it or credits it. A card retry carries the same
    idempotency key, so it can never charge twice.
    """
    with transaction.atomic():
        locked = Checkout.objects.select_for_update(of=("self",)).get(pk=checkout.pk)
        fields = []
        if outcome_unknown and locked.charge_unknown_since is None:
            locked.charge_unknown_since = clock.now()
            fields.append("charge_unknown_since")
        if locked.status == CheckoutStatus.PROCESSING:
            locked.release_claim()
            fields += ["status", "processing_since"]
        if fields:
            locked.save(update_fields=fields)


def _checkout_record_charge(checkout: Checkout, purpose: Purpose, result: ProviderResult) -> Checkout:
    """The card was charged: record it as the checkout's payment, or, if that cannot be, credit it.

    Whatever happens, the charged money ends in the ledger exactly once: as the payment, or as a credit to
    the buyer's balance (``CheckoutCredited`` says so). ``CheckoutAlreadyPaid`` only when this very charge
    was already recorded (a retry with the same key got the same charge back).
    """
    outcome = "paid"
    try:
        with transaction.atomic():
            locked = (
                Checkout.objects.select_for_update(of=("self",)).select_related("buyer", "payee").get(pk=checkout.pk)
            )
            if locked.provider_reference == result.reference and locked.status == CheckoutStatus.PAID:
                outcome = "recorded"
            elif locked.provider_reference == result.reference and locked.status == CheckoutStatus.CREDITED:
                outcome = "credited"
            elif locked.status in (CheckoutStatus.OPEN, CheckoutStatus.PROCESSING):
                _record_payment(locked, purpose, source=PaymentSource.CARD, result=result)
            elif locked.status == CheckoutStatus.CANCELLED:
                outcome = "replaced"
            else:
                outcome = "paid_otherwise"
    except Exception as exc:
        logger.warning(
            "checkout %s: charged but could not complete: %s",
            checkout.uuid,
            exc,
            exc_info=not isinstance(exc, PaymentError),
        )
        reason = exc.message if isinstance(exc, PaymentError) else "The purchase could not be completed."
        message = _charged_message(reason, result)
        _credit_charge(checkout, result, message, mark_credited=True)
        raise CheckoutCredited(message) from exc
    if outcome == "recorded":
        raise CheckoutAlreadyPaid(
            f"This checkout was already paid with this card ({format_cents(result.amount_cents)}, charged once). "
            "You were not charged a second time."
        )
    if outcome == "credited":
        raise CheckoutCredited(locked.failure_message or None)
    if outcome == "replaced":
        message = _charged_message("This checkout was replaced while you were paying.", result)
        _credit_charge(checkout, result, message, mark_credited=True)
        raise CheckoutCredited(message)
    if outcome == "paid_otherwise":
        message = _charged_message("This checkout had already been paid by other means.", result)
        _credit_charge(checkout, result, message, mark_credited=False)
        raise CheckoutCredited(message)
    return locked


def checkout_pay(
    *, checkout: Checkout, actor, payment_method: str | None = None, use_balance: bool = False
) -> Checkout:
    """Pay an open checkout by card (``payment_method``), from the buyer's balance, or both: one path for all.

    ``use_balance``: the balance pays min(balance, total); if that is less than the total, the card
    (``payment_method``, required then) is charged the rest, and both parts are posted in one ledger
    transaction once the charge succeeded.

    1. Refuse if it is not the buyer's, is not open, or the purpose's
       ``validate`` refuses (nothing is charged).
    2. Balance: in ONE ``transaction.atomic()`` with the checkout locked: re-check it is open, mark paid,
       post the ledger transaction, call the purpose's ``on_paid``.
    3. Card: first *claim* the checkout (status "processing", committed), so that neither a balance
       payment nor another card submit can pay it meanwhile; then charge the total through the provider
       with the checkout's idempotency key; then record the payment as in 2. A charge that cannot be
       recorded (the purchase failed, the checkout was replaced or paid by other means) is credited to the
       buyer's balance and ``CheckoutCredited`` says so: money is never taken without being accounted for.

    Raises ``CheckoutAlreadyPaid`` when the checkout was already paid (nothing more was taken),
    ``PaymentInProgress`` while another card payment of it is under way, ``CardDeclined`` /
    ``ProviderUnavailable`` when the charge did not go through.
    """
    checkout = Checkout.objects.select_related("buyer", "payee").get(pk=checkout.pk)
    if actor is None or actor.pk != checkout.buyer_id:
        raise PaymentError("Only the buyer can pay this checkout.")
    card_cents = checkout.total_cents
    if use_balance:
        split = payment_split(
            total_cents=checkout.total_cents,
            balance_cents=balances_for(checkout.buyer).buyer_balance_cents,
            min_card_cents=get_provider().min_charge_cents,
        )
        card_cents = split.card_cents
    balance_only = use_balance and (card_cents == 0 or not payment_method)
    _refuse_if_not_payable(checkout, source=PaymentSource.BALANCE if balance_only else PaymentSource.CARD)
    if use_balance and card_cents and not payment_method:
        raise InsufficientFunds(
            f"Your balance ({format_cents(split.balance_cents)}) does not cover the total of "
            f"{format_cents(checkout.total_cents)}: enter your card details to pay the remaining "
            f"{format_cents(split.card_cents)} by card."
        )
    source = PaymentSource.BALANCE if card_cents == 0 else PaymentSource.CARD
    purpose = _purpose_of(checkout)
    purpose.validate(checkout)

    if card_cents == 0:
        try:
            with transaction.atomic():
                locked = (
                    Checkout.objects.select_for_update(of=("self",))
                    .select_related("buyer", "payee")
                    .get(pk=checkout.pk)
                )
                _refuse_if_not_payable(locked, source=source)
                _record_payment(locked, purpose, source=source, result=None)
        except PaymentError:
            raise
        except Exception as exc:
            logger.exception("checkout %s: paying from balance failed", checkout.uuid)
            raise PaymentError("The payment could not be completed; nothing was taken from your balance.") from exc
        return locked

    if not payment_method:
        raise PaymentError("Enter your card details to pay.")
    _checkout_claim(checkout, balance_part_cents=checkout.total_cents - card_cents)
    provider = get_provider()
    try:
        intent = _checkout_intent(checkout, provider, amount_cents=card_cents)
        result = provider.charge(
            amount_cents=card_cents,
            payment_method=payment_method,
            idempotency_key=checkout.charge_idempotency_key,
            description=checkout.description,
            intent=intent,
        )
    except PaymentNeedsAction:
        # The bank asks the buyer to confirm (3-D Secure) in the browser: the checkout stays claimed while they
        # do; the return from the bank (``checkout_settle``), the webhook or the recovery sweep settles it.
        raise
    except (CardDeclined, ProviderError):
        _checkout_unclaim(checkout, outcome_unknown=False)  # a definite refusal: nothing was charged
        raise
    except BaseException:
        _checkout_unclaim(checkout, outcome_unknown=True)  # unknown (timeout, lost answer, a crash in between)
        raise
    # The card is charged from here on: whatever happens, the money is recorded.
    return _checkout_record_charge(checkout, purpose, result)


def _checkout_intent(checkout: Checkout, provider, *, amount_cents: int) -> str:
    """The provider's one intent for this checkout's card charge (made on first use), saved on the checkout
    before any card is confirmed, so that the sweep, the 3-D Secure return and webhooks can find it."""
    intent = provider.prepare_charge(
        amount_cents=amount_cents,
        idempotency_key=checkout.charge_idempotency_key,
        description=checkout.description,
        transfer_group=checkout.transfer_group,
        intent=checkout.provider_intent,
    )
    if intent and intent != checkout.provider_intent:
        Checkout.objects.filter(pk=checkout.pk).update(provider_intent=intent)
        checkout.provider_intent = intent
    return intent


def checkout_settle(*, checkout: Checkout) -> Checkout:
    """Learn what became of the checkout's card intent and act on it: after the buyer's bank confirmation
    (3-D Secure) in the browser, and for the provider's ``payment_intent.*`` webhooks. Safe to repeat.

    Charged: recorded as the payment (or credited, as for any charge that cannot pay). Refused or given up:
    the checkout is open again and ``CardDeclined`` says what the provider said. Still waiting for the buyer
    or the bank: nothing changes (``PaymentNeedsAction`` / the checkout is returned as it is).
    """
    checkout = Checkout.objects.select_related("buyer", "payee").get(pk=checkout.pk)
    if not checkout.provider_intent:
        return checkout
    provider = get_provider()
    result = provider.find_charge(idempotency_key=checkout.charge_idempotency_key, intent=checkout.provider_intent)
    if result is not None:
        purpose = get_purpose(checkout.purpose)
        if purpose is None:
            _credit_charge(
                checkout,
                result,
                _charged_message("This kind of payment is not available any more.", result),
                mark_credited=True,
            )
            raise CheckoutCredited()
        return _checkout_record_charge(checkout, purpose, result)
    status = provider.charge_status(intent=checkout.provider_intent)
    if status.status == "requires_action":
        raise PaymentNeedsAction(reference=checkout.provider_intent, client_secret=status.client_secret)
    if checkout.status == CheckoutStatus.PROCESSING:
        _checkout_unclaim(checkout, outcome_unknown=False)
        raise CardDeclined(status.message or "Your bank did not confirm the payment, so nothing was charged.")
    return checkout


def checkouts_recover(*, now=None, limit: int = 200) -> int:
    """Settle card payments whose outcome was never learnt; returns how many were settled.

    Two kinds of rows, both older than ``PAYMENTS_CHECKOUT_CLAIM``: a checkout still "processing" (the
    request that claimed it died between the claim and the record), and one whose charge the provider did
    not answer. The provider is asked for the charge made with the checkout's key: none means nothing was
    charged (the checkout is open again); one is recorded as the payment, or credited to the buyer's
    balance if it can no longer pay for the checkout. A provider that cannot tell is asked again next sweep.
    Running it twice changes nothing.
    """
    now = now or clock.now()
    cutoff = now - settings.PAYMENTS_CHECKOUT_CLAIM
    rows = Checkout.objects.filter(
        Q(status=CheckoutStatus.PROCESSING, processing_since__lte=cutoff) | Q(charge_unknown_since__lte=cutoff)
    ).order_by("pk")[:limit]
    settled = 0
    provider = get_provider()
    for checkout in rows:
        try:
            result = provider.find_charge(
                idempotency_key=checkout.charge_idempotency_key, intent=checkout.provider_intent
            )
        except ProviderUnavailable:
            logger.warning("checkout %s: the provider could not say whether it was charged", checkout.uuid)
            continue
        if result is None:
            with transaction.atomic():
                locked = Checkout.objects.select_for_update(of=("self",)).get(pk=checkout.pk)
                if locked.status == CheckoutStatus.PROCESSING and not _claim_expired(locked, now):
                    continue  # a card payment claimed it again meanwhile
                if locked.status == CheckoutStatus.PROCESSING:
                    locked.release_claim()
                locked.processing_since = locked.charge_unknown_since = None
                locked.save(update_fields=["status", "processing_since", "charge_unknown_since"])
            settled += 1
            continue
        purpose = get_purpose(checkout.purpose)
        try:
            if purpose is None:
                reason = "This kind of payment is not available any more."
                _credit_charge(checkout, result, _charged_message(reason, result), mark_credited=True)
            else:
                _checkout_record_charge(checkout, purpose, result)
        except CheckoutAlreadyPaid:  # this charge was recorded already: only the question is closed
            Checkout.objects.filter(pk=checkout.pk).update(charge_unknown_since=None)
        except CheckoutCredited as exc:
            logger.warning("checkout %s: a recovered charge could not be the payment: %s", checkout.uuid, exc)
        settled += 1
    return settled


def escrow_settlement_lock(*, release_milestone_id: int, refund_milestone_ids, buyer, seller) -> None:
    """Before releasing one milestone and refunding others to the buyer's balance in ONE transaction, lock
    every account those postings touch, in id order (see ``ledger.accounts_lock``)."""
    accounts_lock(
        milestone_ids=[release_milestone_id, *refund_milestone_ids],
        users=[(buyer, AccountKind.BUYER_BALANCE), (seller, AccountKind.SELLER_PENDING)],
        platform=[AccountKind.PLATFORM_REVENUE],
    )


# --- Tips ------------------------------------------------------------------
def tip_send(
    *, buyer, seller, amount_cents: int, return_url: str, reference_id: int | None = None, note: str = ""
) -> Checkout:
    """Open (or reuse) a checkout for a tip to ``seller``; the buyer pays it on the checkout page.

    ``reference_id`` is what the tip is for (e.g. an order id); by default the
    seller's id, so one open tip per buyer and seller.
    """
    if seller is None or not seller.is_active:
        raise PaymentError("This seller cannot receive tips.")
    _refuse_staff_payee(seller)
    if amount_cents < settings.TIPS_MIN_CENTS:
        raise PaymentError(f"A tip is at least {format_cents(settings.TIPS_MIN_CENTS)}.")
    description = f"Tip for {seller.public_name}" + (f": {note}" if note else "")
    return checkout_create(
        buyer=buyer,
        purpose="tip",
        reference_id=seller.pk if reference_id is None else reference_id,
        amount_cents=amount_cents,
        description=description,
        payee=seller,
        return_url=return_url,
    )


def _refuse_staff_payee(payee) -> None:
    # Support staff decide disputes: nobody may pay them (a tip could be a bribe).
    if is_staff_member(payee):
        raise PaymentError("Support staff and administrators cannot receive tips; nothing was charged.")


def tip_validate(checkout: Checkout) -> None:
    payee = checkout.payee
    if payee is None or not payee.is_active:
        raise PaymentError("This seller cannot receive tips any more; nothing was charged.")
    _refuse_staff_payee(payee)
    if payee.pk == checkout.buyer_id:
        raise PaymentError("You cannot tip yourself.")


def tip_on_paid(checkout: Checkout) -> None:
    """The ledger posting (``tip_post``) is the money; the seller is told."""
    notification_send(
        user=checkout.payee,
        text=f"{checkout.buyer.public_name} sent you a tip of {format_cents(checkout.amount_cents)}. "
        "It is in your pending earnings.",
        url=reverse("payments:earnings"),
    )


# --- Escrow ----------------------------------------------------------------
def _funding(milestone_id: int) -> LedgerTransaction | None:
    return (
        LedgerTransaction.objects.select_related("checkout")
        .filter(kind=TransactionKind.FUND, milestone_id=milestone_id)
        .first()
    )


def _existing_escrow(milestone_id: int) -> LedgerAccount:
    escrow = LedgerAccount.objects.filter(kind=AccountKind.ESCROW, milestone_id=milestone_id).first()
    if escrow is None:
        raise PaymentError(f"Nothing is held in escrow for milestone #{milestone_id}.")
    return escrow


def _release_accounts(milestone_id: int, seller):
    """The escrow, the seller's pending account and platform revenue, locked in ONE query (in id order).

    Every approval runs this, so the usual case (all three exist) costs one
    statement; a missing seller or platform account is created, then all
    three are locked the usual way.
    """
    wanted = (
        Q(kind=AccountKind.ESCROW, milestone_id=milestone_id)
        | Q(kind=AccountKind.SELLER_PENDING, user=seller, milestone_id=None)
        | Q(kind=AccountKind.PLATFORM_REVENUE, user=None, milestone_id=None)
    )
    locked = {a.pk: a for a in LedgerAccount.objects.select_for_update().filter(wanted).order_by("pk")}
    by_kind = {a.kind: a for a in locked.values()}
    if AccountKind.ESCROW not in by_kind:
        raise PaymentError(f"Nothing is held in escrow for milestone #{milestone_id}.")
    if len(by_kind) < 3:
        accounts = [
            by_kind[AccountKind.ESCROW],
            user_account(seller, AccountKind.SELLER_PENDING),
            platform_account(AccountKind.PLATFORM_REVENUE),
        ]
        locked = lock_accounts(accounts)
        by_kind = {a.kind: a for a in locked.values()}
    return (
        by_kind[AccountKind.ESCROW],
        by_kind[AccountKind.SELLER_PENDING],
        by_kind[AccountKind.PLATFORM_REVENUE],
        locked,
    )


def _check_funder(milestone_id: int, buyer) -> LedgerTransaction | None:
    funding = _funding(milestone_id)
    if funding is not None and funding.user_id != buyer.pk:
        raise PaymentError(f"Milestone #{milestone_id} was paid by another account; only its buyer can get it back.")
    return funding


def _nothing_held(milestone_id: int) -> PaymentError:
    return PaymentError(
        f"Nothing is held in escrow for milestone #{milestone_id}: it was already released or refunded."
    )


def escrow_release(
    *, milestone_id: int, seller, top_rated: bool = False, description: str | None = None, savepoint: bool = True
) -> LedgerTransaction:
    """Escrow → seller pending (minus commission) and commission → revenue, once per milestone.

    Creates the pending earning that clears after 14 days (7 for top-rated
    sellers). Calling it again returns the first release. ``description`` is
    what the seller's earnings page shows (default "Milestone #<id>").
    ``savepoint=False`` is for a caller whose own transaction is rolled back
    whole on any error (a milestone approval): it saves two statements.
    """
    milestone_id = _milestone(milestone_id)
    key = f"escrow_release:{milestone_id}"
    with transaction.atomic(savepoint=savepoint):
        escrow, pending, revenue, locked = _release_accounts(milestone_id, seller)
        released = LedgerTransaction.objects.filter(idempotency_key=key).first()
        if released is not None:
            if released.user_id != seller.pk:
                raise AlreadyProcessed(f"Milestone #{milestone_id} was already released to another seller.")
            return released
        held = locked[escrow.pk].balance_cents
        if held <= 0:
            raise _nothing_held(milestone_id)
        commission = fees.seller_commission_cents(held)
        posted = ledger_post(
            kind=TransactionKind.RELEASE,
            idempotency_key=key,
            legs=[
                (escrow, -held, "released from escrow"),
                (pending, held - commission, "earning (pending clearance)"),
                (revenue, commission, "seller commission"),
            ],
            description=f"{description or f'Milestone #{milestone_id}'} approved",
            user=seller,
            milestone_id=milestone_id,
            locked=locked,
        )
        Earning.objects.create(
            seller=seller,
            milestone_id=milestone_id,
            description=(description or f"Milestone #{milestone_id}")[:200],
            gross_cents=held,
            commission_cents=commission,
            amount_cents=held - commission,
            clears_at=_clears_at(top_rated=top_rated),
            released_transaction=posted,
            created_at=clock.now(),
        )
    return posted


def _card_only_funding(funding: LedgerTransaction | None) -> Checkout | None:
    """The checkout that funded a milestone by card alone (a refund can go back to that card), else None."""
    if funding is not None and funding.checkout is not None:
        if funding.checkout.paid_with == PaymentSource.CARD and funding.checkout.provider_reference:
            return funding.checkout
    return None


def escrow_refund(
    *,
    milestone_id: int,
    buyer,
    amount_cents: int | None = None,
    destination: str = "balance",
    idempotency_key: str | None = None,
) -> LedgerTransaction:
    """Escrow → the buyer: all that is held (``amount_cents=None``) or part of it.

    ``destination="balance"`` credits the buyer's balance (it can pay later
    milestones); ``"card"`` refunds the card that funded the milestone through
    the provider (if it was funded from the balance, the refund goes back to
    the balance). The service fee is not refunded. Pass ``idempotency_key`` to
    make a partial refund safe to retry; without it, a full refund cannot run
    twice (the escrow is empty the second time).
    """
    milestone_id = _milestone(milestone_id)
    if destination not in ("balance", "card"):
        raise PaymentError("A refund goes to the buyer's balance or back to the card.")
    with transaction.atomic():
        escrow = _existing_escrow(milestone_id)
        funding = _check_funder(milestone_id, buyer)
        card_checkout = _card_only_funding(funding) if destination == "card" else None
        target = (
            platform_account(AccountKind.PROVIDER_CLEARING)
            if card_checkout is not None
            else user_account(buyer, AccountKind.BUYER_BALANCE)
        )
        locked = lock_accounts([escrow, target])
        refunds_so_far = LedgerTransaction.objects.filter(kind=TransactionKind.REFUND, milestone_id=milestone_id)
        key = (
            f"escrow_refund:{milestone_id}:key:{idempotency_key}"
            if idempotency_key
            else f"escrow_refund:{milestone_id}:{refunds_so_far.count() + 1}"
        )
        done = LedgerTransaction.objects.filter(idempotency_key=key).first()
        if done is not None:
            return done
        held = locked[escrow.pk].balance_cents
        if held <= 0:
            raise _nothing_held(milestone_id)
        amount = held if amount_cents is None else _cents(amount_cents, what="refund amount")
        if amount > held:
            raise InsufficientFunds(f"At most {format_cents(held)} can be refunded: that is what escrow holds.")
        if card_checkout is not None:
            get_provider().refund(
                charge_reference=card_checkout.provider_reference, amount_cents=amount, idempotency_key=key
            )
        return ledger_post(
            kind=TransactionKind.REFUND,
            idempotency_key=key,
            legs=[
                (escrow, -amount, "refunded from escrow"),
                (target, amount, "refund to card" if card_checkout is not None else "refund to balance"),
            ],
            description=f"Milestone #{milestone_id} refunded"
            + (f" to the card ending {card_checkout.card_last4}" if card_checkout else " to the balance"),
            user=buyer,
            milestone_id=milestone_id,
            checkout=card_checkout,
        )


def escrow_split(
    *,
    milestone_id: int,
    seller,
    buyer,
    seller_amount_cents: int,
    top_rated: bool = False,
    description: str | None = None,
    buyer_destination: str = "balance",
) -> LedgerTransaction:
    """Settle a dispute: ``seller_amount_cents`` of the escrow to the seller (minus commission,
    pending clearance, and with a provider that holds sellers' accounts, transferred there when it clears),
    the rest back to the buyer: to the balance, or with ``buyer_destination="card"`` as a partial refund of the
    card that alone funded the milestone (through the provider, with this split's key). Once per milestone.
    """
    milestone_id = _milestone(milestone_id)
    seller_share = _cents(seller_amount_cents, what="seller's share", allow_zero=True)
    key = f"escrow_split:{milestone_id}"
    with transaction.atomic():
        escrow = _existing_escrow(milestone_id)
        funding = _check_funder(milestone_id, buyer)
        card_checkout = _card_only_funding(funding) if buyer_destination == "card" else None
        pending = user_account(seller, AccountKind.SELLER_PENDING)
        revenue = platform_account(AccountKind.PLATFORM_REVENUE)
        buyer_balance = (
            platform_account(AccountKind.PROVIDER_CLEARING)
            if card_checkout is not None
            else user_account(buyer, AccountKind.BUYER_BALANCE)
        )
        locked = lock_accounts([escrow, pending, revenue, buyer_balance])
        done = LedgerTransaction.objects.filter(idempotency_key=key).first()
        if done is not None:
            return done
        held = locked[escrow.pk].balance_cents
        if held <= 0:
            raise _nothing_held(milestone_id)
        if seller_share > held:
            raise InvalidAmount(
                f"The seller's share must be between {format_cents(0)} and {format_cents(held)} (what escrow holds)."
            )
        commission = fees.seller_commission_cents(seller_share)
        if card_checkout is not None and held - seller_share > 0:
            get_provider().refund(
                charge_reference=card_checkout.provider_reference,
                amount_cents=held - seller_share,
                idempotency_key=key,
            )
        posted = ledger_post(
            kind=TransactionKind.SPLIT,
            idempotency_key=key,
            legs=[
                (escrow, -held, "settled from escrow"),
                (pending, seller_share - commission, "seller's share (pending clearance)"),
                (revenue, commission, "seller commission"),
                (
                    buyer_balance,
                    held - seller_share,
                    "buyer's share refunded to the card" if card_checkout is not None else "buyer's share to balance",
                ),
            ],
            description=f"Milestone #{milestone_id} dispute settled",
            user=seller,
            milestone_id=milestone_id,
            checkout=card_checkout,
        )
        if seller_share - commission > 0:
            Earning.objects.create(
                seller=seller,
                milestone_id=milestone_id,
                description=f"{description or f'Milestone #{milestone_id}'} (dispute settlement)"[:200],
                gross_cents=seller_share,
                commission_cents=commission,
                amount_cents=seller_share - commission,
                clears_at=_clears_at(top_rated=top_rated),
                released_transaction=posted,
                created_at=clock.now(),
            )
    return posted


# --- Clearance -------------------------------------------------------------
def earnings_clear(*, now=None, batch_size: int = 1000) -> int:
    """Move every due, not-on-hold pending earning to available; returns how many cleared.

    Works in batches of ``batch_size`` earnings (one database transaction
    each; rows another sweep holds are skipped on PostgreSQL), walked in
    (seller, id) order on a partial index of pending earnings. Each seller's
    earnings in a batch clear in ONE ledger transaction (pending to available,
    for their sum), which every one of those earnings points at
    (``cleared_transaction``). Running it twice clears nothing the second time.

    A batch is posted with ``ledger_post_many`` (a fixed number of queries per
    batch and no model instances for the rows it reads); if that refuses the
    batch, its earnings are cleared one by one so that one bad row cannot stop
    the others.
    """
    now = now or clock.now()
    cleared = 0
    after = (0, 0)  # (seller_id, pk) of the last earning seen
    while True:
        with transaction.atomic():
            batch = list(
                Earning.objects.select_for_update(skip_locked=True)
                .filter(status=EarningStatus.PENDING, on_hold=False, clears_at__lte=now)
                .filter(after_row(("seller_id", "pk"), after))
                .order_by("seller_id", "pk")
                .values_list("pk", "seller_id", "amount_cents", "description", "milestone_id")[:batch_size]
            )
            if not batch:
                break
            after = (batch[-1][1], batch[-1][0])
            accounts = _seller_accounts({seller_id for _pk, seller_id, *_rest in batch})
            try:
                with transaction.atomic():
                    cleared += _clear_batch(batch, accounts, now)
            except PaymentError:
                logger.warning("clearing earnings as a batch failed (up to seller %s); clearing one by one", after[0])
                cleared += _clear_one_by_one(batch, accounts, now)
        if len(batch) < batch_size:
            break
    return cleared


def _seller_accounts(seller_ids) -> dict[tuple[str, int], int]:
    """The ids of the sellers' pending and available accounts, in one query (creating any that are missing)."""
    kinds = (AccountKind.SELLER_PENDING, AccountKind.SELLER_AVAILABLE)
    found = {
        (kind, user_id): pk
        for kind, user_id, pk in LedgerAccount.objects.filter(
            kind__in=kinds, user_id__in=seller_ids, milestone_id=None
        ).values_list("kind", "user_id", "pk")
    }
    missing = [(kind, seller_id) for seller_id in seller_ids for kind in kinds if (kind, seller_id) not in found]
    if missing:
        users = get_user_model().objects.in_bulk({seller_id for _kind, seller_id in missing})
        for kind, seller_id in missing:
            found[(kind, seller_id)] = user_account(users[seller_id], kind).pk
    return found


def _clearance(rows, accounts) -> dict:
    """One seller's clearance posting for ``rows`` (earnings of that seller, in id order)."""
    seller_id = rows[0][1]
    amount = sum(row[2] for row in rows)
    first, last = rows[0][0], rows[-1][0]
    if len(rows) == 1:
        key, description, milestone_id = f"earning_clear:{first}", rows[0][3], rows[0][4]
    else:
        key, description, milestone_id = f"earning_clear:{first}..{last}", f"{len(rows)} earnings cleared", None
    return {
        "kind": TransactionKind.CLEARANCE,
        "idempotency_key": key,
        "legs": [
            (accounts[(AccountKind.SELLER_PENDING, seller_id)], -amount, "cleared"),
            (accounts[(AccountKind.SELLER_AVAILABLE, seller_id)], amount, "now available"),
        ],
        "description": description,
        "user_id": seller_id,
        "milestone_id": milestone_id,
    }


def _clear_batch(batch, accounts, now) -> int:
    by_seller: dict[int, list] = {}
    for row in batch:
        by_seller.setdefault(row[1], []).append(row)
    posted = ledger_post_many([_clearance(rows, accounts) for rows in by_seller.values()])
    # One statement: each earning points at its seller's clearance.
    transaction_for_seller = Case(
        *(When(seller_id=seller_id, then=Value(tx.pk)) for seller_id, tx in zip(by_seller, posted, strict=True)),
        output_field=UUIDField(),
    )
    Earning.objects.filter(in_ids("pk", [row[0] for row in batch])).clear(
        now=now, cleared_transaction_id=transaction_for_seller
    )
    _transfers_queue(
        [
            (seller_id, tx.pk, sum(row[2] for row in rows))
            for (seller_id, rows), tx in zip(by_seller.items(), posted, strict=True)
        ],
        now,
    )
    return len(batch)


def _transfers_queue(cleared, now) -> None:
    """With a provider that holds sellers' accounts (Stripe Connect), each clearance posting is also a transfer
    to the seller's connected account: queued in the clearance's own database transaction, sent after it."""
    if not get_provider().connected_accounts:
        return
    ProviderTransfer.objects.bulk_create(
        [
            ProviderTransfer(seller_id=seller_id, clearance_id=clearance_id, amount_cents=amount, created_at=now)
            for seller_id, clearance_id, amount in cleared
            if amount > 0
        ],
        ignore_conflicts=True,  # a clearance posted again (its key) already queued its transfer
    )


def _clear_one_by_one(batch, accounts, now) -> int:
    cleared = 0
    objects = LedgerAccount.objects.select_related("user").in_bulk(set(accounts.values()))
    for row in batch:
        posting = _clearance([row], accounts)
        posting["legs"] = [(objects[account_id], amount, memo) for account_id, amount, memo in posting["legs"]]
        posting["user"] = objects[posting["legs"][0][0].pk].user
        del posting["user_id"]
        try:
            with transaction.atomic():
                posted = ledger_post(**posting)
                Earning.objects.filter(pk=row[0]).clear(now=now, cleared_transaction=posted)
                _transfers_queue([(row[1], posted.pk, row[2])], now)
            cleared += 1
        except PaymentError:  # never expected; one bad row must not stop the others
            logger.exception("earning %s could not clear", row[0])
    return cleared


def earnings_hold(*, milestone_id: int, hold: bool) -> int:
    """Freeze (or unfreeze) clearance of the milestone's pending earnings; returns how many changed."""
    milestone_id = _milestone(milestone_id)
    with transaction.atomic():
        ids = list(
            Earning.objects.select_for_update()
            .filter(milestone_id=milestone_id, status=EarningStatus.PENDING)
            .exclude(on_hold=hold)
            .values_list("pk", flat=True)
        )
        return Earning.objects.filter(pk__in=ids).update(on_hold=hold)


def earnings_staff_hold(*, actor, milestone_ids, hold: bool) -> int:
    """Support staff freeze (or unfreeze) clearance of these milestones' pending earnings, from the admin.

    The same change as ``earnings_hold``, one milestone at a time, with an audit row for each milestone
    whose earnings changed. Support only (``accounts.permissions``). Returns how many earnings changed.
    """
    if not is_support(actor):
        raise PaymentError("Only support staff can hold or release earnings.")
    total = 0
    with transaction.atomic():
        for milestone_id in sorted({_milestone(m) for m in milestone_ids}):
            changed = earnings_hold(milestone_id=milestone_id, hold=hold)
            if changed:
                staff_action_record(
                    staff=actor,
                    action="earnings_hold" if hold else "earnings_unhold",
                    milestone=milestone_id,
                    target=f"earnings of milestone {milestone_id}",
                    detail=f"{'Held' if hold else 'Released the hold on'} {changed} pending "
                    f"earning{'' if changed == 1 else 's'} of the milestone in the admin.",
                )
            total += changed
    return total


# --- Withdrawals -----------------------------------------------------------
def payout_request(*, seller, amount_cents: int, idempotency_key: str) -> Payout:
    """Withdraw ``amount_cents`` of the seller's available earnings through the provider.

    The amount leaves *available* at once (into "payouts in transit"), then the
    provider is called with a key derived from the payout. Paid: it leaves the
    platform. Refused: it returns to available. No answer: it stays
    "processing" and ``payouts_retry`` asks again with the same key. The same
    ``idempotency_key`` (one per withdraw form) never creates two payouts.
    """
    amount = _cents(amount_cents, what="withdrawal amount")
    key = str(idempotency_key or "").strip()[:100]
    if not key:
        raise PaymentError("The withdrawal form expired. Reload the page and try again.")
    existing = Payout.objects.filter(seller=seller, idempotency_key=key).first()
    if existing is not None:
        return _same_payout(existing, amount)
    minimum = settings.PAYMENTS_MIN_PAYOUT_CENTS
    if amount < minimum:
        raise InvalidAmount(f"The smallest withdrawal is {format_cents(minimum)}.")
    provider = get_provider()
    if provider.connected_accounts:
        from .connect import payout_account_refusal, transfers_send

        refusal = payout_account_refusal(seller)
        if refusal:
            raise PaymentError(refusal)
        transfers_send(seller=seller)  # what has cleared is in the seller's account before it is paid out
    try:
        with transaction.atomic():
            available = user_account(seller, AccountKind.SELLER_AVAILABLE)
            in_transit = platform_account(AccountKind.PAYOUTS_IN_TRANSIT)
            locked = lock_accounts([available, in_transit])
            existing = Payout.objects.filter(seller=seller, idempotency_key=key).first()
            if existing is not None:
                return _same_payout(existing, amount)
            balance = locked[available.pk].balance_cents
            if amount > balance:
                raise InsufficientFunds(
                    f"You can withdraw at most {format_cents(balance)}: that is your available balance."
                )
            payout = Payout.objects.create(
                seller=seller, amount_cents=amount, idempotency_key=key, created_at=clock.now()
            )
            ledger_post(
                kind=TransactionKind.WITHDRAWAL,
                idempotency_key=f"payout:{payout.pk}:withdrawal",
                legs=[(available, -amount, "withdrawal"), (in_transit, amount, "payout in transit")],
                description="Withdrawal",
                user=seller,
                payout=payout,
            )
    except IntegrityError:  # the same form was submitted twice at the same moment
        existing = Payout.objects.filter(seller=seller, idempotency_key=key).first()
        if existing is None:
            raise
        return _same_payout(existing, amount)
    return payout_send(payout=payout)


def _same_payout(payout: Payout, amount: int) -> Payout:
    if payout.amount_cents != amount:
        raise PaymentError("This withdrawal form was already used for another amount. Reload the page to start again.")
    return payout


def payout_send(*, payout: Payout) -> Payout:
    """Ask the provider to pay out a processing payout (again); safe to repeat."""
    payout = Payout.objects.select_related("seller").get(pk=payout.pk)
    if payout.status != PayoutStatus.PROCESSING:
        return payout
    Payout.objects.filter(pk=payout.pk).update(attempts=F("attempts") + 1)
    try:
        result = get_provider().payout(
            seller=payout.seller, amount_cents=payout.amount_cents, idempotency_key=payout.provider_idempotency_key
        )
    except ProviderUnavailable:
        logger.warning("payout %s: provider unavailable; it stays processing and will be retried", payout.pk)
        return Payout.objects.get(pk=payout.pk)
    except PaymentError as exc:
        return _payout_finish(payout, paid=False, message=exc.message)
    if result.pending:  # on its way to the bank: the provider says when it is paid (webhook, or the retry sweep)
        Payout.objects.filter(pk=payout.pk, provider_reference="").update(provider_reference=result.reference)
        return Payout.objects.get(pk=payout.pk)
    return _payout_finish(payout, paid=True, reference=result.reference)


def payout_settle(*, reference: str, paid: bool, message: str = "") -> Payout | None:
    """The provider says a payout arrived at the bank (``paid``) or failed (its money returns to available).

    For webhooks (``payout.paid`` / ``payout.failed``); a payout already settled is left as it is, so a
    replayed or late event changes nothing. Returns None for a payout this app did not make.
    """
    payout = Payout.objects.filter(provider_reference=reference).first()
    if payout is None:
        return None
    return _payout_finish(
        payout,
        paid=paid,
        reference=reference,
        message=message or "The bank refused the payout.",
    )


def _payout_finish(payout: Payout, *, paid: bool, reference: str = "", message: str = "") -> Payout:
    with transaction.atomic():
        locked = Payout.objects.select_for_update(of=("self",)).select_related("seller").get(pk=payout.pk)
        if locked.status != PayoutStatus.PROCESSING:
            return locked
        in_transit = platform_account(AccountKind.PAYOUTS_IN_TRANSIT)
        if paid:
            ledger_post(
                kind=TransactionKind.PAYOUT,
                idempotency_key=f"payout:{locked.pk}:sent",
                legs=[
                    (in_transit, -locked.amount_cents, "payout sent"),
                    (platform_account(AccountKind.PROVIDER_CLEARING), locked.amount_cents, "payout sent"),
                ],
                description="Withdrawal paid out",
                user=locked.seller,
                payout=locked,
            )
            locked.complete(reference=reference)
        else:
            ledger_post(
                kind=TransactionKind.PAYOUT_REVERSAL,
                idempotency_key=f"payout:{locked.pk}:reversal",
                legs=[
                    (in_transit, -locked.amount_cents, "payout refused"),
                    (user_account(locked.seller, AccountKind.SELLER_AVAILABLE), locked.amount_cents, "returned"),
                ],
                description="Withdrawal refused by the provider; returned to available",
                user=locked.seller,
                payout=locked,
            )
            locked.fail(message=message)
        locked.save(update_fields=["status", "provider_reference", "failure_message", "completed_at"])
    return locked


def payouts_retry(*, older_than: timedelta = timedelta(minutes=5), limit: int = 100) -> int:
    """Ask the provider again about payouts still processing; returns how many are now settled."""
    cutoff = clock.now() - older_than
    settled = 0
    for payout in Payout.objects.filter(status=PayoutStatus.PROCESSING, created_at__lte=cutoff).order_by("pk")[:limit]:
        if payout_send(payout=payout).status != PayoutStatus.PROCESSING:
            settled += 1
    return settled
