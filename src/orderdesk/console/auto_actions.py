"""The console's calls into the auto use cases: the same parsers and use cases as the routes
of /ops/v1/auto (auto/ops.py), fed from form fields. The one place to re-point when the
request schemas change shape."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

from fastapi import Request

from orderdesk.auto import auctions, inputs, lifecycle, models, orders, partners, transitions, vehicles, webhooks
from orderdesk.console.forms import number, present, text, text_list
from orderdesk.platform import cursors
from orderdesk.platform.runtime import Runtime

Form = Mapping[str, Any]

# --------------------------------------------------------------------------- partners


async def list_partners(runtime: Runtime, request: Request) -> dict[str, Any]:
    """A page of partners; `cursor` and `limit` read from the console URL as the API reads them."""
    return await partners.list_partners(runtime, inputs.partner_list(request))


async def get_partner(runtime: Runtime, partner_id: str) -> dict[str, Any]:
    return await partners.get_partner(runtime, partner_id)


async def create_partner(runtime: Runtime, form: Form) -> dict[str, Any]:
    body = present(
        {
            "name": text(form, "name"),
            "environment": text(form, "environment"),
            "ip_allowlist": text_list(form, "ip_allowlist"),
            "webhook_url": text(form, "webhook_url"),
        }
    )
    if "name" not in body:
        body["name"] = form.get("name", "")  # an empty name is the contract's problem to word
    new = inputs.new_partner(body, runtime.settings.environment)
    return await partners.create_partner(runtime, new)


async def update_partner(runtime: Runtime, partner_id: str, form: Form) -> dict[str, Any]:
    """Allowlist and webhook URL together: a blank field clears it (null)."""
    body = {"ip_allowlist": text_list(form, "ip_allowlist"), "webhook_url": text(form, "webhook_url")}
    patch = inputs.partner_patch(body, runtime.settings.environment)
    return await partners.patch_partner(runtime, partner_id, patch)


async def issue_key(runtime: Runtime, partner_id: str) -> dict[str, str]:
    return await partners.create_key(runtime, partner_id)


async def revoke_key(runtime: Runtime, partner_id: str, key_id: str) -> None:
    await partners.revoke_key(runtime, partner_id, key_id)


# --------------------------------------------------------------------------- vehicles

VEHICLE_TEXT_FIELDS = (
    "source",
    "make",
    "model",
    "trim",
    "fuel",
    "transmission",
    "color",
    "drivetrain",
    "accident_grade",
    "exterior_grade",
    "auction_date",
    "auction_result",
    "vin",
    "license_plate",
)
VEHICLE_NUMBER_FIELDS = ("year", "mileage_km", "engine_cc", "auction_count")


def vehicle_body_from_form(form: Form, current: Mapping[str, Any] | None) -> dict[str, Any]:
    """The PUT body: the current vehicle with the fields the form carries over it (a blank
    field is left out, i.e. cleared); fields the form does not carry are kept."""
    body: dict[str, Any] = {}
    if current is not None:
        body = {name: current[name] for name in models.VehicleBody.model_fields if name in current and name != "id"}
        body = {name: value for name, value in body.items() if value is not None}
    for name in VEHICLE_TEXT_FIELDS:
        if name in form:
            body.pop(name, None)
            if (value := text(form, name)) is not None:
                body[name] = value
    for name in VEHICLE_NUMBER_FIELDS:
        if name in form:
            body.pop(name, None)
            if (amount := number(form, name)) is not None:
                body[name] = amount
    if "options" in form or current is None:
        body["options"] = text_list(form, "options") or []
    if "listing_usd" in form or current is None:
        listing = number(form, "listing_usd")
        body["pricing"] = {"listing_usd": listing} if listing is not None else {}
    return body


async def get_vehicle(runtime: Runtime, vehicle_id: str) -> dict[str, Any]:
    return await vehicles.ops_get_vehicle(runtime, vehicle_id)


async def put_vehicle(
    runtime: Runtime, vehicle_id: str, form: Form, current: Mapping[str, Any] | None
) -> tuple[int, dict[str, Any]]:
    """Add or edit (a changed auction date is the reschedule of spec 9.3)."""
    values = inputs.vehicle_body(vehicle_id, vehicle_body_from_form(form, current))
    return await vehicles.put_vehicle(runtime, vehicle_id, values)


async def reschedule(runtime: Runtime, vehicle_id: str, form: Form) -> dict[str, Any]:
    """A new auction date (blank: none) through the same PUT as an edit (spec 9.3 reschedule)."""
    current = await vehicles.ops_get_vehicle(runtime, vehicle_id)
    return (await put_vehicle(runtime, vehicle_id, {"auction_date": form.get("auction_date", "")}, current))[1]


async def withdraw_vehicle(runtime: Runtime, vehicle_id: str) -> dict[str, Any]:
    return await vehicles.withdraw_vehicle(runtime, vehicle_id)


async def start_auction(runtime: Runtime, vehicle_id: str) -> dict[str, Any]:
    return await auctions.start_auction(runtime, vehicle_id)


async def record_result(runtime: Runtime, vehicle_id: str, form: Form) -> dict[str, Any]:
    body = present(
        {
            "outcome": text(form, "outcome"),
            "purchase_price_usd": number(form, "purchase_price_usd"),
            "auction_fee_usd": number(form, "auction_fee_usd"),
        }
    )
    return await auctions.record_result(runtime, vehicle_id, inputs.auction_result_body(body))


# --------------------------------------------------------------------------- orders


async def list_orders(runtime: Runtime, request: Request) -> dict[str, Any]:
    """Filters (status, partner_id, vehicle_id), `cursor` and `limit` as GET /ops/v1/auto/orders."""
    return await orders.ops_list_orders(runtime, inputs.ops_order_list(request))


async def vehicle_orders(runtime: Runtime, vehicle_id: str) -> dict[str, Any]:
    """The vehicle's orders (newest first, up to 100), through the same list as the API."""
    query = Request({"type": "http", "query_string": urlencode({"vehicle_id": vehicle_id, "limit": 100}).encode()})
    return await orders.ops_list_orders(runtime, inputs.ops_order_list(query))


