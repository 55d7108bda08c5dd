"""All of auto's SQL. Every partner-facing query is scoped by the calling partner, so another
partner's id is simply not found."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from orderdesk.auto.bidding import Bid
from orderdesk.platform import idempotency
from orderdesk.platform.db import Connection, Database, Row
from orderdesk.platform.ids import is_ulid

# --------------------------------------------------------------------------- partners and keys


@dataclass(frozen=True)
class FoundKey:
    key_id: str
    partner_id: str
    revoked: bool
    ip_allowlist: str | None


_KEY_COLUMNS = (
    "k.id AS key_id, k.partner_id AS key_partner_id, k.revoked_at AS key_revoked_at, p.ip_allowlist AS key_ip_allowlist"
)
_KEY_JOIN = "auto_api_keys k JOIN auto_partners p ON p.id = k.partner_id"


def _found_key(row: Row | None) -> FoundKey | None:
    if row is None:
        return None
    return FoundKey(row["key_id"], row["key_partner_id"], row["key_revoked_at"] is not None, row["key_ip_allowlist"])


async def find_api_key(db: Database, digest: str) -> FoundKey | None:
    """The key and its partner's allowlist: one statement, outside any transaction."""
    return _found_key(
        await db.fetchrow(f"SELECT {_KEY_COLUMNS} FROM {_KEY_JOIN} WHERE k.digest = :digest", {"digest": digest})
    )


PARTNER_COLUMNS = "id, name, environment, ip_allowlist, webhook_url, created_at"


async def insert_partner(conn: Connection, partner: Mapping[str, Any]) -> None:
    await conn.execute(
        "INSERT INTO auto_partners (id, name, environment, ip_allowlist, webhook_url, webhook_secret, created_at)"
        " VALUES (:id, :name, :environment, :ip_allowlist, :webhook_url, :webhook_secret, :created_at)",
        partner,
    )


async def insert_api_key(
    conn: Connection, *, key_id: str, partner_id: str, digest: str, key_prefix: str, now: datetime
) -> None:
    await conn.execute(
        "INSERT INTO auto_api_keys (id, partner_id, digest, key_prefix, created_at, revoked_at)"
        " VALUES (:id, :partner_id, :digest, :key_prefix, :now, NULL)",
        {"id": key_id, "partner_id": partner_id, "digest": digest, "key_prefix": key_prefix, "now": now},
    )


async def get_partner(conn: Connection, partner_id: str, *, lock: bool = False) -> Row | None:
    return await conn.fetchrow(
        f"SELECT {PARTNER_COLUMNS} FROM auto_partners WHERE id = :id" + (conn.for_update if lock else ""),
        {"id": partner_id},
    )


async def find_partner_by_name(conn: Connection, name: str, environment: str) -> Row | None:
    return await conn.fetchrow(
        f"SELECT {PARTNER_COLUMNS} FROM auto_partners WHERE name = :name AND environment = :environment"
        " ORDER BY created_at, id LIMIT 1",
        {"name": name, "environment": environment},
    )


async def update_partner(
    conn: Connection, partner_id: str, *, ip_allowlist: str | None, webhook_url: str | None
) -> None:
    await conn.execute(
        "UPDATE auto_partners SET ip_allowlist = :ip_allowlist, webhook_url = :webhook_url WHERE id = :id",
        {"id": partner_id, "ip_allowlist": ip_allowlist, "webhook_url": webhook_url},
    )


async def list_partners(
    conn: Connection, condition: str, params: dict[str, Any], order_by: str, limit: int
) -> list[Row]:
    where = f" WHERE {condition}" if condition else ""
    return await conn.fetch(
        f"SELECT {PARTNER_COLUMNS} FROM auto_partners{where} ORDER BY {order_by} LIMIT :limit",
        {**params, "limit": limit},
    )


async def partner_keys(conn: Connection, partner_id: str) -> list[Row]:
    return await conn.fetch(
        "SELECT id, key_prefix, created_at, revoked_at FROM auto_api_keys WHERE partner_id = :partner_id"
        " ORDER BY created_at, id",
        {"partner_id": partner_id},
    )


