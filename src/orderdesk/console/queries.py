"""Read-only views the operator APIs do not offer (overview counts, lists of crypto records,
webhook deliveries). Only SELECTs: every change goes through a use case (auto_actions,
crypto_actions)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import orjson

from orderdesk.auto.timefmt import KST, kst_midnight
from orderdesk.crypto import catalogue
from orderdesk.platform import cursors
from orderdesk.platform.db import Connection, Row
from orderdesk.platform.runtime import Runtime

PAGE_SIZE = 25


@dataclass(frozen=True)
class Page:
    rows: list[dict[str, Any]]
    next_cursor: str | None


def _record(row: Row) -> dict[str, Any]:
    return {name: row[name] for name in row.keys()}  # noqa: SIM118 - a Row iterates its values


async def _keyset(
    conn: Connection,
    select: str,
    conditions: list[str],
    params: dict[str, Any],
    filters: dict[str, Any],
    cursor: str | None,
    *,
    time_column: str = "created_at",
    id_column: str = "id",
    limit: int = PAGE_SIZE,
) -> Page:
    """Newest first by (time, id); the cursor is the platform's, bound to the filters."""
    digest = cursors.filters_hash(filters)
    where = list(conditions)
    if cursor:
        try:
            at, last_id = cursors.decode(cursor, "created_desc", digest)
            after = datetime.fromisoformat(at)
        except (cursors.InvalidCursor, ValueError, TypeError):
            after, last_id = None, None
        if after is not None:
            where.append(f"({time_column} < :after_t OR ({time_column} = :after_t AND {id_column} < :after_id))")
            params = {**params, "after_t": after, "after_id": last_id}
    sql = f"{select} WHERE {' AND '.join(where) or 'TRUE'} ORDER BY {time_column} DESC, {id_column} DESC LIMIT :lim"
    rows = [_record(r) for r in await conn.fetch(sql, {**params, "lim": limit + 1})]
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        last = rows[-1]
        key_time = last[time_column.split(".")[-1]]
        next_cursor = cursors.encode("created_desc", digest, [key_time.isoformat(), last[id_column.split(".")[-1]]])
    return Page(rows, next_cursor)


# --------------------------------------------------------------------------- overview


async def overview(runtime: Runtime) -> dict[str, Any]:
    now = runtime.clock.now()
    today = now.astimezone(KST).date()
    start, end = kst_midnight(today), kst_midnight(today + timedelta(days=1))
    async with runtime.db.transaction(write=False) as conn:
        due = await conn.fetch(
            "SELECT v.id, v.make, v.model, v.auction_date,"
            " (SELECT COUNT(*) FROM auto_orders o WHERE o.vehicle_id = v.id AND o.status IN ('proceed', 'acquiring'))"
            " AS active_orders FROM auto_vehicles v"
            " WHERE v.withdrawn = FALSE AND v.auction_date >= :start AND v.auction_date < :end ORDER BY v.auction_date",
            {"start": start, "end": end},
        )
        auto_status = await conn.fetch("SELECT status, COUNT(*) AS n FROM auto_orders GROUP BY status ORDER BY status")
        crypto_state = await conn.fetch("SELECT state, COUNT(*) AS n FROM crypto_orders GROUP BY state ORDER BY state")
        auto_hooks = await conn.fetch(
            "SELECT delivery_status, COUNT(*) AS n FROM auto_events GROUP BY delivery_status ORDER BY delivery_status"
        )
        crypto_hooks = await conn.fetch(
            "SELECT state, COUNT(*) AS n FROM crypto_webhook_deliveries GROUP BY state ORDER BY state"
        )
        waiting_docs = await conn.fetchval("SELECT COUNT(*) FROM crypto_requirements WHERE status = 'pending_review'")
        pending_auth = await conn.fetchval("SELECT COUNT(*) FROM crypto_authorizations WHERE state = 'pending'")
        in_transit = await conn.fetchval(
            "SELECT COUNT(*) FROM crypto_orders WHERE operation = 'send' AND state = 'processing'"
        )
    return {
        "today": today.isoformat(),
        "auctions_due": [_record(r) for r in due],
        "auto_orders": {r["status"]: r["n"] for r in auto_status},
        "crypto_orders": {r["state"]: r["n"] for r in crypto_state},
        "auto_webhooks": {r["delivery_status"]: r["n"] for r in auto_hooks},
        "crypto_webhooks": {r["state"]: r["n"] for r in crypto_hooks},
        "kyc_waiting": int(waiting_docs or 0),
        "authorizations_pending": int(pending_auth or 0),
        "sends_in_transit": int(in_transit or 0),
    }


