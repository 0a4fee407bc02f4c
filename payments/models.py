"""The money layer's data: a double-entry ledger and the records around it.

The ledger
----------
``LedgerAccount``: who or what holds money (a user's buyer balance, seller
pending / available earnings, a milestone's escrow, the platform's revenue, the
payment provider's clearing account, payouts in transit). ``balance_cents`` is
a cache of the sum of the account's entries, updated in the same database
transaction as the entries and verified by ``ledger_check``; the database
refuses a negative balance for every account except the provider's clearing
account (money that came from or went to the outside world).

``LedgerTransaction`` + ``LedgerEntry``: one business event (a milestone
funded, released, refunded...) is one transaction of two or more signed
entries that sum to zero. The database itself enforces this (migration 0002):

* the entries are written first and the transaction row last; inserting the
  transaction row checks that its entries exist (two or more) and sum to zero;
* an entry can never be added to a transaction that is already written;
* an entry without its transaction row fails at commit (the foreign key is
  deferred), so a half-written posting cannot be committed;
* entries and transactions can never be updated (nor deleted, on PostgreSQL);
* on PostgreSQL a deferred constraint trigger re-checks every transaction's
  sum at commit as well;
* ``idempotency_key`` is unique: the same business event posts once.

Amounts are integer cents everywhere (``BigIntegerField``), never floats.
"""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django_fsm import FSMField, transition

from config import clock
from config.fsm import FSMModelMixin, bulk_transition


class AccountKind(models.TextChoices):
    BUYER_BALANCE = "buyer_balance", "Buyer balance"
    SELLER_PENDING = "seller_pending", "Seller pending"
    SELLER_AVAILABLE = "seller_available", "Seller available"
    ESCROW = "escrow", "Milestone escrow"
    PLATFORM_REVENUE = "platform_revenue", "Platform revenue"
    PROVIDER_CLEARING = "provider_clearing", "Provider clearing"
    PAYOUTS_IN_TRANSIT = "payouts_in_transit", "Payouts in transit"


USER_ACCOUNT_KINDS = (AccountKind.BUYER_BALANCE, AccountKind.SELLER_PENDING, AccountKind.SELLER_AVAILABLE)
PLATFORM_ACCOUNT_KINDS = (AccountKind.PLATFORM_REVENUE, AccountKind.PROVIDER_CLEARING, AccountKind.PAYOUTS_IN_TRANSIT)
# The provider's clearing account mirrors the outside world: its balance is
# minus the money the platform has taken in net, so it is the one account
# allowed below zero.
NEGATIVE_ALLOWED_KINDS = (AccountKind.PROVIDER_CLEARING,)


class LedgerAccount(models.Model):
    kind = models.CharField(max_length=24, choices=AccountKind.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="ledger_accounts"
    )
    # A plain integer: payments must not depend on the milestones app.
    milestone_id = models.BigIntegerField(null=True, blank=True)
    balance_cents = models.BigIntegerField(default=0, editable=False)
    created_at = models.DateTimeField(default=clock.now, editable=False)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "user"], condition=Q(user__isnull=False), name="ledger_account_unique_per_user"
            ),
            models.UniqueConstraint(
                fields=["kind", "milestone_id"],
                condition=Q(milestone_id__isnull=False),
                name="ledger_account_unique_per_milestone",
            ),
            models.UniqueConstraint(
                fields=["kind"],
                condition=Q(user__isnull=True, milestone_id__isnull=True),
                name="ledger_account_unique_platform",
            ),
            models.CheckConstraint(
                condition=(
                    Q(kind__in=USER_ACCOUNT_KINDS, user__isnull=False, milestone_id__isnull=True)
                    | Q(kind=AccountKind.ESCROW, user__isnull=True, milestone_id__isnull=False)
                    | Q(kind__in=PLATFORM_ACCOUNT_KINDS, user__isnull=True, milestone_id__isnull=True)
                ),
                name="ledger_account_owner_matches_kind",
            ),
            models.CheckConstraint(
                condition=Q(balance_cents__gte=0) | Q(kind__in=NEGATIVE_ALLOWED_KINDS),
                name="ledger_account_not_negative",
            ),
        ]

    def __str__(self):
        if self.user_id:
            return f"{self.get_kind_display()} of {self.user}"
        if self.milestone_id is not None:
            return f"Escrow of milestone #{self.milestone_id}"
        return self.get_kind_display()

    @property
    def allows_negative(self) -> bool:
        return self.kind in NEGATIVE_ALLOWED_KINDS