async def get_key(conn: Connection, partner_id: str, key_id: str) -> Row | None:
    return await conn.fetchrow(
        "SELECT id, revoked_at FROM auto_api_keys WHERE id = :id AND partner_id = :partner_id" + conn.for_update,
        {"id": key_id, "partner_id": partner_id},
    )


async def revoke_key(conn: Connection, key_id: str, now: datetime) -> None:
    await conn.execute(
        "UPDATE auto_api_keys SET revoked_at = :now WHERE id = :id AND revoked_at IS NULL",
        {"id": key_id, "now": now},
    )


# --------------------------------------------------------------------------- vehicles

VEHICLE_FIELDS = (
    "source",
    "make",
    "make_ci",
    "model",
    "model_ci",
    "trim",
    "year",
    "mileage_km",
    "fuel",
    "transmission",
    "color",
    "engine_cc",
    "drivetrain",
    "options",
    "accident_grade",
    "exterior_grade",
    "auction_date",
    "auction_count",
    "auction_result",
    "listing_usd",
    "vin",
    "license_plate",
    "images",
    "inspection_report",
    "body_condition",
)
VEHICLE_COLUMNS = ", ".join(
    ("id", *VEHICLE_FIELDS, "withdrawn", "leader_order_id", "leader_max_bid_usd", "leader_created_at")
)
SUMMARY_COLUMNS = ", ".join(("id", *VEHICLE_FIELDS[:20]))


async def lock_vehicle(conn: Connection, vehicle_id: str) -> Row | None:
    """Take the vehicle's row lock (spec 2.14) and read it."""
    return await conn.fetchrow(
        f"SELECT {VEHICLE_COLUMNS} FROM auto_vehicles WHERE id = :id" + conn.for_update, {"id": vehicle_id}
    )


async def get_vehicle(conn: Connection, vehicle_id: str) -> Row | None:
    return await conn.fetchrow(f"SELECT {VEHICLE_COLUMNS} FROM auto_vehicles WHERE id = :id", {"id": vehicle_id})


async def insert_vehicle(conn: Connection, vehicle_id: str, values: Mapping[str, Any], now: datetime) -> None:
    columns = ", ".join(VEHICLE_FIELDS)
    marks = ", ".join(f":{name}" for name in VEHICLE_FIELDS)
    await conn.execute(
        f"INSERT INTO auto_vehicles (id, {columns}, withdrawn, created_at, updated_at)"
        f" VALUES (:id, {marks}, FALSE, :now, :now)",
        {**values, "id": vehicle_id, "now": now},
    )


async def replace_vehicle(conn: Connection, vehicle_id: str, values: Mapping[str, Any], now: datetime) -> None:
    assignments = ", ".join(f"{name} = :{name}" for name in VEHICLE_FIELDS)
    await conn.execute(
        f"UPDATE auto_vehicles SET {assignments}, withdrawn = FALSE, updated_at = :now WHERE id = :id",
        {**values, "id": vehicle_id, "now": now},
    )


async def withdraw_vehicle(conn: Connection, vehicle_id: str, now: datetime) -> None:
    await conn.execute(
        "UPDATE auto_vehicles SET withdrawn = TRUE, updated_at = :now WHERE id = :id", {"id": vehicle_id, "now": now}
    )


_SET_LEADER = (
    "UPDATE auto_vehicles SET leader_order_id = :leader_order_id, leader_max_bid_usd = :leader_max_bid_usd,"
    " leader_created_at = :leader_created_at WHERE id = :vehicle_id"
)


def _leader_params(vehicle_id: str, leader: Bid | None) -> dict[str, Any]:
    return {
        "vehicle_id": vehicle_id,
        "leader_order_id": leader and leader.order_id,
        "leader_max_bid_usd": leader and leader.max_bid_usd,
        "leader_created_at": leader and leader.created_at,
    }


