"""HTTP conventions of the partner API (spec 1, 2.3, 2.7, 2.9, 2.10) and its OpenAPI document."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest

from tests.auto.conftest import Operator, Partner, assert_error
from tests.conftest import ClientFactory

PARTNER_OPERATIONS = {
    ("get", "/v1/vehicles/facets"),
    ("get", "/v1/vehicles"),
    ("get", "/v1/vehicles/{vehicle_id}"),
    ("post", "/v1/orders"),
    ("get", "/v1/orders"),
    ("get", "/v1/orders/{order_id}"),
    ("delete", "/v1/orders/{order_id}"),
    ("post", "/v1/orders/{order_id}/status"),
    ("get", "/v1/orders/{order_id}/events"),
}


async def test_request_ids_on_every_answer(partner: Partner, auction_car: dict) -> None:
    ok = await partner.get("/v1/orders", headers={"X-Request-Id": "client-trace-1"})
    error = await partner.get("/v1/orders/nope")
    for response in (ok, error):
        assert re.fullmatch(r"req_[0-9a-f]{24}", response.headers["x-request-id"])
        assert response.headers["content-type"] == "application/json"
    assert ok.headers["x-request-id"] != "client-trace-1"
    assert error.json()["error"]["request_id"] == error.headers["x-request-id"]


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("PUT", "/v1/orders", ["GET", "POST"]),
        ("PATCH", "/v1/orders/01KQXA5KNRPQNMCMYXC47R2PCT", ["DELETE", "GET"]),
        ("POST", "/v1/vehicles", ["GET"]),
        ("DELETE", "/v1/vehicles/facets", ["GET"]),
        ("OPTIONS", "/v1/orders", ["GET", "POST"]),
        ("GET", "/v1/orders/01KQXA5KNRPQNMCMYXC47R2PCT/status", ["POST"]),
        ("POST", "/v1/orders/01KQXA5KNRPQNMCMYXC47R2PCT/events", ["GET"]),
    ],
)
async def test_method_not_allowed(client: httpx.AsyncClient, method: str, path: str, allowed: list[str]) -> None:
    response = await client.request(method, "/auto" + path, headers={"Origin": "https://partner.example.com"})
    assert_error(response, 405, "method_not_allowed", {"allowed": allowed}, "Method not allowed")
    assert response.headers["allow"] == ", ".join(allowed)
    assert not any(name.startswith("access-control-") for name in response.headers)


@pytest.mark.parametrize(
    "path",
    [
        "/v1/orders/",
        "/v1/vehicles/",
        "/v1",
        "/v2/orders",
        "/v1/orders/x/y",
        "/v1/orders/01KQXA5KNRPQNMCMYXC47R2PCT/history",
        "/V1/orders",
    ],
)
async def test_unknown_routes(partner: Partner, path: str) -> None:
    assert_error(await partner.get(path), 404, "route_not_found", {}, "No such route")


async def test_no_cors_headers(partner: Partner) -> None:
    response = await partner.get("/v1/orders", headers={"Origin": "https://partner.example.com"})
    assert response.status_code == 200
    assert not any(name.startswith("access-control-") for name in response.headers)


async def test_openapi_is_public_and_lists_partner_endpoints_only(client: httpx.AsyncClient) -> None:
    response = await client.get("/auto/v1/openapi.json")
    assert response.status_code == 200
    document = response.json()
    operations = {(method, path) for path, item in document["paths"].items() for method in item}
    assert operations == PARTNER_OPERATIONS
    place = document["paths"]["/v1/orders"]["post"]
    assert place["requestBody"]["content"]["application/json"]["example"] == {
        "vehicle_id": "glovis-20260512-0418",
        "max_bid_amount_usd": 18200,
    }
    assert "201" in place["responses"]
    codes = {
        code
        for status in place["responses"].values()
        for code in status.get("content", {}).get("application/json", {}).get("examples", {})
    }
    assert {
        "missing_idempotency_key",
        "missing_max_bid",
        "vehicle_not_found",
        "past_order_cutoff",
        "duplicate_order",
        "idempotency_key_reused",
        "vehicle_unavailable",
        "idempotency_key_in_use",
        "validation_error",
        "missing_api_key",
        "invalid_api_key",
        "rate_limited",
    } <= codes
    for path, item in document["paths"].items():
        for method, operation in item.items():
            success = next(v for k, v in operation["responses"].items() if k.startswith("2"))
            assert "example" in success["content"]["application/json"], (method, path)
    assert document["components"]["securitySchemes"]["ApiKey"] == {
        "type": "apiKey",
        "in": "header",
        "name": "x-api-key",
    }


async def test_docs_page(client: httpx.AsyncClient) -> None:
    response = await client.get("/auto/docs")
    assert response.status_code == 200 and "/auto/v1/openapi.json" in response.text


async def test_operator_api_is_not_in_the_partner_document(client: httpx.AsyncClient) -> None:
    document = (await client.get("/auto/v1/openapi.json")).json()
    assert not any("partners" in path or path.startswith("/ops") for path in document["paths"])
    assert_error(await client.get("/ops/v1/auto/openapi.json"), 404, "route_not_found")


async def test_bodies_sent_to_bodyless_endpoints(make_client: ClientFactory) -> None:
    client = await make_client(max_body_bytes=2000)
    operator = Operator(client)
    partner = await operator.partner()
    await operator.vehicle("glovis-1")
    order = (await partner.place("glovis-1", 18200)).json()
    small = await client.request("GET", f"/auto/v1/orders/{order['id']}", content=b"not json", headers=partner.headers)
    assert small.status_code == 200  # ignored
    for method, path in (
        ("GET", f"/auto/v1/orders/{order['id']}"),
        ("GET", "/auto/v1/orders"),
        ("GET", "/auto/v1/vehicles/glovis-1"),
        ("DELETE", f"/auto/v1/orders/{order['id']}"),
    ):
        response = await client.request(
            method,
            path,
            content=b"x" * 2001,
            headers={**partner.headers, "Idempotency-Key": "93470a1b-d783-4b58-b2a3-9732e9b78361"},
        )
        assert_error(response, 413, "payload_too_large", {"max_bytes": 2000}, "Request body exceeds 2000 bytes")
    assert (await partner.get(f"/v1/orders/{order['id']}")).json()["status"] == "proceed"
    unauthenticated = await client.request("GET", "/auto/v1/orders", content=b"x" * 2001)
    assert_error(unauthenticated, 401, "missing_api_key")  # the key is checked first


async def test_path_parameters_are_documented(client: httpx.AsyncClient) -> None:
    document = (await client.get("/auto/v1/openapi.json")).json()
    for path, method, name in (
        ("/v1/orders/{order_id}", "get", "order_id"),
        ("/v1/orders/{order_id}", "delete", "order_id"),
        ("/v1/vehicles/{vehicle_id}", "get", "vehicle_id"),
    ):
        parameters = document["paths"][path][method]["parameters"]
        assert {"name": name, "in": "path", "required": True, "schema": {"type": "string"}} in parameters


async def test_unexpected_failure_is_an_internal_error_and_writes_nothing(
    partner: Partner, auction_car: dict, monkeypatch: pytest.MonkeyPatch
) -> None:
    from orderdesk.auto import repository

    place_order = repository.place_order

    async def broken(*args: Any, **kwargs: Any) -> None:
        await place_order(*args, **kwargs)
        raise RuntimeError("secret internals")

    # Fails once the order, its history, the leader and the idempotency record are written.
    monkeypatch.setattr(repository, "place_order", broken)
    response = await partner.place("glovis-20260512-0418", 18200)
    assert_error(response, 500, "internal_error", {}, "Internal server error")
    assert "secret" not in response.text
    monkeypatch.undo()
    assert (await partner.get("/v1/orders")).json()["data"] == []  # the order insert was rolled back
