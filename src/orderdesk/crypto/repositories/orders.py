"""SQL of crypto_orders (and of crypto_deposit_hashes, the deposits' transaction hashes)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from orderdesk.crypto.orders.view import CONTROL_COLUMNS, ORDER_COLUMNS
from orderdesk.crypto.repositories.customers import CUSTOMER_COLUMNS
from orderdesk.crypto.repositories.partners import PARTNER_COLUMNS
from orderdesk.platform.db import Connection, Row

# The decimals of the order's asset (or investment token) in the same statement as the order.
_ASSET_PLACES = (
    "COALESCE((SELECT decimal_places FROM crypto_assets WHERE id = asset_currency),"
    " (SELECT decimal_places FROM crypto_investments WHERE id = asset_currency), 18) AS asset_places"
)


async def reference_taken(conn: Connection, partner_id: str, reference_id: str) -> bool:
    return (
        await conn.fetchval(
            "SELECT 1 FROM crypto_orders WHERE partner_id = :partner_id AND reference_id = :reference_id",
            {"partner_id": partner_id, "reference_id": reference_id},
        )
        is not None
    )


async def find_customer_order(conn: Connection, customer_id: str, order_id: str, *, lock: bool) -> Row | None:
    return await conn.fetchrow(
        f"SELECT {CONTROL_COLUMNS} FROM crypto_orders WHERE id = :id AND customer_id = :customer_id"
        + (conn.for_update if lock else ""),
        {"id": order_id, "customer_id": customer_id},
    )


def _aliased(columns: str, table: str, prefix: str) -> str:
    return ", ".join(f"{table}.{name} AS {prefix}{name}" for name in (c.strip() for c in columns.split(",")))


def _part(row: Row, columns: str, prefix: str) -> dict[str, Any] | None:
    """The columns a statement read under `prefix` (None: the outer join found no row)."""
    if row[prefix + "id"] is None:
        return None
    return {name: row[prefix + name] for name in (c.strip() for c in columns.split(","))}


_PARTNER_AND_CUSTOMER = (
    " FROM crypto_partners p LEFT JOIN crypto_customers c ON c.id = :customer_id AND c.partner_id = p.id AND p.active"
)
_LOCKED_ORDER = (
    f" LEFT JOIN LATERAL (SELECT {CONTROL_COLUMNS} FROM crypto_orders"
    " WHERE id = :order_id AND customer_id = c.id FOR UPDATE) o ON TRUE"
)


async def partner_customer_order(
    conn: Connection, api_key_hash: str, customer_id: str | None, order_id: str | None, *, with_order: bool
) -> tuple[dict[str, Any] | None, dict[str, Any] | None, dict[str, Any] | None]:
    """PostgreSQL: the first statement of a write whose caller is not yet authenticated. The
    partner of the API key; its customer `customer_id` (read only for an active partner: an
    inactive one is refused first); with `with_order`, that customer's order `order_id`
    under its row lock, as `find_customer_order(lock=True)` reads it. The caller judges the
    partner before it looks at the rest. Ids that are not well-formed are passed as None."""
    columns = [_aliased(PARTNER_COLUMNS, "p", "p_"), _aliased(CUSTOMER_COLUMNS, "c", "c_")]
    if with_order:
        columns.append(_aliased(CONTROL_COLUMNS, "o", "o_"))
    row = await conn.fetchrow(
        f"SELECT {', '.join(columns)}{_PARTNER_AND_CUSTOMER}{_LOCKED_ORDER if with_order else ''}"
        " WHERE p.api_key_hash = :hash",
        {"hash": api_key_hash, "customer_id": customer_id, **({"order_id": order_id} if with_order else {})},
    )
    if row is None:
        return None, None, None
    order = _part(row, CONTROL_COLUMNS, "o_") if with_order else None
    return _part(row, PARTNER_COLUMNS, "p_"), _part(row, CUSTOMER_COLUMNS, "c_"), order


async def order_with_asset_places(conn: Connection, order_id: str) -> Row | None:
    """The order's columns plus `asset_places`."""
    return await conn.fetchrow(
        f"SELECT {ORDER_COLUMNS}, {_ASSET_PLACES} FROM crypto_orders WHERE id = :id", {"id": order_id}
    )