class TransactionKind(models.TextChoices):
    FUND = "fund", "Milestone funded"
    RELEASE = "release", "Escrow released"
    REFUND = "refund", "Refund"
    SPLIT = "split", "Dispute split"
    CLEARANCE = "clearance", "Earnings cleared"
    WITHDRAWAL = "withdrawal", "Withdrawal requested"
    PAYOUT = "payout", "Payout sent"
    PAYOUT_REVERSAL = "payout_reversal", "Payout returned"
    TIP = "tip", "Tip"
    CREDIT = "credit", "Credited to balance"


class LedgerTransaction(models.Model):
    """One business event; written after its entries (see the module docstring)."""

    # A UUID chosen before anything is written, so the entries can point at
    # their transaction before the transaction row exists.
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    kind = models.CharField(max_length=20, choices=TransactionKind.choices)
    idempotency_key = models.CharField(max_length=200, unique=True)
    description = models.CharField(max_length=300, blank=True)
    # What caused it (all optional; payments never imports the other apps).
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    milestone_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    checkout = models.ForeignKey(
        "payments.Checkout", null=True, blank=True, on_delete=models.PROTECT, related_name="transactions"
    )
    payout = models.ForeignKey(
        "payments.Payout", null=True, blank=True, on_delete=models.PROTECT, related_name="transactions"
    )
    created_at = models.DateTimeField(default=clock.now, db_index=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["kind", "milestone_id"], name="ledger_tx_kind_milestone")]

    def __str__(self):
        return f"{self.get_kind_display()} {self.idempotency_key}"


class LedgerEntry(models.Model):
    transaction = models.ForeignKey(LedgerTransaction, on_delete=models.PROTECT, related_name="entries")
    account = models.ForeignKey(LedgerAccount, on_delete=models.PROTECT, related_name="entries")
    # Signed: positive adds to the account's balance, negative takes from it.
    amount_cents = models.BigIntegerField()
    memo = models.CharField(max_length=60, blank=True)

    class Meta:
        ordering = ["id"]
        verbose_name_plural = "ledger entries"
        constraints = [models.CheckConstraint(condition=~Q(amount_cents=0), name="ledger_entry_not_zero")]

    def __str__(self):
        return f"{self.amount_cents:+d} {self.account}"


class CheckoutStatus(models.TextChoices):
    OPEN = "open", "Waiting for payment"
    PROCESSING = "processing", "Card payment in progress"
    PAID = "paid", "Paid"
    CREDITED = "credited", "Charged, credited to balance"
    CANCELLED = "cancelled", "Replaced"


class PaymentSource(models.TextChoices):
    CARD = "card", "Card"
    BALANCE = "balance", "Balance"
    BALANCE_AND_CARD = "mixed", "Balance and card"


def _claim_free(checkout) -> bool:
    """Nothing else is paying it: it is open, or the card claim on it is older than PAYMENTS_CHECKOUT_CLAIM."""
    return checkout.status == CheckoutStatus.OPEN or checkout.claim_expired(clock.now())


class CheckoutQuerySet(models.QuerySet):
    def close(self, *, reason: str) -> int:
        """Take ``Checkout.close`` on these rows (the open ones) in one UPDATE; returns how many closed."""
        return bulk_transition(self, Checkout.close, failure_message=reason[:300])


