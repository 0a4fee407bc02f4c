"""The ledger's rules hold in the database itself, not only in Python."""

import uuid

import pytest
from django.db import IntegrityError, connection, transaction

from payments.exceptions import InsufficientFunds, LedgerError
from payments.integrity import ledger_breaches
from payments.ledger import escrow_account, ledger_post, platform_account, user_account
from payments.models import AccountKind, LedgerAccount, LedgerEntry, LedgerTransaction, TransactionKind

pytestmark = pytest.mark.django_db


def _accounts(user):
    return platform_account(AccountKind.PROVIDER_CLEARING), user_account(user, AccountKind.BUYER_BALANCE)


def _post(clearing, balance, cents=500, key="test:1"):
    with transaction.atomic():
        return ledger_post(
            kind=TransactionKind.CREDIT,
            idempotency_key=key,
            legs=[(clearing, -cents, "in"), (balance, cents, "credit")],
        )


def test_posting_updates_cached_balances_in_the_same_transaction(user):
    clearing, balance = _accounts(user)
    posted = _post(clearing, balance)
    assert posted.entries.count() == 2
    balance.refresh_from_db()
    clearing.refresh_from_db()
    assert (balance.balance_cents, clearing.balance_cents) == (500, -500)
    assert [breach for breach in ledger_breaches() if "provider saw" not in breach] == []


def test_same_idempotency_key_posts_once(user):
    clearing, balance = _accounts(user)
    first = _post(clearing, balance)
    again = _post(clearing, balance)
    assert again.pk == first.pk
    balance.refresh_from_db()
    assert balance.balance_cents == 500
    assert LedgerEntry.objects.count() == 2


def test_a_caller_holding_the_locks_must_hold_every_legs_account(user):
    from payments.ledger import lock_accounts

    clearing, balance = _accounts(user)
    with transaction.atomic():
        only_one = lock_accounts([clearing])
        with pytest.raises(LedgerError, match="must be locked"):
            ledger_post(
                kind=TransactionKind.CREDIT,
                idempotency_key="test:locked",
                legs=[(clearing, -500, "in"), (balance, 500, "credit")],
                locked=only_one,
            )
        both = lock_accounts([clearing, balance])
        posted = ledger_post(
            kind=TransactionKind.CREDIT,
            idempotency_key="test:locked",
            legs=[(clearing, -500, "in"), (balance, 500, "credit")],
            locked=both,
        )
    assert posted.entries.count() == 2
    balance.refresh_from_db()
    assert balance.balance_cents == 500


def test_python_refuses_an_unbalanced_posting(user):
    clearing, balance = _accounts(user)
    with pytest.raises(LedgerError), transaction.atomic():
        ledger_post(kind=TransactionKind.CREDIT, idempotency_key="x", legs=[(clearing, -500, ""), (balance, 400, "")])
    with pytest.raises(LedgerError), transaction.atomic():
        ledger_post(kind=TransactionKind.CREDIT, idempotency_key="y", legs=[(balance, 0, ""), (clearing, 0, "")])


def test_python_refuses_floats(user):
    clearing, balance = _accounts(user)
    with pytest.raises(LedgerError), transaction.atomic():
        ledger_post(kind=TransactionKind.CREDIT, idempotency_key="f", legs=[(clearing, -5.0, ""), (balance, 5.0, "")])


@pytest.mark.django_db(transaction=True)
def test_posting_outside_a_transaction_is_refused(user):
    clearing, balance = _accounts(user)
    with pytest.raises(LedgerError):
        ledger_post(kind=TransactionKind.CREDIT, idempotency_key="z", legs=[(clearing, -1, ""), (balance, 1, "")])


def test_no_balance_may_go_negative(user):
    clearing, balance = _accounts(user)
    with pytest.raises(InsufficientFunds), transaction.atomic():
        ledger_post(kind=TransactionKind.CREDIT, idempotency_key="n", legs=[(balance, -1, ""), (clearing, 1, "")])
    assert LedgerTransaction.objects.count() == 0


def test_the_database_refuses_a_negative_cached_balance(user):
    balance = user_account(user, AccountKind.BUYER_BALANCE)
    with pytest.raises(IntegrityError), transaction.atomic():
        LedgerAccount.objects.filter(pk=balance.pk).update(balance_cents=-1)


def test_the_provider_clearing_account_may_go_negative(user):
    clearing, balance = _accounts(user)
    _post(clearing, balance)
    clearing.refresh_from_db()
    assert clearing.balance_cents < 0


