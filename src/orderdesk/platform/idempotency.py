"""The idempotency store: one record per (scope, key), written in the business transaction.

A product decides what a key's scope is (auto: the partner), what the endpoint and
fingerprint of a request are, and how to answer a replay or a mismatch. This module does
the storage and the locking:

    async with db.transaction() as conn:
        stored = await idempotency.claim(conn, scope, key)   # raises KeyInUse
        if stored: ...replay or refuse...
        ...do the work...
        await idempotency.save(conn, scope, key, endpoint, fingerprint, 201, body)  # may raise Race

A record is saved only for a success; a failure rolls back and leaves the key free.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

from orderdesk.platform.db import Connection, UniqueViolation


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


async def claim(conn: Connection, scope: str, key: str) -> StoredResponse | None:
    """Lock (scope, key) for this transaction without waiting, then return its record."""
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
    try:
        await conn.execute(
            "INSERT INTO idempotency_records (scope, idem_key, endpoint, fingerprint, status, body, created_at)"
            " VALUES (:scope, :key, :endpoint, :fingerprint, :status, :body, :now)",
            {
                "scope": scope,
                "key": key,
                "endpoint": endpoint,
                "fingerprint": fingerprint,
                "status": status,
                "body": body,
                "now": now,
            },
        )
    except UniqueViolation as exc:
        raise Race() from exc
