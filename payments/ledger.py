"""The double-entry ledger's low-level writes: accounts, locks and ``ledger_post``.

Services call these inside their own ``transaction.atomic()`` block. Locking
rule (no deadlocks): a service first locks its own business row (checkout,
earning, payout) if any, then every ledger account it will touch in ONE query
ordered by id (``lock_accounts``); ``ledger_post`` locks the same way, so rows
already locked are simply locked again. A service that posts several times in
one transaction locks the accounts of all its postings first (``accounts_lock``).
"""

import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence

from django.db import IntegrityError, transaction
from django.db.models import F, Q

from config import clock

from .exceptions import InsufficientFunds, LedgerError
from .models import (
    NEGATIVE_ALLOWED_KINDS,
    PLATFORM_ACCOUNT_KINDS,
    USER_ACCOUNT_KINDS,
    AccountKind,
    LedgerAccount,
    LedgerEntry,
    LedgerTransaction,
)

# One leg of a posting: (account, signed amount in cents, memo).
Leg = tuple[LedgerAccount, int, str]


def _get_or_create(**lookup) -> LedgerAccount:
    try:
        account, _ = LedgerAccount.objects.get_or_create(**lookup)
    except IntegrityError:  # created by a concurrent request between our get and create
        account = LedgerAccount.objects.get(**lookup)
    return account


def accounts_open(*, users: Iterable) -> None:
    """Make sure the platform's accounts and every account of ``users`` exist, creating any that are missing.

    Called when a checkout is opened, before any money moves: every movement that follows (funding,
    release, refund, split, tip, clearance, payout) then finds its accounts instead of creating one in the
    middle of its transaction. Two money transactions each creating an account the other then needs was a
    deadlock (found by the raced pairs of tests/faults/test_race_matrix.py). Missing accounts are created in
    one fixed order, so two of these calls never wait on each other in a circle. One query when all exist.
    """
    user_ids = sorted({user.pk for user in users if user is not None})
    wanted = [(kind, None) for kind in PLATFORM_ACCOUNT_KINDS] + [
        (kind, user_id) for user_id in user_ids for kind in USER_ACCOUNT_KINDS
    ]
    existing = set(
        LedgerAccount.objects.filter(
            Q(kind__in=PLATFORM_ACCOUNT_KINDS, user=None, milestone_id=None)
            | Q(kind__in=USER_ACCOUNT_KINDS, user_id__in=user_ids, milestone_id=None)
        ).values_list("kind", "user_id")
    )
    for kind, user_id in wanted:
        if (kind, user_id) not in existing:
            _get_or_create(kind=kind, user_id=user_id, milestone_id=None)


def user_account(user, kind: str) -> LedgerAccount:
    return _get_or_create(kind=kind, user=user, milestone_id=None)


def escrow_account(milestone_id: int) -> LedgerAccount:
    return _get_or_create(kind=AccountKind.ESCROW, user=None, milestone_id=milestone_id)


def platform_account(kind: str) -> LedgerAccount:
    return _get_or_create(kind=kind, user=None, milestone_id=None)


def accounts_lock(*, milestone_ids: Iterable[int] = (), users: Iterable = (), platform: Iterable[str] = ()) -> int:
    """Lock, in ONE query ordered by id, the escrows of ``milestone_ids``, the accounts ``users`` (pairs of
    (user, kind)) and the platform accounts ``platform``; returns how many were locked.

    For a service that posts more than once in one transaction (approve and end the order: refunds, then
    a release): taking each posting's accounts in turn would lock a shared account (the buyer's balance)
    before another (the seller's pending) and deadlock with a posting that takes them the other way round.
    """
    wanted = Q(pk__in=[])
    if milestone_ids:
        wanted |= Q(kind=AccountKind.ESCROW, milestone_id__in=list(milestone_ids))
    for user, kind in users:
        wanted |= Q(kind=kind, user=user, milestone_id=None)
    if platform:
        wanted |= Q(kind__in=list(platform), user=None, milestone_id=None)
    return len(list(LedgerAccount.objects.select_for_update().filter(wanted).order_by("pk").values_list("pk")))