# --------------------------------------------------------------------------- auto


async def auto_vehicles(runtime: Runtime, search: str | None, cursor: str | None) -> Page:
    conditions, params = [], {}
    if search:
        conditions.append("(LOWER(id) LIKE :q OR LOWER(make) LIKE :q OR LOWER(model) LIKE :q)")
        params["q"] = f"%{search.lower()}%"
    async with runtime.db.transaction(write=False) as conn:
        return await _keyset(
            conn,
            "SELECT id, source, make, model, year, auction_date, auction_result, listing_usd, withdrawn, created_at"
            " FROM auto_vehicles",
            conditions,
            params,
            {"q": search},
            cursor,
        )


async def auto_deliveries(runtime: Runtime, state: str | None, cursor: str | None) -> Page:
    """Auto webhook events with their next attempt (the outbox row's due time while pending)."""
    conditions, params = [], {}
    if state:
        conditions.append("e.delivery_status = :state")
        params["state"] = state
    async with runtime.db.transaction(write=False) as conn:
        return await _keyset(
            conn,
            "SELECT e.id, e.order_id, e.partner_id, e.type, e.delivery_status, e.attempts, e.last_response_code,"
            " e.last_attempt_at, e.created_at, (SELECT MIN(o.due_at) FROM outbox o WHERE o.ref = e.id"
            " AND o.state = 'pending') AS next_attempt_at FROM auto_events e",
            conditions,
            params,
            {"state": state},
            cursor,
            time_column="e.created_at",
            id_column="e.id",
        )


async def auto_next_attempts(runtime: Runtime, event_ids: list[str]) -> dict[str, Any]:
    """When each pending event is next attempted (its outbox row's due time)."""
    if not event_ids:
        return {}
    marks = ", ".join(f":e{i}" for i in range(len(event_ids)))
    async with runtime.db.transaction(write=False) as conn:
        rows = await conn.fetch(
            f"SELECT ref, MIN(due_at) AS due_at FROM outbox WHERE state = 'pending' AND ref IN ({marks}) GROUP BY ref",
            {f"e{i}": event_id for i, event_id in enumerate(event_ids)},
        )
    return {row["ref"]: row["due_at"] for row in rows}


# --------------------------------------------------------------------------- crypto


async def crypto_partners(runtime: Runtime, cursor: str | None) -> Page:
    async with runtime.db.transaction(write=False) as conn:
        return await _keyset(
            conn,
            "SELECT id, name, settlement_currencies, active, created_at FROM crypto_partners",
            [],
            {},
            {},
            cursor,
        )


async def crypto_customers(
    runtime: Runtime, state: str | None, search: str | None, cursor: str | None, *, waiting: bool = False
) -> Page:
    conditions, params = [], {}
    if waiting:
        conditions.append(
            "EXISTS (SELECT 1 FROM crypto_requirements r WHERE r.customer_id = c.id AND r.status = 'pending_review')"
        )
    if state:
        conditions.append("c.state = :state")
        params["state"] = state
    if search:
        conditions.append("(LOWER(c.email) LIKE :q OR c.reference_id_ci LIKE :q OR c.id = :exact)")
        params.update(q=f"%{search.lower()}%", exact=search)
    async with runtime.db.transaction(write=False) as conn:
        return await _keyset(
            conn,
            "SELECT c.id, c.partner_id, p.name AS partner_name, c.type, c.reference_id, c.state, c.email, c.kyc,"
            " (SELECT COUNT(*) FROM crypto_requirements r WHERE r.customer_id = c.id AND r.status = 'pending_review')"
            " AS waiting, c.created_at FROM crypto_customers c JOIN crypto_partners p ON p.id = c.partner_id",
            conditions,
            params,
            {"state": state, "q": search, "waiting": waiting},
            cursor,
            time_column="c.created_at",
            id_column="c.id",
        )


