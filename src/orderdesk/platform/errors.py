"""Errors answered to clients, and the envelopes the two products wrap them in.

Code anywhere raises `ApiError` (or one of the platform exceptions below); the handlers
installed on each sub-application render it in that product's envelope. Nothing else ever
reaches a client: not a framework default body, not a stack trace.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import orjson

from orderdesk.platform import ids
from orderdesk.platform.db import DatabaseUnavailable


class ApiError(Exception):
    """An error response. `details` is the auto envelope's object; `extra` adds top-level
    keys to the crypto envelope (only `quote_amount_too_high` uses it)."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        *,
        details: Mapping[str, Any] | None = None,
        extra: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.details = dict(details or {})
        self.extra = dict(extra or {})
        self.headers = dict(headers or {})


# Product-neutral failures; each profile names them in its own words.
class RouteNotFound(Exception):
    pass


class MethodNotAllowed(Exception):
    def __init__(self, allowed: list[str]) -> None:
        super().__init__(", ".join(allowed))
        self.allowed = allowed


class PayloadTooLarge(Exception):
    def __init__(self, max_bytes: int) -> None:
        super().__init__(f"body over {max_bytes} bytes")
        self.max_bytes = max_bytes


class RateLimited(Exception):
    def __init__(self, retry_after: int) -> None:
        super().__init__(f"retry after {retry_after}s")
        self.retry_after = retry_after


class OpsUnauthorized(Exception):
    pass


@dataclass(frozen=True)
class ErrorProfile:
    """How one product names request ids and shapes its error bodies."""

    name: str
    request_id_prefix: str
    request_id_hex: int
    route_not_found: tuple[str, str]
    ops_unauthorized_message: str
    payload_too_large_details: bool
    method_not_allowed_details: bool
    nested: bool  # True: {"error": {...}}; False: flat {"error_code", ...}

    def new_request_id(self) -> str:
        return self.request_id_prefix + ids.random_hex(self.request_id_hex // 2)

    def body(self, error: ApiError, request_id: str) -> bytes:
        if self.nested:
            payload: dict[str, Any] = {
                "error": {
                    "code": error.code,
                    "message": error.message,
                    "request_id": request_id,
                    "details": error.details,
                }
            }
        else:
            payload = {"error_code": error.code, "error_msg": error.message, "request_id": request_id, **error.extra}
        return orjson.dumps(payload)

    def to_api_error(self, exc: BaseException) -> ApiError:
        """Map any exception to the ApiError this product answers with."""
        if isinstance(exc, ApiError):
            return exc
        if isinstance(exc, RouteNotFound):
            code, message = self.route_not_found
            return ApiError(404, code, message)
        if isinstance(exc, MethodNotAllowed):
            details: dict[str, Any] | None = {"allowed": exc.allowed} if self.method_not_allowed_details else None
            return ApiError(
                405,
                "method_not_allowed",
                "Method not allowed",
                details=details,
                headers={"Allow": ", ".join(exc.allowed)},
            )
        if isinstance(exc, PayloadTooLarge):
            details = {"max_bytes": exc.max_bytes} if self.payload_too_large_details else None
            return ApiError(413, "payload_too_large", f"Request body exceeds {exc.max_bytes} bytes", details=details)
        if isinstance(exc, RateLimited):
            return ApiError(429, "rate_limited", "Rate limit exceeded", headers={"Retry-After": str(exc.retry_after)})
        if isinstance(exc, OpsUnauthorized):
            return ApiError(401, "unauthorized", self.ops_unauthorized_message, headers={"WWW-Authenticate": "Bearer"})
        if isinstance(exc, DatabaseUnavailable):
            return ApiError(
                503, "service_unavailable", "Service temporarily unavailable, retry later", headers={"Retry-After": "1"}
            )
        return ApiError(500, "internal_error", "Internal server error")


AUTO = ErrorProfile(
    name="auto",
    request_id_prefix="req_",
    request_id_hex=24,
    route_not_found=("route_not_found", "No such route"),
    ops_unauthorized_message="Operator token is missing or invalid",
    payload_too_large_details=True,
    method_not_allowed_details=True,
    nested=True,
)

CRYPTO = ErrorProfile(
    name="crypto",
    request_id_prefix="",
    request_id_hex=32,
    route_not_found=("not_found", "Resource not found"),
    ops_unauthorized_message="Missing or invalid operator token",
    payload_too_large_details=False,
    method_not_allowed_details=False,
    nested=False,
)

# Which envelope answers a path. Longest prefix first; anything else speaks "auto".
_PROFILE_PREFIXES: tuple[tuple[str, ErrorProfile], ...] = (
    ("/ops/v1/auto", AUTO),
    ("/ops/v1/", CRYPTO),  # /ops/v1/crypto and the shared /ops/v1/mail
    ("/crypto", CRYPTO),
    ("/auto", AUTO),
)


def profile_for_path(path: str) -> ErrorProfile:
    for prefix, profile in _PROFILE_PREFIXES:
        if path == prefix or path.startswith(prefix if prefix.endswith("/") else prefix + "/"):
            return profile
    return AUTO
