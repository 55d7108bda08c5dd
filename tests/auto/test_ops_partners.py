"""Operator API: conventions (spec 8.1), partners (8.2) and API keys (8.3)."""

from __future__ import annotations

import re

import httpx
import pytest

from orderdesk.platform.clock import ManualClock
from tests.auto.conftest import Operator, assert_error, issue_paths
from tests.conftest import OPS_HEADERS, ClientFactory

OPS_ENDPOINTS = [
    ("POST", "/partners"),
    ("GET", "/partners"),
    ("GET", "/partners/01KQX9Z4B7M2P5R8T1V3W6Y0CD"),
    ("PATCH", "/partners/01KQX9Z4B7M2P5R8T1V3W6Y0CD"),
    ("POST", "/partners/01KQX9Z4B7M2P5R8T1V3W6Y0CD/keys"),
    ("DELETE", "/partners/01KQX9Z4B7M2P5R8T1V3W6Y0CD/keys/01KQX9Z4B8F3H6K9N2Q5S8V1XE"),
    ("PUT", "/vehicles/glovis-1"),
    ("GET", "/vehicles/glovis-1"),
    ("DELETE", "/vehicles/glovis-1"),
    ("GET", "/orders"),
    ("GET", "/orders/01KQXA5KNRPQNMCMYXC47R2PCT"),
]


@pytest.mark.parametrize(("method", "path"), OPS_ENDPOINTS)
async def test_every_operator_endpoint_needs_the_token(client: httpx.AsyncClient, method: str, path: str) -> None:
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"x-api-key": "lmn_stg_E2I8nUigVahfNbA03U7uapnvxFMJ"}):
        response = await client.request(method, "/ops/v1/auto" + path, headers=headers, json={})
        assert_error(response, 401, "unauthorized", {}, "Operator token is missing or invalid")
        assert response.headers["www-authenticate"] == "Bearer"


async def test_unset_token_locks_the_operator_api(make_client: ClientFactory) -> None:
    client = await make_client(ops_token="")
    assert_error(await client.get("/ops/v1/auto/partners", headers=OPS_HEADERS), 401, "unauthorized")


async def test_route_before_token(client: httpx.AsyncClient) -> None:
    assert_error(await client.get("/ops/v1/auto/nothing"), 404, "route_not_found")
    response = await client.post("/ops/v1/auto/orders")
    assert_error(response, 405, "method_not_allowed", {"allowed": ["GET"]})


# --------------------------------------------------------------------------- partners


async def test_create_partner(operator: Operator) -> None:
    response = await operator.request(
        "POST",
        "/partners",
        json={
            "name": "Harbor Auto Imports",
            "environment": "sandbox",
            "ip_allowlist": ["203.0.113.7", "198.51.100.17/24", "2001:DB8::10/128"],
            "webhook_url": "https://harbor.example.com/hooks/lmn",
        },
    )
    assert response.status_code == 201
    body = response.json()
    assert set(body) == {
        "id",
        "name",
        "environment",
        "ip_allowlist",
        "webhook_url",
        "key_id",
        "api_key",
        "webhook_secret",
        "created_at",
    }
    assert re.fullmatch(r"[0-9A-HJKMNP-TV-Z]{26}", body["id"])
    assert re.fullmatch(r"[0-9A-HJKMNP-TV-Z]{26}", body["key_id"])
    assert re.fullmatch(r"lmn_stg_[A-Za-z0-9_-]{28}", body["api_key"])
    assert re.fullmatch(r"whsec_[A-Za-z0-9_-]{43}", body["webhook_secret"])
    assert body["ip_allowlist"] == ["203.0.113.7", "198.51.100.0/24", "2001:db8::10"]
    assert body["created_at"] == "2026-05-06T09:14:27+09:00"
    detail = (await operator.request("GET", f"/partners/{body['id']}")).json()
    assert detail == {
        "id": body["id"],
        "name": "Harbor Auto Imports",
        "environment": "sandbox",
        "ip_allowlist": body["ip_allowlist"],
        "webhook_url": "https://harbor.example.com/hooks/lmn",
        "created_at": body["created_at"],
        "keys": [
            {
                "key_id": body["key_id"],
                "key_prefix": body["api_key"][:12],
                "created_at": body["created_at"],
                "revoked_at": None,
            }
        ],
    }


