"""GET one order and the order list (spec/crypto.md 8.14), scoped to the partner's customer."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from orderdesk.crypto import customers, errors, partners
from orderdesk.crypto.auth import Caller, Partner
from orderdesk.crypto.http_input import Page
from orderdesk.crypto.orders.view import order_view
from orderdesk.crypto.repositories import orders as repo
from orderdesk.platform import ids
from orderdesk.platform.db import Connection
from orderdesk.platform.runtime import Runtime


async def find(conn: Connection, customer_id: str, order_id: str, *, lock: bool = False) -> Any:
    if not ids.is_hex32(order_id):
        return None
    return await repo.find_customer_order(conn, customer_id, order_id, lock=lock)


async def customer_of(conn: Connection, caller: Caller, customer_id: str) -> tuple[Partner, Any]:
    """The caller's partner and its customer (404 when not its own). A caller not yet
    authenticated (PostgreSQL) is read by the same statement, and judged first."""
    if caller.partner is not None:
        return caller.partner, await customers.require(conn, customer_id, caller.partner.id)
    assert caller.given is not None
    row, customer, _ = await repo.partner_customer_order(
        conn, caller.given.digest, _well_formed(customer_id), None, with_order=False
    )
    partner = await caller.admit(row)
    if customer is None:
        raise errors.customer_not_found()
    return partner, customer


async def customer_and_locked_order(
    conn: Connection, caller: Caller, customer_id: str, order_id: str
) -> tuple[Partner, Any, Any | None]:
    """`customer_of`, then the customer's order under its row lock (None: not found). On
    PostgreSQL one statement: the caller's partner, the customer and the order."""
    if caller.partner is not None:
        customer = await customers.require(conn, customer_id, caller.partner.id)
        return caller.partner, customer, await find(conn, customer_id, order_id, lock=True)
    assert caller.given is not None
    row, customer, order = await repo.partner_customer_order(
        conn, caller.given.digest, _well_formed(customer_id), _well_formed(order_id), with_order=True
    )
    partner = await caller.admit(row)
    if customer is None:
        raise errors.customer_not_found()
    return partner, customer, order


def _well_formed(value: str) -> str | None:
    return value if ids.is_hex32(value) else None


async def snapshot(conn: Connection, order_id: str, now: datetime) -> dict[str, Any]:
    """The order as GET shows it now, inside the caller's transaction."""
    row = await repo.order_with_asset_places(conn, order_id)
    assert row is not None, order_id
    return view(row, now)


def view(row: Any, now: datetime) -> dict[str, Any]:
    """The order as GET shows it, from a row read with its `asset_places`."""
    return order_view(row, now, {row["asset_currency"]: row["asset_places"]})


async def get_order(runtime: Runtime, partner: Partner, customer_id: str, order_id: str) -> dict[str, Any]:
    async with runtime.db.transaction(write=False) as conn:
        await customers.require(conn, customer_id, partner.id)
        row = await find(conn, customer_id, order_id)
        if row is None:
            raise errors.order_not_found()
        return order_view(row, runtime.clock.now(), await partners.currency_places(conn))


async def list_orders(
    runtime: Runtime, partner: Partner, customer_id: str, filters: dict[str, str | None], page: Page
) -> dict[str, Any]:
    now = runtime.clock.now()
    async with runtime.db.transaction(write=False) as conn:
        await customers.require(conn, customer_id, partner.id)
        total = await repo.count_orders(conn, customer_id, filters, page.limit, page.offset, now)
        rows = await repo.orders_page(conn, customer_id, filters, page.limit, page.offset, now)
        places = await partners.currency_places(conn)
    return {"orders": [order_view(row, now, places) for row in rows], "total": int(total)}
