"""SQL of crypto_webhook_subscriptions."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from orderdesk.platform.db import Connection, Row

COLUMNS = "id, url, events, created_at"


async def insert_subscription(conn: Connection, row: Mapping[str, Any]) -> None:
    await conn.execute(
        "INSERT INTO crypto_webhook_subscriptions (id, partner_id, url, events, created_at)"
        " VALUES (:id, :partner_id, :url, :events, :created_at)",
        row,
    )


async def partner_subscriptions(conn: Connection, partner_id: str) -> list[Row]:
    """In creation order."""
    return await conn.fetch(
        f"SELECT {COLUMNS} FROM crypto_webhook_subscriptions WHERE partner_id = :partner_id ORDER BY seq",
        {"partner_id": partner_id},
    )


async def find_subscription(conn: Connection, partner_id: str, subscription_id: str, *, lock: bool) -> Row | None:
    return await conn.fetchrow(
        f"SELECT {COLUMNS} FROM crypto_webhook_subscriptions WHERE id = :id AND partner_id = :partner_id"
        + (conn.for_update if lock else ""),
        {"id": subscription_id, "partner_id": partner_id},
    )


async def delete_subscription(conn: Connection, subscription_id: str) -> None:
    await conn.execute("DELETE FROM crypto_webhook_subscriptions WHERE id = :id", {"id": subscription_id})
