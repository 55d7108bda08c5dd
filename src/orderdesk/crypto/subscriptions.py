"""Webhook subscriptions (spec/crypto.md 9.1): create (single or batch form), list, read,
delete. Delivery itself lives in `crypto.webhooks`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import orjson

from orderdesk.crypto import errors, formats, webhooks
from orderdesk.crypto.auth import Partner
from orderdesk.crypto.events import ACTIONS
from orderdesk.crypto.validation import NOT_OBJECT, NOT_STRING, Fields, Node, one_of
from orderdesk.platform import ids
from orderdesk.platform.db import Connection
from orderdesk.platform.errors import ApiError
from orderdesk.platform.runtime import Runtime

MAX_URL_LENGTH = 2048
SINGLE_FIELDS = ("url", "events")
AT_LEAST_ONE = "Must contain at least one item."
COLUMNS = "id, url, events, created_at"


@dataclass(frozen=True)
class NewSubscription:
    url: str
    events: list[str]


def subscription_not_found() -> ApiError:
    return errors.not_found("Subscription not found")


# --------------------------------------------------------------------------- input


def is_http_url(value: str) -> bool:
    """An absolute http(s) URL with a host, printable ASCII only (percent-encode the rest)."""
    if not all("\x21" <= ch <= "\x7e" for ch in value):
        return False
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 - raises on a malformed port
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.hostname)


def _url(fields: Fields, node: Node, production: bool) -> str | None:
    value = fields.string(node, "url", required=True, max_length=MAX_URL_LENGTH)
    if value is None:
        return None
    if not is_http_url(value):
        fields.add((*node.path, "url"), "Not a valid URL.")
        return None
    if production and urlsplit(value).scheme != "https":
        fields.add((*node.path, "url"), "Must use https.")
        return None
    return value


def _events(fields: Fields, node: Node) -> list[str]:
    """The actions asked for, duplicates removed in the order given; absent or null = all."""
    items = fields.list(node, "events")
    if items is None:
        return list(ACTIONS)
    path = (*node.path, "events")
    if not items:
        fields.add(path, AT_LEAST_ONE)
    chosen: list[str] = []
    for position, item in enumerate(items):
        if not isinstance(item, str):
            fields.add((*path, position), NOT_STRING)
        elif item not in ACTIONS:
            fields.add((*path, position), one_of(ACTIONS))
        elif item not in chosen:
            chosen.append(item)
    return chosen


def _one(fields: Fields, node: Node, production: bool) -> NewSubscription:
    url = _url(fields, node, production)
    return NewSubscription(url or "", _events(fields, node))


def subscriptions_input(data: dict[str, Any], environment: str) -> tuple[list[NewSubscription], bool]:
    """The subscriptions to create and whether the batch form was used (a body with a
    `subscriptions` key is the batch form; its items are reported under their positions)."""
    production = environment == "production"
    fields = Fields()
    if "subscriptions" not in data:
        single = _one(fields, fields.root(data, SINGLE_FIELDS), production)
        fields.raise_if_any()
        return [single], False
    root = fields.root(data, ("subscriptions",))
    items = fields.list(root, "subscriptions", required=True)
    if items == []:
        fields.add(("subscriptions",), AT_LEAST_ONE)
    batch: list[NewSubscription] = []
    for position, item in enumerate(items or []):
        if not isinstance(item, dict):
            fields.add(("subscriptions", position), NOT_OBJECT)
            continue
        node = Node(item, ("subscriptions", position))
        fields.unknown(node, SINGLE_FIELDS)
        batch.append(_one(fields, node, production))
    fields.raise_if_any()
    return batch, True


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
            await conn.execute(
                "INSERT INTO crypto_webhook_subscriptions (id, partner_id, url, events, created_at)"
                " VALUES (:id, :partner_id, :url, :events, :created_at)",
                row,
            )
    views = [view(row) for row in rows]
    return {"subscriptions": views} if batch else views[0]


async def list_all(runtime: Runtime, partner: Partner) -> dict[str, Any]:
    async with runtime.db.transaction(write=False) as conn:
        rows = await conn.fetch(
            f"SELECT {COLUMNS} FROM crypto_webhook_subscriptions WHERE partner_id = :partner_id ORDER BY seq",
            {"partner_id": partner.id},
        )
    return {"subscriptions": [view(row) for row in rows]}


async def _require(conn: Connection, partner: Partner, subscription_id: str, *, lock: bool = False) -> Any:
    row = None
    if ids.is_hex32(subscription_id):
        row = await conn.fetchrow(
            f"SELECT {COLUMNS} FROM crypto_webhook_subscriptions WHERE id = :id AND partner_id = :partner_id"
            + (conn.for_update if lock else ""),
            {"id": subscription_id, "partner_id": partner.id},
        )
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
        await conn.execute("DELETE FROM crypto_webhook_subscriptions WHERE id = :id", {"id": subscription_id})
