"""Typed exceptions. Every refusal the server answers becomes an `APIError` subclass chosen by
its error code, carrying `status`, `code`, `message`, `details` and `request_id`, so callers
write `except PastOrderCutoff:` rather than comparing strings. Codes the SDK does not know yet
fall back to the family of their HTTP status."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


class OrderdeskError(Exception):
    """Base of everything this package raises."""


class InvalidSignature(OrderdeskError):
    """A webhook whose signature, timestamp or body does not verify."""


class APIConnectionError(OrderdeskError):
    """No usable answer after every retry: the connection failed or timed out."""


class APIError(OrderdeskError):
    """A non-2xx answer. `details` holds the auto `details` object, or crypto's extra fields
    (`max_amount`, `requested_amount`); `retry_after` the `Retry-After` header in seconds."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        details: Mapping[str, Any] | None = None,
        request_id: str | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.details: dict[str, Any] = dict(details or {})
        self.request_id = request_id
        self.retry_after = retry_after


# --------------------------------------------------------------------------- families (by HTTP status)


class BadRequest(APIError):
    """400: the request is wrong and retrying it unchanged will not help."""


class AuthenticationError(APIError):
    """401: API key, partner token or operator token refused."""


class PermissionDenied(APIError):
    """403."""


class NotFound(APIError):
    """404."""


class MethodNotAllowed(APIError):
    """405."""


class ConflictError(APIError):
    """409."""


class Gone(APIError):
    """410."""


class PayloadTooLarge(APIError):
    """413."""


class UnprocessableEntity(APIError):
    """422."""


class RateLimited(APIError):
    """429 `rate_limited` (after the SDK's own retries)."""


class ServerError(APIError):
    """5xx (after the SDK's own retries)."""


# --------------------------------------------------------------------------- one class per error code


class ValidationError(BadRequest):
    """auto `validation_error` (400; 422 on operator money calls): `details["issues"]`."""


class MissingIdempotencyKey(BadRequest):
    pass


class MissingMaxBid(BadRequest):
    pass


class InvalidCursor(BadRequest):
    pass


class BodyParseError(BadRequest):
    pass


class InvalidParameters(BadRequest):
    pass


class QuoteAmountTooHigh(BadRequest):
    """`details` has `max_amount` and `requested_amount`."""


class InsufficientFunds(BadRequest):
    pass


class OperationForbidden(BadRequest):
    pass


class InvalidSettlementCurrency(BadRequest):
    pass


class InvalidCryptoCurrencyAddress(BadRequest):
    pass


class InvalidDestination(BadRequest):
    pass


class DestinationUnableToReceive(BadRequest):
    pass


class FullAmountRequired(BadRequest):
    pass


class ExpiredOrder(BadRequest):
    pass


class InvalidSecurityCode(BadRequest):
    pass


class InvalidOrderState(BadRequest):
    pass


class InvalidReferenceId(BadRequest):
    pass


class InvalidState(BadRequest):
    pass


class MissingApiKey(AuthenticationError):
    pass


class InvalidApiKey(AuthenticationError):
    pass


class AuthRequired(AuthenticationError):
    """crypto `auth_required`: the partner token was refused."""


class Unauthorized(AuthenticationError):
    """operator `unauthorized`."""


class IpNotAllowed(PermissionDenied):
    pass


class Forbidden(PermissionDenied):
    """crypto `forbidden`: the API key lacks the scope the call needs."""


class RouteNotFound(NotFound):
    pass


class VehicleNotFound(NotFound):
    pass


class OrderNotFound(NotFound):
    pass


class InvalidStatusTransition(ConflictError):
    """auto `invalid_status_transition`: 409, or 403 for a change reserved for LMN (the class
    follows the code, whatever the status; `status` tells them apart)."""


class PastOrderCutoff(ConflictError):
    pass


class DuplicateOrder(ConflictError):
    pass


class IdempotencyKeyInUse(ConflictError):
    pass


class ReferenceIdAlreadyUsed(ConflictError):
    pass


class Conflict(ConflictError):
    """crypto `conflict`: a customer or address-book entry that already exists."""


class VehicleUnavailable(Gone):
    pass


class IdempotencyKeyReused(UnprocessableEntity):
    pass


class InternalError(ServerError):
    pass