class Checkout(FSMModelMixin, models.Model):
    """A buyer's intent to pay for one thing (a milestone, a tip...).

    ``purpose`` + ``reference_id`` say what is paid for; the purpose's handler
    (registered with ``payments.checkout.register_purpose``) finishes the
    purchase inside the same database transaction as the ledger posting.

    Lifecycle (``status``): open ──claim──▶ processing ──pay──▶ paid; a balance payment (or a charge
    recorded after its claim was released) pays an open one directly; release_claim puts a processing
    one back to open. A card charge that cannot pay for it is credited to the buyer's balance (credit);
    a newer checkout replaces it (replace), or what it paid for goes away (close).
    """

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    buyer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="checkouts")
    payee = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="checkouts_received"
    )
    purpose = models.CharField(max_length=40)
    reference_id = models.BigIntegerField()
    description = models.CharField(max_length=200)
    amount_cents = models.BigIntegerField()
    service_fee_cents = models.BigIntegerField(default=0)
    # What the buyer saw when the checkout opened, as its purpose summarises it (a package's price and
    # milestone plan: orders.services.package_terms_digest); paying is refused if it no longer matches.
    terms_digest = models.CharField(max_length=64, blank=True)
    return_url = models.CharField(max_length=500)
    status = FSMField(max_length=12, choices=CheckoutStatus.choices, default=CheckoutStatus.OPEN, protected=True)
    paid_with = models.CharField(max_length=10, choices=PaymentSource.choices, blank=True)
    # The part of the total taken from the buyer's balance when it was paid (the rest was charged to the card).
    balance_part_cents = models.BigIntegerField(default=0)
    card_last4 = models.CharField(max_length=4, blank=True)
    provider_reference = models.CharField(max_length=100, blank=True)
    failure_message = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=clock.now)
    paid_at = models.DateTimeField(null=True, blank=True)
    # A card payment claimed the checkout at this time (status "processing"); nothing else may pay it meanwhile.
    processing_since = models.DateTimeField(null=True, blank=True)
    # The provider did not answer a card charge at this time: the recovery sweep asks it what happened.
    charge_unknown_since = models.DateTimeField(null=True, blank=True)
    # The provider's intent for this checkout's card charge (a Stripe PaymentIntent id), saved before the card
    # is confirmed: one intent per checkout, asked again by the recovery sweep, the 3-D Secure return and webhooks.
    provider_intent = models.CharField(max_length=100, blank=True, db_index=True)

    objects = CheckoutQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["buyer", "purpose", "reference_id"],
                condition=Q(status__in=["open", "processing"]),
                name="checkout_one_open_per_reference",
            ),
            models.CheckConstraint(condition=Q(amount_cents__gt=0), name="checkout_amount_positive"),
            models.CheckConstraint(condition=Q(service_fee_cents__gte=0), name="checkout_fee_not_negative"),
            models.CheckConstraint(
                condition=Q(
                    balance_part_cents__gte=0, balance_part_cents__lte=F("amount_cents") + F("service_fee_cents")
                ),
                name="checkout_balance_part_within_total",
            ),
        ]
        indexes = [
            # the recovery sweep's rows: claims that never finished and charges the provider did not answer
            models.Index(fields=["processing_since"], condition=Q(status="processing"), name="checkout_processing_idx"),
            models.Index(
                fields=["charge_unknown_since"],
                condition=Q(charge_unknown_since__isnull=False),
                name="checkout_charge_unknown_idx",
            ),
        ]

    def __str__(self):
        return f"{self.description} ({self.get_status_display()})"

    def get_absolute_url(self):
        return reverse("payments:checkout", args=[self.uuid])

    @property
    def total_cents(self) -> int:
        return self.amount_cents + self.service_fee_cents

    @property
    def charge_idempotency_key(self) -> str:
        """The one key every charge attempt for this checkout carries: it can succeed once."""
        return f"checkout:{self.uuid}"

    @property
    def transfer_group(self) -> str:
        """Groups the provider's charge with what later goes to the seller (Stripe's ``transfer_group``): one
        per order when the purpose names it (``register_purpose(group=...)``), else per purchase."""
        from .checkout import get_purpose

        purpose = get_purpose(self.purpose)
        if purpose is not None and purpose.group is not None:
            return purpose.group(self)
        return f"{self.purpose}-{self.reference_id}"

    @property
    def card_part_cents(self) -> int:
        """What the card paid of the total (the rest came from the balance); 0 for a balance payment."""
        if self.paid_with == PaymentSource.BALANCE:
            return 0
        return self.total_cents - self.balance_part_cents

    @property
    def is_open(self) -> bool:
        return self.status == CheckoutStatus.OPEN

    def get_receipt_url(self):
        return reverse("payments:receipt", args=[self.uuid])

    def claim_expired(self, now) -> bool:
        """A card claim older than PAYMENTS_CHECKOUT_CLAIM: the request that made it died."""
        return self.processing_since is None or self.processing_since <= now - settings.PAYMENTS_CHECKOUT_CLAIM

    # --- the lifecycle ----------------------------------------------------
    @transition(
        status,
        source=[CheckoutStatus.OPEN, CheckoutStatus.PROCESSING],
        target=CheckoutStatus.PROCESSING,
        conditions=[_claim_free],
    )
    def claim(self):
        """A card payment claims it before charging: nothing else may pay it meanwhile."""
        self.processing_since = clock.now()

    @transition(status, source=CheckoutStatus.PROCESSING, target=CheckoutStatus.OPEN)
    def release_claim(self):
        """The charge did not go through, or nobody knows: it is open again."""
        self.processing_since = None

    @transition(status, source=[CheckoutStatus.OPEN, CheckoutStatus.PROCESSING], target=CheckoutStatus.PAID)
    def pay(self, *, source, balance_part_cents=0):
        """Paid by card, from the balance, or both (``balance_part_cents`` from the balance, the rest by card)."""
        self.paid_with = source
        self.balance_part_cents = balance_part_cents
        self.paid_at = clock.now()
        self.processing_since = None

    @transition(
        status,
        source=[CheckoutStatus.OPEN, CheckoutStatus.PROCESSING, CheckoutStatus.CANCELLED],
        target=CheckoutStatus.CREDITED,
    )
    def credit(self, *, reason):
        """A card charge that could not pay for it: the amount went to the buyer's balance instead."""
        self.paid_with = PaymentSource.CARD
        self.paid_at = clock.now()
        self.failure_message = reason[:300]

    @transition(status, source=[CheckoutStatus.OPEN, CheckoutStatus.PROCESSING], target=CheckoutStatus.CANCELLED)
    def replace(self, *, reason):
        """A newer checkout for the same thing with another amount replaces it (a charge under way is credited)."""
        self.failure_message = reason[:300]
        self.processing_since = None

    @transition(status, source=CheckoutStatus.OPEN, target=CheckoutStatus.CANCELLED)
    def close(self, *, reason):
        """What it paid for can no longer be bought as it stands (see ``CheckoutQuerySet.close``)."""
        self.failure_message = reason[:300]


