"""What the auto documents (/auto/v1/openapi.json and /ops/v1/auto/docs/openapi.json) say
beside the models: each error code's status and example, and an example of every body. Schemas
come from auto/models.py; routes parse their own input (so that checks run in the contract's
order), so their parameters and bodies are declared here rather than inferred from signatures."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from pydantic import BaseModel

from orderdesk.auto import models
from orderdesk.platform.openapi import (
    ErrorDocs,
    HeaderDoc,
    Sent,
    declared_headers,
    json_request_body,
    path_parameter,
    platform_headers,
    query_parameters,
    responses_with_errors,
    schema_ref,
)

REQUEST_ID = "req_9b2e61c04d7f3a58e1c6b209"
ORDER_ID = "01KQXA5KNRPQNMCMYXC47R2PCT"
PARTNER_ID = "01KQX9Z4B7M2P5R8T1V3W6Y0CD"
KEY_ID = "01KQX9Z4B8F3H6K9N2Q5S8V1XE"
VEHICLE_ID = "glovis-20260512-0418"

# code (or code@variant: one code answered with another status or details) → status, message, details
ERRORS: dict[str, tuple[int, str, dict[str, Any]]] = {
    "validation_error": (
        400,
        "Request validation failed",
        {"issues": [{"location": "body", "path": "max_bid_amount_usd", "message": "must be an integer"}]},
    ),
    "validation_error@422": (
        422,
        "Request validation failed",
        {"issues": [{"location": "body", "path": "purchase_price_usd", "message": "exceeds max_bid_amount_usd 18200"}]},
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
    "unauthorized": (401, "Operator token is missing or invalid", {}),
    "ip_not_allowed": (403, "Source IP address is not allowed", {"ip": "192.0.2.10"}),
    "route_not_found": (404, "No such route", {}),
    "vehicle_not_found": (404, "Vehicle not found", {}),
    "order_not_found": (404, "Order not found", {}),
    "partner_not_found": (404, "Partner not found", {}),
    "api_key_not_found": (404, "API key not found", {}),
    "invalid_status_transition": (
        409,
        "The order's current status does not allow this change",
        {"current_status": "acquiring"},
    ),
    "invalid_status_transition@403": (403, "This change is reserved for LMN", {"current_status": "shipping"}),
    "invalid_status_transition@vehicle": (
        409,
        "The order's current status does not allow this change",
        {"vehicle_id": VEHICLE_ID},
    ),
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
        {"original_vehicle_id": VEHICLE_ID},
    ),
    "rate_limited": (429, "Rate limit exceeded", {}),
    "internal_error": (500, "Internal server error", {}),
    "service_unavailable": (503, "Service temporarily unavailable, retry later", {}),
}
# Answered by every partner operation (spec 2.13 steps 2–5 and 7) and every operator operation.
PARTNER_COMMON = (
    "validation_error",
    "missing_api_key",
    "invalid_api_key",
    "ip_not_allowed",
    "payload_too_large",
    "rate_limited",
    "internal_error",
    "service_unavailable",
)
OPERATOR_COMMON = ("validation_error", "unauthorized", "payload_too_large", "internal_error", "service_unavailable")
# The headers an error code's answer carries beside X-Request-Id (spec 2.3, 8.1).
ERROR_HEADERS: dict[str, Sent] = {
    "unauthorized": {"WWW-Authenticate": True},
    "idempotency_key_in_use": {"Retry-After": True},
    "rate_limited": {"Retry-After": True, "RateLimit": True, "RateLimit-Policy": True},
    "service_unavailable": {"Retry-After": True},
}
# Refused before the request is counted against the key's rate limit (spec 2.13 steps 2–3).
UNCOUNTED = ("missing_api_key", "invalid_api_key", "ip_not_allowed")
# Every response header either auto document declares (spec 2.3), by name.
HEADERS: dict[str, HeaderDoc] = {
    **platform_headers("^req_[0-9a-f]{24}$", "auto"),
    "Idempotent-Replayed": HeaderDoc(
        {"type": "string", "enum": ["true"]},
        "The answer replays the one first given to this Idempotency-Key (spec 2.12).",
        "the Idempotency-Key was already used for this same request (a replay)",
    ),
    "X-LMN-Filtered-Out": HeaderDoc(
        {"type": "string", "pattern": "^dealer=[1-9][0-9]*$"},
        "How many dealer vehicles a null-strict filter left out (dealer=<N>).",
        "a filter on a field dealer vehicles leave null left some of them out",
    ),
    "Cache-Control": HeaderDoc({"type": "string", "enum": ["private, max-age=300"]}, "Facets may be cached 5 minutes."),
}

PARTNER_SECURITY = {"ApiKey": {"type": "apiKey", "in": "header", "name": "x-api-key"}}
OPERATOR_SECURITY = {
    "OperatorToken": {"type": "http", "scheme": "bearer", "description": "Authorization: Bearer <ORDERDESK_OPS_TOKEN>"}
}

# --------------------------------------------------------------------------- examples

ORDER_EXAMPLE = {
    "id": ORDER_ID,
    "vehicle_id": VEHICLE_ID,
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
SHIPPING_ORDER_EXAMPLE = {
    **ORDER_EXAMPLE,
    "status": "shipping",
    "amounts": {"purchase_price_usd": 17650, "auction_fee_usd": 310},
    "fulfillment_detail": "export_processing",
    "shipment": {
        "vessel_name": None,
        "voyage_number": None,
        "bill_of_lading_number": None,
        "port_of_loading": "Pyeongtaek",
        "port_of_discharge": "Lagos (Tin Can)",
        "etd": "2026-06-02T18:00:00+09:00",
        "eta": None,
    },
    "updated_at": "2026-05-20T10:00:00+09:00",
}
VEHICLE_SUMMARY_EXAMPLE = {
    "id": VEHICLE_ID,
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
PARTNER_EXAMPLE = {
    "id": PARTNER_ID,
    "name": "Harbor Auto Imports",
    "environment": "sandbox",
    "ip_allowlist": ["203.0.113.7", "198.51.100.0/24"],
    "webhook_url": "https://harbor.example.com/hooks/lmn",
    "created_at": "2026-05-01T10:00:00+09:00",
}
NEW_KEY_EXAMPLE = {"key_id": KEY_ID, "api_key": "lmn_stg_E2I8nUigVahfNbA03U7uapnvxFMJ"}
NEW_PARTNER_EXAMPLE = {
    **PARTNER_EXAMPLE,
    **NEW_KEY_EXAMPLE,
    "webhook_secret": "whsec_lO_NpnC4vaWc7_l0VYKwq0ZhC4JgSH8mC-apDpHUbgE",
}
PARTNER_DETAIL_EXAMPLE = {
    **PARTNER_EXAMPLE,
    "keys": [
        {"key_id": KEY_ID, "key_prefix": "lmn_stg_E2I8", "created_at": "2026-05-01T10:00:00+09:00", "revoked_at": None}
    ],
}
OPS_ORDER_EXAMPLE = {**ORDER_EXAMPLE, "partner_id": PARTNER_ID}
OPS_ORDER_DETAIL_EXAMPLE = {
    **OPS_ORDER_EXAMPLE,
    "history": [
        {
            "at": "2026-05-06T09:14:27+09:00",
            "actor": "partner",
            "from_status": None,
            "to_status": "proceed",
            "from_fulfillment_detail": None,
            "to_fulfillment_detail": None,
            "occurred_at": None,
            "notes": None,
        }
    ],
}

PLACE_ORDER_REQUEST = {"vehicle_id": VEHICLE_ID, "max_bid_amount_usd": 18200}
STATUS_PUSH_REQUEST = {
    "fulfillment_detail": "in_transit",
    "occurred_at": "2026-06-20T08:15:00+01:00",
    "notes": "Vessel left Pyeongtaek; tracking shows Lagos arrival around 2026-07-18",
}
NEW_PARTNER_REQUEST = {
    "name": "Harbor Auto Imports",
    "environment": "sandbox",
    "ip_allowlist": ["203.0.113.7", "198.51.100.0/24"],
    "webhook_url": "https://harbor.example.com/hooks/lmn",
}
PARTNER_PATCH_REQUEST = {"ip_allowlist": None, "webhook_url": "https://harbor.example.com/hooks/lmn-v2"}
VEHICLE_REQUEST = {key: value for key, value in VEHICLE_EXAMPLE.items() if key != "id"}
AUCTION_RESULT_REQUEST = {"outcome": "won", "purchase_price_usd": 17650, "auction_fee_usd": 310}
TRANSITION_REQUEST = {
    "status": "shipping",
    "fulfillment_detail": "export_processing",
    "shipment": {
        "port_of_loading": "Pyeongtaek",
        "port_of_discharge": "Lagos (Tin Can)",
        "etd": "2026-06-02T18:00:00+09:00",
    },
}

# --------------------------------------------------------------------------- operation pieces


def _error_body(code: str) -> dict[str, Any]:
    _status, message, details = ERRORS[code]
    return {"error": {"code": code.partition("@")[0], "message": message, "request_id": REQUEST_ID, "details": details}}


ERROR_DOCS = ErrorDocs(lambda code: ERRORS[code][0], _error_body, models.ErrorEnvelope, ERROR_HEADERS)
PARTNER_ERROR_DOCS = replace(ERROR_DOCS, uncounted=UNCOUNTED, limited=True)


def responses(
    status: int,
    example: Any,
    description: str,
    *codes: str,
    schema: type[BaseModel] | None = None,
    headers: Sent | None = None,
) -> dict[int | str, dict[str, Any]]:
    """A partner operation's answers: success (with its own `headers`), its own error codes,
    then the common ones."""
    codes = (*codes, *PARTNER_COMMON)
    return responses_with_errors(
        status, example, description, codes, PARTNER_ERROR_DOCS, schema=schema, headers=headers
    )


def ops_responses(
    status: int, example: Any, description: str, *codes: str, schema: type[BaseModel] | None = None
) -> dict[int | str, dict[str, Any]]:
    """An operator operation's answers; a 204 has no body (example None)."""
    answer = responses_with_errors(status, example, description, (*codes, *OPERATOR_COMMON), ERROR_DOCS, schema=schema)
    if example is None:
        del answer[status]["content"]
    return answer