async def get_order(runtime: Runtime, order_id: str) -> dict[str, Any]:
    """The order with its full history."""
    return await orders.ops_get_order(runtime, order_id)


async def order_events(runtime: Runtime, partner_id: str, order_id: str) -> list[dict[str, Any]]:
    """The order's webhook log (spec 4.9), oldest first, up to 200 entries."""
    page = inputs.Page(inputs.EVENT_SORT, cursors.filters_hash({}), None, 200)
    return (await orders.list_events(runtime, partner_id, order_id, page))["data"]


async def redeliver(runtime: Runtime, event_id: str) -> dict[str, Any]:
    """A failed webhook event sent again (auto/webhooks.redeliver)."""
    return await webhooks.redeliver(runtime, event_id)


SHIPMENT_FIELDS = inputs.SHIPMENT_KEYS


async def transition(runtime: Runtime, order_id: str, form: Form) -> dict[str, Any]:
    """One operator transition (spec 8.6); the form sends only the fields its choice needs."""
    shipment = present({name: text(form, f"shipment_{name}") for name in SHIPMENT_FIELDS})
    body = present(
        {
            "status": text(form, "status"),
            "failure_reason": text(form, "failure_reason"),
            "cancellation_reason": text(form, "cancellation_reason"),
            "fulfillment_detail": text(form, "fulfillment_detail"),
            "purchase_price_usd": number(form, "purchase_price_usd"),
            "auction_fee_usd": number(form, "auction_fee_usd"),
            "shipment": shipment or None,
        }
    )
    return await transitions.transition(runtime, order_id, inputs.transition_body(body))


def allowed_transitions(order: Mapping[str, Any]) -> list[dict[str, Any]]:
    """What the operator may do from the order's current state: the status changes of the
    operator's rows (transitions.ROWS, each a row of lifecycle.TRANSITIONS open to the
    operator), and the detail/shipment update of a shipping order whose detail LMN owns."""
    current = order["status"]
    choices: list[dict[str, Any]] = []
    for (source, target), row in transitions.ROWS.items():
        if source != current or lifecycle.OPERATOR not in lifecycle.TRANSITIONS[row.name].actors:
            continue
        choices.append(
            {
                "name": row.name,
                "status": target,
                "fields": sorted(row.required | row.optional),
                "required": sorted(row.required),
            }
        )
    if current == lifecycle.SHIPPING and order.get("fulfillment_detail") in lifecycle.LMN_DETAILS:
        choices.append(
            {
                "name": "fulfillment_update",
                "status": None,
                "fields": sorted(transitions.SAME_STATUS_FIELDS),
                "required": [],
            }
        )
    return choices


FAILURE_REASONS = models.FAILURE_REASONS
CANCELLATION_REASONS = models.CANCELLATION_REASONS
LMN_DETAILS = sorted(lifecycle.LMN_DETAILS)
STATUSES = models.STATUSES
