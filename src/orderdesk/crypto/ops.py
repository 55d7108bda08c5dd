"""Operator routes (spec/crypto.md 11), served under /ops/v1 behind the operator token:
/ops/v1/crypto/... and the shared mail outbox /ops/v1/mail (11.11)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from pydantic import TypeAdapter
from starlette.responses import Response

from orderdesk.crypto import assets, customers, errors, formats, investments, kyc, ledger, partners
from orderdesk.crypto import openapi as doc
from orderdesk.crypto.http_input import json_body, query, refuse_declared_oversize
from orderdesk.crypto.models import operator as om
from orderdesk.crypto.models.partner import Asset, Customer, Investment
from orderdesk.crypto.openapi import OrderObject, operator_operation, path, query_parameters
from orderdesk.crypto.orders import deposits, send_stages
from orderdesk.platform import mail
from orderdesk.platform.http import json_response
from orderdesk.platform.ids import is_hex32
from orderdesk.platform.opsauth import require_operator
from orderdesk.platform.runtime import Runtime

router = APIRouter(dependencies=[Depends(require_operator)])
PARTNER = path("partner_id")
CURRENCY = path("currency")
CUSTOMER = path("customer_id")
MAIL_QUERY = TypeAdapter(om.MailQuery)


def admit(request: Request) -> Runtime:
    refuse_declared_oversize(request)
    return request.app.state.runtime


async def admit_json(request: Request) -> tuple[Runtime, dict[str, Any]]:
    return request.app.state.runtime, await json_body(request)


def _partner_id(request: Request) -> str:
    partner_id = request.path_params["partner_id"]
    if not is_hex32(partner_id):
        raise errors.not_found("Partner not found")
    return partner_id


# --------------------------------------------------------------------------- partners (11.2)


@router.post(
    "/crypto/partners",
    status_code=201,
    summary="Create a partner (its api_key appears only here)",
    openapi_extra=operator_operation(
        (201, om.CreatedPartner, doc.CREATED_PARTNER_EXAMPLE, "Partner"),
        "body_parse_error",
        "invalid_parameters",
        body=(om.NewPartner, doc.NEW_PARTNER),
    ),
)
async def create_partner(request: Request) -> Response:
    runtime, body = await admit_json(request)
    values = partners.partner_input(body, creating=True)
    return json_response(await partners.create_partner(runtime, values), status=201)


@router.patch(
    "/crypto/partners/{partner_id}",
    summary="Change a partner",
    openapi_extra=operator_operation(
        (200, om.OperatorPartner, doc.OPERATOR_PARTNER_EXAMPLE, "Partner"),
        "body_parse_error",
        "not_found",
        "invalid_parameters",
        parameters=[PARTNER],
        body=(om.PartnerPatch, doc.PARTNER_PATCH),
    ),
)
async def patch_partner(request: Request) -> Response:
    runtime, body = await admit_json(request)
    return json_response(await partners.change_partner(runtime, _partner_id(request), body))


@router.get(
    "/crypto/partners/{partner_id}",
    summary="A partner with its settlement and commission balances",
    openapi_extra=operator_operation(
        (200, om.PartnerWithBalances, doc.PARTNER_BALANCES_EXAMPLE, "Partner"), "not_found", parameters=[PARTNER]
    ),
)
async def get_partner(request: Request) -> Response:
    runtime = admit(request)
    return json_response(await partners.get_partner(runtime, _partner_id(request)))


# --------------------------------------------------------------------------- catalogue (11.3, 11.4)


@router.put(
    "/crypto/assets/{currency}",
    summary="Create or replace an asset",
    openapi_extra=operator_operation(
        (200, Asset, doc.ASSET_EXAMPLE, "Replaced"),
        "body_parse_error",
        "not_found",
        "invalid_parameters",
        parameters=[CURRENCY],
        body=(om.AssetDefinition, doc.ASSET_BODY),
        also=(201, "Created"),
    ),
)
async def put_asset(request: Request) -> Response:
    runtime, body = await admit_json(request)
    currency = request.path_params["currency"]
    if not assets.ASSET_CODE.fullmatch(currency) or await assets.names_an_investment(runtime, currency):
        raise errors.not_found()
    values = assets.asset_input(body, currency, runtime.settings.crypto_default_max_order_value_usd)
    status, asset = await assets.put_asset(runtime, currency, values)
    return json_response(asset, status=status)


@router.put(
    "/crypto/prices/{currency}",
    summary="Set an asset's price in a quote currency",
    openapi_extra=operator_operation(
        (200, om.PriceAnswer, doc.PRICE_EXAMPLE, "Price"),
        "body_parse_error",
        "not_found",
        "invalid_parameters",
        parameters=[CURRENCY],
        body=(om.PriceInput, doc.PRICE_BODY),
    ),
)
async def put_price(request: Request) -> Response:
    runtime, body = await admit_json(request)
    currency = request.path_params["currency"]
    if not await assets.asset_exists(runtime, currency):
        raise errors.not_found("Asset not found")
    quote, bid, ask = assets.price_input(body)
    return json_response(await assets.put_price(runtime, currency, quote, bid, ask))


@router.put(
    "/crypto/investments/{investment_id}",
    summary="Create or replace an investment",
    openapi_extra=operator_operation(
        (200, Investment, doc.INVESTMENT_EXAMPLE, "Replaced"),
        "body_parse_error",
        "not_found",
        "invalid_parameters",
        parameters=[path("investment_id")],
        body=(om.InvestmentDefinition, doc.INVESTMENT_BODY),
        also=(201, "Created"),
    ),
)
async def put_investment(request: Request) -> Response:
    runtime, body = await admit_json(request)
    status, investment = await investments.put_investment(runtime, request.path_params["investment_id"], body)
    return json_response(investment, status=status)


# --------------------------------------------------------------------------- customers (11.5-11.7)


@router.post(
    "/crypto/customers/{customer_id}/deposits",
    status_code=201,
    summary="Deposit funds (a completed receive order)",
    openapi_extra=operator_operation(
        (201, OrderObject, doc.RECEIVE_EXAMPLE, "The receive order"),
        "body_parse_error",
        "not_found",
        "invalid_parameters",
        "operation_forbidden",
        "conflict",
        parameters=[CUSTOMER],
        body=(om.DepositInput, doc.DEPOSIT_BODY),
    ),
)
async def create_deposit(request: Request) -> Response:
    runtime, body = await admit_json(request)
    return json_response(await deposits.deposit(runtime, request.path_params["customer_id"], body), status=201)


@router.patch(
    "/crypto/customers/{customer_id}",
    summary="Change a customer's state",
    openapi_extra=operator_operation(
        (200, Customer, doc.CUSTOMER_EXAMPLE, "Customer"),
        "body_parse_error",
        "not_found",
        "invalid_parameters",
        "invalid_state",
        parameters=[CUSTOMER],
        body=(om.CustomerStateInput, doc.CUSTOMER_STATE_BODY),
    ),
)
async def change_customer_state(request: Request) -> Response:
    runtime, body = await admit_json(request)
    return json_response(await customers.change_state(runtime, request.path_params["customer_id"], body))


@router.patch(
    "/crypto/customers/{customer_id}/requirements/{requirement_id}",
    summary="Approve or reject a KYC requirement",
    openapi_extra=operator_operation(
        (200, Customer, doc.CUSTOMER_EXAMPLE, "Customer"),
        "body_parse_error",
        "not_found",
        "invalid_parameters",
        "invalid_state",
        parameters=[CUSTOMER, path("requirement_id")],
        body=(om.RequirementReview, doc.REVIEW_BODY),
    ),
)
async def review_requirement(request: Request) -> Response:
    runtime, body = await admit_json(request)
    return json_response(
        await kyc.review_requirement(
            runtime, request.path_params["customer_id"], request.path_params["requirement_id"], body
        )
    )


@router.post(
    "/crypto/orders/{order_id}/fail",
    summary="Fail a processing send (refunds it)",
    openapi_extra=operator_operation(
        (200, OrderObject, doc.FAILED_SEND_EXAMPLE, "The cancelled send"),
        "body_parse_error",
        "not_found",
        "invalid_parameters",
        "invalid_order_state",
        parameters=[path("order_id")],
        body=(om.FailSend, doc.FAIL_BODY),
        optional_body=True,
    ),
)
async def fail_send(request: Request) -> Response:
    runtime, body = request.app.state.runtime, await json_body(request, empty_is_object=True)  # reason is optional
    return json_response(await send_stages.fail(runtime, request.path_params["order_id"], body))


# --------------------------------------------------------------------------- ledger (11.10) and mail (11.11)


@router.get(
    "/crypto/ledger/check",
    summary="Verify the ledger's invariants",
    openapi_extra=operator_operation((200, om.LedgerCheck, doc.LEDGER_EXAMPLE, "Ledger check")),
)
async def ledger_check(request: Request) -> Response:
    return json_response(await ledger.check_ledger(admit(request)))


@router.get(
    "/mail",
    summary="The mail outbox, newest first",
    openapi_extra=operator_operation(
        (200, om.Mailbox, doc.MAIL_EXAMPLE, "Messages"), "invalid_parameters", parameters=query_parameters(om.MailQuery)
    ),
)
async def mail_outbox(request: Request) -> Response:
    runtime = admit(request)
    asked = query(request, MAIL_QUERY)
    return json_response(await mail_messages(runtime, asked.to or None, int(asked.limit)))


async def mail_messages(runtime: Runtime, to: str | None, limit: int) -> dict[str, Any]:
    """The shared mail outbox (11.11), newest first, with crypto timestamps."""
    async with runtime.db.transaction(write=False) as conn:
        messages = await mail.list_messages(conn, to, limit)
    return {"messages": [{**m, "sent_at": formats.timestamp(m["sent_at"])} for m in messages]}  # type: ignore[arg-type]
