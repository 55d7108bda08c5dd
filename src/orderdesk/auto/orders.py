"""Order use cases: place (spec 4.4), cancel (4.7), read (4.5, 4.6) and the operator's views
(8.6). Each runs in one transaction."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

import orjson

from orderdesk.auto import errors, idempotent, lifecycle, repository
from orderdesk.auto.auth import Lookup, Principal
from orderdesk.auto.bidding import order_cutoff
from orderdesk.auto.errors import Issue
from orderdesk.auto.inputs import OpsOrderList, OrderList, Page, PlaceOrder
from orderdesk.auto.repository import FoundKey
from orderdesk.auto.serializers import (
    event_json,
    history_json,
    ops_order_from_row,
    order_json,
    read_ops_orders,
    read_orders,
)
from orderdesk.platform import idempotency, ids
from orderdesk.platform.db import Connection, Database, Row
from orderdesk.platform.runtime import Runtime


def is_auction_vehicle(vehicle: Row) -> bool:
    return vehicle["auction_result"] == "upcoming"


# --------------------------------------------------------------------------- place


async def place_order(runtime: Runtime, principal: Principal, key: str, request: PlaceOrder) -> idempotent.Answer:
    call = idempotent.Call(principal.partner_id, key, idempotent.PLACE_ORDER, request.vehicle_id)

    async def work(conn: Connection) -> tuple[int, bytes]:
        return 201, await _place(conn, runtime, call, request)

    return await idempotent.run(runtime, call, work, work_records=True)


async def _place(conn: Connection, runtime: Runtime, call: idempotent.Call, request: PlaceOrder) -> bytes:
    """Spec 4.4's checks in order; steps 5 and 6 judge the claims read with the writes."""
    now = runtime.clock.now()
    vehicle = await repository.lock_vehicle(conn, request.vehicle_id)
    if vehicle is None:
        raise errors.vehicle_not_found()
    if vehicle["withdrawn"]:
        raise errors.vehicle_unavailable("withdrawn")
    if vehicle["auction_result"] == "sold":
        raise errors.vehicle_unavailable("sold")
    auction = is_auction_vehicle(vehicle)
    cutoff = _check_ceiling_and_cutoff(vehicle, request.max_bid_amount_usd, runtime, now) if auction else None
    if not auction and request.max_bid_amount_usd is not None:
        raise errors.validation_error(
            [Issue("body", "max_bid_amount_usd", "must be null or omitted for a buy-now vehicle")]
        )
    order = _new_order(call.partner_id, vehicle, request.max_bid_amount_usd if auction else None, cutoff, now)
    placement = lifecycle.placement(order, vehicle)
    competition = placement.competition
    body = orjson.dumps(order_json(order, competition.leader_id, competition.leader_max_bid_usd))

    def refuse(claims: list[Row]) -> None:
        _check_claims(claims, call.partner_id, auction)

    with idempotency.conflict_is_race():
        await lifecycle.place(conn, order, placement, call.record(201, body, now), refuse)
    return body


def _check_ceiling_and_cutoff(vehicle: Row, max_bid: int | None, runtime: Runtime, now: datetime) -> datetime:
    listing = vehicle["listing_usd"]
    if max_bid is None or max_bid < listing:
        raise errors.missing_max_bid(listing)
    cutoff = order_cutoff(vehicle["auction_date"], runtime.settings.order_cutoff_rule)
    if now >= cutoff:
        raise errors.past_order_cutoff(cutoff, now)
    return cutoff


def _check_claims(claims: list[Row], partner_id: str, auction: bool) -> None:
    """Steps 5 and 6 of spec 4.4: the partner's own open order, then a taken buy-now car."""
    for claim in claims:
        if claim["partner_id"] == partner_id and claim["status"] in lifecycle.OPEN:
            raise errors.duplicate_order(claim["id"])
    if not auction and claims:
        raise errors.vehicle_unavailable("taken")


