"""Partner routes (spec/crypto.md 4-6, 8.14), served under /crypto/v1. Each route runs the
checks of 3.10 in order: (routing,) token, rate limit, body size and parsing, path resources,
then the endpoint's own checks inside its use case.

Routes read path parameters from the request: a malformed id is simply not found (3.1)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from pydantic import TypeAdapter
from starlette.responses import Response

from orderdesk.crypto import customers, kyc, partners
from orderdesk.crypto import openapi as doc
from orderdesk.crypto.auth import Partner, authenticate, caller_then, require_scope
from orderdesk.crypto.http_input import json_body, page_of, query, refuse_declared_oversize
from orderdesk.crypto.models import partner as m
from orderdesk.crypto.openapi import OrderObject, operation, path, query_parameters
from orderdesk.crypto.orders import authorizations, confirm, create, reads
from orderdesk.platform.errors import PayloadTooLarge
from orderdesk.platform.http import RequestRoute, json_response, read_body
from orderdesk.platform.runtime import Runtime

router = APIRouter(route_class=RequestRoute)
CUSTOMERS_QUERY = TypeAdapter(m.CustomersQuery)
ORDERS_QUERY = TypeAdapter(m.OrdersQuery)
RATES_QUERY = TypeAdapter(m.RatesQuery)
CUSTOMER = path("customer_id")
ORDER_PATH = [CUSTOMER, path("order_id")]


async def admit(request: Request) -> tuple[Runtime, Partner]:
    """Token and rate limit, then the declared size of a body the endpoint does not read."""
    partner = await authenticate(request)
    refuse_declared_oversize(request)
    return request.app.state.runtime, partner


async def admit_json(request: Request) -> tuple[Runtime, Partner, dict[str, Any]]:
    partner = await authenticate(request)
    return request.app.state.runtime, partner, await json_body(request)


# --------------------------------------------------------------------------- partner and catalogue


@router.get(
    "/v1/partner",
    summary="The calling partner, its products and catalogue",
    openapi_extra=operation((200, m.PartnerView, doc.PARTNER_EXAMPLE, "Partner")),
)
async def get_partner(request: Request) -> Response:
    runtime, partner = await admit(request)
    return json_response(await partners.partner_view(runtime, partner))


async def _exchange_rates(request: Request) -> Response:
    runtime, partner = await admit(request)
    rates = await partners.exchange_rates(runtime, partner, query(request, RATES_QUERY).quote_currency)
    return json_response(rates)


router.add_api_route(
    "/v1/exchange_rates",
    _exchange_rates,
    methods=["GET"],
    summary="Indicative prices",
    openapi_extra=operation(
        (200, m.Rates, doc.RATES_EXAMPLE, "Rates"),
        "invalid_settlement_currency",
        parameters=query_parameters(m.RatesQuery),
    ),
)
router.add_api_route("/v1/exchange-rates", _exchange_rates, methods=["GET"], include_in_schema=False)


# --------------------------------------------------------------------------- customers


@router.post(
    "/v1/customers",
    status_code=201,
    summary="Create a customer",
    openapi_extra=operation(
        (201, m.Customer, doc.CUSTOMER_EXAMPLE, "Customer"),
        "body_parse_error",
        "invalid_parameters",
        "conflict",
        body=(m.NewCustomer, doc.NEW_CUSTOMER),
    ),
)
async def create_customer(request: Request) -> Response:
    runtime, partner, body = await admit_json(request)
    new = customers.new_customer_input(body, runtime.clock.now().date())
    return json_response(await customers.create_customer(runtime, partner, new), status=201)


@router.get(
    "/v1/customers",
    summary="List customers",
    openapi_extra=operation(
        (200, m.Customers, {"customers": [doc.CUSTOMER_EXAMPLE], "total": 1}, "Customers, newest first"),
        "invalid_parameters",
        parameters=query_parameters(m.CustomersQuery),
    ),
)
async def list_customers(request: Request) -> Response:
    runtime, partner = await admit(request)
    asked = query(request, CUSTOMERS_QUERY)
    return json_response(
        await customers.list_customers(runtime, partner, asked.reference_id, asked.state, page_of(asked))
    )


@router.get(
    "/v1/customers/{customer_id}",
    summary="Get a customer",
    openapi_extra=operation((200, m.Customer, doc.CUSTOMER_EXAMPLE, "Customer"), "not_found", parameters=[CUSTOMER]),
)
async def get_customer(request: Request) -> Response:
    runtime, partner = await admit(request)
    return json_response(await customers.get_customer(runtime, partner, request.path_params["customer_id"]))


@router.patch(
    "/v1/customers/{customer_id}",
    summary="Update a customer's profile and contact",
    openapi_extra=operation(
        (200, m.Customer, doc.CUSTOMER_EXAMPLE, "Customer"),
        "body_parse_error",
        "not_found",
        "invalid_parameters",
        parameters=[CUSTOMER],
        body=(m.CustomerPatch, doc.PATCH_EXAMPLE),
    ),
)
async def patch_customer(request: Request) -> Response:
    runtime, partner, body = await admit_json(request)
    return json_response(await customers.patch_customer(runtime, partner, request.path_params["customer_id"], body))


@router.post(
    "/v1/customers/{customer_id}/documents",
    status_code=201,
    summary="Upload a KYC document",
    openapi_extra=operation(
        (201, m.Customer, doc.CUSTOMER_EXAMPLE, "Customer"),
        "not_found",
        "invalid_parameters",
        "invalid_state",
        parameters=[CUSTOMER],
        body=(m.DocumentForm, doc.DOCUMENT_FORM),
        multipart=True,
    ),
)
async def upload_document(request: Request) -> Response:
    partner = await authenticate(request)
    runtime: Runtime = request.app.state.runtime
    settings = runtime.settings
    try:
        raw = await read_body(request, settings.crypto_document_max_bytes + kyc.REQUEST_OVERHEAD)
    except PayloadTooLarge:
        raise kyc.document_too_large(settings) from None
    return json_response(
        await kyc.upload(runtime, partner, request.path_params["customer_id"], request.headers, raw), status=201
    )


# --------------------------------------------------------------------------- accounts and orders


@router.get(
    "/v1/customers/{customer_id}/accounts",
    summary="The customer's balances",
    openapi_extra=operation((200, m.Accounts, doc.ACCOUNTS_EXAMPLE, "Accounts"), "not_found", parameters=[CUSTOMER]),
)
async def get_accounts(request: Request) -> Response:
    runtime, partner = await admit(request)
    return json_response(await customers.accounts(runtime, partner, request.path_params["customer_id"]))


@router.get(
    "/v1/customers/{customer_id}/orders",
    summary="List a customer's orders",
    openapi_extra=operation(
        (200, m.Orders, {"orders": [doc.RECEIVE_EXAMPLE], "total": 1}, "Orders, newest first"),
        "not_found",
        "invalid_parameters",
        parameters=[CUSTOMER, *query_parameters(m.OrdersQuery)],
    ),
)
async def list_orders(request: Request) -> Response:
    runtime, partner = await admit(request)
    customer_id = request.path_params["customer_id"]
    await customers.check_exists(runtime, partner, customer_id)  # path resources before query errors (3.10)
    asked = query(request, ORDERS_QUERY)
    filters = {"state": asked.state, "operation": asked.operation, "reference_id": asked.reference_id}
    return json_response(await reads.list_orders(runtime, partner, customer_id, filters, page_of(asked)))


@router.get(
    "/v1/customers/{customer_id}/orders/{order_id}",
    summary="Get an order",
    openapi_extra=operation((200, OrderObject, doc.RECEIVE_EXAMPLE, "Order"), "not_found", parameters=ORDER_PATH),
)
async def get_order(request: Request) -> Response:
    runtime, partner = await admit(request)
    return json_response(
        await reads.get_order(runtime, partner, request.path_params["customer_id"], request.path_params["order_id"])
    )


ORDER_ERRORS = ("body_parse_error", "not_found", "invalid_parameters", "forbidden")


@router.post(
    "/v1/customers/{customer_id}/orders",
    status_code=201,
    summary="Initiate an order",
    openapi_extra=operation(
        (201, OrderObject, doc.BUY_EXAMPLE, "The pending order with its locked quote"),
        *ORDER_ERRORS,
        "quote_amount_too_high",
        "insufficient_funds",
        "operation_forbidden",
        "invalid_settlement_currency",
        "full_amount_required",
        "reference_id_already_used",
        parameters=[CUSTOMER],
        body=(m.NewOrder, doc.NEW_BUY),
    ),
)
async def create_order(request: Request) -> Response:
    caller, body = await caller_then(request, lambda: json_body(request))
    order = await create.create_order(request.app.state.runtime, caller, request.path_params["customer_id"], body)
    return json_response(order, status=201)


@router.post(
    "/v1/customers/{customer_id}/orders/{order_id}/confirm",
    summary="Confirm an order",
    openapi_extra=operation(
        (200, OrderObject, doc.CONFIRMED_EXAMPLE, "The executed (or processing) order"),
        *ORDER_ERRORS,
        "invalid_order_state",
        "expired_order",
        "invalid_security_code",
        "invalid_reference_id",
        "operation_forbidden",
        "insufficient_funds",
        "reference_id_already_used",
        parameters=ORDER_PATH,
        body=(m.Confirmation, doc.CONFIRM_BODY),
        optional_body=True,
    ),
)
async def confirm_order(request: Request) -> Response:
    caller, body = await caller_then(request, lambda: json_body(request, empty_is_object=True))
    runtime: Runtime = request.app.state.runtime
    return json_response(
        await confirm.confirm_order(
            runtime, caller, request.path_params["customer_id"], request.path_params["order_id"], body
        )
    )


@router.post(
    "/v1/customers/{customer_id}/orders/{order_id}/resend_code",
    summary="Mail a new security code",
    openapi_extra=operation(
        (200, OrderObject, doc.BUY_EXAMPLE, "The order, unchanged"),
        *ORDER_ERRORS,
        "invalid_order_state",
        "expired_order",
        parameters=ORDER_PATH,
        body=(m.ResendCode, {}),
        optional_body=True,
    ),
)
async def resend_code(request: Request) -> Response:
    caller, body = await caller_then(request, lambda: json_body(request, empty_is_object=True))
    runtime: Runtime = request.app.state.runtime
    return json_response(
        await confirm.resend_code(
            runtime, caller, request.path_params["customer_id"], request.path_params["order_id"], body
        )
    )


@router.patch(
    "/v1/customers/{customer_id}/orders/{order_id}/authorizations/{authorization_id}",
    summary="Approve or reject a send's partner authorization",
    openapi_extra=operation(
        (200, OrderObject, doc.SEND_PROCESSING_EXAMPLE, "The send"),
        "body_parse_error",
        "not_found",
        "invalid_parameters",
        "forbidden",
        "invalid_state",
        parameters=[*ORDER_PATH, path("authorization_id")],
        body=(m.AuthorizationDecision, doc.AUTHORIZATION_BODY),
    ),
)
async def decide_authorization(request: Request) -> Response:
    partner = await authenticate(request)
    require_scope(partner, "partner_order_authorization")  # a static scope: before the body (3.10 step 4)
    runtime: Runtime = request.app.state.runtime
    body = await json_body(request)
    params = request.path_params
    return json_response(
        await authorizations.decide(
            runtime, partner, params["customer_id"], params["order_id"], params["authorization_id"], body
        )
    )