class EarningStatus(models.TextChoices):
    PENDING = "pending", "Pending clearance"
    CLEARED = "cleared", "Cleared"


def _clearable(earning) -> bool:
    return not earning.on_hold and earning.clears_at <= clock.now()


class EarningQuerySet(models.QuerySet):
    def clear(self, *, now, **fields) -> int:
        """Take ``Earning.clear`` on these rows (pending, not on hold, due by ``now``) in one UPDATE.

        ``fields``: the clearance transaction they point at (``cleared_transaction`` or its id).
        """
        due = self.filter(on_hold=False, clears_at__lte=now)
        return bulk_transition(due, Earning.clear, cleared_at=now, **fields)


class Earning(FSMModelMixin, models.Model):
    """Money released to a seller, waiting in *pending* until ``clears_at``; the clearance sweep clears it."""

    seller = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="earnings")
    milestone_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    # Only tips have a checkout: indexed for those rows alone (see Meta.indexes).
    checkout = models.ForeignKey(
        Checkout, null=True, blank=True, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    description = models.CharField(max_length=200, blank=True)
    gross_cents = models.BigIntegerField()
    commission_cents = models.BigIntegerField()
    amount_cents = models.BigIntegerField(help_text="Net amount credited to the seller")
    clears_at = models.DateTimeField()
    status = FSMField(max_length=10, choices=EarningStatus.choices, default=EarningStatus.PENDING, protected=True)
    on_hold = models.BooleanField(default=False)
    released_transaction = models.OneToOneField(LedgerTransaction, on_delete=models.PROTECT, related_name="+")
    # The clearance sweep posts one transaction per seller per batch: several earnings may share it.
    # Not indexed: nothing looks earnings up by it, and ledger transactions are never deleted (the
    # database refuses), so PROTECT never has to search; every index here is one more write per
    # earning the sweep clears (make bench).
    cleared_transaction = models.ForeignKey(
        LedgerTransaction, null=True, blank=True, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    created_at = models.DateTimeField(default=clock.now)
    cleared_at = models.DateTimeField(null=True, blank=True)

    objects = EarningQuerySet.as_manager()

    class Meta:
        ordering = ["clears_at", "id"]
        # Clearing an earning changes its status, so PostgreSQL writes a new entry into every index
        # of the table except partial ones the cleared row leaves: the sweep's cost per earning is
        # mostly these writes, so the table keeps only the indexes a read needs.
        indexes = [
            # The clearance sweep walks pending earnings in (seller, id) order; the earnings page
            # lists a seller's pending ones.
            models.Index(fields=["seller", "id"], condition=Q(status="pending"), name="earning_pending_seller_idx"),
            # The earnings page pages a seller's pending ones soonest to clear first: read in that order, it stops
            # after a page (make bench: 28 ms → 0.2 ms for a seller with 200 pending; flat as they grow). No cost
            # to the sweep: a cleared earning's new row is not pending, so it adds no entry here.
            models.Index(
                fields=["seller", "clears_at", "id"], condition=Q(status="pending"), name="earning_pending_clears_idx"
            ),
            models.Index(fields=["checkout"], condition=Q(checkout__isnull=False), name="earning_checkout_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(amount_cents__gt=0), name="earning_amount_positive"),
            models.CheckConstraint(
                condition=Q(gross_cents=models.F("amount_cents") + models.F("commission_cents")),
                name="earning_gross_is_net_plus_commission",
            ),
        ]

    def __str__(self):
        return f"{self.amount_cents} cents for {self.seller} ({self.get_status_display()})"

    @transition(status, source=EarningStatus.PENDING, target=EarningStatus.CLEARED, conditions=[_clearable])
    def clear(self, *, cleared_transaction):
        """Taken in batches by the sweep (``EarningQuerySet.clear``); declared here for the lifecycle."""
        self.cleared_transaction = cleared_transaction
        self.cleared_at = clock.now()


class PayoutStatus(models.TextChoices):
    PROCESSING = "processing", "Processing"
    PAID = "paid", "Paid"
    FAILED = "failed", "Failed, returned to available"


class Payout(FSMModelMixin, models.Model):
    """A seller's withdrawal of available earnings through the provider: processing until it is paid or fails."""

    seller = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="payouts")
    amount_cents = models.BigIntegerField()
    idempotency_key = models.CharField(max_length=100)
    status = FSMField(max_length=12, choices=PayoutStatus.choices, default=PayoutStatus.PROCESSING, protected=True)
    provider_reference = models.CharField(max_length=100, blank=True)
    failure_message = models.CharField(max_length=300, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=clock.now)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["seller", "idempotency_key"], name="payout_unique_key_per_seller"),
            models.CheckConstraint(condition=Q(amount_cents__gt=0), name="payout_amount_positive"),
        ]

    def __str__(self):
        return f"Payout of {self.amount_cents} cents to {self.seller} ({self.get_status_display()})"

    @property
    def provider_idempotency_key(self) -> str:
        return f"payout:{self.pk}"

    @transition(status, source=PayoutStatus.PROCESSING, target=PayoutStatus.PAID)
    def complete(self, *, reference):
        self.provider_reference = reference
        self.completed_at = clock.now()

    @transition(status, source=PayoutStatus.PROCESSING, target=PayoutStatus.FAILED)
    def fail(self, *, message):
        """The provider refused it: the amount is back in the seller's available balance."""
        self.failure_message = message[:300]
        self.completed_at = clock.now()