async def test_partner_defaults(operator: Operator) -> None:
    body = (await operator.request("POST", "/partners", json={"name": "P", "ip_allowlist": None})).json()
    assert body["environment"] == "sandbox" and body["ip_allowlist"] is None and body["webhook_url"] is None


async def test_production_server(make_client: ClientFactory) -> None:
    client = await make_client(environment="production")
    operator = Operator(client)
    response = await operator.request("POST", "/partners", json={"name": "P", "webhook_url": "http://x.example/h"})
    assert issue_paths(response) == [("body", "webhook_url")]
    body = (
        await operator.request("POST", "/partners", json={"name": "P", "webhook_url": "https://x.example/h"})
    ).json()
    assert body["environment"] == "production" and body["api_key"].startswith("lmn_prd_")


@pytest.mark.parametrize(
    ("body", "paths"),
    [
        ({}, [("body", "name")]),
        ({"name": ""}, [("body", "name")]),
        ({"name": "x" * 201}, [("body", "name")]),
        ({"name": 5}, [("body", "name")]),
        ({"name": "P", "environment": "staging"}, [("body", "environment")]),
        ({"name": "P", "ip_allowlist": []}, [("body", "ip_allowlist")]),
        ({"name": "P", "ip_allowlist": "203.0.113.7"}, [("body", "ip_allowlist")]),
        (
            {"name": "P", "ip_allowlist": ["203.0.113.7", "nope", 7]},
            [("body", "ip_allowlist.1"), ("body", "ip_allowlist.2")],
        ),
        ({"name": "P", "ip_allowlist": [f"10.0.0.{i}" for i in range(17)]}, [("body", "ip_allowlist")]),
        ({"name": "P", "webhook_url": "/relative"}, [("body", "webhook_url")]),
        ({"name": "P", "webhook_url": "ftp://x.example/h"}, [("body", "webhook_url")]),
        ({"name": "P", "webhook_url": "https://x.example/" + "a" * 2048}, [("body", "webhook_url")]),
        ({"name": "P", "colour": "red"}, [("body", "colour")]),
    ],
)
async def test_create_partner_validation(operator: Operator, body: dict, paths: list) -> None:
    response = await operator.request("POST", "/partners", json=body)
    assert issue_paths(response) == paths
    assert (await operator.request("GET", "/partners")).json()["data"] == []


async def test_create_partner_needs_json(operator: Operator) -> None:
    response = await operator.request(
        "POST", "/partners", content=b"name=P", headers={"Content-Type": "application/x-www-form-urlencoded"}
    )
    assert issue_paths(response) == [("header", "Content-Type")]
    big = await operator.request(
        "POST", "/partners", content=b"{" + b" " * 1_048_577 + b"}", headers={"Content-Type": "application/json"}
    )
    assert_error(big, 413, "payload_too_large", {"max_bytes": 1048576})


async def test_patch_partner(operator: Operator) -> None:
    created = (
        await operator.request(
            "POST",
            "/partners",
            json={"name": "P", "ip_allowlist": ["203.0.113.7"], "webhook_url": "https://x.example/h"},
        )
    ).json()
    path = f"/partners/{created['id']}"
    same = await operator.request("PATCH", path, json={})
    assert same.status_code == 200 and same.json()["ip_allowlist"] == ["203.0.113.7"]
    body = (await operator.request("PATCH", path, json={"ip_allowlist": ["198.51.100.9/16"]})).json()
    assert body == {
        "id": created["id"],
        "name": "P",
        "environment": "sandbox",
        "ip_allowlist": ["198.51.0.0/16"],
        "webhook_url": "https://x.example/h",
        "created_at": created["created_at"],
    }
    cleared = (await operator.request("PATCH", path, json={"webhook_url": None, "ip_allowlist": None})).json()
    assert cleared["webhook_url"] is None and cleared["ip_allowlist"] is None
    assert (await operator.request("GET", path)).json()["webhook_url"] is None
    assert issue_paths(await operator.request("PATCH", path, json={"name": "New"})) == [("body", "name")]
    assert issue_paths(await operator.request("PATCH", path, json={"ip_allowlist": []})) == [("body", "ip_allowlist")]
    assert_error(
        await operator.request("PATCH", "/partners/01KQX9Z4B7M2P5R8T1V3W6Y0CD", json={}),
        404,
        "partner_not_found",
        {},
        "Partner not found",
    )