def lock_accounts(accounts: Iterable[LedgerAccount]) -> dict[int, LedgerAccount]:
    """Lock the accounts (SELECT ... FOR UPDATE, ordered by id) and return fresh copies by id."""
    ids = sorted({account.pk for account in accounts})
    locked = LedgerAccount.objects.select_for_update().filter(pk__in=ids).order_by("pk")
    return {account.pk: account for account in locked}


def _require_atomic():
    if not transaction.get_connection().in_atomic_block:
        raise LedgerError("Ledger postings must run inside transaction.atomic().")


def ledger_post(
    *,
    kind: str,
    idempotency_key: str,
    legs: Sequence[Leg],
    description: str = "",
    user=None,
    milestone_id: int | None = None,
    checkout=None,
    payout=None,
    locked: dict[int, LedgerAccount] | None = None,
) -> LedgerTransaction:
    """Post one balanced transaction; posting the same ``idempotency_key`` again returns the first one.

    Refuses (``InsufficientFunds``) anything that would take an account below
    zero, except the provider's clearing account. The cached balances change in
    the same database transaction as the entries.

    ``locked``: what ``lock_accounts`` returned, when the caller has already
    locked every leg's account and, under those locks, found no transaction
    with ``idempotency_key`` (saves locking and looking again).
    """
    _require_atomic()
    legs = [(account, amount, memo) for account, amount, memo in legs if amount != 0]
    for _account, amount, _memo in legs:
        if type(amount) is not int:
            raise LedgerError("Ledger amounts must be whole cents (int).")
    if len(legs) < 2 or sum(amount for _a, amount, _m in legs) != 0:
        raise LedgerError(f"Unbalanced posting for {idempotency_key}: {[(str(a), n) for a, n, _m in legs]}")

    deltas: dict[int, int] = defaultdict(int)
    for account, amount, _memo in legs:
        deltas[account.pk] += amount
    if locked is None:
        locked = lock_accounts(account for account, _a, _m in legs)
        # Checked after the locks: a concurrent post of the same event has committed by now.
        existing = LedgerTransaction.objects.filter(idempotency_key=idempotency_key).first()
        if existing is not None:
            return existing
    elif not deltas.keys() <= locked.keys():
        raise LedgerError(f"{idempotency_key}: every leg's account must be locked by the caller.")

    for account_id, delta in deltas.items():
        account = locked[account_id]
        if account.balance_cents + delta < 0 and not account.allows_negative:
            raise InsufficientFunds(
                f"Not enough money in {account}: it holds {account.balance_cents} cents and "
                f"{-delta} cents would leave it."
            )

    transaction_id = uuid.uuid4()
    LedgerEntry.objects.bulk_create(
        LedgerEntry(transaction_id=transaction_id, account_id=account.pk, amount_cents=amount, memo=memo)
        for account, amount, memo in legs
    )
    _add_to_balances({account_id: delta for account_id, delta in deltas.items() if delta})
    for account_id, delta in deltas.items():
        locked[account_id].balance_cents += delta
    # Written last: the database checks here that the entries balance.
    return LedgerTransaction.objects.create(
        id=transaction_id,
        kind=kind,
        idempotency_key=idempotency_key,
        description=description[:300],
        user=user,
        milestone_id=milestone_id,
        checkout=checkout,
        payout=payout,
        created_at=clock.now(),
    )