ORDER_COLUMNS = (
    "SELECT o.id, o.partner_id, o.customer_id, o.operation, o.state, o.cancel_reason, o.asset_currency,"
    " o.asset_amount, o.settlement_currency, o.settlement_amount, o.created_at FROM crypto_orders o"
)


async def crypto_orders(runtime: Runtime, filters: dict[str, str | None], cursor: str | None) -> Page:
    conditions, params = [], {}
    for name in ("state", "operation", "customer_id"):
        if filters.get(name):
            conditions.append(f"o.{name} = :{name}")
            params[name] = filters[name]
    async with runtime.db.transaction(write=False) as conn:
        return await _keyset(
            conn, ORDER_COLUMNS, conditions, params, filters, cursor, time_column="o.created_at", id_column="o.id"
        )


async def order_postings(runtime: Runtime, order_id: str) -> list[dict[str, Any]]:
    """The ledger effect of an order: its postings' entries, oldest first."""
    async with runtime.db.transaction(write=False) as conn:
        rows = await conn.fetch(
            "SELECT p.id AS posting_id, p.kind, p.created_at, e.account_id, e.currency, e.amount"
            " FROM crypto_postings p JOIN crypto_entries e ON e.posting_id = p.id"
            " WHERE p.order_id = :order_id ORDER BY p.created_at, p.id, e.id",
            {"order_id": order_id},
        )
    return [{**_record(r), "amount": format(r["amount"], "f")} for r in rows]


async def crypto_deliveries(
    runtime: Runtime, state: str | None, cursor: str | None, order_id: str | None = None
) -> Page:
    """Crypto webhook deliveries with their event, attempts and next attempt."""
    conditions, params = [], {}
    if state:
        conditions.append("d.state = :state")
        params["state"] = state
    if order_id:
        conditions.append("ev.order_ref = :order_id")
        params["order_id"] = order_id
    async with runtime.db.transaction(write=False) as conn:
        page = await _keyset(
            conn,
            "SELECT d.id, d.event_id, d.subscription_id, d.state, d.attempts, d.last_response_code, d.last_error,"
            " d.last_attempt_at, d.created_at, ev.action, ev.partner_id, ev.body,"
            " (SELECT MIN(o.due_at) FROM outbox o WHERE o.ref = d.id AND o.state = 'pending') AS next_attempt_at"
            " FROM crypto_webhook_deliveries d JOIN crypto_events ev ON ev.id = d.event_id",
            [c for c in conditions if "order_ref" not in c],
            {k: v for k, v in params.items() if k != "order_id"},
            {"state": state},
            cursor,
            time_column="d.created_at",
            id_column="d.id",
            limit=200 if order_id else PAGE_SIZE,
        )
    rows = []
    for row in page.rows:
        body = orjson.loads(bytes(row.pop("body")))
        row["order_id"] = (body.get("order") or {}).get("id") if isinstance(body.get("order"), dict) else None
        if order_id is None or row["order_id"] == order_id:
            rows.append(row)
    return Page(rows, page.next_cursor)


async def crypto_authorizations(runtime: Runtime, cursor: str | None) -> Page:
    async with runtime.db.transaction(write=False) as conn:
        return await _keyset(
            conn,
            "SELECT a.id, a.order_id, a.state, a.expires_at, a.signed_at, a.created_at, o.customer_id,"
            " o.asset_currency, o.asset_amount FROM crypto_authorizations a JOIN crypto_orders o ON o.id = a.order_id",
            [],
            {},
            {},
            cursor,
            time_column="a.created_at",
            id_column="a.id",
        )


async def crypto_catalogue(runtime: Runtime) -> dict[str, Any]:
    async with runtime.db.transaction(write=False) as conn:
        return {
            "assets": await catalogue.assets(conn),
            "prices": [p.view() for p in await catalogue.prices(conn)],
            "investments": await catalogue.investments(conn),
        }


async def crypto_positions(runtime: Runtime) -> list[dict[str, Any]]:
    async with runtime.db.transaction(write=False) as conn:
        rows = await conn.fetch(
            "SELECT customer_id, investment_id, principal, updated_at FROM crypto_positions"
            " ORDER BY updated_at DESC LIMIT 200"
        )
    return [_record(r) for r in rows]
