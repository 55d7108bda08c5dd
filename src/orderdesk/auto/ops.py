"""Operator routes (spec 8), served under /ops/v1/auto behind the operator token."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from orderdesk.auto import auctions, inputs, orders, parsing, partners, transitions, vehicles
from orderdesk.platform.http import json_response, read_body
from orderdesk.platform.opsauth import require_operator
from orderdesk.platform.runtime import Runtime

router = APIRouter(dependencies=[Depends(require_operator)])


async def admit_with_body(request: Request) -> tuple[Runtime, bytes]:
    """After the operator token: the body, size-limited (spec 2.13, operator steps)."""
    runtime: Runtime = request.app.state.runtime
    return runtime, await read_body(request, runtime.settings.max_body_bytes)


def admit(request: Request) -> Runtime:
    """After the operator token, for endpoints that take no body."""
    runtime: Runtime = request.app.state.runtime
    parsing.refuse_declared_oversize(request, runtime.settings.max_body_bytes)
    return runtime


# --------------------------------------------------------------------------- partners and keys


@router.post("/partners", status_code=201)
async def create_partner(request: Request) -> Response:
    runtime, body = await admit_with_body(request)
    new = inputs.new_partner(parsing.json_object(request, body), runtime.settings.environment)
    return json_response(await partners.create_partner(runtime, new), status=201)


@router.patch("/partners/{partner_id}")
async def patch_partner(request: Request, partner_id: str) -> Response:
    runtime, body = await admit_with_body(request)
    patch = inputs.partner_patch(parsing.json_object(request, body), runtime.settings.environment)
    return json_response(await partners.patch_partner(runtime, partner_id, patch))


@router.get("/partners")
async def list_partners(request: Request) -> Response:
    runtime = admit(request)
    return json_response(await partners.list_partners(runtime, inputs.partner_list(request)))


@router.get("/partners/{partner_id}")
async def get_partner(request: Request, partner_id: str) -> Response:
    runtime = admit(request)
    return json_response(await partners.get_partner(runtime, partner_id))


@router.post("/partners/{partner_id}/keys", status_code=201)
async def create_key(request: Request, partner_id: str) -> Response:
    runtime = admit(request)
    return json_response(await partners.create_key(runtime, partner_id), status=201)


@router.delete("/partners/{partner_id}/keys/{key_id}", status_code=204)
async def revoke_key(request: Request, partner_id: str, key_id: str) -> Response:
    runtime = admit(request)
    await partners.revoke_key(runtime, partner_id, key_id)
    return Response(status_code=204)


# --------------------------------------------------------------------------- vehicles


@router.put("/vehicles/{vehicle_id}")
async def put_vehicle(request: Request, vehicle_id: str) -> Response:
    runtime, body = await admit_with_body(request)
    values = inputs.vehicle_body(vehicle_id, parsing.json_object(request, body))
    status, vehicle = await vehicles.put_vehicle(runtime, vehicle_id, values)
    return json_response(vehicle, status=status)


@router.get("/vehicles/{vehicle_id}")
async def get_vehicle(request: Request, vehicle_id: str) -> Response:
    runtime = admit(request)
    return json_response(await vehicles.ops_get_vehicle(runtime, vehicle_id))


@router.delete("/vehicles/{vehicle_id}")
async def withdraw_vehicle(request: Request, vehicle_id: str) -> Response:
    runtime = admit(request)
    return json_response(await vehicles.withdraw_vehicle(runtime, vehicle_id))


@router.post("/vehicles/{vehicle_id}/auction/start")
async def start_auction(request: Request, vehicle_id: str) -> Response:
    runtime = admit(request)
    return json_response(await auctions.start_auction(runtime, vehicle_id))


@router.post("/vehicles/{vehicle_id}/auction/result")
async def auction_result(request: Request, vehicle_id: str) -> Response:
    runtime, body = await admit_with_body(request)
    result = inputs.auction_result_body(parsing.json_object(request, body))
    return json_response(await auctions.record_result(runtime, vehicle_id, result))


# --------------------------------------------------------------------------- orders


@router.post("/orders/{order_id}/transition")
async def transition_order(request: Request, order_id: str) -> Response:
    runtime, body = await admit_with_body(request)
    change = inputs.transition_body(parsing.json_object(request, body))
    return json_response(await transitions.transition(runtime, order_id, change))


@router.get("/orders")
async def list_orders(request: Request) -> Response:
    runtime = admit(request)
    return json_response(await orders.ops_list_orders(runtime, inputs.ops_order_list(request)))


@router.get("/orders/{order_id}")
async def get_order(request: Request, order_id: str) -> Response:
    runtime = admit(request)
    return json_response(await orders.ops_get_order(runtime, order_id))
