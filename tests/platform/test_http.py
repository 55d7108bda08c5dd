"""Envelopes, request ids and routing answers that every surface shares."""

from __future__ import annotations

import re

import httpx
import pytest
from fastapi import FastAPI

AUTO_REQUEST_ID = re.compile(r"^req_[0-9a-f]{24}$")
CRYPTO_REQUEST_ID = re.compile(r"^[0-9a-f]{32}$")


async def test_healthz_and_readyz(client: httpx.AsyncClient) -> None:
    health = await client.get("/healthz")
    assert health.status_code == 200 and health.json() == {"status": "ok"}
    ready = await client.get("/readyz")
    assert ready.status_code == 200 and ready.json() == {"status": "ready"}
    assert AUTO_REQUEST_ID.match(ready.headers["x-request-id"])


@pytest.mark.parametrize("path", ["/auto/nope", "/ops/v1/auto/nope", "/nope"])
async def test_unknown_auto_paths_answer_route_not_found(client: httpx.AsyncClient, path: str) -> None:
    response = await client.get(path)
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert body == {
        "error": {
            "code": "route_not_found",
            "message": "No such route",
            "request_id": response.headers["x-request-id"],
            "details": {},
        }
    }
    assert AUTO_REQUEST_ID.match(body["error"]["request_id"])


@pytest.mark.parametrize("path", ["/crypto/v1/nope", "/ops/v1/crypto/nope", "/ops/v1/nope"])
async def test_unknown_crypto_paths_answer_not_found(client: httpx.AsyncClient, path: str) -> None:
    response = await client.get(path)
    assert response.status_code == 404
    body = response.json()
    assert body == {
        "error_code": "not_found",
        "error_msg": "Resource not found",
        "request_id": response.headers["x-request-id"],
    }
    assert CRYPTO_REQUEST_ID.match(body["request_id"])


async def test_client_request_id_is_never_echoed(client: httpx.AsyncClient) -> None:
    response = await client.get("/auto/nope", headers={"X-Request-Id": "my-trace-1"})
    assert response.headers["x-request-id"] != "my-trace-1"
    crypto = await client.get("/crypto/v1/nope", headers={"X-Request-Id": "0" * 32})
    assert crypto.headers["x-request-id"] != "0" * 32


async def test_unexpected_error_is_a_500_envelope_without_trace(client: httpx.AsyncClient) -> None:
    app: FastAPI = client.app  # type: ignore[attr-defined]
    auto_app = next(r.app for r in app.routes if getattr(r, "path", "") == "/auto")

    @auto_app.get("/boom")
    async def boom() -> None:
        raise RuntimeError("secret internals")

    response = await client.get("/auto/boom")
    assert response.status_code == 500
    assert response.json()["error"]["code"] == "internal_error"
    assert "secret" not in response.text


async def test_method_not_allowed_names_the_methods_of_included_routers() -> None:
    from fastapi import APIRouter

    from orderdesk.platform.errors import AUTO
    from orderdesk.platform.http import RequestContextMiddleware, make_subapp

    router = APIRouter()

    @router.get("/things")
    async def list_things() -> None:
        return None

    @router.post("/things")
    async def add_thing() -> None:
        return None

    @router.delete("/things/{thing_id}")
    async def drop_thing(thing_id: str) -> None:
        return None

    root = FastAPI()
    sub = make_subapp(None, AUTO, title="sub")
    sub.include_router(router)
    root.mount("/auto", sub)
    transport = httpx.ASGITransport(app=RequestContextMiddleware(root))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        collection = await client.put("/auto/things")
        item = await client.get("/auto/things/1")
    assert collection.status_code == 405 and collection.headers["allow"] == "GET, POST"
    assert collection.json()["error"]["details"] == {"allowed": ["GET", "POST"]}
    assert item.status_code == 405 and item.headers["allow"] == "DELETE"