class SandboxOperation(models.Model):
    """What the built-in sandbox provider "saw": one row per successful operation.

    This plays the part of the provider's own records (a real provider keeps
    these on its side); ``ledger_check`` compares the ledger against them.
    """

    class Kind(models.TextChoices):
        CHARGE = "charge", "Charge"
        REFUND = "refund", "Refund"
        PAYOUT = "payout", "Payout"

    kind = models.CharField(max_length=10, choices=Kind.choices)
    idempotency_key = models.CharField(max_length=200, unique=True)
    reference = models.CharField(max_length=40, unique=True)
    amount_cents = models.BigIntegerField()
    card_last4 = models.CharField(max_length=4, blank=True)
    charge_reference = models.CharField(max_length=40, blank=True, help_text="For refunds: the charge refunded")
    description = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=clock.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [models.CheckConstraint(condition=Q(amount_cents__gt=0), name="sandbox_amount_positive")]

    def __str__(self):
        return f"{self.get_kind_display()} {self.reference} ({self.amount_cents} cents)"


class PayoutAccount(models.Model):
    """A seller's account at the payment provider (a Stripe Connect Express account): where cleared earnings are
    transferred and withdrawals are paid out from. Made on demand when the seller sets up payouts; its status is
    what the provider last said (the onboarding return page and ``account.updated`` webhooks refresh it)."""

    seller = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="payout_account")
    account_id = models.CharField(max_length=100, unique=True)
    payouts_enabled = models.BooleanField(default=False)
    transfers_active = models.BooleanField(default=False)
    details_submitted = models.BooleanField(default=False)
    requirements_due = models.JSONField(default=list, blank=True)
    disabled_reason = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(default=clock.now)
    updated_at = models.DateTimeField(default=clock.now)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"{self.account_id} ({self.seller})"

    @property
    def can_receive(self) -> bool:
        return self.payouts_enabled and self.transfers_active