def ledger_post_many(postings: Sequence[dict]) -> list[LedgerTransaction]:
    """Post many balanced transactions at once (a sweep's batch), same rules as ``ledger_post``.

    ``postings`` are dicts of ``ledger_post``'s keyword arguments, except that
    a leg's account may be given by its id and the user by ``user_id`` (a
    sweep then needs no model instances). Every account is locked in ONE
    query (ordered by id), the idempotency keys are checked in one query (a
    key already posted returns its first transaction, as ``ledger_post``
    does), then the entries, the cached balances and the transaction rows
    are each written in one statement (entries first: the database still
    checks every transaction's sum). Refuses the whole batch
    (``InsufficientFunds``) if the batch's net effect would take an account
    below zero, except the provider's clearing account; callers may then fall
    back to ``ledger_post`` one by one.
    """
    _require_atomic()
    prepared = []
    for posting in postings:
        legs = [(_account_id(account), amount, memo) for account, amount, memo in posting["legs"] if amount != 0]
        for _account, amount, _memo in legs:
            if type(amount) is not int:
                raise LedgerError("Ledger amounts must be whole cents (int).")
        if len(legs) < 2 or sum(amount for _a, amount, _m in legs) != 0:
            raise LedgerError(f"Unbalanced posting for {posting['idempotency_key']}")
        prepared.append((posting, legs))
    if not prepared:
        return []
    keys = [posting["idempotency_key"] for posting, _legs in prepared]
    if len(set(keys)) != len(keys):
        raise LedgerError("A batch cannot post the same idempotency key twice.")
    ids = sorted({account_id for _p, legs in prepared for account_id, _a, _m in legs})
    balances = {
        pk: (kind, balance)
        for pk, kind, balance in LedgerAccount.objects.select_for_update()
        .filter(pk__in=ids)
        .order_by("pk")
        .values_list("pk", "kind", "balance_cents")
    }
    existing = {tx.idempotency_key: tx for tx in LedgerTransaction.objects.filter(idempotency_key__in=keys)}

    deltas: dict[int, int] = defaultdict(int)
    for posting, legs in prepared:
        if posting["idempotency_key"] not in existing:
            for account_id, amount, _memo in legs:
                deltas[account_id] += amount
    for account_id, delta in deltas.items():
        kind, balance = balances[account_id]
        if balance + delta < 0 and kind not in NEGATIVE_ALLOWED_KINDS:
            account = LedgerAccount.objects.get(pk=account_id)
            raise InsufficientFunds(
                f"Not enough money in {account}: it holds {balance} cents and {-delta} cents would leave it."
            )

    now = clock.now()
    entries, new, results = [], [], []
    for posting, legs in prepared:
        done = existing.get(posting["idempotency_key"])
        if done is not None:
            results.append(done)
            continue
        transaction_id = uuid.uuid4()
        entries += [
            LedgerEntry(transaction_id=transaction_id, account_id=account_id, amount_cents=amount, memo=memo)
            for account_id, amount, memo in legs
        ]
        tx = LedgerTransaction(
            id=transaction_id,
            kind=posting["kind"],
            idempotency_key=posting["idempotency_key"],
            description=posting.get("description", "")[:300],
            user_id=posting.get("user_id", getattr(posting.get("user"), "pk", None)),
            milestone_id=posting.get("milestone_id"),
            checkout_id=getattr(posting.get("checkout"), "pk", None),
            payout_id=getattr(posting.get("payout"), "pk", None),
            created_at=now,
        )
        new.append(tx)
        results.append(tx)
    if not new:
        return results
    LedgerEntry.objects.bulk_create(entries)
    _add_to_balances({account_id: delta for account_id, delta in deltas.items() if delta})
    # Written last: the database checks here that each transaction's entries balance.
    LedgerTransaction.objects.bulk_create(new)
    return results


def _account_id(account) -> int:
    return account if type(account) is int else account.pk


def _add_to_balances(deltas: dict[int, int]) -> None:
    """``balance_cents += delta`` for many (locked) accounts in one statement."""
    if not deltas:
        return
    connection = transaction.get_connection()
    if connection.vendor != "postgresql":
        for account_id, delta in deltas.items():
            LedgerAccount.objects.filter(pk=account_id).update(balance_cents=F("balance_cents") + delta)
        return
    table = LedgerAccount._meta.db_table
    values = ", ".join(["(%s::bigint, %s::bigint)"] * len(deltas))
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} AS a SET balance_cents = a.balance_cents + v.delta "  # noqa: S608 - no user input
            f"FROM (VALUES {values}) AS v(id, delta) WHERE a.id = v.id",
            [number for pair in deltas.items() for number in pair],
        )