async def insert_order(conn: Connection, values: dict[str, Any]) -> Row:
    """A new pending order (`_INSERT_ORDER`'s parameters), returned as `order_with_asset_places`
    reads it. On PostgreSQL one statement (a data-modifying WITH); SQLite has no such WITH, and
    its statements are in-process calls anyway."""
    if conn.dialect == "postgresql":
        row = await conn.fetchrow(
            f"WITH new_order AS ({_INSERT_ORDER} RETURNING *) SELECT {ORDER_COLUMNS}, {_ASSET_PLACES} FROM new_order",
            values,
        )
    else:
        await conn.execute(_INSERT_ORDER, values)
        row = await order_with_asset_places(conn, values["id"])
    assert row is not None
    return row


_INSERT_ORDER = (
    "INSERT INTO crypto_orders (id, partner_id, customer_id, reference_id, operation, state, cancel_reason,"
    " asset_currency, asset_amount, settlement_currency, settlement_amount, counter_currency, counter_amount,"
    " commission_type, commission_value, commission_currency, commission_amount, fee_amount, usd_value, quote,"
    " node, expires_at, requires_confirmation_code, code_attempts, code_resends, network, created_at,"
    " last_updated_at) VALUES (:id, :partner_id, :customer_id, :reference_id, :operation, 'pending', NULL,"
    " :currency, :asset_amount, :settlement_currency, :settlement_amount, :counter_currency, :counter_amount,"
    " :commission_type, :commission_value, :commission_currency, :commission_amount, :fee_amount, :usd_value,"
    " :quote, :node, :expires_at, :code, 0, 0, :network, :now, :now)"
)


def _state_condition(state: str) -> str:
    """SQL for the effective state (8.14): expired pending orders count as cancelled."""
    if state == "pending":
        return "state = 'pending' AND expires_at > :now"
    if state == "cancelled":
        return "(state = 'cancelled' OR (state = 'pending' AND expires_at <= :now))"
    return "state = :state"


def _order_filter(
    customer_id: str, filters: dict[str, str | None], limit: int, offset: int, now: datetime
) -> tuple[str, dict[str, Any]]:
    where = "customer_id = :customer_id"
    params: dict[str, Any] = {"customer_id": customer_id, "limit": limit, "offset": offset}
    if filters["state"] is not None:
        where += " AND " + _state_condition(filters["state"])
        params.update(state=filters["state"], now=now)
    if filters["operation"] is not None:
        where += " AND operation = :operation"
        params["operation"] = filters["operation"]
    if filters["reference_id"] is not None:
        where += " AND reference_id = :reference_id"
        params["reference_id"] = filters["reference_id"]
    return where, params


async def count_orders(
    conn: Connection, customer_id: str, filters: dict[str, str | None], limit: int, offset: int, now: datetime
) -> Any:
    """`filters`: state (effective, at `now`), operation, reference_id; None means any."""
    where, params = _order_filter(customer_id, filters, limit, offset, now)
    return await conn.fetchval(f"SELECT COUNT(*) FROM crypto_orders WHERE {where}", params)


async def orders_page(
    conn: Connection, customer_id: str, filters: dict[str, str | None], limit: int, offset: int, now: datetime
) -> list[Row]:
    """Newest first; `filters` as count_orders."""
    where, params = _order_filter(customer_id, filters, limit, offset, now)
    return await conn.fetch(
        f"SELECT {ORDER_COLUMNS} FROM crypto_orders WHERE {where}"
        " ORDER BY created_at DESC, id DESC LIMIT :limit OFFSET :offset",
        params,
    )


async def pending_orders_past_expiry(conn: Connection, now: datetime, limit: int) -> list[Row]:
    """Earliest expiry first."""
    return await conn.fetch(
        "SELECT id FROM crypto_orders WHERE state = 'pending' AND expires_at <= :now ORDER BY expires_at LIMIT :limit",
        {"now": now, "limit": limit},
    )


async def lock_order(conn: Connection, order_id: str) -> Row | None:
    return await conn.fetchrow(
        f"SELECT {CONTROL_COLUMNS} FROM crypto_orders WHERE id = :id" + conn.for_update, {"id": order_id}
    )


async def order_node(conn: Connection, order_id: str) -> Any:
    return await conn.fetchval("SELECT node FROM crypto_orders WHERE id = :id", {"id": order_id})