async def test_list_partners_oldest_first(operator: Operator, clock: ManualClock) -> None:
    created = []
    for i in range(5):
        clock.advance(seconds=1)
        created.append((await operator.request("POST", "/partners", json={"name": f"P{i}"})).json()["id"])
    seen, cursor = [], None
    while True:
        params = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = (await operator.request("GET", "/partners", params=params)).json()
        assert all(
            set(p) == {"id", "name", "environment", "ip_allowlist", "webhook_url", "created_at"} for p in page["data"]
        )
        seen += [p["id"] for p in page["data"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == created
    assert_error(await operator.request("GET", "/partners", params={"cursor": "zzz"}), 400, "invalid_cursor")
    assert issue_paths(await operator.request("GET", "/partners", params={"limit": "0"})) == [("query", "limit")]


async def test_get_unknown_partner(operator: Operator) -> None:
    assert_error(await operator.request("GET", "/partners/nope"), 404, "partner_not_found")


# --------------------------------------------------------------------------- keys


async def test_rotate_and_revoke_keys(operator: Operator, clock: ManualClock) -> None:
    partner = await operator.partner()
    clock.advance(minutes=5)
    response = await operator.request("POST", f"/partners/{partner.id}/keys", content=b"ignored")
    assert response.status_code == 201
    new = response.json()
    assert set(new) == {"key_id", "api_key"} and new["api_key"].startswith("lmn_stg_")
    for key in (partner.key, new["api_key"]):
        assert (await partner.client.get("/auto/v1/orders", headers={"x-api-key": key})).status_code == 200
    clock.advance(minutes=5)
    revoke_path = f"/partners/{partner.id}/keys/{partner.created['key_id']}"
    revoked = await operator.request("DELETE", revoke_path)
    assert revoked.status_code == 204 and revoked.content == b"" and revoked.headers["x-request-id"]
    assert (await operator.request("DELETE", revoke_path)).status_code == 204
    keys = (await operator.request("GET", f"/partners/{partner.id}")).json()["keys"]
    assert keys == [
        {
            "key_id": partner.created["key_id"],
            "key_prefix": partner.key[:12],
            "created_at": "2026-05-06T09:14:27+09:00",
            "revoked_at": "2026-05-06T09:24:27+09:00",
        },
        {
            "key_id": new["key_id"],
            "key_prefix": new["api_key"][:12],
            "created_at": "2026-05-06T09:19:27+09:00",
            "revoked_at": None,
        },
    ]
    assert_error(
        await partner.client.get("/auto/v1/orders", headers={"x-api-key": partner.key}), 401, "invalid_api_key"
    )


async def test_key_errors(operator: Operator) -> None:
    mine, theirs = await operator.partner("Mine"), await operator.partner("Theirs")
    unknown_partner = "01KQX9Z4B7M2P5R8T1V3W6Y0CD"
    assert_error(await operator.request("POST", f"/partners/{unknown_partner}/keys"), 404, "partner_not_found")
    assert_error(
        await operator.request("DELETE", f"/partners/{unknown_partner}/keys/{mine.created['key_id']}"),
        404,
        "partner_not_found",
    )
    response = await operator.request("DELETE", f"/partners/{mine.id}/keys/{theirs.created['key_id']}")
    assert_error(response, 404, "api_key_not_found", {}, "API key not found")
    assert_error(await operator.request("DELETE", f"/partners/{mine.id}/keys/nope"), 404, "api_key_not_found")
    # the other partner's key still works
    assert (await theirs.get("/v1/orders")).status_code == 200
