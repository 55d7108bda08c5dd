"""The operator's order transition (spec 8.6): every LMN-owned change of one order.

Checks after the schema: unknown order → 404; lock; then (1) a no-op answers 200 and changes
nothing, (2) partner-owned values → 409, (3) a status change must be a row of `ROWS` with its
required and optional fields (422 otherwise), (4) a same-status change is only a detail or
shipment update of a `shipping` order whose detail LMN owns.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson

from orderdesk.auto import errors, lifecycle, repository
from orderdesk.auto.auctions import money_fields
from orderdesk.auto.errors import Issue
from orderdesk.auto.inputs import SHIPMENT_KEYS, TransitionRequest
from orderdesk.auto.lifecycle import (
    ACQUIRING,
    CANCELLED,
    DELIVERED,
    EXPORT_PROCESSING,
    FAILED,
    LMN_DETAILS,
    PARTNER_DETAILS,
    PROCEED,
    SECURED,
    SHIPPING,
)
from orderdesk.auto.parsing import is_integer
from orderdesk.auto.serializers import Record, ops_order_from_row
from orderdesk.platform.db import Connection, Row
from orderdesk.platform.runtime import Runtime

AMOUNTS = frozenset({"purchase_price_usd", "auction_fee_usd"})


@dataclass(frozen=True)
class OperatorRow:
    """One status change the operator may make: the lifecycle row, its fields."""

    name: str
    required: frozenset[str] = frozenset()
    optional: frozenset[str] = frozenset()


ROWS: dict[tuple[str, str], OperatorRow] = {
    (PROCEED, ACQUIRING): OperatorRow("acquire"),
    (PROCEED, FAILED): OperatorRow("operator_fail", frozenset({"failure_reason"})),
    (ACQUIRING, FAILED): OperatorRow("operator_fail", frozenset({"failure_reason"})),
    (PROCEED, CANCELLED): OperatorRow("operator_cancel", frozenset({"cancellation_reason"})),
    (ACQUIRING, SECURED): OperatorRow("secure", optional=AMOUNTS),  # the amounts are checked by money_fields
    (SECURED, SHIPPING): OperatorRow("ship", optional=frozenset({"fulfillment_detail", "shipment"})),
}
SAME_STATUS_FIELDS = frozenset({"fulfillment_detail", "shipment"})


def merged_shipment(current: str | None, given: dict[str, Any]) -> dict[str, Any]:
    """A key given replaces, null clears, a key left out is kept; all seven keys present."""
    base = orjson.loads(current) if current is not None else dict.fromkeys(SHIPMENT_KEYS)
    return {**base, **given}


def _is_current(order: Record, name: str, value: Any) -> bool:
    if name in AMOUNTS and not is_integer(value):
        return False  # 17650.0 is not the stored 17650: it is a malformed amount (422)
    if name == "shipment":
        return order["shipment"] is not None and merged_shipment(order["shipment"], value) == orjson.loads(
            order["shipment"]
        )
    return bool(order[name] == value)


def _is_noop(order: Record, fields: dict[str, Any]) -> bool:
    status = fields.get("status")
    return (
        bool(fields)
        and status in (None, order["status"])
        and all(_is_current(order, name, value) for name, value in fields.items() if name != "status")
    )


def _unexpected(fields: dict[str, Any], allowed: frozenset[str]) -> list[Issue]:
    return [
        Issue("body", name, "does not belong to this transition")
        for name in fields
        if name != "status" and name not in allowed
    ]


async def transition(runtime: Runtime, order_id: str, request: TransitionRequest) -> dict[str, Any]:
    async with runtime.db.transaction() as conn:
        vehicle_id = await repository.any_order_vehicle_id(conn, order_id)
        if vehicle_id is None:
            raise errors.order_not_found()
        vehicle = await repository.lock_vehicle(conn, vehicle_id)
        order = await repository.lock_order(conn, order_id)
        assert vehicle is not None and order is not None
        if not _is_noop(order, request.fields):
            await _change(conn, runtime, vehicle, order, request.fields)
            runtime.dispatcher.wake()
        row = await repository.get_order(conn, order_id)
    assert row is not None  # locked above, in this transaction
    return ops_order_from_row(row)


async def _change(conn: Connection, runtime: Runtime, vehicle: Row, order: Row, fields: dict[str, Any]) -> None:
    current = order["status"]
    if fields.get("status") == DELIVERED or fields.get("fulfillment_detail") in PARTNER_DETAILS:
        raise errors.invalid_status_transition(current)
    target = fields.get("status", current)
    if target != current:
        name, changes = _status_change(vehicle, order, target, fields)
    else:
        name, changes = "fulfillment_update", _fulfillment_update(order, fields)
    change = lifecycle.VehicleChange(conn, vehicle, actor=lifecycle.OPERATOR, now=runtime.clock.now())
    webhook_url = await repository.partner_webhook_url(conn, order["partner_id"])
    await change.apply(order, name, changes, webhook_url=webhook_url)
    await change.finish()


def _status_change(vehicle: Row, order: Row, target: str, fields: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    row = ROWS.get((order["status"], target))
    if row is None:
        raise errors.invalid_status_transition(order["status"])
    issues = _unexpected(fields, row.required | row.optional)
    issues += [
        Issue("body", name, "is required for this transition") for name in sorted(row.required) if name not in fields
    ]
    changes = {name: fields[name] for name in row.required if name in fields}
    if row.name == "secure":
        auction = lifecycle.is_auction_order(order)
        changes.update(
            money_fields(
                fields,
                issues,
                ceiling=order["max_bid_amount_usd"] if auction else None,
                price_required=auction,
                default_price=vehicle["listing_usd"],
            )
        )
    elif row.name == "ship":
        changes["fulfillment_detail"] = fields.get("fulfillment_detail", EXPORT_PROCESSING)
        if "shipment" in fields:
            changes["shipment"] = orjson.dumps(merged_shipment(order["shipment"], fields["shipment"])).decode()
    if issues:
        raise errors.validation_error(issues, 422)
    return row.name, changes


def _fulfillment_update(order: Row, fields: dict[str, Any]) -> dict[str, Any]:
    if not fields:
        raise errors.validation_error([Issue("body", "", "give status, fulfillment_detail or shipment")], 422)
    if order["status"] != SHIPPING or order["fulfillment_detail"] not in LMN_DETAILS:
        raise errors.invalid_status_transition(order["status"])
    issues = _unexpected(fields, SAME_STATUS_FIELDS)
    if issues:
        raise errors.validation_error(issues, 422)
    changes: dict[str, Any] = {}
    if "fulfillment_detail" in fields:
        changes["fulfillment_detail"] = fields["fulfillment_detail"]
    if "shipment" in fields:
        changes["shipment"] = orjson.dumps(merged_shipment(order["shipment"], fields["shipment"])).decode()
    return changes
