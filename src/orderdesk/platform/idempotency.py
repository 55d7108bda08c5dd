"""The idempotency store: one record per (scope, key), written in the business transaction.

A product decides what a key's scope is (auto: the partner), what the endpoint and
fingerprint of a request are, and how to answer a replay or a mismatch. This module does
the storage and the locking:

    async with idempotency.transaction(db, scope, key) as conn:
        stored = await idempotency.claim(conn, scope, key)   # raises KeyInUse
        if stored: ...replay or refuse...
        ...do the work...
        await idempotency.save(conn, scope, key, endpoint, fingerprint, 201, body)  # may raise Race

A record is saved only for a success; a failure rolls back and leaves the key free. A use case
may write the record in its own last statement instead of `save` (`RECORD_INSERT` with
`record_params`, inside `conflict_is_race`): a round trip fewer on PostgreSQL.
"""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from orderdesk.platform.db import Connection, Database, UniqueViolation


@dataclass(frozen=True)
class StoredResponse:
    endpoint: str
    fingerprint: str
    status: int
    body: bytes


class KeyInUse(Exception):
    """Another request holding the same key is still in flight."""


class Race(Exception):
    """A concurrent request committed a record for this key first (unique-index backstop).
    Roll back and answer from the committed record."""


def lock_id(scope: str, key: str) -> int:
    """A signed 64-bit number for pg_try_advisory_xact_lock."""
    digest = hashlib.sha256(f"{scope}\x00{key}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def transaction(db: Database, scope: str, key: str) -> contextlib.AbstractAsyncContextManager[Connection]:
    """The use case's transaction, begun with the attempt on the key's lock that `claim` asks
    for (PostgreSQL: BEGIN and the attempt in one round trip)."""
    return db.transaction_trying_lock(lock_id(scope, key))


async def claim(conn: Connection, scope: str, key: str) -> StoredResponse | None:
    """Lock (scope, key) for this transaction without waiting, then return its record (read
    after the lock is granted, so a record committed by the previous holder is seen)."""
    if not await conn.try_advisory_lock(lock_id(scope, key)):
        raise KeyInUse()
    return await load(conn, scope, key)


async def load(conn: Connection, scope: str, key: str) -> StoredResponse | None:
    row = await conn.fetchrow(
        "SELECT endpoint, fingerprint, status, body FROM idempotency_records WHERE scope = :scope AND idem_key = :key",
        {"scope": scope, "key": key},
    )
    if row is None:
        return None
    return StoredResponse(row["endpoint"], row["fingerprint"], row["status"], bytes(row["body"]))


RECORD_INSERT = (
    "INSERT INTO idempotency_records (scope, idem_key, endpoint, fingerprint, status, body, created_at)"
    " SELECT :record_scope, :record_key, :record_endpoint, :record_fingerprint, :record_status, :record_body,"
    " :record_now"
)


def record_params(
    scope: str, key: str, endpoint: str, fingerprint: str, status: int, body: bytes, now: datetime
) -> dict[str, Any]:
    """The parameters of `RECORD_INSERT` (named apart from a use case's own)."""
    return {
        "record_scope": scope,
        "record_key": key,
        "record_endpoint": endpoint,
        "record_fingerprint": fingerprint,
        "record_status": status,
        "record_body": body,
        "record_now": now,
    }


@contextlib.contextmanager
def conflict_is_race() -> Iterator[None]:
    """Around a statement that writes the record: its unique key taken means Race."""
    try:
        yield
    except UniqueViolation as exc:
        if not (exc.constraint or "").startswith("idempotency_records"):
            raise
        raise Race() from exc


async def save(
    conn: Connection,
    scope: str,
    key: str,
    endpoint: str,
    fingerprint: str,
    status: int,
    body: bytes,
    now: datetime,
) -> None:
    with conflict_is_race():
        await conn.execute(RECORD_INSERT, record_params(scope, key, endpoint, fingerprint, status, body, now))