async def set_leader(conn: Connection, vehicle_id: str, leader: Bid | None) -> None:
    await conn.execute(_SET_LEADER, _leader_params(vehicle_id, leader))


async def list_vehicles(conn: Connection, where: str, params: dict[str, Any], order_by: str, limit: int) -> list[Row]:
    return await conn.fetch(
        f"SELECT {SUMMARY_COLUMNS} FROM auto_vehicles WHERE {where} ORDER BY {order_by} LIMIT :limit",
        {**params, "limit": limit},
    )


async def count_vehicles(conn: Connection, where: str, params: dict[str, Any]) -> int:
    return int(await conn.fetchval(f"SELECT count(*) FROM auto_vehicles WHERE {where}", params))


async def facet_rows(conn: Connection, where: str, params: dict[str, Any]) -> list[Row]:
    return await conn.fetch(
        f"SELECT DISTINCT source, make, model, fuel, transmission FROM auto_vehicles WHERE {where}", params
    )


# --------------------------------------------------------------------------- orders

ORDER_FIELDS = (
    "status",
    "max_bid_amount_usd",
    "frozen_is_highest_bid",
    "frozen_current_max_bid_usd",
    "purchase_price_usd",
    "auction_fee_usd",
    "auction_date",
    "order_cutoff_at",
    "failure_reason",
    "cancellation_reason",
    "fulfillment_detail",
    "shipment",
    "created_at",
    "updated_at",
)
ORDER_COLUMNS = ", ".join(f"o.{name}" for name in ("id", "partner_id", "vehicle_id", *ORDER_FIELDS))
# The leading columns, in this order, of every order read with its vehicle's leader
# (`list_orders`, `get_order`, `find_api_key_and_order`): the read path renders them by position
# (serializers.read_order).
ORDER_READ_COLUMNS = ("id", "partner_id", "vehicle_id", *ORDER_FIELDS, "leader_order_id", "leader_max_bid_usd")
_MUTABLE_ORDER_FIELDS = tuple(name for name in ORDER_FIELDS if name not in ("max_bid_amount_usd", "created_at"))
_ORDER_WITH_LEADER = (
    f"SELECT {ORDER_COLUMNS}, v.leader_order_id, v.leader_max_bid_usd"
    " FROM auto_orders o JOIN auto_vehicles v ON v.id = o.vehicle_id"
)


_ORDER_INSERT_COLUMNS = ("id", "partner_id", "vehicle_id", *ORDER_FIELDS)
# INSERT ... SELECT rather than VALUES, so that a WITH can add FROM ... WHERE (place_order).
_ORDER_INSERT = (
    f"INSERT INTO auto_orders ({', '.join(_ORDER_INSERT_COLUMNS)})"
    f" SELECT {', '.join(':' + c for c in _ORDER_INSERT_COLUMNS)}"
)


async def insert_order(conn: Connection, order: Mapping[str, Any]) -> None:
    await conn.execute(_ORDER_INSERT, {name: order[name] for name in _ORDER_INSERT_COLUMNS})


