"""Webhook subscriptions (spec/crypto.md 9.1): create (single or batch form), list, read,
delete. Delivery itself lives in `crypto.webhooks`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson
from pydantic import TypeAdapter

from orderdesk.crypto import contract_errors, errors, formats, webhooks
from orderdesk.crypto.auth import Partner
from orderdesk.crypto.events import ACTIONS
from orderdesk.crypto.models import partner as m
from orderdesk.crypto.repositories import subscriptions as repo
from orderdesk.platform import ids
from orderdesk.platform.db import Connection
from orderdesk.platform.errors import ApiError
from orderdesk.platform.runtime import Runtime

SINGLE = TypeAdapter(m.NewSubscription)
BATCH = TypeAdapter(m.NewSubscriptions)
COLUMNS = repo.COLUMNS


@dataclass(frozen=True)
class NewSubscription:
    url: str
    events: list[str]


def subscription_not_found() -> ApiError:
    return errors.not_found("Subscription not found")


# --------------------------------------------------------------------------- input


def subscriptions_input(data: dict[str, Any], environment: str) -> tuple[list[NewSubscription], bool]:
    """The subscriptions to create and whether the batch form was used (a body with a
    `subscriptions` key is the batch form; its items are reported under their positions)."""
    context = {"production": environment == "production"}
    if "subscriptions" not in data:
        return [_new(contract_errors.validate(SINGLE, data, context))], False
    return [_new(item) for item in contract_errors.validate(BATCH, data, context).subscriptions], True


def _new(item: m.NewSubscription) -> NewSubscription:
    """Duplicates removed in the order given; absent or null = all actions."""
    return NewSubscription(item.url, list(dict.fromkeys(item.events)) if item.events is not None else list(ACTIONS))


# --------------------------------------------------------------------------- use cases


def view(row: Any) -> dict[str, Any]:
    return {
        "id": row["id"],
        "url": row["url"],
        "events": orjson.loads(row["events"]),
        "created_at": formats.timestamp(row["created_at"]),
    }


async def create(runtime: Runtime, partner: Partner, data: dict[str, Any]) -> dict[str, Any]:
    new, batch = subscriptions_input(data, runtime.settings.environment)
    now = runtime.clock.now()
    rows = [
        {
            "id": ids.new_hex_id(),
            "partner_id": partner.id,
            "url": item.url,
            "events": orjson.dumps(item.events).decode(),
            "created_at": now,
        }
        for item in new
    ]
    async with runtime.db.transaction() as conn:
        for row in rows:  # one by one: `seq` keeps the order they were given in
            await repo.insert_subscription(conn, row)
    views = [view(row) for row in rows]
    return {"subscriptions": views} if batch else views[0]


async def list_all(runtime: Runtime, partner: Partner) -> dict[str, Any]:
    async with runtime.db.transaction(write=False) as conn:
        rows = await repo.partner_subscriptions(conn, partner.id)
    return {"subscriptions": [view(row) for row in rows]}


async def _require(conn: Connection, partner: Partner, subscription_id: str, *, lock: bool = False) -> Any:
    row = None
    if ids.is_hex32(subscription_id):
        row = await repo.find_subscription(conn, partner.id, subscription_id, lock=lock)
    if row is None:
        raise subscription_not_found()
    return row


async def get(runtime: Runtime, partner: Partner, subscription_id: str) -> dict[str, Any]:
    async with runtime.db.transaction(write=False) as conn:
        return view(await _require(conn, partner, subscription_id))


async def delete(runtime: Runtime, partner: Partner, subscription_id: str) -> None:
    """Delete the subscription and drop its undelivered events (a delivery queued by an event
    committed concurrently finds the subscription gone and is dropped by the handler)."""
    now = runtime.clock.now()
    async with runtime.db.transaction() as conn:
        await _require(conn, partner, subscription_id, lock=True)
        await webhooks.drop_pending(conn, subscription_id, now)
        await repo.delete_subscription(conn, subscription_id)
