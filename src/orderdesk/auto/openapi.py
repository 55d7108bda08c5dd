"""What the partner OpenAPI document (/auto/v1/openapi.json) says about each endpoint: its
parameters, body, error codes and an example. Routes parse their own input (so that checks run
in the contract's order), so this is declared here rather than inferred from signatures."""

from __future__ import annotations

from typing import Any

from orderdesk.platform.openapi import query_parameter, responses_with_errors

REQUEST_ID = "req_9b2e61c04d7f3a58e1c6b209"
ORDER_ID = "01KQXA5KNRPQNMCMYXC47R2PCT"

ERRORS: dict[str, tuple[int, str, dict[str, Any]]] = {
    "validation_error": (
        400,
        "Request validation failed",
        {"issues": [{"location": "body", "path": "max_bid_amount_usd", "message": "must be an integer"}]},
    ),
    "missing_idempotency_key": (400, "Idempotency-Key header is required", {}),
    "missing_max_bid": (
        400,
        "max_bid_amount_usd is required for auction vehicles and must be at least the listing price",
        {"listing_usd": 17400},
    ),
    "invalid_cursor": (400, "Cursor is not valid for this query; restart pagination", {}),
    "missing_api_key": (401, "x-api-key header is required", {}),
    "invalid_api_key": (401, "API key is invalid", {}),
    "ip_not_allowed": (403, "Source IP address is not allowed", {"ip": "192.0.2.10"}),
    "route_not_found": (404, "No such route", {}),
    "vehicle_not_found": (404, "Vehicle not found", {}),
    "order_not_found": (404, "Order not found", {}),
    "invalid_status_transition": (
        409,
        "The order's current status does not allow this change",
        {"current_status": "acquiring"},
    ),
    # One code, two statuses (spec 4.8): the example key names the variant, the body the code.
    "invalid_status_transition@403": (403, "This change is reserved for LMN", {"current_status": "shipping"}),
    "past_order_cutoff": (
        409,
        "The order cutoff for this vehicle has passed",
        {"cutoff_at": "2026-05-11T00:00:00+09:00", "now": "2026-05-11T08:02:44+09:00"},
    ),
    "duplicate_order": (409, "An active order for this vehicle already exists", {"existing_order_id": ORDER_ID}),
    "idempotency_key_in_use": (409, "A request with this Idempotency-Key is still in progress; retry shortly", {}),
    "vehicle_unavailable": (410, "Vehicle is no longer available", {"reason": "taken"}),
    "payload_too_large": (413, "Request body exceeds 1048576 bytes", {"max_bytes": 1048576}),
    "idempotency_key_reused": (
        422,
        "Idempotency-Key was already used for a different request",
        {"original_vehicle_id": "glovis-20260512-0418"},
    ),
    "rate_limited": (429, "Rate limit exceeded", {}),
    "internal_error": (500, "Internal server error", {}),
}
COMMON = ("validation_error", "missing_api_key", "invalid_api_key", "ip_not_allowed", "rate_limited", "internal_error")

ORDER_EXAMPLE = {
    "id": ORDER_ID,
    "vehicle_id": "glovis-20260512-0418",
    "status": "proceed",
    "max_bid_amount_usd": 18200,
    "is_highest_bid": True,
    "current_max_bid_usd": 18200,
    "amounts": {"purchase_price_usd": None, "auction_fee_usd": None},
    "auction_date": "2026-05-12T13:30:00+09:00",
    "order_cutoff_at": "2026-05-11T00:00:00+09:00",
    "failure_reason": None,
    "cancellation_reason": None,
    "fulfillment_detail": None,
    "shipment": None,
    "created_at": "2026-05-06T09:14:27+09:00",
    "updated_at": "2026-05-06T09:14:27+09:00",
}
VEHICLE_SUMMARY_EXAMPLE = {
    "id": "glovis-20260512-0418",
    "source": "glovis",
    "make": "Hyundai",
    "model": "Palisade",
    "trim": "Calligraphy 2.2 AWD",
    "year": 2022,
    "mileage_km": 38412,
    "fuel": "diesel",
    "transmission": "auto",
    "color": "white",
    "engine_cc": 2199,
    "drivetrain": "AWD",
    "options": ["sunroof", "leather_seats", "navigation", "rear_view_camera"],
    "accident_grade": "A",
    "exterior_grade": "B",
    "auction_date": "2026-05-12T13:30:00+09:00",
    "auction_count": 1,
    "auction_result": "upcoming",
    "pricing": {"listing_usd": 17400},
}
VEHICLE_EXAMPLE = {
    **VEHICLE_SUMMARY_EXAMPLE,
    "vin": "KMHR381ABNU123456",
    "license_plate": "123가4567",
    "images": ["https://img.example.com/glovis/0418/front.jpg"],
    "inspection_report": {"grade": "A/B"},
    "body_condition": None,
}
FACETS_EXAMPLE = {
    "makes": ["Hyundai", "Kia"],
    "models": {"Hyundai": ["Palisade", "Tucson"], "Kia": ["Carnival", "Sorento"]},
    "fuels": ["diesel", "gasoline"],
    "transmissions": ["auto"],
    "sources": ["dealer", "glovis", "sk"],
    "as_of": "2026-05-06T09:20:03+09:00",
}


def _error_body(code: str) -> dict[str, Any]:
    _status, message, details = ERRORS[code]
    return {"error": {"code": code.partition("@")[0], "message": message, "request_id": REQUEST_ID, "details": details}}


def responses(status: int, example: Any, description: str, *codes: str) -> dict[int | str, dict[str, Any]]:
    """The success answer with its example, then every error code grouped by HTTP status."""
    return responses_with_errors(
        status, example, description, (*codes, *COMMON), lambda code: ERRORS[code][0], _error_body
    )