async def place_order(
    conn: Connection,
    order: Mapping[str, Any],
    entry: Mapping[str, Any],
    leader: Bid | None,
    record: Mapping[str, Any],
    *,
    own_claims_only: bool,
    refuse: Callable[[list[Row]], None],
) -> None:
    """Write a new order, its first history entry (keys of `_HISTORY_INSERT`'s parameters), the
    vehicle's new leader (None: it stays) and the idempotency record (`RECORD_INSERT`'s
    parameters), unless `refuse` raises on the claims on the vehicle (`claims_on_vehicle`; the
    order's partner's only with `own_claims_only`). Call with the vehicle locked.

    On PostgreSQL one data-modifying WITH, one round trip: its reads see the snapshot taken
    after the vehicle lock was granted, its writes are skipped when a claim blocks the order
    (`_BLOCKING`, the SQL form of what `refuse` refuses), and `refuse` judges the claims it
    returns. SQLite has no such WITH, and its statements are in-process calls anyway."""
    vehicle_id = order["vehicle_id"]
    if conn.dialect != "postgresql":
        refuse(await claims_on_vehicle(conn, vehicle_id, order["partner_id"] if own_claims_only else None))
        await insert_order(conn, order)
        await insert_history_many(conn, [entry])
        if leader is not None:
            await set_leader(conn, vehicle_id, leader)
        await conn.execute(idempotency.RECORD_INSERT, record)
        return
    set_leader_step = f", leader AS ({_SET_LEADER} AND (SELECT free FROM gate))" if leader is not None else ""
    blocking = _BLOCKING if own_claims_only else "TRUE"
    rows = await conn.fetch(
        f"WITH claims AS ({_claims_query(own_claims_only)}),"
        f" gate AS (SELECT NOT EXISTS (SELECT 1 FROM claims WHERE {blocking}) AS free),"
        f" new_order AS ({_ORDER_INSERT} FROM gate WHERE free RETURNING id),"
        f" history AS ({_HISTORY_INSERT} FROM new_order){set_leader_step},"
        f" record AS ({idempotency.RECORD_INSERT} FROM new_order)"
        " SELECT id, partner_id, status, (SELECT count(*) FROM new_order) AS placed FROM gate"
        " LEFT JOIN claims ON TRUE ORDER BY created_at, id",
        {
            **{name: order[name] for name in _ORDER_INSERT_COLUMNS},
            **entry,
            **(_leader_params(vehicle_id, leader) if leader is not None else {}),
            **record,
        },
    )
    claims = [row for row in rows if row["id"] is not None]
    refuse(claims)
    assert rows[0]["placed"] == 1, "a claim blocked the order in SQL that `refuse` let through"


async def update_order(conn: Connection, order: Mapping[str, Any]) -> None:
    await update_orders(conn, [order])


async def update_orders(conn: Connection, orders: Sequence[Mapping[str, Any]]) -> None:
    """Store the mutable fields of several orders in one batch (pipelined on PostgreSQL)."""
    assignments = ", ".join(f"{name} = :{name}" for name in _MUTABLE_ORDER_FIELDS)
    await conn.executemany(
        f"UPDATE auto_orders SET {assignments} WHERE id = :id",
        [{"id": order["id"], **{name: order[name] for name in _MUTABLE_ORDER_FIELDS}} for order in orders],
    )


# Statuses in which an order holds its vehicle (all but cancelled and failed), written as a
# positive list so that the partial index auto_orders_vehicle_claiming serves the query.
_CLAIMING = "status IN ('proceed', 'acquiring', 'secured', 'shipping', 'delivered')"
# Among an auction order's own claims, those that refuse it (spec 4.4 step 5: an open order);
# on a buy-now car every claim refuses it (steps 5 and 6).
_BLOCKING = "status IN ('proceed', 'acquiring', 'secured', 'shipping')"


def _claims_query(partner_scoped: bool) -> str:
    scope = " AND partner_id = :partner_id" if partner_scoped else ""
    return (
        "SELECT id, partner_id, status, created_at FROM auto_orders"
        f" WHERE vehicle_id = :vehicle_id AND {_CLAIMING}{scope}"
    )


async def claims_on_vehicle(conn: Connection, vehicle_id: str, partner_id: str | None) -> list[Row]:
    """Orders that hold the vehicle (any status but cancelled/failed), oldest first: the
    partner's own when `partner_id` is given, else every partner's."""
    return await conn.fetch(
        f"{_claims_query(partner_id is not None)} ORDER BY created_at, id",
        {"vehicle_id": vehicle_id, "partner_id": partner_id} if partner_id is not None else {"vehicle_id": vehicle_id},
    )


async def top_bid(conn: Connection, vehicle_id: str) -> Bid | None:
    """The leader among the vehicle's active auction orders (spec 4.2 ranking)."""
    row = await conn.fetchrow(
        "SELECT id, max_bid_amount_usd, created_at FROM auto_orders WHERE vehicle_id = :vehicle_id"
        " AND status IN ('proceed', 'acquiring') AND max_bid_amount_usd IS NOT NULL"
        " ORDER BY max_bid_amount_usd DESC, created_at ASC, id ASC LIMIT 1",
        {"vehicle_id": vehicle_id},
    )
    return None if row is None else Bid(row["id"], row["max_bid_amount_usd"], row["created_at"])


