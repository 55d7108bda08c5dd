"""Response bodies. Every documented field is always present (spec 2.7); timestamps are
written in +09:00, whole seconds (2.5)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import orjson

from orderdesk.auto.repository import ORDER_READ_COLUMNS
from orderdesk.auto.timefmt import kst, kst_or_none
from orderdesk.platform.db import Row

Record = Mapping[str, Any] | Row  # a database row or a dict with the same keys

_ACTIVE = frozenset({"proceed", "acquiring"})


def _json_or_none(text: str | None) -> Any:
    return None if text is None else orjson.loads(text)


def _competition(
    order_id: str, status: str, max_bid: int | None, frozen: tuple[Any, Any], leader: tuple[Any, Any]
) -> tuple[Any, Any]:
    """(is_highest_bid, current_max_bid_usd): against the vehicle's current leader while the
    order is active, frozen afterwards, null for buy-now orders (spec 4.2)."""
    if max_bid is None:
        return None, None
    if status in _ACTIVE:
        leader_id, leader_max_bid = leader
        return order_id == leader_id, leader_max_bid
    return frozen


def order_json(order: Record, leader_id: str | None, leader_max_bid_usd: int | None) -> dict[str, Any]:
    """The Order (spec 4.1). Competitive values are evaluated against the vehicle's current
    leader while the order is active, frozen afterwards, null for buy-now orders (4.2)."""
    max_bid = order["max_bid_amount_usd"]
    is_highest, current_max = _competition(
        order["id"],
        order["status"],
        max_bid,
        (order["frozen_is_highest_bid"], order["frozen_current_max_bid_usd"]),
        (leader_id, leader_max_bid_usd),
    )
    return {
        "id": order["id"],
        "vehicle_id": order["vehicle_id"],
        "status": order["status"],
        "max_bid_amount_usd": max_bid,
        "is_highest_bid": is_highest,
        "current_max_bid_usd": current_max,
        "amounts": {"purchase_price_usd": order["purchase_price_usd"], "auction_fee_usd": order["auction_fee_usd"]},
        "auction_date": kst_or_none(order["auction_date"]),
        "order_cutoff_at": kst_or_none(order["order_cutoff_at"]),
        "failure_reason": order["failure_reason"],
        "cancellation_reason": order["cancellation_reason"],
        "fulfillment_detail": order["fulfillment_detail"],
        "shipment": _json_or_none(order["shipment"]),
        "created_at": kst(order["created_at"]),
        "updated_at": kst(order["updated_at"]),
    }


def order_from_row(row: Record) -> dict[str, Any]:
    """An order row joined with its vehicle's leader columns."""
    return order_json(row, row["leader_order_id"], row["leader_max_bid_usd"])


_READ_WIDTH = len(ORDER_READ_COLUMNS)


def read_orders(rows: Sequence[Row]) -> list[dict[str, Any]]:
    """`order_from_row` for rows whose leading columns are `ORDER_READ_COLUMNS` (the read path:
    GET and the lists). Read by position: sqlite3.Row finds a name by scanning its columns, and
    a page reads ~20 per order."""
    if rows and tuple(rows[0].keys())[:_READ_WIDTH] != ORDER_READ_COLUMNS:
        raise ValueError("an order read row must start with repository.ORDER_READ_COLUMNS")
    return [_read_order(row[:_READ_WIDTH]) for row in rows]


def read_ops_orders(rows: Sequence[Row]) -> list[dict[str, Any]]:
    """`ops_order_from_row` for the rows of `read_orders`."""
    bodies = read_orders(rows)
    for body, row in zip(bodies, rows, strict=True):
        body["partner_id"] = row[1]
    return bodies