def _raw_entries(tx_id, accounts_and_amounts):
    LedgerEntry.objects.bulk_create(
        LedgerEntry(transaction_id=tx_id, account=account, amount_cents=amount)
        for account, amount in accounts_and_amounts
    )


def test_the_database_refuses_an_unbalanced_transaction(user):
    clearing, balance = _accounts(user)
    tx_id = uuid.uuid4()
    with pytest.raises(IntegrityError), transaction.atomic():
        _raw_entries(tx_id, [(clearing, -500), (balance, 400)])
        LedgerTransaction.objects.create(id=tx_id, kind=TransactionKind.CREDIT, idempotency_key="raw")


def test_the_database_refuses_a_transaction_with_a_single_entry(user):
    _clearing, balance = _accounts(user)
    tx_id = uuid.uuid4()
    with pytest.raises(IntegrityError), transaction.atomic():
        _raw_entries(tx_id, [(balance, 0 + 1)])
        LedgerTransaction.objects.create(id=tx_id, kind=TransactionKind.CREDIT, idempotency_key="single")


def test_the_database_refuses_an_entry_added_to_a_written_transaction(user):
    clearing, balance = _accounts(user)
    posted = _post(clearing, balance)
    with pytest.raises(IntegrityError), transaction.atomic():
        _raw_entries(posted.pk, [(balance, 100)])


def test_the_database_refuses_changing_a_written_entry_or_transaction(user):
    clearing, balance = _accounts(user)
    posted = _post(clearing, balance)
    with pytest.raises(IntegrityError), transaction.atomic():
        LedgerEntry.objects.filter(transaction=posted).update(amount_cents=999)
    with pytest.raises(IntegrityError), transaction.atomic():
        LedgerTransaction.objects.filter(pk=posted.pk).update(description="edited")


def test_the_database_refuses_a_duplicate_idempotency_key(user):
    clearing, balance = _accounts(user)
    _post(clearing, balance, key="dup")
    tx_id = uuid.uuid4()
    with pytest.raises(IntegrityError), transaction.atomic():
        _raw_entries(tx_id, [(clearing, -1), (balance, 1)])
        LedgerTransaction.objects.create(id=tx_id, kind=TransactionKind.CREDIT, idempotency_key="dup")


def test_the_database_refuses_a_zero_entry(user):
    clearing, balance = _accounts(user)
    tx_id = uuid.uuid4()
    with pytest.raises(IntegrityError), transaction.atomic():
        _raw_entries(tx_id, [(clearing, 0)])


def test_an_account_kind_must_match_its_owner(user):
    with pytest.raises(IntegrityError), transaction.atomic():
        LedgerAccount.objects.create(kind=AccountKind.ESCROW, user=user)
    with pytest.raises(IntegrityError), transaction.atomic():
        LedgerAccount.objects.create(kind=AccountKind.BUYER_BALANCE, milestone_id=3)


def test_one_account_per_owner_and_kind(user):
    user_account(user, AccountKind.BUYER_BALANCE)
    escrow_account(7)
    platform_account(AccountKind.PLATFORM_REVENUE)
    for fields in (
        {"kind": AccountKind.BUYER_BALANCE, "user": user},
        {"kind": AccountKind.ESCROW, "milestone_id": 7},
        {"kind": AccountKind.PLATFORM_REVENUE},
    ):
        with pytest.raises(IntegrityError), transaction.atomic():
            LedgerAccount.objects.create(**fields)
    assert user_account(user, AccountKind.BUYER_BALANCE) == user_account(user, AccountKind.BUYER_BALANCE)


@pytest.mark.django_db(transaction=True)
def test_entries_without_their_transaction_row_cannot_be_committed(user):
    """A half-written posting (entries, no transaction row) fails at COMMIT: the foreign key is deferred."""
    clearing, balance = _accounts(user)
    with pytest.raises(IntegrityError):
        with transaction.atomic():
            _raw_entries(uuid.uuid4(), [(clearing, -1), (balance, 1)])
    assert LedgerEntry.objects.count() == 0


@pytest.mark.django_db(transaction=True)
def test_postgres_refuses_deleting_ledger_rows(require_postgres, user):
    clearing, balance = _accounts(user)
    posted = _post(clearing, balance)
    with pytest.raises(IntegrityError), transaction.atomic():
        LedgerEntry.objects.filter(transaction=posted).delete()
    with pytest.raises(IntegrityError), transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM payments_ledgertransaction")
    assert LedgerEntry.objects.count() == 2
