"""The errors the payments layer raises: each carries a message a person can read.

Views show ``str(error)`` as it is, so every message is written for the buyer
or seller looking at the page, never for a developer.
"""


class PaymentError(Exception):
    """Refused or failed: nothing was moved (unless a subclass says otherwise)."""

    default_message = "The payment could not be completed."

    def __init__(self, message: str | None = None):
        self.message = message or self.default_message
        super().__init__(self.message)


class InvalidAmount(PaymentError):
    default_message = "Enter an amount greater than zero, in dollars and cents."


class InsufficientFunds(PaymentError):
    default_message = "There is not enough money in the account for this."


class AlreadyProcessed(PaymentError):
    """The same business event was already handled (a retry or a double submit)."""

    default_message = "This was already done; nothing was moved a second time."


class CheckoutAlreadyPaid(AlreadyProcessed):
    default_message = "This checkout is already paid. You were not charged again."


class PaymentInProgress(PaymentError):
    """Another card payment of the same checkout is under way; this attempt moved nothing."""

    default_message = (
        "A card payment for this checkout is already being processed. Nothing more was charged or taken "
        "from your balance; reload the page in a moment to see the result."
    )


class CheckoutCredited(PaymentError):
    """The card WAS charged but the purchase could not be completed.

    The money was kept as the buyer's balance (it can pay for something else
    or be refunded); the message says so.
    """

    default_message = (
        "Your card was charged but the purchase could not be completed, so the amount was added to your balance."
    )


class CardDeclined(PaymentError):
    default_message = "Your card was declined. Nothing was charged; try another card."


class PaymentNeedsAction(PaymentError):
    """The card needs the buyer's confirmation in the browser (3-D Secure) before it can be charged.

    ``reference`` is the provider's id for the payment (a Stripe PaymentIntent) and ``client_secret`` what
    the browser library needs to show the bank's check; nothing is charged until it completes.
    """

    default_message = "Your bank asks you to confirm this payment. Complete the check to finish paying."

    def __init__(self, message: str | None = None, *, reference: str = "", client_secret: str = ""):
        super().__init__(message)
        self.reference = reference
        self.client_secret = client_secret


class ProviderUnavailable(PaymentError):
    """The provider could not be reached; the outcome is retried with the same idempotency key."""

    default_message = (
        "We could not reach the payment provider. Please try again in a moment; you will not be charged twice."
    )


class ProviderError(PaymentError):
    default_message = "The payment provider refused the request."


class LedgerError(PaymentError):
    """A posting that can never be valid (a programming error, not a user error)."""

    default_message = "The ledger refused an invalid posting."
