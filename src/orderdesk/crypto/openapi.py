"""What the public OpenAPI document says about each partner endpoint (spec/crypto.md 1): its
success example and every error code it can answer, each with an example envelope."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

from orderdesk.platform.openapi import path_parameter, query_parameter, responses_with_errors

REQUEST_ID = "e904beb3de024fb99ce6e0e68350d815"

# error_code → (HTTP status, an example error_msg)
ERRORS: dict[str, tuple[int, str]] = {
    "body_parse_error": (400, "Request body is not a valid JSON object"),
    "invalid_parameters": (400, "{'contact': {'email': ['Not a valid email address.']}}"),
    "quote_amount_too_high": (400, "The requested amount exceeds the maximum allowed for one order"),
    "insufficient_funds": (400, "The customer's BTC balance is insufficient for this order"),
    "operation_forbidden": (400, "Customer state closed does not allow buy orders"),
    "invalid_settlement_currency": (400, "Settlement currency EUR is not configured for this partner"),
    "invalid_crypto_currency_address": (400, "Invalid address for network bitcoin"),
    "invalid_destination": (400, "Address book entry aa0f45a8e34e433d8aa5e35d498cb143 not found"),
    "destination_unable_to_receive": (400, "The destination customer cannot receive funds"),
    "full_amount_required": (
        400,
        "The remaining position would be below the minimum redemption amount (1 USDC); redeem the full amount",
    ),
    "expired_order": (400, "The order quote has expired"),
    "invalid_security_code": (400, "Invalid security code"),
    "invalid_order_state": (400, "Order is completed"),
    "invalid_reference_id": (400, "reference_id does not match the order's reference_id"),
    "invalid_state": (400, "Requirement document_id_front is already approved"),
    "auth_required": (401, "Invalid token"),
    "forbidden": (403, "API key lacks the required scope: operation_buy"),
    "not_found": (404, "Customer not found"),
    "method_not_allowed": (405, "Method not allowed"),
    "reference_id_already_used": (409, "reference_id 'ord-2026-000117' has already been used"),
    "conflict": (409, "reference_id 'cust-000042' is already used by another customer"),
    "payload_too_large": (413, "Request body exceeds 1048576 bytes"),
    "rate_limited": (429, "Rate limit exceeded"),
    "internal_error": (500, "Internal server error"),
}
COMMON = ("auth_required", "rate_limited", "payload_too_large", "internal_error")


def _error_body(code: str) -> dict[str, Any]:
    body: dict[str, Any] = {"error_code": code, "error_msg": ERRORS[code][1], "request_id": REQUEST_ID}
    if code == "quote_amount_too_high":
        body.update(max_amount="1.53727901", requested_amount="2")
    return body


def responses(status: int, example: Any, description: str, *codes: str) -> dict[int | str, dict[str, Any]]:
    """The success answer with its example, then every error code grouped by HTTP status."""
    return responses_with_errors(
        status, example, description, (*codes, *COMMON), lambda code: ERRORS[code][0], _error_body
    )


query = query_parameter
path = path_parameter


PAGING = [
    query("limit", "1–100, default 50", {"type": "integer", "minimum": 1, "maximum": 100}),
    query("offset", "≥ 0, default 0", {"type": "integer", "minimum": 0}),
]


def extra(*parameters: dict[str, Any], body: Any = None, multipart: bool = False) -> dict[str, Any]:
    spec: dict[str, Any] = {"parameters": list(parameters), "security": [{"PartnerJWT": []}]}
    if body is not None:
        content_type = "multipart/form-data" if multipart else "application/json"
        spec["requestBody"] = {"required": True, "content": {content_type: {"example": body}}}
    return spec


def install_security_scheme(app: FastAPI) -> None:
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = build()
            schema.setdefault("components", {})["securitySchemes"] = {
                "PartnerJWT": {
                    "type": "http",
                    "scheme": "bearer",
                    "bearerFormat": "JWT",
                    "description": "RS512 JWT signed with the partner's private key; claims iss = API key, "
                    "iat = now (integer seconds)",
                }
            }
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


# --------------------------------------------------------------------------- examples

TS = "2026-03-02T10:01:12.308114+00:00"
CUSTOMER_ID = "ab1e7f3e8bf44259b6c293e0f00bdac7"
PARTNER_EXAMPLE = {
    "id": "07533b57ccb04c3e8aac27da65756427",
    "name": "Banco Ejemplo",
    "scopes": ["operation_buy"],
    "settlement_currencies": ["USD"],
    "products": [{"id": "crypto_buy_sell", "enabled": True, "active": True}],
    "available_assets": [
        {
            "id": "BTC",
            "decimal_places": 8,
            "allowed_operations": ["buy", "sell", "send", "receive", "transfer"],
            "networks": [{"network": "bitcoin", "send_fee": "0.00005"}],
            "max_order_value": "100000.00",
        }
    ],
    "available_investments": [],
}
RATES_EXAMPLE = {
    "quote_currency": "USD",
    "timestamp": TS,
    "rates": [{"currency": "BTC", "bid": "64950.00", "ask": "65050.00"}],
}
NEW_CUSTOMER = {
    "type": "individual",
    "reference_id": "cust-000042",
    "profile": {
        "first_name": "Ana",
        "last_name": "Gómez",
        "date_of_birth": "1990-03-14",
        "national_id_country": "MX",
        "national_id_type": "passport",
        "national_id": "G12345678",
        "citizenship": "MX",
        "address_line1": "Av. Reforma 100",
        "city": "Ciudad de México",
        "state": "CDMX",
        "country": "MX",
        "zip_code": "06600",
        "tax_country": "MX",
        "tax_id": "GOAA900314QX1",
    },
    "contact": {"email": "ana.gomez@example.com", "cellphone": "+525512345678"},
}
CUSTOMER_EXAMPLE = {
    "id": CUSTOMER_ID,
    "type": "individual",
    "reference_id": "cust-000042",
    "state": "active",
    "profile": {
        "label": None,
        "first_name": "Ana",
        "middle_name": None,
        "last_name": "Gómez",
        "date_of_birth": "1990-03-14",
        "national_id_country": "MX",
        "national_id_type": "passport",
        "national_id": "G12345678",
        "citizenship": "MX",
        "address_line1": "Av. Reforma 100",
        "address_line2": None,
        "city": "Ciudad de México",
        "state": "CDMX",
        "country": "MX",
        "zip_code": "06600",
        "tax_country": "MX",
        "tax_id": "GOAA900314QX1",
        "is_pep": False,
    },
    "contact": {"email": "ana.gomez@example.com", "cellphone": "+525512345678"},
    "products": [{"id": "crypto_buy_sell", "enabled": True, "active": True}],
    "data_requirements": [
        {
            "id": "document_id_front",
            "type": "document",
            "document_type": "id_front",
            "status": "pending_submission",
            "rejection_reason": None,
            "created": TS,
            "submitted_at": None,
            "last_updated_at": TS,
        }
    ],
    "created_at": TS,
    "last_updated_at": TS,
}
PATCH_EXAMPLE = {"contact": {"email": "ana.g@example.com"}, "profile": {"label": "ana-g"}}
DOCUMENT_FORM = {
    "document_type": "id_front",
    "file_type": "application/pdf",
    "file": "(binary, with a filename)",
    "file_length": 48213,
}
ACCOUNTS_EXAMPLE = {"accounts": [{"currency": "BTC", "amount": "0.15145595"}, {"currency": "USDC", "amount": "24.5"}]}
RECEIVE_EXAMPLE = {
    "id": "47f15fef3a0541f2a709fa1b5e7e8ed2",
    "customer_id": CUSTOMER_ID,
    "reference_id": None,
    "operation": "receive",
    "state": "completed",
    "cancel_reason": None,
    "customer": None,
    "asset": {"currency": "USDC", "amount": "1500"},
    "receive": {
        "origin": {
            "type": "blockchain_transaction",
            "value": "c3e123bca686f904a1d9b16a9d4c692141d749ec4e04a6dcc78e3b0f5a9b9e8f",
            "amount": "1500",
            "network": "polygon",
        }
    },
    "created_at": TS,
    "submitted_at": TS,
    "last_updated_at": TS,
}
NEW_BUY = {
    "reference_id": "ord-2026-000117",
    "operation": "buy",
    "asset": {"currency": "BTC"},
    "buy": {
        "settlement": {"currency": "USD", "amount": "10000.00"},
        "commission": {"type": "percentage", "value": "1.5"},
    },
}
BUY_EXAMPLE = {
    "id": "9dde6192626f426e991ed3e2b80ca0e1",
    "customer_id": CUSTOMER_ID,
    "reference_id": "ord-2026-000117",
    "operation": "buy",
    "state": "pending",
    "cancel_reason": None,
    "asset": {"currency": "BTC", "amount": "0.15145595"},
    "customer": None,
    "buy": {
        "settlement": {"currency": "USD", "amount": "10000.00"},
        "expires_at": "2026-03-02T10:16:30.412907+00:00",
        "requires_confirmation_code": True,
    },
    "created_at": "2026-03-02T10:15:30.412907+00:00",
    "submitted_at": None,
    "last_updated_at": "2026-03-02T10:15:30.412907+00:00",
}
CONFIRM_BODY = {"confirmation_code": "482913", "customer": {"currency": "MXN", "amount": "171250.00"}}
CONFIRMED_EXAMPLE = {
    **BUY_EXAMPLE,
    "state": "completed",
    "customer": {"currency": "MXN", "amount": "171250.00"},
    "submitted_at": "2026-03-02T10:15:52.880310+00:00",
    "last_updated_at": "2026-03-02T10:15:52.880310+00:00",
}
SEND_PROCESSING_EXAMPLE = {
    "id": "5b0c1f2e9d7a4c3e8f6a2b1d0c9e8f7a",
    "customer_id": CUSTOMER_ID,
    "reference_id": None,
    "operation": "send",
    "state": "processing",
    "cancel_reason": None,
    "asset": {"currency": "BTC", "amount": "0.2"},
    "customer": None,
    "send": {
        "network": "bitcoin",
        "fees": "0.00005",
        "destination": {
            "type": "crypto_currency_address",
            "value": "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq",
            "amount": "0.19995",
            "crypto_currency_transaction": None,
        },
        "authorizations": [
            {
                "id": "30454b383ce6494083bee55215abc840",
                "type": "partner",
                "state": "approved",
                "expires_at": "2026-03-03T10:40:02.118734+00:00",
                "signed_at": "2026-03-02T10:44:19.020554+00:00",
            }
        ],
        "expires_at": "2026-03-02T10:41:01.503317+00:00",
        "requires_confirmation_code": True,
    },
    "created_at": "2026-03-02T10:40:01.503317+00:00",
    "submitted_at": "2026-03-02T10:40:02.118734+00:00",
    "last_updated_at": "2026-03-02T10:44:19.020554+00:00",
}
AUTHORIZATION_BODY = {"state": "approved"}