async def find_api_key_and_order(db: Database, digest: str, order_id: str) -> tuple[FoundKey | None, Row | None]:
    """The key lookup and, in the same statement, the key's partner's order `order_id` with its
    vehicle's leader: the whole of GET /v1/orders/{id} in one round trip. The caller still runs
    the key checks before it looks at the order."""
    row = await db.fetchrow(
        f"SELECT {ORDER_COLUMNS}, v.leader_order_id, v.leader_max_bid_usd, {_KEY_COLUMNS} FROM {_KEY_JOIN}"
        " LEFT JOIN auto_orders o ON o.id = :order_id AND o.partner_id = k.partner_id"
        " LEFT JOIN auto_vehicles v ON v.id = o.vehicle_id WHERE k.digest = :digest",
        {"digest": digest, "order_id": order_id},
    )
    return _found_key(row), (row if row is not None and row["id"] is not None else None)


async def find_api_key_and_orders(
    db: Database, digest: str, where: str, params: dict[str, Any], order_by: str, limit: int
) -> tuple[FoundKey | None, list[Row]]:
    """PostgreSQL: the key lookup and, in the same statement, one scan of a page of the key's
    partner's orders (`where` names the partner as `k.partner_id`), rows as `list_orders`
    reads them. The caller still runs the key checks before it looks at the rows.

    The partner comes from the key's row, so PostgreSQL plans the scan for a partner it does not
    know: on the partner's index. Given the partner as a value, it could pick the global
    `created_at` index for a partner holding a large share of the table, and scan every other
    partner's newer orders (docs/performance.md, change 14)."""
    rows = await db.fetch(
        f"SELECT page.*, {_KEY_COLUMNS} FROM {_KEY_JOIN} LEFT JOIN LATERAL ({_ORDER_WITH_LEADER}"
        f" WHERE {where} ORDER BY {order_by} LIMIT :limit) page ON TRUE"
        f" WHERE k.digest = :digest ORDER BY {_ORDER_ALIAS.sub('page.', order_by)}",
        {**params, "digest": digest, "limit": limit},
    )
    found = _found_key(rows[0]) if rows else None
    return found, [row for row in rows if row["id"] is not None]  # no order: one row of NULLs


_ORDER_ALIAS = re.compile(r"\bo\.")


async def get_order(conn: Connection, order_id: str) -> Row | None:
    return await conn.fetchrow(f"{_ORDER_WITH_LEADER} WHERE o.id = :id", {"id": order_id})


async def order_vehicle_id(conn: Connection, partner_id: str, order_id: str) -> str | None:
    if not is_ulid(order_id):  # malformed: unknown (spec 2.4); PostgreSQL cannot compare a NUL
        return None
    return await conn.fetchval(
        "SELECT vehicle_id FROM auto_orders WHERE id = :id AND partner_id = :partner_id",
        {"id": order_id, "partner_id": partner_id},
    )


async def any_order_vehicle_id(conn: Connection, order_id: str) -> str | None:
    """The vehicle of any partner's order (operator calls; ids are global)."""
    return await conn.fetchval("SELECT vehicle_id FROM auto_orders WHERE id = :id", {"id": order_id})


async def partner_webhook_url(conn: Connection, partner_id: str) -> str | None:
    return await conn.fetchval("SELECT webhook_url FROM auto_partners WHERE id = :id", {"id": partner_id})


async def lock_order(conn: Connection, order_id: str) -> Row | None:
    """Read an order under its row lock; take the vehicle's lock first (spec 2.14)."""
    return await conn.fetchrow(
        f"SELECT {ORDER_COLUMNS} FROM auto_orders o WHERE o.id = :id" + conn.for_update, {"id": order_id}
    )


