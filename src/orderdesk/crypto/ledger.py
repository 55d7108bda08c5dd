"""The double-entry ledger (spec/crypto.md 6.2-6.4).

    posting_id = await ledger.post(conn, entries, kind="deposit", order_id=order.id, now=now)

`post` runs inside the caller's transaction (the one that changes the order), so the posting
commits or rolls back with it. It:

1. refuses a posting whose entries do not sum to zero in every currency (`UnbalancedPosting`,
   a programming error: the caller built the entries wrong);
2. creates missing accounts, then locks the accounts that must never go negative (customer
   accounts) in ascending account-id order (on PostgreSQL one statement, `INSERT ... ON
   CONFLICT DO UPDATE` in label order; SQLite's single writer already excludes everyone
   else), so two postings never wait on each other in a cycle;
3. re-reads those balances under the lock and refuses a posting that would take any customer
   balance below zero (`InsufficientFunds`, which the caller answers as 400
   `insufficient_funds`; the whole transaction is then rolled back);
4. writes the posting, its entries and the new locked balances.

The other accounts (house:*, settlement, commission, external) may go negative, so nothing
needs their balance before a posting: on PostgreSQL they are not locked — every confirm of
every partner would otherwise queue on the same house and settlement rows — and a posting
appends its change to `crypto_balance_deltas` instead; `roll_up` (a dispatcher sweep) folds
the deltas into the stored balance. Their balance is the stored balance plus the pending
deltas (`balances`). On SQLite (one writer, no row contention) every balance is updated in
place and no delta is ever pending.

Account ids are their labels (`customer:<customer_id>:BTC`, `house:fees:USDC`, ...): stable,
readable in the ledger check, and their byte order is the lock order.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Context, Decimal, Inexact, Rounded
from typing import Any

from orderdesk.crypto import postings
from orderdesk.crypto.postings import Entry
from orderdesk.crypto.repositories import ledger as repo
from orderdesk.platform import ids
from orderdesk.platform.db import Connection
from orderdesk.platform.runtime import Runtime

NEVER_NEGATIVE = (postings.CUSTOMER,)
# Balances and sums are exact: an 18-decimal balance easily has more digits than the default
# context's 28, and a rounded sum would be a silent ledger error. Inexact results raise.
EXACT = Context(prec=1000, traps=[Inexact, Rounded])


def add(a: Decimal, b: Decimal) -> Decimal:
    return EXACT.add(a, b)


class UnbalancedPosting(ValueError):
    def __init__(self, sums: dict[str, Decimal]) -> None:
        super().__init__("posting does not balance: " + ", ".join(f"{c} {s}" for c, s in sorted(sums.items())))
        self.sums = sums


class InsufficientFunds(Exception):
    """A customer balance would go negative. `currency` names it for the error message."""

    def __init__(self, account: str, currency: str, balance: Decimal, change: Decimal) -> None:
        super().__init__(f"{account}: balance {balance} cannot take {change}")
        self.account = account
        self.currency = currency


def unbalanced_currencies(entries: Iterable[Entry]) -> dict[str, Decimal]:
    """Currencies whose entries do not sum to exactly zero, with their sums."""
    sums: dict[str, Decimal] = defaultdict(Decimal)
    for entry in entries:
        sums[entry.currency] = add(sums[entry.currency], entry.amount)
    return {currency: total for currency, total in sums.items() if total != 0}


def net_changes(entries: Iterable[Entry]) -> dict[str, tuple[Entry, Decimal]]:
    """Per account label: one of its entries (for kind / owner / currency) and the net change."""
    changes: dict[str, tuple[Entry, Decimal]] = {}
    for entry in entries:
        first, total = changes.get(entry.label, (entry, Decimal(0)))
        changes[entry.label] = (first, add(total, entry.amount))
    return changes


def check_balanced(entries: list[Entry]) -> list[Entry]:
    """The non-zero entries of a balanced posting; `UnbalancedPosting` otherwise."""
    sums = unbalanced_currencies(entries)
    if sums:
        raise UnbalancedPosting(sums)
    return [entry for entry in entries if entry.amount != 0]


@dataclass(frozen=True)
class Posted:
    id: str
    balances: dict[str, Decimal]  # label → balance after the posting, of the accounts it locked


def _locked(conn: Connection, entry: Entry) -> bool:
    """Whether the posting locks the account and updates its row (else: appends a delta)."""
    return conn.dialect == "sqlite" or entry.kind in NEVER_NEGATIVE


async def post(conn: Connection, entries: list[Entry], *, kind: str, order_id: str | None, now: datetime) -> Posted:
    """Write one balanced posting (see the module docstring). Zero-amount entries are omitted."""
    kept = check_balanced(entries)
    changes = net_changes(kept)
    labels = sorted(changes)
    locked = [label for label in labels if _locked(conn, changes[label][0])]
    unlocked = [label for label in labels if label not in locked]
    balances = await _create_and_lock(conn, [changes[label][0] for label in labels], locked, unlocked, now)
    new_balances: dict[str, Decimal] = {}
    for label in locked:
        entry, change = changes[label]
        after = add(balances[label], change)
        if change < 0 and after < 0 and entry.kind in NEVER_NEGATIVE:
            raise InsufficientFunds(label, entry.currency, balances[label], change)
        new_balances[label] = after
    posting_id = ids.new_hex_id()
    locked_changes = {label: new_balances[label] for label in locked if changes[label][1] != 0}
    deltas = {label: changes[label][1] for label in unlocked if changes[label][1] != 0}
    await repo.write_posting(conn, posting_id, kind, order_id, now, kept, locked_changes, deltas)
    return Posted(posting_id, new_balances)


async def _create_and_lock(
    conn: Connection, accounts: list[Entry], locked: list[str], unlocked: list[str], now: datetime
) -> dict[str, Decimal]:
    """Create the missing `accounts` (in label order), lock `locked` in label order and read
    their balances. A transaction waits here only for customer accounts, or for another
    transaction's uncommitted creation of the same account, always in ascending order: no
    cycle can form. The balances of `unlocked` are not read: nothing needs them (they may go
    negative, and a posting only appends their deltas)."""
    if conn.dialect == "postgresql":
        by_label = {account.label: account for account in accounts}
        rows = await repo.create_and_lock(
            conn, [by_label[label] for label in unlocked], [by_label[label] for label in locked], now
        )
        return {row["id"]: row["balance"] for row in rows}
    await repo.create_missing_accounts(conn, accounts, now)
    rows = await repo.lock_and_read_balances(conn, locked)
    return {row["id"]: row["balance"] for row in rows}


async def roll_up(conn: Connection, limit: int = 5000) -> int:
    """Fold up to `limit` pending deltas into their accounts' stored balances, in one statement;
    returns how many. Two roll-ups never fold one delta twice (see the repository). PostgreSQL
    only: SQLite updates every balance in place and never writes a delta."""
    return await repo.fold_pending_deltas(conn, limit)


# --------------------------------------------------------------------------- reads


async def balance(conn: Connection, label: str) -> Decimal:
    value = await repo.stored_balance(conn, label, lock=False)
    if value is None:
        return Decimal(0)
    if label.startswith(f"{postings.CUSTOMER}:"):  # locked accounts have no pending deltas
        return value
    return (await with_pending(conn, {label: value}))[label]


async def with_pending(conn: Connection, stored: dict[str, Decimal]) -> dict[str, Decimal]:
    """Stored balances (label → balance) plus each account's pending deltas: the balances."""
    if not stored:
        return {}
    rows = await repo.pending_deltas_of(conn, list(stored))
    totals = dict(stored)
    for row in rows:
        totals[row["account_id"]] = add(totals[row["account_id"]], row["amount"])
    return totals


