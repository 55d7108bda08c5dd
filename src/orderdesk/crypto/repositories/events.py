"""SQL of crypto_events: the webhook events as recorded (spec/crypto.md 9.2)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from orderdesk.platform.db import Connection, Row


def insert_event(event_id: str, partner_id: str, action: str, body: bytes, now: datetime) -> tuple[str, dict[str, Any]]:
    """The event's insert as a statement and its parameters: the webhook fan-out runs it together
    with the read of the partner's subscriptions (one round trip on PostgreSQL)."""
    return (
        "INSERT INTO crypto_events (id, partner_id, action, body, created_at)"
        " VALUES (:id, :partner_id, :action, :body, :now)",
        {"id": event_id, "partner_id": partner_id, "action": action, "body": body, "now": now},
    )


async def event_bodies(conn: Connection, partner_id: str) -> list[Row]:
    """The partner's events (body), oldest first."""
    return await conn.fetch(
        "SELECT body FROM crypto_events WHERE partner_id = :partner_id ORDER BY seq", {"partner_id": partner_id}
    )
