"""Webhook events (spec 6), written in the transaction of the change they report.

`emit` stores the event with its envelope serialised once (compact UTF-8 JSON, the bytes every
delivery attempt sends) and, when the partner has a webhook URL at that moment, queues its
delivery on the platform outbox (kind `auto.webhook`, FIFO per order). Without a URL the event
is recorded as `delivery_skipped` and never sent.
"""

from __future__ import annotations

from collections.abc import Mapping
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
DELIVERY_SKIPPED = "delivery_skipped"


def envelope(event_id: str, event_type: str, occurred_at: datetime, previous: Mapping[str, Any],
             order: dict[str, Any]) -> bytes:
    return orjson.dumps({"id": event_id, "type": event_type, "occurred_at": kst(occurred_at),
                         "data": {**previous, "order": order}})


async def emit(
    conn: Connection, *, event_type: str, order: Record, previous: Mapping[str, Any],
    competition: Competition, webhook_url: str | None, now: datetime,
) -> str:
    """Record one event about `order` (its state after the change) and queue its delivery."""
    event_id = "evt_" + ids.new_ulid()
    snapshot = order_json(order, competition.leader_id, competition.leader_max_bid_usd)
    payload = envelope(event_id, event_type, now, previous, snapshot)
    status = PENDING if webhook_url else DELIVERY_SKIPPED
    await repository.insert_event(conn, event_id=event_id, order_id=order["id"], partner_id=order["partner_id"],
                                  event_type=event_type, payload=payload, delivery_status=status, now=now)
    if status == PENDING:
        await outbox.enqueue(conn, WEBHOOK_KIND, ref=event_id, due_at=now, now=now, fifo_key=order["id"])
    return event_id
