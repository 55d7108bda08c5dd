"""GET one order and the order list (spec/crypto.md 8.14), scoped to the partner's customer."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from orderdesk.crypto import customers, errors, partners
from orderdesk.crypto.auth import Partner
from orderdesk.crypto.http_input import Page
from orderdesk.crypto.orders.view import CONTROL_COLUMNS, ORDER_COLUMNS, order_view
from orderdesk.platform import ids
from orderdesk.platform.db import Connection
from orderdesk.platform.runtime import Runtime


async def find(conn: Connection, customer_id: str, order_id: str, *, lock: bool = False) -> Any:
    if not ids.is_hex32(order_id):
        return None
    return await conn.fetchrow(
        f"SELECT {CONTROL_COLUMNS} FROM crypto_orders WHERE id = :id AND customer_id = :customer_id"
        + (conn.for_update if lock else ""),
        {"id": order_id, "customer_id": customer_id},
    )


async def snapshot(conn: Connection, order_id: str, now: datetime) -> dict[str, Any]:
    """The order as GET shows it now, inside the caller's transaction."""
    row = await conn.fetchrow(
        f"SELECT {ORDER_COLUMNS}, {_ASSET_PLACES} FROM crypto_orders WHERE id = :id", {"id": order_id}
    )
    assert row is not None, order_id
    return order_view(row, now, {row["asset_currency"]: row["asset_places"]})


# The decimals of the order's asset (or investment token) in the same statement as the order.
_ASSET_PLACES = (
    "COALESCE((SELECT decimal_places FROM crypto_assets WHERE id = asset_currency),"
    " (SELECT decimal_places FROM crypto_investments WHERE id = asset_currency), 18) AS asset_places"
)


async def get_order(runtime: Runtime, partner: Partner, customer_id: str, order_id: str) -> dict[str, Any]:
    async with runtime.db.transaction(write=False) as conn:
        await customers.require(conn, customer_id, partner.id)
        row = await find(conn, customer_id, order_id)
        if row is None:
            raise errors.order_not_found()
        return order_view(row, runtime.clock.now(), await partners.currency_places(conn))


def _state_condition(state: str) -> str:
    """SQL for the effective state (8.14): expired pending orders count as cancelled."""
    if state == "pending":
        return "state = 'pending' AND expires_at > :now"
    if state == "cancelled":
        return "(state = 'cancelled' OR (state = 'pending' AND expires_at <= :now))"
    return "state = :state"


async def list_orders(
    runtime: Runtime, partner: Partner, customer_id: str, filters: dict[str, str | None], page: Page
) -> dict[str, Any]:
    now = runtime.clock.now()
    where = "customer_id = :customer_id"
    params: dict[str, Any] = {"customer_id": customer_id, "limit": page.limit, "offset": page.offset}
    if filters["state"] is not None:
        where += " AND " + _state_condition(filters["state"])
        params.update(state=filters["state"], now=now)
    if filters["operation"] is not None:
        where += " AND operation = :operation"
        params["operation"] = filters["operation"]
    if filters["reference_id"] is not None:
        where += " AND reference_id = :reference_id"
        params["reference_id"] = filters["reference_id"]
    async with runtime.db.transaction(write=False) as conn:
        await customers.require(conn, customer_id, partner.id)
        total = await conn.fetchval(f"SELECT COUNT(*) FROM crypto_orders WHERE {where}", params)
        rows = await conn.fetch(
            f"SELECT {ORDER_COLUMNS} FROM crypto_orders WHERE {where}"
            " ORDER BY created_at DESC, id DESC LIMIT :limit OFFSET :offset",
            params,
        )
        places = await partners.currency_places(conn)
    return {"orders": [order_view(row, now, places) for row in rows], "total": int(total)}