async def check(conn: Connection) -> dict[str, Any]:
    """The invariants of 6.2-6.4 over the whole ledger (11.10). Sums are done in Python:
    decimals are text on SQLite."""
    mismatches: list[dict[str, Any]] = []
    sums: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    account_sums: dict[str, Decimal] = defaultdict(Decimal)
    for row in await repo.all_entries(conn):
        key = (row["posting_id"], row["currency"])
        sums[key] = add(sums[key], row["amount"])
        account_sums[row["account_id"]] = add(account_sums[row["account_id"]], row["amount"])
    for (posting_id, currency), total in sorted(sums.items()):
        if total != 0:
            mismatches.append(
                {
                    "type": "posting_unbalanced",
                    "posting_id": posting_id,
                    "currency": currency,
                    "sum": format(total, "f"),
                }
            )
    pending: dict[str, Decimal] = defaultdict(Decimal)
    for row in await repo.all_pending_deltas(conn):
        pending[row["account_id"]] = add(pending[row["account_id"]], row["amount"])
    for row in await repo.all_accounts(conn):
        current = add(row["balance"], pending.get(row["id"], Decimal(0)))
        if row["kind"] in NEVER_NEGATIVE and current < 0:
            mismatches.append({"type": "negative_balance", "account": row["id"], "balance": format(current, "f")})
        entries_sum = account_sums.get(row["id"], Decimal(0))
        if entries_sum != current:
            mismatches.append(
                {
                    "type": "balance_drift",
                    "account": row["id"],
                    "balance": format(current, "f"),
                    "entries_sum": format(entries_sum, "f"),
                }
            )
    count = await repo.count_postings(conn)
    return {"balanced": not mismatches, "postings": int(count), "mismatches": mismatches}


async def check_ledger(runtime: Runtime) -> dict[str, Any]:
    """GET /ops/v1/crypto/ledger/check (11.10) in its own read transaction."""
    async with runtime.db.transaction(write=False) as conn:
        return await check(conn)
