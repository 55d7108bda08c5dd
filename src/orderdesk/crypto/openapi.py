"""The crypto product's published OpenAPI 3.1 documents (spec/crypto.md 1, 11): the partner
API (`/crypto/v1/openapi.json`) and the operator API (`/ops/v1/openapi.json`). Every schema
comes from the typed models in `crypto.models`; each operation lists its request schema, its
success schema with an example, and every error code it can answer with the envelope schema
and an example envelope. `partner_document(app)` / `operator_document(app)` return them from
`create_app()`; `python -m orderdesk.crypto.publish` writes the checked-in files."""

from __future__ import annotations

import copy
from dataclasses import replace
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute
from pydantic import BaseModel, RootModel
from pydantic.json_schema import JsonSchemaMode, models_json_schema

from orderdesk.crypto.models.common import ErrorEnvelope, Order, Paging
from orderdesk.platform.openapi import (
    COMPONENTS,
    ErrorDocs,
    HeaderDoc,
    Sent,
    canonical,
    header_components,
    nullable_as_type_list,
    path_parameter,
    platform_headers,
    query_parameters,
    refs_under,
    responses_with_errors,
    schema_ref,
)

REQUEST_ID = "e904beb3de024fb99ce6e0e68350d815"
SCHEMAS = COMPONENTS.format(model="")

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
    "unauthorized": (401, "Missing or invalid operator token"),
    "forbidden": (403, "API key lacks the required scope: operation_buy"),
    "not_found": (404, "Customer not found"),
    "method_not_allowed": (405, "Method not allowed"),
    "reference_id_already_used": (409, "reference_id 'ord-2026-000117' has already been used"),
    "conflict": (409, "reference_id 'cust-000042' is already used by another customer"),
    "payload_too_large": (413, "Request body exceeds 1048576 bytes"),
    "rate_limited": (429, "Rate limit exceeded"),
    "internal_error": (500, "Internal server error"),
    "service_unavailable": (503, "Service temporarily unavailable, retry later"),
}
PARTNER_COMMON = ("auth_required", "rate_limited", "payload_too_large", "internal_error", "service_unavailable")
OPERATOR_COMMON = ("unauthorized", "payload_too_large", "internal_error", "service_unavailable")
PUBLIC_COMMON = ("payload_too_large", "internal_error", "service_unavailable")
# The headers an error code's answer carries beside X-Request-Id (3.4, 3.9).
ERROR_HEADERS: dict[str, Sent] = {
    "auth_required": {"WWW-Authenticate": True},
    "unauthorized": {"WWW-Authenticate": True},
    "rate_limited": {"Retry-After": True, "RateLimit": True, "RateLimit-Policy": True},
    "service_unavailable": {"Retry-After": True},
}
# Every response header the crypto documents declare (3.8, 3.9), by name.
HEADERS: dict[str, HeaderDoc] = platform_headers("^[0-9a-f]{32}$", "crypto")

PARTNER_SECURITY = {
    "PartnerJWT": {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT",
        "description": "RS512 JWT signed with the partner's private key; claims iss = API key, "
        "iat = now (integer seconds)",
    }
}
OPERATOR_SECURITY = {
    "OperatorToken": {"type": "http", "scheme": "bearer", "description": "Authorization: Bearer <ORDERDESK_OPS_TOKEN>"}
}


class OrderObject(RootModel[Order]):
    """An order (8.1): the common fields and exactly one node, named like `operation`."""


# Every model an operation refers to, by schema name, with the mode it is documented in.
_MODELS: dict[str, tuple[type[BaseModel], JsonSchemaMode]] = {}


def ref(model: type[BaseModel], *, request: bool = False) -> dict[str, str]:
    """A reference to `model`'s schema, which joins the components of the documents using it."""
    known = _MODELS.setdefault(model.__name__, (model, "validation" if request else "serialization"))
    if known[0] is not model:
        raise ValueError(f"two models named {model.__name__}")
    return schema_ref(model)


def _error_body(code: str) -> dict[str, Any]:
    body: dict[str, Any] = {"error_code": code, "error_msg": ERRORS[code][1], "request_id": REQUEST_ID}
    if code == "quote_amount_too_high":
        body.update(max_amount="1.53727901", requested_amount="2")
    return body


