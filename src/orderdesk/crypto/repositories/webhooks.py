"""The SQL of crypto's webhook delivery (`crypto.webhooks`): deliveries, the signing key."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import orjson

from orderdesk.platform.db import Connection, Database, Row

# --------------------------------------------------------------------------- subscriptions and deliveries


async def listening_subscription_ids(
    conn: Connection, partner_id: str, actions: Sequence[str], *, after: tuple[str, dict[str, Any]] | None = None
) -> list[list[str]]:
    """For each of `actions`, the partner's subscriptions that listen to it, in creation order;
    `after`, a write (SQL and parameters) to run first: on PostgreSQL in the same statement (a
    data-modifying WITH, one round trip), on SQLite (no such WITH, in-process calls) on its own."""
    sql = "SELECT id, events FROM crypto_webhook_subscriptions WHERE partner_id = :partner_id ORDER BY seq"
    params: dict[str, Any] = {"partner_id": partner_id}
    if after is not None:
        write, write_params = after
        if conn.dialect == "postgresql":
            sql, params = f"WITH written AS ({write}) {sql}", {**write_params, **params}
        else:
            await conn.execute(write, write_params)
    rows = [(row["id"], orjson.loads(row["events"])) for row in await conn.fetch(sql, params)]
    return [[sub_id for sub_id, listened in rows if action in listened] for action in actions]


async def insert_delivery(
    conn: Connection, delivery_id: str, event_id: str, subscription_id: str, now: datetime
) -> None:
    await conn.execute(
        "INSERT INTO crypto_webhook_deliveries (id, event_id, subscription_id, state, attempts, created_at)"
        " VALUES (:id, :event_id, :subscription_id, 'pending', 0, :now)",
        {"id": delivery_id, "event_id": event_id, "subscription_id": subscription_id, "now": now},
    )


async def drop_pending(conn: Connection, subscription_id: str) -> list[str]:
    """The subscription's pending deliveries marked `dropped`; returns their ids."""
    pending = [
        row["id"]
        for row in await conn.fetch(
            "SELECT id FROM crypto_webhook_deliveries WHERE subscription_id = :id AND state = 'pending'",
            {"id": subscription_id},
        )
    ]
    await conn.execute(
        "UPDATE crypto_webhook_deliveries SET state = 'dropped' WHERE subscription_id = :id AND state = 'pending'",
        {"id": subscription_id},
    )
    return pending


async def delivery_to_attempt(db: Database, delivery_id: str) -> Row | None:
    """The delivery's state and attempts, its event's body, its subscription's url and partner
    (url None when the subscription was deleted)."""
    return await db.fetchrow(
        "SELECT d.state, d.attempts, e.body, s.url, s.partner_id FROM crypto_webhook_deliveries d"
        " JOIN crypto_events e ON e.id = d.event_id"
        " LEFT JOIN crypto_webhook_subscriptions s ON s.id = d.subscription_id"
        " WHERE d.id = :id",
        {"id": delivery_id},
    )


async def record_attempt(
    conn: Connection, delivery_id: str, state: str, code: int | None, error: str | None, at: datetime
) -> None:
    """One attempt counted on a still-pending delivery, which is now in `state`."""
    await conn.execute(
        "UPDATE crypto_webhook_deliveries SET state = :state, attempts = attempts + 1,"
        " last_response_code = :code, last_error = :error, last_attempt_at = :at"
        " WHERE id = :id AND state = 'pending'",
        {"state": state, "code": code, "error": error, "at": at, "id": delivery_id},
    )


async def mark_dropped(conn: Connection, delivery_id: str) -> None:
    await conn.execute(
        "UPDATE crypto_webhook_deliveries SET state = 'dropped' WHERE id = :id AND state = 'pending'",
        {"id": delivery_id},
    )


async def lock_delivery(conn: Connection, delivery_id: str) -> Row | None:
    return await conn.fetchrow(
        "SELECT id, subscription_id, state FROM crypto_webhook_deliveries WHERE id = :id" + conn.for_update,
        {"id": delivery_id},
    )


async def mark_pending(conn: Connection, delivery_id: str) -> None:
    await conn.execute("UPDATE crypto_webhook_deliveries SET state = 'pending' WHERE id = :id", {"id": delivery_id})


# --------------------------------------------------------------------------- the signing key


async def stored_key(db: Database, name: str) -> str | None:
    row = await db.fetchrow("SELECT private_key_pem FROM crypto_webhook_keys WHERE name = :name", {"name": name})
    return None if row is None else str(row["private_key_pem"])


async def insert_key_if_absent(conn: Connection, name: str, pem: str, now: datetime) -> str:
    """Stores `pem` under `name` unless a key is there already; returns the stored one."""
    await conn.execute(
        "INSERT INTO crypto_webhook_keys (name, private_key_pem, created_at) VALUES (:name, :pem, :now)"
        " ON CONFLICT (name) DO NOTHING",
        {"name": name, "pem": pem, "now": now},
    )
    winner: str = await conn.fetchval(
        "SELECT private_key_pem FROM crypto_webhook_keys WHERE name = :name", {"name": name}
    )
    return winner
