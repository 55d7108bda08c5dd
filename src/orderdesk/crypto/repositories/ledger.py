"""SQL of the ledger: crypto_accounts, crypto_postings, crypto_entries and crypto_balance_deltas.
Which accounts are locked, the balance checks and the exact sums are `crypto.ledger`'s rules;
the lock order is the order of the labels the caller passes."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from orderdesk.crypto.postings import Entry
from orderdesk.platform.db import Connection, Row

# --------------------------------------------------------------------------- posting


async def create_missing_accounts(conn: Connection, accounts: Sequence[Entry], now: datetime) -> None:
    """In the order given. The NOT EXISTS reads the committed row without waiting: ON CONFLICT
    alone would wait for whoever holds an existing row's lock."""
    await conn.executemany(
        "INSERT INTO crypto_accounts (id, kind, owner, currency, balance, created_at, updated_at)"
        " SELECT :id, :kind, :owner, :currency, :zero, :now, :now"
        " WHERE NOT EXISTS (SELECT 1 FROM crypto_accounts WHERE id = :id) ON CONFLICT (id) DO NOTHING",
        [
            {"id": a.label, "kind": a.kind, "owner": a.owner, "currency": a.currency, "zero": Decimal(0), "now": now}
            for a in accounts
        ],
    )


_LOCK_AND_READ_PG = (
    "WITH locked AS (SELECT id, balance FROM crypto_accounts WHERE id = ANY(:locked) ORDER BY id FOR UPDATE)"
    " SELECT id, balance, NULL::numeric[] AS pending FROM locked UNION ALL"
    " SELECT a.id, a.balance, ARRAY(SELECT d.amount FROM crypto_balance_deltas d WHERE d.account_id = a.id)"
    " FROM crypto_accounts a WHERE a.id = ANY(:unlocked)"
)


async def lock_and_read_with_pending(conn: Connection, locked: list[str], unlocked: list[str]) -> list[Row]:
    """PostgreSQL, one statement: `locked` locked in id order (id, balance, pending NULL), and
    `unlocked` read without a lock (id, stored balance, pending: the amounts of its deltas)."""
    return await conn.fetch(_LOCK_AND_READ_PG, {"locked": locked, "unlocked": unlocked})


async def lock_and_read_balances(conn: Connection, locked: list[str]) -> list[Row]:
    """Id and balance of each of `locked`, locked in id order."""
    marks = ", ".join(f":a{i}" for i in range(len(locked)))
    return await conn.fetch(
        f"SELECT id, balance FROM crypto_accounts WHERE id IN ({marks}) ORDER BY id" + conn.for_update,
        {f"a{i}": label for i, label in enumerate(locked)},
    )


async def write_posting(
    conn: Connection,
    posting_id: str,
    kind: str,
    order_id: str | None,
    now: datetime,
    entries: Sequence[Entry],
    balances: dict[str, Decimal],
    deltas: dict[str, Decimal],
) -> None:
    """The posting, its entries, the new `balances` (label → balance, of locked accounts) and
    the `deltas` (label → change, of unlocked ones), each written in the order given."""
    if conn.dialect == "postgresql":
        await conn.execute(
            _WRITE_POSTING_PG,
            {
                "id": posting_id,
                "kind": kind,
                "order_id": order_id,
                "now": now,
                "e_accounts": [e.label for e in entries],
                "e_currencies": [e.currency for e in entries],
                "e_amounts": [e.amount for e in entries],
                "u_ids": list(balances),
                "u_balances": list(balances.values()),
                "d_ids": list(deltas),
                "d_amounts": list(deltas.values()),
            },
        )
        return
    await conn.execute(
        "INSERT INTO crypto_postings (id, kind, order_id, created_at) VALUES (:id, :kind, :order_id, :now)",
        {"id": posting_id, "kind": kind, "order_id": order_id, "now": now},
    )
    await conn.executemany(
        "INSERT INTO crypto_entries (posting_id, account_id, currency, amount)"
        " VALUES (:posting_id, :account_id, :currency, :amount)",
        [
            {"posting_id": posting_id, "account_id": e.label, "currency": e.currency, "amount": e.amount}
            for e in entries
        ],
    )
    await conn.executemany(
        "UPDATE crypto_accounts SET balance = :balance, updated_at = :now WHERE id = :id",
        [{"balance": balance, "now": now, "id": label} for label, balance in balances.items()],
    )
    await conn.executemany(
        "INSERT INTO crypto_balance_deltas (account_id, amount) VALUES (:id, :amount)",
        [{"id": label, "amount": amount} for label, amount in deltas.items()],
    )