def _new_order(
    partner_id: str, vehicle: Row, max_bid: int | None, cutoff: datetime | None, now: datetime
) -> dict[str, Any]:
    return {
        "id": ids.new_ulid(),
        "partner_id": partner_id,
        "vehicle_id": vehicle["id"],
        "status": lifecycle.PROCEED,
        "max_bid_amount_usd": max_bid,
        "frozen_is_highest_bid": None,
        "frozen_current_max_bid_usd": None,
        "purchase_price_usd": None,
        "auction_fee_usd": None,
        "auction_date": vehicle["auction_date"],
        "order_cutoff_at": cutoff,
        "failure_reason": None,
        "cancellation_reason": None,
        "fulfillment_detail": None,
        "shipment": None,
        "created_at": now,
        "updated_at": now,
    }


# --------------------------------------------------------------------------- cancel


async def cancel_order(runtime: Runtime, principal: Principal, key: str, order_id: str) -> idempotent.Answer:
    path = f"/v1/orders/{order_id}"
    call = idempotent.Call(
        principal.partner_id, key, "DELETE /v1/orders/{order_id}", idempotent.path_fingerprint("DELETE", path)
    )

    async def work(conn: Connection) -> tuple[int, bytes]:
        return 200, await _cancel(conn, runtime, principal.partner_id, order_id)

    return await idempotent.run(runtime, call, work)


async def _cancel(conn: Connection, runtime: Runtime, partner_id: str, order_id: str) -> bytes:
    vehicle_id = await repository.order_vehicle_id(conn, partner_id, order_id)
    if vehicle_id is None:
        raise errors.order_not_found()
    vehicle = await repository.lock_vehicle(conn, vehicle_id)
    order = await repository.lock_order(conn, order_id)
    assert vehicle is not None and order is not None
    change = lifecycle.VehicleChange(conn, vehicle, actor=lifecycle.PARTNER, now=runtime.clock.now())
    try:
        cancelled = await change.apply(order, "partner_cancel")
    except lifecycle.IllegalTransition as exc:
        raise errors.invalid_status_transition(exc.current_status) from None
    await change.finish()
    return orjson.dumps(order_json(cancelled, None, None))


# --------------------------------------------------------------------------- read


def key_and_order_lookup(order_id: str) -> Callable[[Database, str], Awaitable[tuple[FoundKey | None, Row | None]]]:
    """GET /v1/orders/{id} reads the key and the order in one statement (its hot path)."""

    async def lookup(db: Database, digest: str) -> tuple[FoundKey | None, Row | None]:
        return await repository.find_api_key_and_order(db, digest, order_id)

    return lookup


def order_body(row: Row | None) -> bytes:
    """The Order of a row read with its vehicle's leader; an unknown or foreign id is 404."""
    if row is None:
        raise errors.order_not_found()
    return orjson.dumps(read_orders([row])[0])


async def list_orders(runtime: Runtime, partner_id: str, query: OrderList) -> dict[str, Any]:
    if query.ids == []:
        return {"data": [], "next_cursor": None}
    conditions, params = _own_orders(query, ":partner_id")
    return await _order_page(runtime, conditions, {**params, "partner_id": partner_id}, query.page, read_orders)


def key_and_page_lookup(runtime: Runtime, query: OrderList) -> Lookup[list[Row]] | None:
    """GET /v1/orders on PostgreSQL, for a page read by one scan: the key and the page in one
    statement (as GET by id). None where `list_orders` must run after the key checks: SQLite
    (no round trips to save), `ids` given empty, a page of two scans."""
    page = query.page
    if runtime.db.dialect != "postgresql" or query.ids == [] or not page.sort.one_scan(page.after):
        return None
    conditions, params = _own_orders(query, "k.partner_id")

    async def lookup(db: Database, digest: str) -> tuple[FoundKey | None, list[Row]]:
        found: FoundKey | None = None

        async def fetch(condition: str, extra: dict[str, Any], order_by: str, limit: int) -> list[Row]:
            nonlocal found
            where = " AND ".join([*conditions, condition] if condition else conditions)
            found, rows = await repository.find_api_key_and_orders(
                db, digest, where, {**params, **extra}, order_by, limit
            )
            return rows

        rows = await page.sort.page(fetch, page.after, page.limit + 1)  # one scan: one statement
        return found, rows

    return lookup