BY_CODE: dict[str, type[APIError]] = {
    "validation_error": ValidationError,
    "missing_idempotency_key": MissingIdempotencyKey,
    "missing_max_bid": MissingMaxBid,
    "invalid_cursor": InvalidCursor,
    "body_parse_error": BodyParseError,
    "invalid_parameters": InvalidParameters,
    "quote_amount_too_high": QuoteAmountTooHigh,
    "insufficient_funds": InsufficientFunds,
    "operation_forbidden": OperationForbidden,
    "invalid_settlement_currency": InvalidSettlementCurrency,
    "invalid_crypto_currency_address": InvalidCryptoCurrencyAddress,
    "invalid_destination": InvalidDestination,
    "destination_unable_to_receive": DestinationUnableToReceive,
    "full_amount_required": FullAmountRequired,
    "expired_order": ExpiredOrder,
    "invalid_security_code": InvalidSecurityCode,
    "invalid_order_state": InvalidOrderState,
    "invalid_reference_id": InvalidReferenceId,
    "invalid_state": InvalidState,
    "missing_api_key": MissingApiKey,
    "invalid_api_key": InvalidApiKey,
    "auth_required": AuthRequired,
    "unauthorized": Unauthorized,
    "ip_not_allowed": IpNotAllowed,
    "forbidden": Forbidden,
    "route_not_found": RouteNotFound,
    "not_found": NotFound,
    "vehicle_not_found": VehicleNotFound,
    "order_not_found": OrderNotFound,
    "method_not_allowed": MethodNotAllowed,
    "invalid_status_transition": InvalidStatusTransition,
    "past_order_cutoff": PastOrderCutoff,
    "duplicate_order": DuplicateOrder,
    "idempotency_key_in_use": IdempotencyKeyInUse,
    "reference_id_already_used": ReferenceIdAlreadyUsed,
    "conflict": Conflict,
    "vehicle_unavailable": VehicleUnavailable,
    "payload_too_large": PayloadTooLarge,
    "idempotency_key_reused": IdempotencyKeyReused,
    "rate_limited": RateLimited,
    "internal_error": InternalError,
}
BY_STATUS: dict[int, type[APIError]] = {
    400: BadRequest,
    401: AuthenticationError,
    403: PermissionDenied,
    404: NotFound,
    405: MethodNotAllowed,
    409: ConflictError,
    410: Gone,
    413: PayloadTooLarge,
    422: UnprocessableEntity,
    429: RateLimited,
}


def error_class(status: int, code: str) -> type[APIError]:
    found = BY_CODE.get(code)
    if found is not None:
        return found
    if status >= 500:
        return ServerError
    return BY_STATUS.get(status, APIError)


def parse_error(status: int, body: Any, request_id: str | None, retry_after: float | None) -> APIError:
    """The exception for one error answer, from either product's envelope: auto's
    `{"error": {code, message, request_id, details}}` or crypto's flat
    `{error_code, error_msg, request_id, ...extra}`."""
    code, message = "unknown_error", ""
    details: dict[str, Any] = {}
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        inner = body["error"]
        code = str(inner.get("code", code))
        message = str(inner.get("message", ""))
        details = inner.get("details") if isinstance(inner.get("details"), dict) else {}
        request_id = inner.get("request_id") or request_id
    elif isinstance(body, dict) and "error_code" in body:
        code = str(body["error_code"])
        message = str(body.get("error_msg", ""))
        request_id = body.get("request_id") or request_id
        details = {k: v for k, v in body.items() if k not in ("error_code", "error_msg", "request_id")}
    elif status >= 500:
        code, message = "internal_error", "Server error without an error body"
    return error_class(status, code)(status, code, message, details, request_id, retry_after)


__all__ = [
    "APIConnectionError",
    "APIError",
    "AuthRequired",
    "AuthenticationError",
    "BadRequest",
    "BodyParseError",
    "Conflict",
    "ConflictError",
    "DestinationUnableToReceive",
    "DuplicateOrder",
    "ExpiredOrder",
    "Forbidden",
    "FullAmountRequired",
    "Gone",
    "IdempotencyKeyInUse",
    "IdempotencyKeyReused",
    "InsufficientFunds",
    "InternalError",
    "InvalidApiKey",
    "InvalidCryptoCurrencyAddress",
    "InvalidCursor",
    "InvalidDestination",
    "InvalidOrderState",
    "InvalidParameters",
    "InvalidReferenceId",
    "InvalidSecurityCode",
    "InvalidSettlementCurrency",
    "InvalidSignature",
    "InvalidState",
    "InvalidStatusTransition",
    "IpNotAllowed",
    "MethodNotAllowed",
    "MissingApiKey",
    "MissingIdempotencyKey",
    "MissingMaxBid",
    "NotFound",
    "OperationForbidden",
    "OrderNotFound",
    "OrderdeskError",
    "PastOrderCutoff",
    "PayloadTooLarge",
    "PermissionDenied",
    "QuoteAmountTooHigh",
    "RateLimited",
    "ReferenceIdAlreadyUsed",
    "RouteNotFound",
    "ServerError",
    "Unauthorized",
    "UnprocessableEntity",
    "ValidationError",
    "VehicleNotFound",
    "VehicleUnavailable",
    "error_class",
    "parse_error",
]