def replayed(answers: dict[int | str, dict[str, Any]], schema: type[BaseModel], example: Any) -> dict[int | str, Any]:
    """Adds the 200 an idempotent replay answers (spec 2.12): the stored body, as first sent."""
    content = {"application/json": {"schema": schema_ref(schema), "example": example}}
    headers = declared_headers([PARTNER_ERROR_DOCS.sent(None, {"Idempotent-Replayed": True})])
    return {
        **answers,
        200: {
            "description": "Replay: the original body (Idempotent-Replayed: true)",
            "content": content,
            "headers": headers,
        },
    }


IDEMPOTENCY_KEY = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": True,
    "description": "UUID; replays return the original response (200, Idempotent-Replayed: true)",
    "schema": {"type": "string", "format": "uuid"},
}
PAGING = query_parameters(models.PageQuery)
VEHICLE_LIST_PARAMETERS = query_parameters(models.VehicleListQuery)
ORDER_LIST_PARAMETERS = query_parameters(models.OrderListQuery)
FACETS_PARAMETERS = query_parameters(models.FacetsQuery)
OPS_ORDER_LIST_PARAMETERS = query_parameters(models.OpsOrderListQuery)


def _operation(security: str, parameters: tuple[dict[str, Any], ...], body: dict[str, Any] | None) -> dict[str, Any]:
    spec: dict[str, Any] = {"parameters": list(parameters), "security": [{security: []}]}
    if body is not None:
        spec["requestBody"] = body
    return spec


