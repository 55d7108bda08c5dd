"""The operator bearer token, on a sub-application as products mount it."""

from __future__ import annotations

import httpx
import pytest
from fastapi import Depends, FastAPI
from starlette.responses import Response

from orderdesk.platform.errors import AUTO
from orderdesk.platform.http import RequestContextMiddleware, json_response, make_subapp
from orderdesk.platform.opsauth import require_operator
from orderdesk.platform.runtime import Runtime
from tests.conftest import settings_for


def _client(ops_token: str | None) -> httpx.AsyncClient:
    runtime = Runtime.build(settings_for("sqlite:///:memory:", ops_token=ops_token))
    root = FastAPI()
    ops = make_subapp(runtime, AUTO, title="ops")

    @ops.get("/ping", dependencies=[Depends(require_operator)])
    async def ping() -> Response:
        return json_response({"ok": True})

    root.mount("/ops", ops)
    app = RequestContextMiddleware(root)
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver")


@pytest.mark.parametrize(
    ("token", "header"),
    [
        ("s3cret", None),
        ("s3cret", "Bearer wrong"),
        ("s3cret", "Basic s3cret"),
        ("s3cret", "Bearer "),
        (None, "Bearer s3cret"),
        ("", "Bearer "),
    ],
)
async def test_missing_or_wrong_token_is_unauthorized(token: str | None, header: str | None) -> None:
    async with _client(token) as client:
        response = await client.get("/ops/ping", headers={"Authorization": header} if header else {})
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    assert response.json()["error"]["code"] == "unauthorized"


async def test_right_token_passes() -> None:
    async with _client("s3cret") as client:
        response = await client.get("/ops/ping", headers={"Authorization": "Bearer s3cret"})
    assert response.status_code == 200 and response.json() == {"ok": True}
