"""SQL of crypto_authorizations: the partner authorizations of sends (spec/crypto.md 8.15)."""

from __future__ import annotations

from datetime import datetime

from orderdesk.platform.db import Connection, Row

AUTHORIZATION_COLUMNS = "id, order_id, state, expires_at, signed_at, created_at"


async def insert_pending_authorization(
    conn: Connection, authorization_id: str, order_id: str, expires_at: datetime, now: datetime
) -> None:
    await conn.execute(
        f"INSERT INTO crypto_authorizations ({AUTHORIZATION_COLUMNS}) VALUES (:id, :order_id, 'pending',"
        " :expires_at, NULL, :now)",
        {"id": authorization_id, "order_id": order_id, "now": now, "expires_at": expires_at},
    )


async def authorizations_of_order(conn: Connection, order_id: str) -> list[Row]:
    """Oldest first."""
    return await conn.fetch(
        f"SELECT {AUTHORIZATION_COLUMNS} FROM crypto_authorizations WHERE order_id = :order_id ORDER BY created_at, id",
        {"order_id": order_id},
    )


async def find_authorization(conn: Connection, order_id: str, authorization_id: str) -> Row | None:
    return await conn.fetchrow(
        f"SELECT {AUTHORIZATION_COLUMNS} FROM crypto_authorizations WHERE id = :id AND order_id = :order_id",
        {"id": authorization_id, "order_id": order_id},
    )


async def has_pending_authorization(conn: Connection, order_id: str) -> bool:
    return (
        await conn.fetchval(
            "SELECT 1 FROM crypto_authorizations WHERE order_id = :id AND state = 'pending'", {"id": order_id}
        )
        is not None
    )


async def sign_pending_authorization(conn: Connection, authorization_id: str, state: str, now: datetime) -> int:
    """`state` (approved or rejected) with its signing time, if still pending; returns the rows changed."""
    return await conn.execute(
        "UPDATE crypto_authorizations SET state = :state, signed_at = :now WHERE id = :id AND state = 'pending'",
        {"state": state, "now": now, "id": authorization_id},
    )


async def expire_pending_authorization(conn: Connection, authorization_id: str) -> int:
    """`expired` if still pending; returns the rows changed."""
    return await conn.execute(
        "UPDATE crypto_authorizations SET state = 'expired' WHERE id = :id AND state = 'pending'",
        {"id": authorization_id},
    )


async def due_authorizations(conn: Connection, now: datetime, limit: int) -> list[Row]:
    """Pending authorizations (id, order_id) past `expires_at` of processing orders, earliest first."""
    return await conn.fetch(
        "SELECT a.id, a.order_id FROM crypto_authorizations a JOIN crypto_orders o ON o.id = a.order_id"
        " WHERE a.state = 'pending' AND a.expires_at <= :now AND o.state = 'processing'"
        " ORDER BY a.expires_at LIMIT :limit",
        {"now": now, "limit": limit},
    )
