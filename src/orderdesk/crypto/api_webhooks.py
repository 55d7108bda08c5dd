"""Partner routes for webhooks (spec/crypto.md 9.1): subscriptions and the public key.
Mounted next to `crypto.api`'s routes; the same order of checks (3.10)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import Response

from orderdesk.crypto import subscriptions, webhooks
from orderdesk.crypto.api import admit, admit_json
from orderdesk.crypto.http_input import refuse_declared_oversize
from orderdesk.crypto.models import partner as m
from orderdesk.crypto.openapi import PUBLIC_COMMON, operation, path
from orderdesk.platform.http import RequestRoute, json_response
from orderdesk.platform.runtime import Runtime

router = APIRouter(route_class=RequestRoute)
SUBSCRIPTION = path("subscription_id")


SUBSCRIPTION_EXAMPLE: dict[str, Any] = {
    "id": "1c1a379212064c45b27bf79bd17a97a3",
    "url": "https://bank.example.com/hooks/crypto",
    "events": ["order-updated", "order-closed"],
    "created_at": "2026-03-02T09:00:00.000100+00:00",
}
NEW_SUBSCRIPTION = {"url": "https://bank.example.com/hooks/crypto", "events": ["order-updated", "order-closed"]}
PUBLIC_KEY_EXAMPLE = {
    "algorithm": "RS512",
    "issuer": "lirium-sandbox",
    "public_key_pem": "-----BEGIN PUBLIC KEY-----\nMIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA…",
}


@router.post(
    "/v1/webhooks/subscriptions",
    status_code=201,
    summary="Subscribe to webhook events",
    description='One subscription `{"url", "events"}`, or several at once (all or none) as '
    '`{"subscriptions": [{"url", "events"}, …]}`, answered as `{"subscriptions": [...]}`.',
    openapi_extra=operation(
        (201, m.SubscriptionCreated, SUBSCRIPTION_EXAMPLE, "Subscription (the batch form: Subscriptions)"),
        "body_parse_error",
        "invalid_parameters",
        body=(m.SubscriptionRequest, NEW_SUBSCRIPTION),
    ),
)
async def create_subscription(request: Request) -> Response:
    runtime, partner, body = await admit_json(request)
    return json_response(await subscriptions.create(runtime, partner, body), status=201)


@router.get(
    "/v1/webhooks/subscriptions",
    summary="List webhook subscriptions",
    openapi_extra=operation(
        (200, m.Subscriptions, {"subscriptions": [SUBSCRIPTION_EXAMPLE]}, "Subscriptions, oldest first")
    ),
)
async def list_subscriptions(request: Request) -> Response:
    runtime, partner = await admit(request)
    return json_response(await subscriptions.list_all(runtime, partner))


@router.get(
    "/v1/webhooks/subscriptions/{subscription_id}",
    summary="Get a webhook subscription",
    openapi_extra=operation(
        (200, m.Subscription, SUBSCRIPTION_EXAMPLE, "Subscription"), "not_found", parameters=[SUBSCRIPTION]
    ),
)
async def get_subscription(request: Request) -> Response:
    runtime, partner = await admit(request)
    return json_response(await subscriptions.get(runtime, partner, request.path_params["subscription_id"]))


@router.delete(
    "/v1/webhooks/subscriptions/{subscription_id}",
    status_code=204,
    summary="Delete a webhook subscription; its undelivered events are dropped",
    openapi_extra=operation((204, None, None, "Deleted"), "not_found", parameters=[SUBSCRIPTION]),
)
async def delete_subscription(request: Request) -> Response:
    runtime, partner = await admit(request)
    await subscriptions.delete(runtime, partner, request.path_params["subscription_id"])
    return Response(status_code=204)


@router.get(
    "/v1/webhooks/public_key",
    summary="The key that verifies webhook signatures (public)",
    openapi_extra=operation(
        (200, m.PublicKey, PUBLIC_KEY_EXAMPLE, "Public key"), security=None, common=PUBLIC_COMMON
    ),  # public: no 401 / 429
)
async def public_key(request: Request) -> Response:
    refuse_declared_oversize(request)
    runtime: Runtime = request.app.state.runtime
    return json_response((await webhooks.signer(runtime)).public_key_document())