def order_page_body(query: OrderList, rows: list[Row]) -> dict[str, Any]:
    """The page `key_and_page_lookup` read, as `list_orders` answers it."""
    rows, next_cursor = query.page.next_cursor(rows)
    return {"data": read_orders(rows), "next_cursor": next_cursor}


def _own_orders(query: OrderList, partner: str) -> tuple[list[str], dict[str, Any]]:
    """The filters of the partner's list; `partner` is the SQL that names the partner's id."""
    conditions = [f"o.partner_id = {partner}"]
    params: dict[str, Any] = {}
    if query.ids is not None:
        marks, id_params = repository.in_list("id", query.ids)
        conditions.append(f"o.id IN ({marks})")
        params.update(id_params)
    if query.status is not None:
        conditions.append("o.status = :status")
        params["status"] = query.status
    if query.created_from is not None:
        conditions.append("o.created_at >= :created_from AND o.created_at < :created_to")
        params.update(created_from=query.created_from, created_to=query.created_to)
    return conditions, params


async def ops_list_orders(runtime: Runtime, query: OpsOrderList) -> dict[str, Any]:
    conditions: list[str] = []
    params: dict[str, Any] = {}
    for name, value in (("vehicle_id", query.vehicle_id), ("partner_id", query.partner_id), ("status", query.status)):
        if value is not None:
            conditions.append(f"o.{name} = :{name}")
            params[name] = value
    return await _order_page(runtime, conditions, params, query.page, read_ops_orders)


async def _order_page(
    runtime: Runtime,
    conditions: list[str],
    params: dict[str, Any],
    page: Page,
    render: Callable[[list[Row]], list[dict[str, Any]]],
) -> dict[str, Any]:
    async def read(reader: Connection | Database) -> list[Row]:
        async def fetch(condition: str, extra: dict[str, Any], order_by: str, limit: int) -> list[Row]:
            where = " AND ".join([*conditions, condition] if condition else conditions) or "TRUE"
            return await repository.list_orders(reader, where, {**params, **extra}, order_by, limit)

        return await page.sort.page(fetch, page.after, page.limit + 1)

    if page.sort.one_scan(page.after):  # no transaction to open and close around one statement
        rows = await read(runtime.db)
    else:
        async with runtime.db.transaction(write=False) as conn:
            rows = await read(conn)
    rows, next_cursor = page.next_cursor(rows)
    return {"data": render(rows), "next_cursor": next_cursor}


async def ops_get_order(runtime: Runtime, order_id: str) -> dict[str, Any]:
    async with runtime.db.transaction(write=False) as conn:
        row = await repository.get_order(conn, order_id)
        history = await repository.order_history(conn, order_id) if row is not None else []
    if row is None:
        raise errors.order_not_found()
    body = ops_order_from_row(row)
    body["history"] = [history_json(entry) for entry in history]
    return body


async def list_events(runtime: Runtime, partner_id: str, order_id: str, page: Page) -> dict[str, Any]:
    """The webhook log of one own order (spec 4.9)."""
    async with runtime.db.transaction(write=False) as conn:
        if await repository.order_vehicle_id(conn, partner_id, order_id) is None:
            raise errors.order_not_found()

        async def fetch(condition: str, extra: dict[str, Any], order_by: str, limit: int) -> list[Row]:
            return await repository.list_events(conn, order_id, condition, extra, order_by, limit)

        rows = await page.sort.page(fetch, page.after, page.limit + 1)
    rows, next_cursor = page.next_cursor(rows)
    return {"data": [event_json(row) for row in rows], "next_cursor": next_cursor}