async def lock_order_skip_locked(conn: Connection, order_id: str) -> Row | None:
    """The order locked, or None when it is gone or another transaction holds it."""
    return await conn.fetchrow(
        f"SELECT {CONTROL_COLUMNS} FROM crypto_orders WHERE id = :id" + conn.skip_locked, {"id": order_id}
    )


async def transition_order(
    conn: Connection,
    order_id: str,
    from_state: str,
    to_state: str,
    reason: str | None,
    at: datetime,
    sets: dict[str, Any],
) -> Row | None:
    """Move the order from `from_state` (compare-and-set) and write `sets` (column names checked
    by the caller); returns the order as `order_with_asset_places` reads it afterwards, or None
    when it is no longer in `from_state`. On PostgreSQL one statement (a data-modifying WITH);
    SQLite has no such WITH, and its statements are in-process calls anyway."""
    assignments = "".join(f", {column} = :{column}" for column in sets)
    update = (
        f"UPDATE crypto_orders SET state = :to, cancel_reason = :reason, last_updated_at = :at{assignments}"
        " WHERE id = :id AND state = :from"
    )
    params = {"to": to_state, "reason": reason, "at": at, "id": order_id, "from": from_state, **sets}
    if conn.dialect == "postgresql":
        return await conn.fetchrow(
            f"WITH moved AS ({update} RETURNING *) SELECT {ORDER_COLUMNS}, {_ASSET_PLACES} FROM moved", params
        )
    if await conn.execute(update, params) != 1:
        return None
    return await order_with_asset_places(conn, order_id)


async def set_code_hash(conn: Connection, order_id: str, code_hash: str) -> None:
    await conn.execute("UPDATE crypto_orders SET code_hash = :hash WHERE id = :id", {"hash": code_hash, "id": order_id})


async def set_code_attempts(conn: Connection, order_id: str, attempts: int) -> None:
    await conn.execute(
        "UPDATE crypto_orders SET code_attempts = :attempts WHERE id = :id", {"attempts": attempts, "id": order_id}
    )


async def increment_code_resends(conn: Connection, order_id: str) -> None:
    await conn.execute("UPDATE crypto_orders SET code_resends = code_resends + 1 WHERE id = :id", {"id": order_id})


# --------------------------------------------------------------------------- new orders


async def insert_deposit_receive_order(conn: Connection, row: Mapping[str, Any]) -> None:
    """The completed `receive` order of a deposit (11.5); `row`: id, partner_id, customer_id,
    currency, net, fee, node, tx_hash, network, now."""
    await conn.execute(
        "INSERT INTO crypto_orders (id, partner_id, customer_id, reference_id, operation, state, cancel_reason,"
        " asset_currency, asset_amount, fee_amount, node, requires_confirmation_code, code_attempts, code_resends,"
        " tx_hash, network, created_at, last_updated_at, submitted_at) VALUES (:id, :partner_id, :customer_id,"
        " NULL, 'receive', 'completed', NULL, :currency, :net, :fee, :node, FALSE, 0, 0, :tx_hash, :network,"
        " :now, :now, :now)",
        row,
    )


async def insert_deposit_hash(conn: Connection, currency: str, network: str, tx_hash: str, order_id: str) -> None:
    """UniqueViolation when the hash was deposited before (on that currency and network)."""
    await conn.execute(
        "INSERT INTO crypto_deposit_hashes (currency, network, tx_hash, order_id)"
        " VALUES (:currency, :network, :tx_hash, :order_id)",
        {"currency": currency, "network": network, "tx_hash": tx_hash, "order_id": order_id},
    )


async def insert_transfer_receive_order(conn: Connection, row: Mapping[str, Any]) -> None:
    """The receiver's completed `receive` order of an internal transfer; `row`: id, partner_id,
    customer_id, currency, amount, node, now."""
    await conn.execute(
        "INSERT INTO crypto_orders (id, partner_id, customer_id, reference_id, operation, state, cancel_reason,"
        " asset_currency, asset_amount, fee_amount, node, requires_confirmation_code, code_attempts, code_resends,"
        " created_at, last_updated_at, submitted_at) VALUES (:id, :partner_id, :customer_id, NULL, 'receive',"
        " 'completed', NULL, :currency, :amount, 0, :node, FALSE, 0, 0, :now, :now, :now)",
        row,
    )
