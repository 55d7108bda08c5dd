"""Partner routes (spec 3 and 4), served under /auto. Each route runs the checks of spec 2.13
in order: (routing,) key, IP, rate limit, body size, Idempotency-Key, input, then the use case.

Routes read path parameters from the request rather than declaring them: a declared parameter
makes FastAPI validate it on every call, and every path string is acceptable here (an id that
is malformed is simply not found). openapi.py documents them."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from orderdesk.auto import errors, idempotent, inputs, models, openapi, orders, parsing, partner_status, vehicles
from orderdesk.auto.auth import Principal, authenticate, authenticate_with
from orderdesk.auto.openapi import body, extra, path, replayed, responses
from orderdesk.platform.errors import ApiError
from orderdesk.platform.http import RequestRoute, json_response, raw_json_response, read_body
from orderdesk.platform.ids import is_ulid
from orderdesk.platform.runtime import Runtime

# operationId = function name
router = APIRouter(route_class=RequestRoute, generate_unique_id_function=lambda route: route.name)
FACETS_CACHE = {"Cache-Control": "private, max-age=300"}
REPLAYED = {"Idempotent-Replayed": "true"}


def answered(answer: idempotent.Answer) -> Response:
    """An idempotent endpoint's answer; a replay says so in Idempotent-Replayed (spec 2.12)."""
    return raw_json_response(answer.body, answer.status, headers=REPLAYED if answer.replayed else None)


async def admit(request: Request) -> tuple[Runtime, Principal]:
    """Steps 2–5 for endpoints without a body: key, IP allowlist, rate limit, declared size."""
    principal = await authenticate(request)
    runtime: Runtime = request.app.state.runtime
    parsing.refuse_declared_oversize(request, runtime.settings.max_body_bytes)
    return runtime, principal


async def admit_with_body(request: Request) -> tuple[Runtime, Principal, bytes]:
    """Steps 2–5: key, IP allowlist, rate limit, then the body (size-limited)."""
    principal = await authenticate(request)
    runtime: Runtime = request.app.state.runtime
    return runtime, principal, await read_body(request, runtime.settings.max_body_bytes)


@router.get(
    "/v1/vehicles/facets",
    summary="Distinct values for search filters",
    responses=responses(200, openapi.FACETS_EXAMPLE, "Facets", schema=models.Facets, headers={"Cache-Control": True}),
    openapi_extra=extra(*openapi.FACETS_PARAMETERS),
)
async def vehicle_facets(request: Request) -> Response:
    runtime, _principal = await admit(request)
    sources = inputs.facet_sources(request)
    return json_response(await vehicles.facets(runtime, sources), headers=FACETS_CACHE)


@router.get(
    "/v1/vehicles",
    summary="Search vehicles",
    responses=responses(
        200,
        {"data": [openapi.VEHICLE_SUMMARY_EXAMPLE], "next_cursor": None},
        "A page of VehicleSummary; X-LMN-Filtered-Out: dealer=<N> with null-strict filters",
        "invalid_cursor",
        schema=models.VehiclePage,
        headers={"X-LMN-Filtered-Out": False},
    ),
    openapi_extra=extra(*openapi.VEHICLE_LIST_PARAMETERS),
)
async def list_vehicles(request: Request) -> Response:
    runtime, _principal = await admit(request)
    query = inputs.vehicle_list(request)
    page, filtered_out = await vehicles.list_vehicles(runtime, query)
    headers = {"X-LMN-Filtered-Out": f"dealer={filtered_out}"} if filtered_out else None
    return json_response(page, headers=headers)


@router.get(
    "/v1/vehicles/{vehicle_id}",
    summary="Vehicle detail",
    responses=responses(200, openapi.VEHICLE_EXAMPLE, "Vehicle", "vehicle_not_found", schema=models.Vehicle),
    openapi_extra=extra(path("vehicle_id")),
)
async def get_vehicle(request: Request) -> Response:
    runtime, _principal = await admit(request)
    parsing.refuse_malformed_ids(request)
    return json_response(await vehicles.get_vehicle(runtime, request.path_params["vehicle_id"]))


@router.post(
    "/v1/orders",
    status_code=201,
    summary="Place an order (a bid ceiling or a buy-now purchase)",
    responses=replayed(
        responses(
            201,
            openapi.ORDER_EXAMPLE,
            "Order (200 with the original body on a replay)",
            "missing_idempotency_key",
            "missing_max_bid",
            "vehicle_not_found",
            "past_order_cutoff",
            "duplicate_order",
            "idempotency_key_in_use",
            "vehicle_unavailable",
            "idempotency_key_reused",
            schema=models.Order,
        ),
        models.Order,
        openapi.ORDER_EXAMPLE,
    ),
    openapi_extra=extra(openapi.IDEMPOTENCY_KEY, body=body(models.PlaceOrderBody, openapi.PLACE_ORDER_REQUEST)),
)
async def place_order(request: Request) -> Response:
    runtime, principal, content = await admit_with_body(request)
    key = parsing.idempotency_key(request)
    order = inputs.place_order(parsing.json_body(request, content, models.PlaceOrderBody))
    return answered(await orders.place_order(runtime, principal, key, order))