ERROR_DOCS = ErrorDocs(lambda code: ERRORS[code][0], _error_body, ErrorEnvelope, ERROR_HEADERS)
# Partner requests are counted against the key's rate limit once authenticated (3.10 steps 2–3).
PARTNER_ERROR_DOCS = replace(ERROR_DOCS, uncounted=("auth_required",), limited=True)


def _responses(
    success: tuple[int, type[BaseModel] | None, Any, str],
    codes: tuple[str, ...],
    also: tuple[int, str] | None,
    errors: ErrorDocs,
) -> dict[int | str, dict[str, Any]]:
    """The success answer (and `also`, a second success status with the same body) with its
    schema and example, then every error code grouped by status; no model: no body."""
    status, model, example, description = success
    answer = responses_with_errors(status, example, description, codes, errors, schema=model, ref=ref)
    if model is None:
        del answer[status]["content"]
    if also is not None:
        answer[also[0]] = {**answer[status], "description": also[1]}
    return answer


path = path_parameter
PAGING = query_parameters(Paging)


def operation(
    success: tuple[int, type[BaseModel] | None, Any, str],
    *codes: str,
    parameters: list[dict[str, Any]] | tuple[dict[str, Any], ...] = (),
    body: tuple[type[BaseModel], Any] | None = None,
    multipart: bool = False,
    optional_body: bool = False,
    security: str | None = "PartnerJWT",
    common: tuple[str, ...] = PARTNER_COMMON,
    also: tuple[int, str] | None = None,
) -> dict[str, Any]:
    """The `openapi_extra` of one route: it replaces what FastAPI would infer (our routes read
    their input themselves, so FastAPI sees no parameters, body or answers of its own)."""
    spec: dict[str, Any] = {
        "parameters": list(parameters),
        "security": [{security: []}] if security else [],
        "responses": _responses(
            success, (*codes, *common), also, PARTNER_ERROR_DOCS if security == "PartnerJWT" else ERROR_DOCS
        ),
    }
    if body is not None:
        model, example = body
        content_type = "multipart/form-data" if multipart else "application/json"
        spec["requestBody"] = {
            "required": not optional_body,
            "content": {content_type: {"schema": ref(model, request=True), "example": example}},
        }
    return spec


def operator_operation(
    success: tuple[int, type[BaseModel] | None, Any, str],
    *codes: str,
    parameters: list[dict[str, Any]] | tuple[dict[str, Any], ...] = (),
    body: tuple[type[BaseModel], Any] | None = None,
    optional_body: bool = False,
    also: tuple[int, str] | None = None,
) -> dict[str, Any]:
    return operation(
        success,
        *codes,
        parameters=parameters,
        body=body,
        optional_body=optional_body,
        security="OperatorToken",
        common=OPERATOR_COMMON,
        also=also,
    )


# --------------------------------------------------------------------------- documents


def _components(paths: dict[str, Any]) -> dict[str, Any]:
    """The schemas of the models `paths` refers to (and of those they use), in name order."""
    pairs = [_MODELS[name] for name in sorted(refs_under(paths, SCHEMAS))]
    _, top = models_json_schema(pairs, ref_template=COMPONENTS)
    defs = top.get("$defs", {})
    return {name: defs[name] for name in sorted(defs)}


def build_document(app: FastAPI, security: dict[str, Any], prefix: str) -> dict[str, Any]:
    """`app`'s document with the model schemas and the security scheme; paths carry `prefix`
    (the sub-application's mount point), so the document stands alone."""
    document = get_openapi(
        title=app.title, version=app.version, openapi_version="3.1.0", description=app.description, routes=app.routes
    )
    for route in app.routes:
        if isinstance(route, APIRoute) and route.include_in_schema and route.openapi_extra:
            for method in route.methods or ():
                # FastAPI drops None from what it renders; our examples keep their nulls.
                document["paths"][route.path_format][method.lower()].update(copy.deepcopy(route.openapi_extra))
    document["servers"] = [{"url": prefix}]
    components = document.setdefault("components", {})
    components["schemas"] = _components(document["paths"])
    components["securitySchemes"] = security
    components["headers"] = header_components(HEADERS, document)
    return document


def install_document(app: FastAPI, security: dict[str, Any], prefix: str) -> None:
    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            # The same finish as auto's documents: nullable fields as type lists, keys sorted.
            app.openapi_schema = canonical(nullable_as_type_list(build_document(app, security, prefix)))
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def _mounted(root: FastAPI, prefix: str) -> FastAPI:
    for route in root.routes:
        if getattr(route, "path", None) == prefix and isinstance(getattr(route, "app", None), FastAPI):
            return route.app  # type: ignore[attr-defined, no-any-return]
    raise LookupError(f"nothing mounted at {prefix}")