_query = query_parameter


IDEMPOTENCY_KEY = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": True,
    "description": "UUID; replays return the original response (200, Idempotent-Replayed: true)",
    "schema": {"type": "string", "format": "uuid"},
}
PAGING = [
    _query("cursor", "next_cursor of the previous page"),
    _query("limit", "1–200, default 50", {"type": "integer", "minimum": 1, "maximum": 200}),
]

VEHICLE_LIST_PARAMETERS = [
    _query("make", "CSV, case-insensitive"),
    _query("model", "CSV, case-insensitive; requires make"),
    _query("year_min", "inclusive", {"type": "integer"}),
    _query("year_max", "inclusive", {"type": "integer"}),
    _query("mileage_max_km", "mileage_km ≤ value", {"type": "integer", "minimum": 0}),
    _query("price_min_usd", "inclusive, on pricing.listing_usd", {"type": "integer", "minimum": 0}),
    _query("price_max_usd", "inclusive, on pricing.listing_usd", {"type": "integer", "minimum": 0}),
    _query("source", "CSV of glovis, sk, aj, lotte, kcar, dealer"),
    _query("fuel", "CSV of gasoline, diesel, hybrid, electric, lpg"),
    _query("transmission", "CSV of auto, manual, cvt, dct"),
    _query("accident_grade", "CSV of A,B,C,D,F (null-strict)"),
    _query("exterior_grade", "CSV of A,B,C,D,F (null-strict)"),
    _query("options_include", "CSV of option tokens; the vehicle has every one"),
    _query("auction_date_from", "YYYY-MM-DD, KST date, inclusive (null-strict)"),
    _query("auction_date_to", "YYYY-MM-DD, KST date, inclusive (null-strict)"),
    _query("auction_count_min", "inclusive (null-strict)", {"type": "integer", "minimum": 0}),
    _query("auction_count_max", "inclusive (null-strict)", {"type": "integer", "minimum": 0}),
    _query("sort", "auction_date_asc (default), price_asc, price_desc, year_desc, mileage_asc"),
    *PAGING,
]
ORDER_LIST_PARAMETERS = [
    _query("ids", "CSV of order ids (at most 100); unknown and foreign ids are dropped"),
    _query("status", "one of proceed, acquiring, secured, shipping, delivered, cancelled, failed"),
    _query("from", "created_at ≥ from; ISO 8601 with offset; requires to", {"type": "string", "format": "date-time"}),
    _query("to", "created_at < to; ISO 8601 with offset; requires from", {"type": "string", "format": "date-time"}),
    _query("sort", "created_desc (default), created_asc, auction_date_asc, updated_desc"),
    *PAGING,
]

EVENT_EXAMPLE = {
    "id": "evt_01KQXM3D9WZ8R4T6Y2B7C5N1QA",
    "type": "order.status_changed",
    "occurred_at": "2026-05-12T13:30:02+09:00",
    "delivery_status": "delivered",
    "attempts": 2,
    "last_response_code": 200,
    "last_attempt_at": "2026-05-12T13:30:33+09:00",
    "payload": {
        "id": "evt_01KQXM3D9WZ8R4T6Y2B7C5N1QA",
        "type": "order.status_changed",
        "occurred_at": "2026-05-12T13:30:02+09:00",
        "data": {
            "previous_status": "proceed",
            "order": {**ORDER_EXAMPLE, "status": "acquiring", "updated_at": "2026-05-12T13:30:02+09:00"},
        },
    },
}
STATUS_PUSH_BODY = {
    "required": True,
    "content": {
        "application/json": {
            "schema": {
                "type": "object",
                "additionalProperties": False,
                "required": ["occurred_at"],
                "properties": {
                    "status": {
                        "type": "string",
                        "enum": ["delivered"],
                        "description": "Exactly one of status and fulfillment_detail",
                    },
                    "fulfillment_detail": {"type": "string", "enum": ["in_transit", "customs"]},
                    "occurred_at": {"type": "string", "format": "date-time", "description": "ISO 8601 with offset"},
                    "notes": {"type": ["string", "null"], "maxLength": 2000},
                },
            },
            "example": {
                "fulfillment_detail": "in_transit",
                "occurred_at": "2026-06-20T08:15:00+01:00",
                "notes": "Vessel left Pyeongtaek; tracking shows Lagos arrival around 2026-07-18",
            },
        }
    },
}

PLACE_ORDER_BODY = {
    "required": True,
    "content": {
        "application/json": {
            "schema": {
                "type": "object",
                "additionalProperties": False,
                "required": ["vehicle_id"],
                "properties": {
                    "vehicle_id": {"type": "string", "minLength": 1},
                    "max_bid_amount_usd": {
                        "type": ["integer", "null"],
                        "maximum": 1_000_000_000,
                        "description": "Required for auction vehicles, at least pricing.listing_usd; "
                        "null or omitted for buy-now vehicles",
                    },
                },
            },
            "example": {"vehicle_id": "glovis-20260512-0418", "max_bid_amount_usd": 18200},
        }
    },
}


def extra(*parameters: dict[str, Any], body: dict[str, Any] | None = None) -> dict[str, Any]:
    spec: dict[str, Any] = {"parameters": list(parameters), "security": [{"ApiKey": []}]}
    if body is not None:
        spec["requestBody"] = body
    return spec


def install_security_scheme(schema: dict[str, Any]) -> dict[str, Any]:
    schema.setdefault("components", {})["securitySchemes"] = {
        "ApiKey": {"type": "apiKey", "in": "header", "name": "x-api-key"}
    }
    return schema
