"""The auto contract's errors (spec section 7): one constructor per code, so the message and
details of each code are written once."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from pydantic import ValidationError

from orderdesk.auto.timefmt import kst
from orderdesk.platform.errors import ApiError

Location = Literal["body", "query", "header", "path"]


@dataclass(frozen=True)
class Issue:
    location: Location
    path: str
    message: str

    def as_dict(self) -> dict[str, str]:
        return {"location": self.location, "path": self.path, "message": self.message}


def validation_error(issues: list[Issue], status: int = 400) -> ApiError:
    return ApiError(
        status,
        "validation_error",
        "Request validation failed",
        details={"issues": [issue.as_dict() for issue in issues]},
    )


_MESSAGES = {
    "missing": "is required",
    "extra_forbidden": "unknown field",
    "string_type": "must be a string",
    "int_type": "must be an integer",
    "int_from_float": "must be an integer",
    "bool_type": "must be a boolean",
    "list_type": "must be a list",
    "dict_type": "must be an object",
    "model_type": "must be an object",
    "model_attributes_type": "must be an object",
    "json_invalid": "must be valid UTF-8 JSON",
    "json_type": "must be valid UTF-8 JSON",
}


def _issue_message(error: Any) -> str:
    """One pydantic error in the contract's words (spec 2.9: messages are for humans)."""
    kind, ctx = error["type"], error.get("ctx") or {}
    if kind == "value_error":
        return str(ctx.get("error", error["msg"]))
    if kind in ("model_type", "dict_type", "model_attributes_type") and not error["loc"]:
        return "must be a JSON object"
    if kind == "literal_error":
        return "must be one of: " + str(ctx.get("expected", ""))
    if kind == "string_too_short":
        return f"must be at least {ctx['min_length']} characters"
    if kind == "string_too_long":
        return f"must be at most {ctx['max_length']} characters"
    if kind == "string_pattern_mismatch":
        return f"must match {ctx['pattern']}"
    if kind in ("greater_than_equal", "greater_than"):
        return f"must be at least {ctx.get('ge', ctx.get('gt'))}"
    if kind in ("less_than_equal", "less_than"):
        return f"must be at most {ctx.get('le', ctx.get('lt'))}"
    if kind == "too_long":
        return f"must hold at most {ctx['max_length']} items"
    if kind == "too_short":
        return f"must hold at least {ctx['min_length']} items"
    return _MESSAGES.get(kind) or error["msg"]


def issues_from(error: ValidationError, location: Location = "body") -> list[Issue]:
    """The one translation of a model's validation errors into `validation_error` issues
    (spec 2.9): dotted paths, `""` for the whole body, unknown top-level fields first."""
    issues = []
    for item in error.errors(include_url=False, include_input=False):
        issue = Issue(location, ".".join(str(part) for part in item["loc"]), _issue_message(item))
        issues.append((item["type"] == "extra_forbidden" and len(item["loc"]) == 1, issue))
    return [issue for first, issue in issues if first] + [issue for first, issue in issues if not first]


def missing_idempotency_key() -> ApiError:
    return ApiError(400, "missing_idempotency_key", "Idempotency-Key header is required")


def missing_max_bid(listing_usd: int) -> ApiError:
    return ApiError(
        400,
        "missing_max_bid",
        "max_bid_amount_usd is required for auction vehicles and must be at least the listing price",
        details={"listing_usd": listing_usd},
    )


def invalid_cursor() -> ApiError:
    return ApiError(400, "invalid_cursor", "Cursor is not valid for this query; restart pagination")


def missing_api_key() -> ApiError:
    return ApiError(401, "missing_api_key", "x-api-key header is required")


def invalid_api_key() -> ApiError:
    return ApiError(401, "invalid_api_key", "API key is invalid")


def ip_not_allowed(ip: str) -> ApiError:
    return ApiError(403, "ip_not_allowed", "Source IP address is not allowed", details={"ip": ip})


def vehicle_not_found() -> ApiError:
    return ApiError(404, "vehicle_not_found", "Vehicle not found")


def order_not_found() -> ApiError:
    return ApiError(404, "order_not_found", "Order not found")


def partner_not_found() -> ApiError:
    return ApiError(404, "partner_not_found", "Partner not found")


def api_key_not_found() -> ApiError:
    return ApiError(404, "api_key_not_found", "API key not found")


def invalid_status_transition(current_status: str) -> ApiError:
    return ApiError(
        409,
        "invalid_status_transition",
        "The order's current status does not allow this change",
        details={"current_status": current_status},
    )


def invalid_status_transition_on_vehicle(vehicle_id: str) -> ApiError:
    """An auction result the vehicle's orders do not allow (spec 8.5)."""
    return ApiError(
        409,
        "invalid_status_transition",
        "The order's current status does not allow this change",
        details={"vehicle_id": vehicle_id},
    )


def reserved_for_lmn(current_status: str) -> ApiError:
    """A partner sent a status or detail that only LMN sets (spec 4.8 step 2)."""
    return ApiError(
        403, "invalid_status_transition", "This change is reserved for LMN", details={"current_status": current_status}
    )


def past_order_cutoff(cutoff_at: datetime, now: datetime) -> ApiError:
    return ApiError(
        409,
        "past_order_cutoff",
        "The order cutoff for this vehicle has passed",
        details={"cutoff_at": kst(cutoff_at), "now": kst(now)},
    )


def duplicate_order(existing_order_id: str) -> ApiError:
    return ApiError(
        409,
        "duplicate_order",
        "An active order for this vehicle already exists",
        details={"existing_order_id": existing_order_id},
    )


def idempotency_key_in_use() -> ApiError:
    return ApiError(
        409,
        "idempotency_key_in_use",
        "A request with this Idempotency-Key is still in progress; retry shortly",
        headers={"Retry-After": "1"},
    )


def vehicle_unavailable(reason: Literal["withdrawn", "sold", "taken"]) -> ApiError:
    return ApiError(410, "vehicle_unavailable", "Vehicle is no longer available", details={"reason": reason})


def idempotency_key_reused(details: dict[str, str]) -> ApiError:
    return ApiError(
        422, "idempotency_key_reused", "Idempotency-Key was already used for a different request", details=details
    )
