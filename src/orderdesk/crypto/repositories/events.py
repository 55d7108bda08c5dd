"""SQL of crypto_events: the webhook events as recorded (spec/crypto.md 9.2)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from orderdesk.platform.db import Connection, Row

_INSERT = "INSERT INTO crypto_events (id, partner_id, action, body, created_at)"


def insert_events(
    events: Sequence[tuple[str, str, bytes]], partner_id: str, now: datetime, *, only_if: str | None = None
) -> tuple[str, dict[str, Any]]:
    """The insert of `events` ((id, action, body), in order) as a statement and its parameters:
    the webhook fan-out runs it together with the read of the partner's subscriptions (one
    round trip on PostgreSQL). One INSERT, its rows in the given order. `only_if` (PostgreSQL:
    a condition on the statement it joins) inserts them only when it holds."""
    params: dict[str, Any] = {"partner_id": partner_id, "now": now}
    rows = []
    # A VALUES list in a subquery does not take the columns' types.
    body_type, now_type = ("::bytea", "::timestamptz") if only_if else ("", "")
    for n, (event_id, action, body) in enumerate(events):
        rows.append(f"(:id{n}, :partner_id, :action{n}, :body{n}{body_type}, :now{now_type})")
        params.update({f"id{n}": event_id, f"action{n}": action, f"body{n}": body})
    if only_if is not None:
        return f"{_INSERT} SELECT * FROM (VALUES {', '.join(rows)}) AS v WHERE {only_if}", params
    return f"{_INSERT} VALUES {', '.join(rows)}", params


async def rewrite_bodies(conn: Connection, events: Sequence[tuple[str, str, bytes]]) -> None:
    """New bodies for recorded events ((id, action, body))."""
    await conn.executemany(
        "UPDATE crypto_events SET body = :body WHERE id = :id", [{"id": i, "body": body} for i, _, body in events]
    )


async def event_bodies(conn: Connection, partner_id: str) -> list[Row]:
    """The partner's events (body), oldest first."""
    return await conn.fetch(
        "SELECT body FROM crypto_events WHERE partner_id = :partner_id ORDER BY seq", {"partner_id": partner_id}
    )
