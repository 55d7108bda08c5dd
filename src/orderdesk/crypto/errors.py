"""The crypto API's errors (spec/crypto.md 3.7, 10). Every failure is an `ApiError` rendered
in the flat crypto envelope by the sub-application's handlers."""

from __future__ import annotations

from typing import Any

from orderdesk.platform.errors import ApiError

REQUIRED = "This field is required but was not found in the request."
UNKNOWN_FIELD = "Unknown field."
CANNOT_CHANGE = "This field cannot be changed."


def render_field_errors(tree: dict[Any, Any]) -> str:
    """`str()` of the nested dict with keys sorted at every level (3.7, form 2)."""
    return str(_sorted(tree))


def _sorted(node: Any) -> Any:
    if isinstance(node, dict):
        return {key: _sorted(node[key]) for key in sorted(node)}
    return node


def invalid_parameters(message: str) -> ApiError:
    return ApiError(400, "invalid_parameters", message)


def field_errors(tree: dict[Any, Any]) -> ApiError:
    return invalid_parameters(render_field_errors(tree))


def field_error(path: tuple[Any, ...], message: str) -> ApiError:
    tree: dict[Any, Any] = {}
    node = tree
    for key in path[:-1]:
        node = node.setdefault(key, {})
    node[path[-1]] = [message]
    return field_errors(tree)


def body_parse_error() -> ApiError:
    return ApiError(400, "body_parse_error", "Request body is not a valid JSON object")


def not_found(message: str = "Resource not found") -> ApiError:
    return ApiError(404, "not_found", message)


def customer_not_found() -> ApiError:
    return not_found("Customer not found")


def order_not_found() -> ApiError:
    return not_found("Order not found")


def auth_required(message: str) -> ApiError:
    return ApiError(401, "auth_required", message, headers={"WWW-Authenticate": "Bearer"})


def forbidden_scope(scope: str) -> ApiError:
    return ApiError(403, "forbidden", f"API key lacks the required scope: {scope}")


def conflict(message: str) -> ApiError:
    return ApiError(409, "conflict", message)


def operation_forbidden(message: str) -> ApiError:
    return ApiError(400, "operation_forbidden", message)


def invalid_state(message: str) -> ApiError:
    return ApiError(400, "invalid_state", message)


def invalid_settlement_currency(message: str) -> ApiError:
    return ApiError(400, "invalid_settlement_currency", message)


def insufficient_funds(currency: str) -> ApiError:
    return ApiError(400, "insufficient_funds", f"The customer's {currency} balance is insufficient for this order")


def payload_too_large(message: str) -> ApiError:
    return ApiError(413, "payload_too_large", message)


def reference_id_already_used(value: str) -> ApiError:
    return ApiError(409, "reference_id_already_used", f"reference_id '{value}' has already been used")


def invalid_order_state(message: str) -> ApiError:
    return ApiError(400, "invalid_order_state", message)


def expired_order() -> ApiError:
    return ApiError(400, "expired_order", "The order quote has expired")


def invalid_security_code(message: str) -> ApiError:
    return ApiError(400, "invalid_security_code", message)


def invalid_reference_id() -> ApiError:
    return ApiError(400, "invalid_reference_id", "reference_id does not match the order's reference_id")