async def lock_active_orders(conn: Connection, vehicle_id: str) -> list[Row]:
    """The vehicle's active orders, oldest first, with each partner's current webhook URL."""
    return await conn.fetch(
        f"SELECT {ORDER_COLUMNS},"
        " (SELECT p.webhook_url FROM auto_partners p WHERE p.id = o.partner_id) AS webhook_url"
        " FROM auto_orders o WHERE o.vehicle_id = :vehicle_id AND o.status IN ('proceed', 'acquiring')"
        " ORDER BY o.created_at, o.id" + conn.for_update,
        {"vehicle_id": vehicle_id},
    )


async def list_orders(
    conn: Connection | Database, where: str, params: dict[str, Any], order_by: str, limit: int
) -> list[Row]:
    return await conn.fetch(
        f"{_ORDER_WITH_LEADER} WHERE {where} ORDER BY {order_by} LIMIT :limit", {**params, "limit": limit}
    )


# --------------------------------------------------------------------------- history and events


_HISTORY_INSERT = (
    "INSERT INTO auto_order_history (order_id, at, actor, from_status, to_status, from_fulfillment_detail,"
    " to_fulfillment_detail, occurred_at, notes)"
    " SELECT :order_id, :at, :actor, :from_status, :to_status, :from_detail, :to_detail, :occurred_at, :notes"
)


async def insert_history(
    conn: Connection,
    order_id: str,
    *,
    at: datetime,
    actor: str,
    from_status: str | None,
    to_status: str,
    from_detail: str | None = None,
    to_detail: str | None = None,
    occurred_at: str | None = None,
    notes: str | None = None,
) -> None:
    await insert_history_many(
        conn,
        [
            {
                "order_id": order_id,
                "at": at,
                "actor": actor,
                "from_status": from_status,
                "to_status": to_status,
                "from_detail": from_detail,
                "to_detail": to_detail,
                "occurred_at": occurred_at,
                "notes": notes,
            }
        ],
    )


async def insert_history_many(conn: Connection, entries: Sequence[Mapping[str, Any]]) -> None:
    """History entries with the keys of `_HISTORY_INSERT`'s parameters."""
    await conn.executemany(_HISTORY_INSERT, entries)


async def order_history(conn: Connection, order_id: str) -> list[Row]:
    return await conn.fetch(
        "SELECT at, actor, from_status, to_status, from_fulfillment_detail, to_fulfillment_detail,"
        " occurred_at, notes FROM auto_order_history WHERE order_id = :order_id ORDER BY id",
        {"order_id": order_id},
    )


async def insert_events(conn: Connection, events: Sequence[Mapping[str, Any]]) -> None:
    """Events with keys id, order_id, partner_id, type, payload, delivery_status, now."""
    await conn.executemany(
        "INSERT INTO auto_events (id, order_id, partner_id, type, payload, delivery_status, attempts,"
        " last_response_code, last_attempt_at, created_at)"
        " VALUES (:id, :order_id, :partner_id, :type, :payload, :delivery_status, 0, NULL, NULL, :now)",
        events,
    )


EVENT_COLUMNS = "seq, id, type, payload, delivery_status, attempts, last_response_code, last_attempt_at, created_at"


async def list_events(
    conn: Connection, order_id: str, condition: str, params: dict[str, Any], order_by: str, limit: int
) -> list[Row]:
    where = "order_id = :order_id" + (f" AND {condition}" if condition else "")
    return await conn.fetch(
        f"SELECT {EVENT_COLUMNS} FROM auto_events WHERE {where} ORDER BY {order_by} LIMIT :limit",
        {**params, "order_id": order_id, "limit": limit},
    )


async def events_for_delivery(db: Database, event_ids: Sequence[str]) -> list[Row]:
    """Events with their partners' current webhook URL and secret: one statement, no transaction."""
    if not event_ids:
        return []
    marks, params = in_list("event", event_ids)
    async with db.transaction(write=False) as conn:
        return await conn.fetch(
            "SELECT e.id, e.partner_id, e.payload, e.delivery_status, p.webhook_url, p.webhook_secret"
            f" FROM auto_events e JOIN auto_partners p ON p.id = e.partner_id WHERE e.id IN ({marks})",
            params,
        )


