"""Webhook events (spec/crypto.md 9.2), recorded in the transaction that causes them.

`emit` writes one `crypto_events` row whose body is fixed at creation: compact UTF-8 JSON
`{"id", "action", "created_at", <entity keys>}`, entities being snapshots as GET shows them
at that moment, and queues one delivery (a `crypto_webhook_deliveries` row and an outbox row)
per subscription of the partner that listens to the action, in this same transaction
(`crypto.webhooks.fan_out`; signing and retries: 9.3)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import orjson

from orderdesk.crypto import formats, webhooks
from orderdesk.crypto.repositories import events as repo
from orderdesk.crypto.vocabulary import WEBHOOK_ACTIONS
from orderdesk.platform import ids
from orderdesk.platform.db import Connection

ACTIONS = WEBHOOK_ACTIONS


async def emit(conn: Connection, partner_id: str, action: str, entities: dict[str, Any], now: datetime) -> str:
    """Record one event for `partner_id` (the partner that owns the customer). Returns its id."""
    return (await emit_all(conn, partner_id, [action], entities, now))[0]


async def emit_all(
    conn: Connection, partner_id: str, actions: Sequence[str], entities: dict[str, Any], now: datetime
) -> list[str]:
    """`emit` of one event per action, in order, with the same entities: one statement for
    the events and the subscriptions' read. Returns their ids."""
    unknown = [action for action in actions if action not in ACTIONS]
    if unknown:
        raise ValueError(f"unknown webhook action {unknown[0]!r}")
    created = formats.timestamp(now)
    events = []
    for action in actions:
        event_id = ids.new_hex_id()
        events.append(
            (event_id, action, orjson.dumps({"id": event_id, "action": action, "created_at": created, **entities}))
        )
    insert = repo.insert_events(events, partner_id, now)
    await webhooks.fan_out(conn, partner_id, [(action, event_id) for event_id, action, _ in events], now, after=insert)
    return [event_id for event_id, _, _ in events]


async def recorded(conn: Connection, partner_id: str) -> list[dict[str, Any]]:
    """The partner's events, oldest first, as their bodies (tests)."""
    rows = await repo.event_bodies(conn, partner_id)
    return [orjson.loads(row["body"]) for row in rows]
