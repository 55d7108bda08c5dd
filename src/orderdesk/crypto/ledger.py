"""The double-entry ledger (spec/crypto.md 6.2-6.4).

    posting_id = await ledger.post(conn, entries, kind="deposit", order_id=order.id, now=now)

`post` runs inside the caller's transaction (the one that changes the order), so the posting
commits or rolls back with it. It:

1. refuses a posting whose entries do not sum to zero in every currency (`UnbalancedPosting`,
   a programming error: the caller built the entries wrong);
2. creates missing accounts, then locks every account it touches in ascending account-id
   order (`SELECT ... ORDER BY id FOR UPDATE` on PostgreSQL; SQLite's single writer already
   excludes everyone else), so two postings never wait on each other in a cycle;
3. re-reads the balances under the lock and refuses a posting that would take any customer
   balance below zero (`InsufficientFunds`, which the caller answers as 400
   `insufficient_funds`; the whole transaction is then rolled back);
4. writes the posting, its entries and the new balances.

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
    balances: dict[str, Decimal]  # label → balance after the posting


async def post(conn: Connection, entries: list[Entry], *, kind: str, order_id: str | None, now: datetime) -> Posted:
    """Write one balanced posting (see the module docstring). Zero-amount entries are omitted."""
    kept = check_balanced(entries)
    changes = net_changes(kept)
    labels = sorted(changes)
    balances = await _lock_accounts(conn, [changes[label][0] for label in labels], now)
    new_balances: dict[str, Decimal] = {}
    for label in labels:
        entry, change = changes[label]
        after = add(balances[label], change)
        if change < 0 and after < 0 and entry.kind in NEVER_NEGATIVE:
            raise InsufficientFunds(label, entry.currency, balances[label], change)
        new_balances[label] = after
    posting_id = ids.new_hex_id()
    await conn.execute(
        "INSERT INTO crypto_postings (id, kind, order_id, created_at) VALUES (:id, :kind, :order_id, :now)",
        {"id": posting_id, "kind": kind, "order_id": order_id, "now": now},
    )
    await conn.executemany(
        "INSERT INTO crypto_entries (posting_id, account_id, currency, amount)"
        " VALUES (:posting_id, :account_id, :currency, :amount)",
        [{"posting_id": posting_id, "account_id": e.label, "currency": e.currency, "amount": e.amount} for e in kept],
    )
    await conn.executemany(
        "UPDATE crypto_accounts SET balance = :balance, updated_at = :now WHERE id = :id",
        [{"balance": new_balances[label], "now": now, "id": label} for label in labels if changes[label][1] != 0],
    )
    return Posted(posting_id, new_balances)


async def _lock_accounts(conn: Connection, accounts: list[Entry], now: datetime) -> dict[str, Decimal]:
    """Create the missing accounts (in label order), then lock all of them in label order and
    return their balances. A transaction waits here only for accounts that exist and are
    committed, or for another transaction's uncommitted creation of the same account, always
    in ascending order: no cycle can form."""
    await conn.executemany(
        "INSERT INTO crypto_accounts (id, kind, owner, currency, balance, created_at, updated_at)"
        " VALUES (:id, :kind, :owner, :currency, :zero, :now, :now) ON CONFLICT (id) DO NOTHING",
        [
            {"id": a.label, "kind": a.kind, "owner": a.owner, "currency": a.currency, "zero": Decimal(0), "now": now}
            for a in accounts
        ],
    )
    marks = ", ".join(f":a{i}" for i in range(len(accounts)))
    rows = await conn.fetch(
        f"SELECT id, balance FROM crypto_accounts WHERE id IN ({marks}) ORDER BY id" + conn.for_update,
        {f"a{i}": a.label for i, a in enumerate(accounts)},
    )
    return {row["id"]: row["balance"] for row in rows}


# --------------------------------------------------------------------------- reads


async def customer_accounts(conn: Connection, customer_id: str) -> list[Any]:
    return await conn.fetch(
        "SELECT currency, balance FROM crypto_accounts WHERE kind = 'customer' AND owner = :owner",
        {"owner": customer_id},
    )


async def balance(conn: Connection, label: str) -> Decimal:
    value = await conn.fetchval("SELECT balance FROM crypto_accounts WHERE id = :id", {"id": label})
    return value if value is not None else Decimal(0)


async def check(conn: Connection) -> dict[str, Any]:
    """The invariants of 6.2-6.4 over the whole ledger (11.10). Sums are done in Python:
    decimals are text on SQLite."""
    mismatches: list[dict[str, Any]] = []
    sums: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    account_sums: dict[str, Decimal] = defaultdict(Decimal)
    for row in await conn.fetch("SELECT posting_id, account_id, currency, amount FROM crypto_entries"):
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
    for row in await conn.fetch("SELECT id, kind, balance FROM crypto_accounts ORDER BY id"):
        if row["kind"] in NEVER_NEGATIVE and row["balance"] < 0:
            mismatches.append(
                {"type": "negative_balance", "account": row["id"], "balance": format(row["balance"], "f")}
            )
        entries_sum = account_sums.get(row["id"], Decimal(0))
        if entries_sum != row["balance"]:
            mismatches.append(
                {
                    "type": "balance_drift",
                    "account": row["id"],
                    "balance": format(row["balance"], "f"),
                    "entries_sum": format(entries_sum, "f"),
                }
            )
    count = await conn.fetchval("SELECT COUNT(*) FROM crypto_postings")
    return {"balanced": not mismatches, "postings": int(count), "mismatches": mismatches}


async def check_ledger(runtime: Runtime) -> dict[str, Any]:
    """GET /ops/v1/crypto/ledger/check (11.10) in its own read transaction."""
    async with runtime.db.transaction(write=False) as conn:
        return await check(conn)