async def record_delivery_attempts(conn: Connection, attempts: Sequence[Any]) -> None:
    """Each attempt (event_id, delivery_status, response_code, at) counted on its event."""
    await conn.executemany(
        "UPDATE auto_events SET delivery_status = :status, attempts = attempts + 1,"
        " last_response_code = :code, last_attempt_at = :at WHERE id = :id AND delivery_status = 'pending'",
        [{"id": a.event_id, "status": a.delivery_status, "code": a.response_code, "at": a.at} for a in attempts],
    )


async def skip_deliveries(conn: Connection, event_ids: Sequence[str]) -> None:
    await conn.executemany(
        "UPDATE auto_events SET delivery_status = 'delivery_skipped' WHERE id = :id AND delivery_status = 'pending'",
        [{"id": event_id} for event_id in event_ids],
    )


async def lock_event_delivery(conn: Connection, event_id: str) -> Row | None:
    """The event's id, order_id and delivery_status, locked."""
    return await conn.fetchrow(
        "SELECT id, order_id, delivery_status FROM auto_events WHERE id = :id" + conn.for_update, {"id": event_id}
    )


async def mark_delivery_pending(conn: Connection, event_id: str) -> None:
    await conn.execute("UPDATE auto_events SET delivery_status = 'pending' WHERE id = :id", {"id": event_id})


# --------------------------------------------------------------------------- scheduler


_WAITING_AUCTION = "o.status = 'proceed' AND o.max_bid_amount_usd IS NOT NULL"


async def vehicles_due_to_start(conn: Connection, now: datetime, not_before: datetime, limit: int) -> list[str]:
    """Listed vehicles whose auction date is in (not_before, now] and that still have a
    `proceed` auction order (spec 9.1). Read along auto_orders_waiting_auction, by date."""
    rows = await conn.fetch(
        "SELECT o.vehicle_id FROM auto_orders o JOIN auto_vehicles v ON v.id = o.vehicle_id"
        f" WHERE {_WAITING_AUCTION} AND o.auction_date <= :now AND o.auction_date > :not_before"
        " AND v.withdrawn = FALSE AND v.auction_date <= :now AND v.auction_date > :not_before"
        " ORDER BY o.auction_date LIMIT :limit",
        {"now": now, "not_before": not_before, "limit": limit},
    )
    return list(dict.fromkeys(row["vehicle_id"] for row in rows))


async def vehicles_with_passed_orders(conn: Connection, passed_before: datetime, limit: int) -> list[str]:
    """Vehicles with a `proceed` auction order whose auction date is at or before `passed_before`
    (spec 9.2). Read along auto_orders_waiting_auction, by date."""
    rows = await conn.fetch(
        f"SELECT o.vehicle_id FROM auto_orders o WHERE {_WAITING_AUCTION}"
        " AND o.auction_date <= :passed_before ORDER BY o.auction_date LIMIT :limit",
        {"passed_before": passed_before, "limit": limit},
    )
    return list(dict.fromkeys(row["vehicle_id"] for row in rows))


async def lock_vehicle_if_free(conn: Connection, vehicle_id: str) -> Row | None:
    """The vehicle under its row lock, or None when another transaction holds it (PostgreSQL
    SKIP LOCKED: a job leaves a busy vehicle to its next round) or it does not exist."""
    return await conn.fetchrow(
        f"SELECT {VEHICLE_COLUMNS} FROM auto_vehicles WHERE id = :id" + conn.skip_locked, {"id": vehicle_id}
    )


def in_list(name: str, values: Sequence[Any]) -> tuple[str, dict[str, Any]]:
    """`:name_0, :name_1, ...` and their parameters, for `column IN (...)`."""
    params = {f"{name}_{i}": value for i, value in enumerate(values)}
    return ", ".join(f":{key}" for key in params), params
