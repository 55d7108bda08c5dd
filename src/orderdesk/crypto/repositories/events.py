"""SQL of crypto_events: the webhook events as recorded (spec/crypto.md 9.2)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from orderdesk.platform.db import Connection, Row


def insert_events(
    events: Sequence[tuple[str, str, bytes]], partner_id: str, now: datetime
) -> tuple[str, dict[str, Any]]:
    """The insert of `events` ((id, action, body), in order) as a statement and its parameters:
    the webhook fan-out runs it together with the read of the partner's subscriptions (one
    round trip on PostgreSQL). One INSERT, its rows in the given order."""
    params: dict[str, Any] = {"partner_id": partner_id, "now": now}
    rows = []
    for n, (event_id, action, body) in enumerate(events):
        rows.append(f"(:id{n}, :partner_id, :action{n}, :body{n}, :now)")
        params.update({f"id{n}": event_id, f"action{n}": action, f"body{n}": body})
    return f"INSERT INTO crypto_events (id, partner_id, action, body, created_at) VALUES {', '.join(rows)}", params


async def event_bodies(conn: Connection, partner_id: str) -> list[Row]:
    """The partner's events (body), oldest first."""
    return await conn.fetch(
        "SELECT body FROM crypto_events WHERE partner_id = :partner_id ORDER BY seq", {"partner_id": partner_id}
    )
