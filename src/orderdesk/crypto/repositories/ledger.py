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


# PostgreSQL, one statement. The missing accounts the posting does not lock are created without
# waiting for anyone (NOT EXISTS reads the committed row: ON CONFLICT alone would wait for whoever
# holds an existing row's lock). Then the ones it locks are created, or locked when they exist,
# one by one in the order given (label order), by ON CONFLICT DO UPDATE: that path locks the
# row's latest version even when it is not in the statement's snapshot (an account another
# transaction created while this one waited for it) and returns its balance; the UPDATE writes
# back the balance it found. The count of `shared` gates the second INSERT: as before, a
# transaction waits on another's creation of a shared account before it holds a lock.
_CREATE_AND_LOCK_PG = (
    "WITH shared AS (INSERT INTO crypto_accounts (id, kind, owner, currency, balance, created_at, updated_at)"
    " SELECT t.id, t.kind, t.owner, t.currency, 0, :now, :now"
    " FROM unnest(:s_ids::text[], :s_kinds::text[], :s_owners::text[], :s_currencies::text[]) WITH ORDINALITY"
    " AS t(id, kind, owner, currency, n)"
    " WHERE NOT EXISTS (SELECT 1 FROM crypto_accounts a WHERE a.id = t.id) ORDER BY t.n"
    " ON CONFLICT (id) DO NOTHING RETURNING 1)"
    " INSERT INTO crypto_accounts AS a (id, kind, owner, currency, balance, created_at, updated_at)"
    " SELECT t.id, t.kind, t.owner, t.currency, 0, :now, :now"
    " FROM unnest(:l_ids::text[], :l_kinds::text[], :l_owners::text[], :l_currencies::text[]) WITH ORDINALITY"
    " AS t(id, kind, owner, currency, n)"
    " WHERE (SELECT count(*) FROM shared) >= 0 ORDER BY t.n"
    " ON CONFLICT (id) DO UPDATE SET balance = a.balance RETURNING a.id, a.balance"
)


def _columns(accounts: Sequence[Entry], prefix: str) -> dict[str, list[str | None]]:
    return {
        f"{prefix}_ids": [a.label for a in accounts],
        f"{prefix}_kinds": [a.kind for a in accounts],
        f"{prefix}_owners": [a.owner for a in accounts],
        f"{prefix}_currencies": [a.currency for a in accounts],
    }


async def create_and_lock(
    conn: Connection, shared: Sequence[Entry], locked: Sequence[Entry], now: datetime
) -> list[Row]:
    """PostgreSQL: create the missing accounts of `shared` and of `locked`, lock each of
    `locked` in the order given, and return their (id, balance)."""
    return await conn.fetch(_CREATE_AND_LOCK_PG, {"now": now, **_columns(shared, "s"), **_columns(locked, "l")})


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


# Up to :limit deltas, oldest first, deleted and added to their accounts' stored balances (exact
# numeric sums). The deleted rows are locked until commit, and SKIP LOCKED leaves those another
# roll-up holds: a delta is folded exactly once. The accounts are locked in id order (two
# roll-ups never wait on each other in a cycle) FOR NO KEY UPDATE, the UPDATE's own lock, which
# does not block the foreign-key checks of the postings that go on writing entries and deltas.
_FOLD_DELTAS_PG = (
    "WITH taken AS (DELETE FROM crypto_balance_deltas WHERE id IN (SELECT id FROM crypto_balance_deltas"
    " ORDER BY id LIMIT :limit FOR UPDATE SKIP LOCKED) RETURNING account_id, amount),"
    " sums AS (SELECT account_id, sum(amount) AS total, count(*) AS n FROM taken GROUP BY account_id),"
    " locked AS (SELECT a.id FROM crypto_accounts a JOIN sums s ON s.account_id = a.id"
    " ORDER BY a.id FOR NO KEY UPDATE OF a),"
    " folded AS (UPDATE crypto_accounts a SET balance = a.balance + s.total FROM locked l JOIN sums s"
    " ON s.account_id = l.id WHERE a.id = l.id)"
    " SELECT COALESCE(sum(n), 0)::int FROM sums"
)


async def fold_pending_deltas(conn: Connection, limit: int) -> int:
    """PostgreSQL: fold up to `limit` pending deltas into the stored balances; returns how many."""
    return int(await conn.fetchval(_FOLD_DELTAS_PG, {"limit": limit}))


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