@router.get(
    "/v1/orders",
    summary="List own orders",
    responses=responses(
        200,
        {"data": [openapi.ORDER_EXAMPLE], "next_cursor": None},
        "A page of Order",
        "invalid_cursor",
        schema=models.OrderPage,
    ),
    openapi_extra=extra(*openapi.ORDER_LIST_PARAMETERS),
)
async def list_orders(request: Request) -> Response:
    try:
        query = inputs.order_list(request)
    except ApiError:
        await admit(request)  # the key's answers and 413 come before the query's (spec 2.13)
        raise
    runtime: Runtime = request.app.state.runtime
    lookup = orders.key_and_page_lookup(runtime, query)
    if lookup is None:
        runtime, principal = await admit(request)
        return json_response(await orders.list_orders(runtime, principal.partner_id, query))
    _principal, rows = await authenticate_with(request, lookup)
    parsing.refuse_declared_oversize(request, runtime.settings.max_body_bytes)
    return json_response(orders.order_page_body(query, rows))


@router.get(
    "/v1/orders/{order_id}",
    summary="Order detail",
    responses=responses(200, openapi.ORDER_EXAMPLE, "Order", "order_not_found", schema=models.Order),
    openapi_extra=extra(path("order_id")),
)
async def get_order(request: Request) -> Response:
    order_id = request.path_params["order_id"]
    if not is_ulid(order_id):  # malformed: answered like unknown, after the key (spec 2.4)
        await admit(request)
        raise errors.order_not_found()
    _principal, row = await authenticate_with(request, orders.key_and_order_lookup(order_id))
    parsing.refuse_declared_oversize(request, request.app.state.runtime.settings.max_body_bytes)
    return raw_json_response(orders.order_body(row))


@router.delete(
    "/v1/orders/{order_id}",
    summary="Cancel an order still in proceed",
    responses=responses(
        200,
        {**openapi.ORDER_EXAMPLE, "status": "cancelled", "cancellation_reason": "dealer_cancelled"},
        "The cancelled Order",
        "missing_idempotency_key",
        "order_not_found",
        "invalid_status_transition",
        "idempotency_key_in_use",
        "idempotency_key_reused",
        schema=models.Order,
        headers={"Idempotent-Replayed": False},
    ),
    openapi_extra=extra(path("order_id"), openapi.IDEMPOTENCY_KEY),
)
async def cancel_order(request: Request) -> Response:
    runtime, principal = await admit(request)
    key = parsing.idempotency_key(request)
    return answered(await orders.cancel_order(runtime, principal, key, request.path_params["order_id"]))


@router.post(
    "/v1/orders/{order_id}/status",
    summary="Report what happened after loading (in_transit, customs, delivered)",
    responses=responses(
        200,
        {**openapi.SHIPPING_ORDER_EXAMPLE, "fulfillment_detail": "in_transit"},
        "The updated Order (200 with the original body on a replay)",
        "missing_idempotency_key",
        "order_not_found",
        "invalid_status_transition@403",
        "invalid_status_transition",
        "idempotency_key_in_use",
        "idempotency_key_reused",
        schema=models.Order,
        headers={"Idempotent-Replayed": False},
    ),
    openapi_extra=extra(
        path("order_id"), openapi.IDEMPOTENCY_KEY, body=body(models.StatusPushBody, openapi.STATUS_PUSH_REQUEST)
    ),
)
async def push_status(request: Request) -> Response:
    runtime, principal, content = await admit_with_body(request)
    key = parsing.idempotency_key(request)
    push = inputs.status_push(parsing.json_object(request, content))
    return answered(await partner_status.push_status(runtime, principal, key, request.path_params["order_id"], push))


@router.get(
    "/v1/orders/{order_id}/events",
    summary="Webhook log of an order",
    responses=responses(
        200,
        {"data": [openapi.EVENT_EXAMPLE], "next_cursor": None},
        "A page of events, oldest first",
        "order_not_found",
        "invalid_cursor",
        schema=models.EventPage,
    ),
    openapi_extra=extra(path("order_id"), *openapi.PAGING),
)
async def list_events(request: Request) -> Response:
    runtime, principal = await admit(request)
    page = inputs.event_list(request)
    parsing.refuse_malformed_ids(request)
    return json_response(await orders.list_events(runtime, principal.partner_id, request.path_params["order_id"], page))