def partner_document(root: FastAPI) -> dict[str, Any]:
    """The crypto partner API's document as `create_app()` serves it at /crypto/v1/openapi.json."""
    return _mounted(root, "/crypto").openapi()


def operator_document(root: FastAPI) -> dict[str, Any]:
    """The crypto operator API's document as served at /ops/v1/openapi.json."""
    return _mounted(root, "/ops/v1").openapi()


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

# --------------------------------------------------------------------------- operator examples (11)

PARTNER_ID = "07533b57ccb04c3e8aac27da65756427"
NEW_PARTNER = {
    "name": "Banco Ejemplo",
    "public_key_pem": "-----BEGIN PUBLIC KEY-----\nMIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA…\n"
    "-----END PUBLIC KEY-----\n",
    "settlement_currencies": ["USD"],
}
OPERATOR_PARTNER_EXAMPLE = {
    "id": PARTNER_ID,
    "name": "Banco Ejemplo",
    "scopes": ["operation_buy", "operation_sell"],
    "settlement_currencies": ["USD"],
    "products": ["crypto_buy_sell"],
    "security_code_operations": ["send"],
    "redemption_commission_enabled": True,
    "active": True,
    "created_at": TS,
}
CREATED_PARTNER_EXAMPLE = {**OPERATOR_PARTNER_EXAMPLE, "api_key": "lk_6f1c2d3e4b5a69788796a5b4c3d2e1f0"}
PARTNER_BALANCES_EXAMPLE = {
    **OPERATOR_PARTNER_EXAMPLE,
    "balances": {
        "settlement": [{"currency": "USD", "amount": "-10000.00"}],
        "commission": [{"currency": "USD", "amount": "147.79"}],
    },
}
PARTNER_PATCH = {"active": False}
ASSET_BODY = {
    "decimal_places": 8,
    "allowed_operations": ["buy", "sell", "send", "receive", "transfer"],
    "networks": [{"network": "bitcoin", "send_fee": "0.00005"}],
    "max_order_value": "100000.00",
}
ASSET_EXAMPLE = {"id": "BTC", **ASSET_BODY}
PRICE_BODY = {"quote_currency": "USD", "bid": "64950.00", "ask": "65050.00"}
PRICE_EXAMPLE = {"currency": "BTC", **PRICE_BODY, "updated_at": TS}
INVESTMENT_BODY = {
    "name": "Aave Ethereum USDC",
    "quote_asset": "USDC",
    "network": "ethereum",
    "provider_id": "aave",
    "enabled": True,
    "decimal_places": 6,
    "subscription": {"min_amount": "1", "max_amount": "200000"},
    "redemption": {"min_amount": "1", "max_amount": "0"},
    "fee": {"type": "earnings_percentage", "value": "10"},
    "apy": "4.00",
}
INVESTMENT_EXAMPLE = {
    "id": "aEthUSDC",
    **{k: v for k, v in INVESTMENT_BODY.items() if k != "apy"},
    "rate": {"apy": "4.00", "token_price": "1.019803902718556966", "updated_at": TS},
}
DEPOSIT_BODY = {"currency": "USDC", "amount": "1500", "network": "polygon", "fee": "0"}
CUSTOMER_STATE_BODY = {"state": "closing"}
REVIEW_BODY = {"status": "rejected", "rejection_reason": "document_not_readable"}
FAIL_BODY = {"reason": "node rejected the transaction"}
FAILED_SEND_EXAMPLE = {**SEND_PROCESSING_EXAMPLE, "state": "cancelled", "cancel_reason": "send_failed"}
LEDGER_EXAMPLE = {"balanced": True, "postings": 1842, "mismatches": []}
MAIL_EXAMPLE = {
    "messages": [
        {
            "id": "0f9e8d7c6b5a49382716a5b4c3d2e1f0",
            "to": "ana.gomez@example.com",
            "subject": "Your security code",
            "body": "Your security code is 482913.\nIt confirms order 9dde6192626f426e991ed3e2b80ca0e1 "
            "(buy 0.15145595 BTC) and expires at 2026-03-02T10:16:30.412907+00:00.",
            "sent_at": "2026-03-02T10:15:30.412907+00:00",
        }
    ]
}