def extra(*parameters: dict[str, Any], body: dict[str, Any] | None = None) -> dict[str, Any]:
    return _operation("ApiKey", parameters, body)


def ops_extra(*parameters: dict[str, Any], body: dict[str, Any] | None = None) -> dict[str, Any]:
    return _operation("OperatorToken", parameters, body)


def body(model: type[BaseModel], example: Any) -> dict[str, Any]:
    return json_request_body(model, example)


path = path_parameter
ref = schema_ref

PARTNER_MODELS: tuple[type[BaseModel], ...] = (
    models.PlaceOrderBody,
    models.StatusPushBody,
    models.Facets,
    models.VehiclePage,
    models.Vehicle,
    models.Order,
    models.OrderPage,
    models.EventPage,
    models.ErrorEnvelope,
)
OPERATOR_MODELS: tuple[type[BaseModel], ...] = (
    models.NewPartnerBody,
    models.PartnerPatchBody,
    models.VehicleBody,
    models.AuctionResultBody,
    models.TransitionBody,
    models.NewPartner,
    models.Partner,
    models.PartnerDetail,
    models.PartnerPage,
    models.NewKey,
    models.OpsVehicle,
    models.Vehicle,
    models.Withdrawal,
    models.AuctionStart,
    models.AuctionResultOutcome,
    models.OpsOrder,
    models.OpsOrderDetail,
    models.OpsOrderPage,
    models.ErrorEnvelope,
)
