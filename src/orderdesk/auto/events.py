"""Webhook events (spec 6), written in the transaction of the change they report.

`emit_many` stores each event with its envelope serialised once (compact UTF-8 JSON, the bytes
every delivery attempt sends) and, when the partner has a webhook URL at that moment, queues its
delivery on the platform outbox (kind `auto.webhook`, FIFO per order). Without a URL the event
is recorded as `delivery_skipped` and never sent. auto/webhooks.py delivers them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson

from orderdesk.auto import repository
from orderdesk.auto.bidding import Competition
from orderdesk.auto.serializers import Record, order_json
from orderdesk.auto.timefmt import kst
from orderdesk.platform import ids, outbox
from orderdesk.platform.db import Connection

WEBHOOK_KIND = "auto.webhook"
PENDING = "pending"
DELIVERED = "delivered"
FAILED = "failed"
DELIVERY_SKIPPED = "delivery_skipped"


@dataclass(frozen=True)
class Event:
    """One change to report: its type, the order after it, what it was before."""

    event_type: str
    order: Record
    previous: Mapping[str, Any]
    webhook_url: str | None


def envelope(
    event_id: str, event_type: str, occurred_at: datetime, previous: Mapping[str, Any], order: dict[str, Any]
) -> bytes:
    return orjson.dumps(
        {"id": event_id, "type": event_type, "occurred_at": kst(occurred_at), "data": {**previous, "order": order}}
    )


async def emit_many(conn: Connection, events: Sequence[Event], *, competition: Competition, now: datetime) -> list[str]:
    """Record the events (in list order, which is their order per order) and queue the
    deliveries of those whose partner has a webhook URL. Returns the event ids."""
    rows, deliveries = [], []
    for event in events:
        event_id = "evt_" + ids.new_ulid()
        snapshot = order_json(event.order, competition.leader_id, competition.leader_max_bid_usd)
        status = PENDING if event.webhook_url else DELIVERY_SKIPPED
        rows.append(
            {
                "id": event_id,
                "order_id": event.order["id"],
                "partner_id": event.order["partner_id"],
                "type": event.event_type,
                "payload": envelope(event_id, event.event_type, now, event.previous, snapshot),
                "delivery_status": status,
                "now": now,
            }
        )
        if status == PENDING:
            deliveries.append((event_id, event.order["id"]))
    if rows:
        await repository.insert_events(conn, rows)
    if deliveries:
        await outbox.enqueue_many(conn, WEBHOOK_KIND, deliveries, due_at=now, now=now)
    return [row["id"] for row in rows]


async def emit(
    conn: Connection,
    *,
    event_type: str,
    order: Record,
    previous: Mapping[str, Any],
    competition: Competition,
    webhook_url: str | None,
    now: datetime,
) -> str:
    """Record one event about `order` (its state after the change) and queue its delivery."""
    [event_id] = await emit_many(
        conn, [Event(event_type, order, previous, webhook_url)], competition=competition, now=now
    )
    return event_id