def _read_order(values: Sequence[Any]) -> dict[str, Any]:
    (
        order_id,
        _partner_id,
        vehicle_id,
        status,
        max_bid,
        frozen_is_highest,
        frozen_current_max,
        purchase_price,
        auction_fee,
        auction_date,
        cutoff,
        failure_reason,
        cancellation_reason,
        fulfillment_detail,
        shipment,
        created_at,
        updated_at,
        leader_id,
        leader_max_bid,
    ) = values
    is_highest, current_max = _competition(
        order_id, status, max_bid, (frozen_is_highest, frozen_current_max), (leader_id, leader_max_bid)
    )
    created = kst(created_at)
    return {
        "id": order_id,
        "vehicle_id": vehicle_id,
        "status": status,
        "max_bid_amount_usd": max_bid,
        "is_highest_bid": is_highest,
        "current_max_bid_usd": current_max,
        "amounts": {"purchase_price_usd": purchase_price, "auction_fee_usd": auction_fee},
        "auction_date": None if auction_date is None else kst(auction_date),
        "order_cutoff_at": None if cutoff is None else kst(cutoff),
        "failure_reason": failure_reason,
        "cancellation_reason": cancellation_reason,
        "fulfillment_detail": fulfillment_detail,
        "shipment": None if shipment is None else orjson.loads(shipment),
        "created_at": created,
        # Most orders were never updated: no second look-up (on PostgreSQL each value is a new
        # datetime, whose hash costs about what formatting it does).
        "updated_at": created if updated_at == created_at else kst(updated_at),
    }


def ops_order_from_row(row: Record) -> dict[str, Any]:
    """OpsOrder = Order + partner_id (spec 8.1)."""
    body = order_from_row(row)
    body["partner_id"] = row["partner_id"]
    return body


def history_json(row: Record) -> dict[str, Any]:
    return {
        "at": kst(row["at"]),
        "actor": row["actor"],
        "from_status": row["from_status"],
        "to_status": row["to_status"],
        "from_fulfillment_detail": row["from_fulfillment_detail"],
        "to_fulfillment_detail": row["to_fulfillment_detail"],
        "occurred_at": row["occurred_at"],
        "notes": row["notes"],
    }


def event_json(row: Record) -> dict[str, Any]:
    """One entry of the webhook log (spec 4.9); `payload` is the envelope as sent."""
    return {
        "id": row["id"],
        "type": row["type"],
        "occurred_at": kst(row["created_at"]),
        "delivery_status": row["delivery_status"],
        "attempts": row["attempts"],
        "last_response_code": row["last_response_code"],
        "last_attempt_at": kst_or_none(row["last_attempt_at"]),
        "payload": orjson.loads(row["payload"]),
    }


def vehicle_summary_json(row: Record) -> dict[str, Any]:
    """VehicleSummary (spec 3.1)."""
    return {
        "id": row["id"],
        "source": row["source"],
        "make": row["make"],
        "model": row["model"],
        "trim": row["trim"],
        "year": row["year"],
        "mileage_km": row["mileage_km"],
        "fuel": row["fuel"],
        "transmission": row["transmission"],
        "color": row["color"],
        "engine_cc": row["engine_cc"],
        "drivetrain": row["drivetrain"],
        "options": orjson.loads(row["options"]),
        "accident_grade": row["accident_grade"],
        "exterior_grade": row["exterior_grade"],
        "auction_date": kst_or_none(row["auction_date"]),
        "auction_count": row["auction_count"],
        "auction_result": row["auction_result"],
        "pricing": {"listing_usd": row["listing_usd"]},
    }


def vehicle_json(row: Record) -> dict[str, Any]:
    """Vehicle (spec 3.2): the summary plus the detail fields."""
    body = vehicle_summary_json(row)
    body["vin"] = row["vin"]
    body["license_plate"] = row["license_plate"]
    body["images"] = orjson.loads(row["images"])
    body["inspection_report"] = _json_or_none(row["inspection_report"])
    body["body_condition"] = _json_or_none(row["body_condition"])
    return body


def partner_json(row: Record) -> dict[str, Any]:
    """Partner (spec 8.2)."""
    return {
        "id": row["id"],
        "name": row["name"],
        "environment": row["environment"],
        "ip_allowlist": _json_or_none(row["ip_allowlist"]),
        "webhook_url": row["webhook_url"],
        "created_at": kst(row["created_at"]),
    }


def key_json(row: Record) -> dict[str, Any]:
    return {
        "key_id": row["id"],
        "key_prefix": row["key_prefix"],
        "created_at": kst(row["created_at"]),
        "revoked_at": kst_or_none(row["revoked_at"]),
    }
