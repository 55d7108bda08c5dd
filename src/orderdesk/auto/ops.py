"""Operator routes (spec 8), served under /ops/v1/auto behind the operator token. Like the
partner routes they read path parameters from the request (FastAPI would otherwise validate and
document them its own way); openapi.py documents them."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from orderdesk.auto import auctions, inputs, models, openapi, orders, parsing, partners, transitions, vehicles
from orderdesk.auto.openapi import body, ops_extra, ops_responses, path
from orderdesk.platform.http import json_response, read_body
from orderdesk.platform.opsauth import require_operator
from orderdesk.platform.runtime import Runtime

router = APIRouter(
    dependencies=[Depends(require_operator)], generate_unique_id_function=lambda route: route.name
)  # operationId = function name


async def admit_with_body(request: Request) -> tuple[Runtime, bytes]:
    """After the operator token: the body, size-limited (spec 2.13, operator steps)."""
    runtime: Runtime = request.app.state.runtime
    return runtime, await read_body(request, runtime.settings.max_body_bytes)


def admit(request: Request) -> Runtime:
    """After the operator token, for endpoints that take no body; then malformed path ids."""
    runtime: Runtime = request.app.state.runtime
    parsing.refuse_declared_oversize(request, runtime.settings.max_body_bytes)
    parsing.refuse_malformed_ids(request)
    return runtime


# --------------------------------------------------------------------------- partners and keys


@router.post(
    "/partners",
    status_code=201,
    summary="Create a partner with its first API key",
    responses=ops_responses(
        201,
        openapi.NEW_PARTNER_EXAMPLE,
        "The partner, its key and webhook secret (shown once)",
        schema=models.NewPartner,
    ),
    openapi_extra=ops_extra(body=body(models.NewPartnerBody, openapi.NEW_PARTNER_REQUEST)),
)
async def create_partner(request: Request) -> Response:
    runtime, content = await admit_with_body(request)
    new = inputs.new_partner(parsing.json_object(request, content), runtime.settings.environment)
    return json_response(await partners.create_partner(runtime, new), status=201)


@router.patch(
    "/partners/{partner_id}",
    summary="Change a partner's IP allowlist or webhook URL",
    responses=ops_responses(200, openapi.PARTNER_EXAMPLE, "Partner", "partner_not_found", schema=models.Partner),
    openapi_extra=ops_extra(path("partner_id"), body=body(models.PartnerPatchBody, openapi.PARTNER_PATCH_REQUEST)),
)
async def patch_partner(request: Request) -> Response:
    runtime, content = await admit_with_body(request)
    patch = inputs.partner_patch(parsing.json_object(request, content), runtime.settings.environment)
    parsing.refuse_malformed_ids(request)
    return json_response(await partners.patch_partner(runtime, request.path_params["partner_id"], patch))


@router.get(
    "/partners",
    summary="List partners, oldest first",
    responses=ops_responses(
        200,
        {"data": [openapi.PARTNER_EXAMPLE], "next_cursor": None},
        "A page of Partner",
        "invalid_cursor",
        schema=models.PartnerPage,
    ),
    openapi_extra=ops_extra(*openapi.PAGING),
)
async def list_partners(request: Request) -> Response:
    runtime = admit(request)
    return json_response(await partners.list_partners(runtime, inputs.partner_list(request)))


@router.get(
    "/partners/{partner_id}",
    summary="Partner detail with its keys",
    responses=ops_responses(
        200, openapi.PARTNER_DETAIL_EXAMPLE, "Partner plus keys", "partner_not_found", schema=models.PartnerDetail
    ),
    openapi_extra=ops_extra(path("partner_id")),
)
async def get_partner(request: Request) -> Response:
    runtime = admit(request)
    return json_response(await partners.get_partner(runtime, request.path_params["partner_id"]))


@router.post(
    "/partners/{partner_id}/keys",
    status_code=201,
    summary="Issue another API key",
    responses=ops_responses(
        201, openapi.NEW_KEY_EXAMPLE, "The new key (shown once)", "partner_not_found", schema=models.NewKey
    ),
    openapi_extra=ops_extra(path("partner_id")),
)
async def create_key(request: Request) -> Response:
    runtime = admit(request)
    return json_response(await partners.create_key(runtime, request.path_params["partner_id"]), status=201)


@router.delete(
    "/partners/{partner_id}/keys/{key_id}",
    status_code=204,
    summary="Revoke an API key",
    responses=ops_responses(204, None, "Revoked (also when it already was)", "partner_not_found", "api_key_not_found"),
    openapi_extra=ops_extra(path("partner_id"), path("key_id")),
)
async def revoke_key(request: Request) -> Response:
    runtime = admit(request)
    await partners.revoke_key(runtime, request.path_params["partner_id"], request.path_params["key_id"])
    return Response(status_code=204)


# --------------------------------------------------------------------------- vehicles


PUT_VEHICLE_RESPONSES = ops_responses(200, openapi.VEHICLE_EXAMPLE, "Vehicle (replaced)", schema=models.Vehicle)


@router.put(
    "/vehicles/{vehicle_id}",
    summary="Create (201) or replace (200) a vehicle",
    responses={**PUT_VEHICLE_RESPONSES, 201: {**PUT_VEHICLE_RESPONSES[200], "description": "Vehicle (created)"}},
    openapi_extra=ops_extra(path("vehicle_id"), body=body(models.VehicleBody, openapi.VEHICLE_REQUEST)),
)
async def put_vehicle(request: Request) -> Response:
    runtime, content = await admit_with_body(request)
    vehicle_id = request.path_params["vehicle_id"]
    values = inputs.vehicle_body(vehicle_id, parsing.json_object(request, content))
    status, vehicle = await vehicles.put_vehicle(runtime, vehicle_id, values)
    return json_response(vehicle, status=status)


@router.get(
    "/vehicles/{vehicle_id}",
    summary="Vehicle detail, withdrawn ones included",
    responses=ops_responses(
        200,
        {**openapi.VEHICLE_EXAMPLE, "withdrawn": False},
        "Vehicle plus withdrawn",
        "vehicle_not_found",
        schema=models.OpsVehicle,
    ),
    openapi_extra=ops_extra(path("vehicle_id")),
)
async def get_vehicle(request: Request) -> Response:
    runtime = admit(request)
    return json_response(await vehicles.ops_get_vehicle(runtime, request.path_params["vehicle_id"]))


@router.delete(
    "/vehicles/{vehicle_id}",
    summary="Withdraw a listing; its active orders fail",
    responses=ops_responses(
        200,
        {"vehicle_id": openapi.VEHICLE_ID, "failed_order_ids": [openapi.ORDER_ID]},
        "The orders failed by the withdrawal",
        "vehicle_not_found",
        schema=models.Withdrawal,
    ),
    openapi_extra=ops_extra(path("vehicle_id")),
)
async def withdraw_vehicle(request: Request) -> Response:
    runtime = admit(request)
    return json_response(await vehicles.withdraw_vehicle(runtime, request.path_params["vehicle_id"]))


@router.post(
    "/vehicles/{vehicle_id}/auction/start",
    summary="Start the auction: the leader acquires, the other proceed orders fail",
    responses=ops_responses(
        200,
        {"winner_order_id": openapi.ORDER_ID, "failed_order_ids": []},
        "Winner and losers",
        "vehicle_not_found",
        schema=models.AuctionStart,
    ),
    openapi_extra=ops_extra(path("vehicle_id")),
)
async def start_auction(request: Request) -> Response:
    runtime = admit(request)
    return json_response(await auctions.start_auction(runtime, request.path_params["vehicle_id"]))


@router.post(
    "/vehicles/{vehicle_id}/auction/result",
    summary="Record the auction's outcome",
    responses=ops_responses(
        200,
        {
            "order": {
                **openapi.OPS_ORDER_EXAMPLE,
                "status": "secured",
                "amounts": {"purchase_price_usd": 17650, "auction_fee_usd": 310},
            },
            "failed_order_ids": [],
        },
        "The formerly acquiring order and the orders failed",
        "vehicle_not_found",
        "invalid_status_transition@vehicle",
        "validation_error@422",
        schema=models.AuctionResultOutcome,
    ),
    openapi_extra=ops_extra(path("vehicle_id"), body=body(models.AuctionResultBody, openapi.AUCTION_RESULT_REQUEST)),
)
async def auction_result(request: Request) -> Response:
    runtime, content = await admit_with_body(request)
    result = inputs.auction_result_body(parsing.json_object(request, content))
    parsing.refuse_malformed_ids(request)
    return json_response(await auctions.record_result(runtime, request.path_params["vehicle_id"], result))


# --------------------------------------------------------------------------- orders


@router.post(
    "/orders/{order_id}/transition",
    summary="Drive an LMN-owned change of one order",
    responses=ops_responses(
        200,
        {**openapi.SHIPPING_ORDER_EXAMPLE, "partner_id": openapi.PARTNER_ID},
        "OpsOrder",
        "order_not_found",
        "invalid_status_transition",
        "validation_error@422",
        schema=models.OpsOrder,
    ),
    openapi_extra=ops_extra(path("order_id"), body=body(models.TransitionBody, openapi.TRANSITION_REQUEST)),
)
async def transition_order(request: Request) -> Response:
    runtime, content = await admit_with_body(request)
    change = inputs.transition_body(parsing.json_object(request, content))
    parsing.refuse_malformed_ids(request)
    return json_response(await transitions.transition(runtime, request.path_params["order_id"], change))


@router.get(
    "/orders",
    summary="Every partner's orders, newest first",
    responses=ops_responses(
        200,
        {"data": [openapi.OPS_ORDER_EXAMPLE], "next_cursor": None},
        "A page of OpsOrder",
        "invalid_cursor",
        schema=models.OpsOrderPage,
    ),
    openapi_extra=ops_extra(*openapi.OPS_ORDER_LIST_PARAMETERS),
)
async def list_orders(request: Request) -> Response:
    runtime = admit(request)
    return json_response(await orders.ops_list_orders(runtime, inputs.ops_order_list(request)))


@router.get(
    "/orders/{order_id}",
    summary="Order detail with its history",
    responses=ops_responses(
        200, openapi.OPS_ORDER_DETAIL_EXAMPLE, "OpsOrder plus history", "order_not_found", schema=models.OpsOrderDetail
    ),
    openapi_extra=ops_extra(path("order_id")),
)
async def get_order(request: Request) -> Response:
    runtime = admit(request)
    return json_response(await orders.ops_get_order(runtime, request.path_params["order_id"]))