# The posting, its entries, the new locked balances and the deltas in one statement (one round
# trip instead of four). The entries' foreign key to the posting is checked at the end of the
# statement, after the posting's row is in.
_WRITE_POSTING_PG = (
    "WITH posting AS (INSERT INTO crypto_postings (id, kind, order_id, created_at)"
    " VALUES (:id, :kind, :order_id, :now)),"
    " entries AS (INSERT INTO crypto_entries (posting_id, account_id, currency, amount)"
    " SELECT :id, t.a, t.c, t.m FROM unnest(:e_accounts::text[], :e_currencies::text[], :e_amounts::numeric[])"
    " AS t(a, c, m)),"
    " balances AS (UPDATE crypto_accounts SET balance = t.b, updated_at = :now"
    " FROM unnest(:u_ids::text[], :u_balances::numeric[]) AS t(i, b) WHERE crypto_accounts.id = t.i),"
    " deltas AS (INSERT INTO crypto_balance_deltas (account_id, amount)"
    " SELECT t.i, t.m FROM unnest(:d_ids::text[], :d_amounts::numeric[]) AS t(i, m))"
    " SELECT 1"
)


# --------------------------------------------------------------------------- roll-up of the deltas


async def take_pending_deltas(conn: Connection, limit: int) -> list[Row]:
    """Delete up to `limit` deltas, oldest first, and return them (account_id, amount). The rows
    deleted here are locked until commit; SKIP LOCKED leaves those another transaction holds."""
    return await conn.fetch(
        "DELETE FROM crypto_balance_deltas WHERE id IN (SELECT id FROM crypto_balance_deltas ORDER BY id"
        f" LIMIT :limit{conn.skip_locked}) RETURNING account_id, amount",
        {"limit": limit},
    )


async def set_balance(conn: Connection, account_id: str, balance: Decimal) -> None:
    await conn.execute(
        "UPDATE crypto_accounts SET balance = :balance WHERE id = :id", {"balance": balance, "id": account_id}
    )


# --------------------------------------------------------------------------- reads


async def stored_balance(conn: Connection, account_id: str, *, lock: bool) -> Any:
    """The balance column (without pending deltas), or None when the account does not exist."""
    return await conn.fetchval(
        "SELECT balance FROM crypto_accounts WHERE id = :id" + (conn.for_update if lock else ""), {"id": account_id}
    )


async def customer_accounts(conn: Connection, customer_id: str) -> list[Row]:
    return await conn.fetch(
        "SELECT currency, balance FROM crypto_accounts WHERE kind = 'customer' AND owner = :owner",
        {"owner": customer_id},
    )


async def pending_deltas_of(conn: Connection, account_ids: Sequence[str]) -> list[Row]:
    """The deltas (account_id, amount) of the accounts in `account_ids` (not empty)."""
    marks = ", ".join(f":a{i}" for i in range(len(account_ids)))
    return await conn.fetch(
        f"SELECT account_id, amount FROM crypto_balance_deltas WHERE account_id IN ({marks})",
        {f"a{i}": label for i, label in enumerate(account_ids)},
    )


# --------------------------------------------------------------------------- the ledger check (11.10)


async def all_entries(conn: Connection) -> list[Row]:
    return await conn.fetch("SELECT posting_id, account_id, currency, amount FROM crypto_entries")


async def all_pending_deltas(conn: Connection) -> list[Row]:
    return await conn.fetch("SELECT account_id, amount FROM crypto_balance_deltas")


async def all_accounts(conn: Connection) -> list[Row]:
    """Id order."""
    return await conn.fetch("SELECT id, kind, balance FROM crypto_accounts ORDER BY id")


async def count_postings(conn: Connection) -> Any:
    return await conn.fetchval("SELECT COUNT(*) FROM crypto_postings")
