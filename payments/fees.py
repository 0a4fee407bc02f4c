"""Every fee the platform charges, computed here and nowhere else.

Rounding: a percentage fee is computed exactly with ``Decimal`` on the integer
amount in cents and then rounded **half-up to the whole cent** (0.5 cent goes
up), once per fee and per payment. The buyer's small-order surcharge is a flat
amount added after rounding. The seller's net is ``amount - commission``, so
the two parts always add up to the amount exactly: no cent is created or lost
by rounding.

Examples with the defaults (5.5 % + $3.00 under $100; 20 % commission):

===========  ===========  =======  ==========  ==========
amount       service fee  total    commission  seller net
===========  ===========  =======  ==========  ==========
$50.00       $5.75        $55.75   $10.00      $40.00
$100.00      $5.50        $105.50  $20.00      $80.00
$0.09        $3.00        $3.09    $0.02       $0.07
===========  ===========  =======  ==========  ==========
"""

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings

from config.money import format_cents


def percent_of_cents(amount_cents: int, percent: Decimal | str | int) -> int:
    """``percent`` % of ``amount_cents``, rounded half-up to the cent."""
    exact = Decimal(int(amount_cents)) * Decimal(str(percent)) / Decimal(100)
    return int(exact.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def buyer_service_fee_cents(amount_cents: int) -> int:
    """What the buyer pays on top of ``amount_cents``: a percentage plus a flat fee on small orders."""
    fee = percent_of_cents(amount_cents, settings.PAYMENTS_BUYER_FEE_PERCENT)
    if amount_cents < settings.PAYMENTS_SMALL_ORDER_THRESHOLD_CENTS:
        fee += settings.PAYMENTS_SMALL_ORDER_FEE_CENTS
    return fee


def seller_commission_cents(amount_cents: int) -> int:
    """What the platform keeps from ``amount_cents`` paid to a seller."""
    return percent_of_cents(amount_cents, settings.PAYMENTS_SELLER_COMMISSION_PERCENT)


@dataclass(frozen=True)
class FeeQuote:
    amount_cents: int
    service_fee_cents: int
    total_cents: int
    commission_cents: int
    seller_net_cents: int


def fee_quote(amount_cents: int, *, service_fee: bool = True) -> FeeQuote:
    """Everything a buyer and a seller see about one payment of ``amount_cents``.

    ``service_fee=False`` quotes a payment without the buyer service fee (tips).
    """
    fee = buyer_service_fee_cents(amount_cents) if service_fee else 0
    commission = seller_commission_cents(amount_cents)
    return FeeQuote(
        amount_cents=amount_cents,
        service_fee_cents=fee,
        total_cents=amount_cents + fee,
        commission_cents=commission,
        seller_net_cents=amount_cents - commission,
    )


def _percent_text(percent) -> str:
    return f"{Decimal(str(percent)).normalize():f}%"


def service_fee_rule() -> str:
    """The buyer service fee in words, for the pages ("5.5% of the amount, plus $3.00 under $100.00")."""
    rule = f"{_percent_text(settings.PAYMENTS_BUYER_FEE_PERCENT)} of the amount"
    if settings.PAYMENTS_SMALL_ORDER_FEE_CENTS:
        rule += (
            f", plus {format_cents(settings.PAYMENTS_SMALL_ORDER_FEE_CENTS)} on payments under "
            f"{format_cents(settings.PAYMENTS_SMALL_ORDER_THRESHOLD_CENTS)}"
        )
    return rule


def commission_rule() -> str:
    return _percent_text(settings.PAYMENTS_SELLER_COMMISSION_PERCENT)