class TransferStatus(models.TextChoices):
    PENDING = "pending", "Waiting to be sent"
    SENT = "sent", "Sent"


class ProviderTransfer(FSMModelMixin, models.Model):
    """Cleared earnings on their way to the seller's connected account: one per clearance posting (its key).

    Written in the same database transaction as the clearance (an outbox), sent after commit by
    ``payments.services.transfers_send`` with the clearance's key as the provider's idempotency key, so a
    retry never transfers twice. A seller without a payout account that can receive keeps them pending."""

    seller = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="provider_transfers")
    clearance = models.OneToOneField(LedgerTransaction, on_delete=models.PROTECT, related_name="provider_transfer")
    amount_cents = models.BigIntegerField()
    status = FSMField(max_length=10, choices=TransferStatus.choices, default=TransferStatus.PENDING, protected=True)
    provider_reference = models.CharField(max_length=100, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=clock.now)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [models.CheckConstraint(condition=Q(amount_cents__gt=0), name="transfer_amount_positive")]
        indexes = [
            models.Index(fields=["seller", "id"], condition=Q(status="pending"), name="transfer_pending_idx"),
        ]

    def __str__(self):
        return f"Transfer of {self.amount_cents} cents to {self.seller} ({self.get_status_display()})"

    @property
    def idempotency_key(self) -> str:
        return f"transfer:{self.clearance.idempotency_key}"

    @transition(status, source=TransferStatus.PENDING, target=TransferStatus.SENT)
    def sent(self, *, reference):
        self.provider_reference = reference
        self.sent_at = clock.now()
        self.last_error = ""


class ProviderEvent(models.Model):
    """A webhook event from the provider, stored once (its id is unique) and acted on through the services."""

    event_id = models.CharField(max_length=100, unique=True)
    type = models.CharField(max_length=100)
    payload = models.JSONField()
    received_at = models.DateTimeField(default=clock.now)
    processed_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-received_at", "-id"]
        indexes = [models.Index(fields=["type", "-received_at"], name="provider_event_type_idx")]

    def __str__(self):
        return f"{self.type} {self.event_id}"


class CardDisputeStatus(models.TextChoices):
    OPEN = "open", "Open"
    WON = "won", "Won"
    LOST = "lost", "Lost"


class CardDispute(FSMModelMixin, models.Model):
    """A buyer disputed a card payment with their bank (a Stripe ``charge.dispute``): a case for support staff.

    While it is open, the seller's pending earnings of the milestone are held."""

    dispute_id = models.CharField(max_length=100, unique=True)
    checkout = models.ForeignKey(Checkout, on_delete=models.PROTECT, related_name="card_disputes")
    amount_cents = models.BigIntegerField()
    reason = models.CharField(max_length=100, blank=True)
    status = FSMField(max_length=10, choices=CardDisputeStatus.choices, default=CardDisputeStatus.OPEN, protected=True)
    opened_at = models.DateTimeField(default=clock.now)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-opened_at", "-id"]

    def __str__(self):
        return f"Card dispute {self.dispute_id} ({self.get_status_display()})"

    @transition(status, source=CardDisputeStatus.OPEN, target=CardDisputeStatus.WON)
    def won(self):
        self.closed_at = clock.now()

    @transition(status, source=CardDisputeStatus.OPEN, target=CardDisputeStatus.LOST)
    def lost(self):
        self.closed_at = clock.now()
