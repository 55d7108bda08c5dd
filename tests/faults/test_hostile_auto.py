"""Hostile input to the auto API, through HTTP as an attacker would send it: one table, each
row naming the status and code the contract implies. Never a 5xx, always the auto envelope,
and nothing written by a refused request."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from tests.auto.conftest import Operator, Partner, assert_error, issue_paths

VEHICLE = "glovis-20260512-0418"
LIMIT = 1_048_576
KIB64 = 65_536
WRITTEN_TABLES = ("auto_orders", "auto_order_history", "auto_events", "idempotency_records", "outbox")


@dataclass(frozen=True)
class Row:
    name: str
    status: int
    code: str
    body: bytes | None = None
    chunked: bool = False
    method: str = "POST"
    path: str = "/auto/v1/orders"
    headers: dict[str, str] = field(default_factory=dict)
    issue: tuple[str, str] | None = None  # (location, path) of the validation issue expected


def order(**fields: Any) -> bytes:
    """An order body with raw JSON text per field (so rows can hold what json.dumps cannot)."""
    values = {"vehicle_id": f'"{VEHICLE}"', "max_bid_amount_usd": "15500", **fields}
    return ("{" + ",".join(f'"{k}":{v}' for k, v in values.items()) + "}").encode()


def deep(levels: int) -> str:
    return "[" * levels + "]" * levels


BIG_ARRAY = "[" + ",".join(["1"] * 100_000) + "]"

ROWS = [
    Row("over limit, Content-Length", 413, "payload_too_large", order(note=f'"{"x" * LIMIT}"')),
    Row("over limit, chunked (no Content-Length)", 413, "payload_too_large", order(note=f'"{"x" * LIMIT}"'), True),
    Row(
        "exactly at the limit is read",
        400,
        "validation_error",
        b" " * (LIMIT - 2) + b"{}",
        issue=("body", "vehicle_id"),
    ),
    Row("nesting 10,000 deep", 400, "validation_error", order(vehicle_id=deep(10_000)), issue=("body", "")),
    Row("nesting 10,000 deep, chunked", 400, "validation_error", order(vehicle_id=deep(10_000)), True),
    Row(
        "invalid UTF-8",
        400,
        "validation_error",
        order(vehicle_id='"\xff\xfe"').replace(b"\xc3\xbf\xc3\xbe", b"\xff\xfe"),
        issue=("body", ""),
    ),
    Row("lone surrogate escape", 400, "validation_error", order(vehicle_id='"\\ud800"'), issue=("body", "")),
    Row(
        "duplicate keys: the last one wins",
        400,
        "validation_error",
        order(max_bid_amount_usd='15500, "max_bid_amount_usd": "15500"'),
        issue=("body", "max_bid_amount_usd"),
    ),
    Row("NaN", 400, "validation_error", order(max_bid_amount_usd="NaN"), issue=("body", "max_bid_amount_usd")),
    Row(
        "Infinity", 400, "validation_error", order(max_bid_amount_usd="Infinity"), issue=("body", "max_bid_amount_usd")
    ),
    Row(
        "-Infinity",
        400,
        "validation_error",
        order(max_bid_amount_usd="-Infinity"),
        issue=("body", "max_bid_amount_usd"),
    ),
    Row("1e400", 400, "validation_error", order(max_bid_amount_usd="1e400"), issue=("body", "max_bid_amount_usd")),
    Row(
        "integer of 400 digits",
        400,
        "validation_error",
        order(max_bid_amount_usd="9" * 400),
        issue=("body", "max_bid_amount_usd"),
    ),
    Row("negative integer of 400 digits", 400, "missing_max_bid", order(max_bid_amount_usd="-" + "9" * 400)),
    Row("integer of 5,000 digits", 400, "validation_error", order(max_bid_amount_usd="9" * 5000), issue=("body", "")),
    Row(
        "array of 100,000 as a field",
        400,
        "validation_error",
        order(vehicle_id=BIG_ARRAY),
        issue=("body", "vehicle_id"),
    ),
    Row("array of 100,000 at the top", 400, "validation_error", BIG_ARRAY.encode(), issue=("body", "")),
    Row("unknown field holding 100,000", 400, "validation_error", order(extra=BIG_ARRAY), issue=("body", "extra")),
    Row("64 KiB API key", 401, "invalid_api_key", order(), headers={"x-api-key": "lmn_stg_" + "a" * KIB64}),
    Row(
        "64 KiB Idempotency-Key",
        400,
        "validation_error",
        order(),
        headers={"Idempotency-Key": "a" * KIB64},
        issue=("header", "Idempotency-Key"),
    ),
    Row(
        "64 KiB Content-Type",
        400,
        "validation_error",
        order(),
        headers={"Content-Type": "application/" + "a" * KIB64},
        issue=("header", "Content-Type"),
    ),
    Row(
        "64 KiB X-Request-Id is ignored",
        200,
        "",
        method="GET",
        path="/auto/v1/vehicles",
        headers={"X-Request-Id": "a" * KIB64},
    ),
    Row(
        "64 KiB unknown header is ignored",
        200,
        "",
        method="GET",
        path="/auto/v1/vehicles",
        headers={"X-Filler": "a" * KIB64},
    ),
    Row("order id of 10 KiB", 404, "order_not_found", method="GET", path="/auto/v1/orders/" + "A" * 10_240),
    Row("order id of 10 KiB, cancel", 404, "order_not_found", method="DELETE", path="/auto/v1/orders/" + "A" * 10_240),
    Row(
        "order id of 10 KiB, status push",
        404,
        "order_not_found",
        b'{"status": "delivered", "occurred_at": "2026-05-06T10:00:00+09:00"}',
        path="/auto/v1/orders/" + "A" * 10_240 + "/status",
    ),
    Row("vehicle id of 10 KiB", 404, "vehicle_not_found", method="GET", path="/auto/v1/vehicles/" + "a" * 10_240),
    Row("vehicle id percent-encoded NUL", 404, "vehicle_not_found", method="GET", path="/auto/v1/vehicles/glovis%00"),
    Row(
        "vehicle id percent-encoded quote",
        404,
        "vehicle_not_found",
        method="GET",
        path="/auto/v1/vehicles/%27%20OR%201=1--",
    ),
    Row("vehicle id non-ASCII", 404, "vehicle_not_found", method="GET", path="/auto/v1/vehicles/차량-١٢٣"),
    Row(
        "vehicle id percent-encoded slash", 404, "route_not_found", method="GET", path="/auto/v1/vehicles/glovis%2F0418"
    ),
    Row(
        "order id percent-encoded NUL",
        404,
        "order_not_found",
        method="GET",
        path="/auto/v1/orders/01KQXA5KNRPQNMCMYXC47R2P%00",
    ),
    Row(
        "query value with NUL",
        400,
        "validation_error",
        method="GET",
        path="/auto/v1/vehicles?make=Hyundai%00&model=%00",
        issue=("query", "make"),
    ),
    Row(
        "query cursor with NUL",
        400,
        "validation_error",
        method="GET",
        path="/auto/v1/vehicles?cursor=%00",
        issue=("query", "cursor"),
    ),
    Row("orders query with NUL", 200, "", method="GET", path="/auto/v1/orders?vehicle_id=%00&status=proceed"),
    Row(
        "NUL escape in an unknown field",
        400,
        "validation_error",
        order(note='{"a": ["\\u0000"]}'),
        issue=("body", "note.a.0"),
    ),
    Row(
        "escaped backslash before u0000 is no NUL",
        400,
        "validation_error",
        order(note='"\\\\u0000"'),
        issue=("body", "note"),
    ),
    Row(
        "NUL escape in a body string",
        400,
        "validation_error",
        order(vehicle_id='"glovis\\u0000"'),
        issue=("body", "vehicle_id"),
    ),
    Row(
        "order id non-ASCII",
        404,
        "order_not_found",
        method="GET",
        path="/auto/v1/orders/０１ＫＱＸＡ５ＫＮＲＰＱＮＭＣＭＹＸＣ４７Ｒ２ＰＣＴ",
    ),
    Row(
        "events of an order id of 10 KiB",
        404,
        "order_not_found",
        method="GET",
        path="/auto/v1/orders/" + "%41" * 10_240 + "/events",
    ),
]


async def chunks(body: bytes, size: int = 65_536) -> AsyncIterator[bytes]:
    for start in range(0, len(body), size):
        yield body[start : start + size]


async def written(client: httpx.AsyncClient) -> dict[str, int]:
    runtime = client.runtime  # type: ignore[attr-defined]
    async with runtime.db.transaction(write=False) as conn:
        return {table: await conn.fetchval(f"SELECT count(*) FROM {table}") for table in WRITTEN_TABLES}


@pytest.fixture
async def partner(client: httpx.AsyncClient) -> Partner:
    operator = Operator(client)
    await operator.vehicle(VEHICLE)
    return await operator.partner()


@pytest.mark.parametrize("row", ROWS, ids=[row.name for row in ROWS])
async def test_hostile_request(client: httpx.AsyncClient, partner: Partner, row: Row) -> None:
    before = await written(client)
    headers = {
        **partner.headers,
        "Idempotency-Key": str(uuid.uuid4()),
        **({"Content-Type": "application/json"} if row.body is not None else {}),
        **row.headers,
    }
    content: Any = chunks(row.body) if row.chunked and row.body is not None else row.body
    response = await client.request(row.method, row.path, content=content, headers=headers)
    if row.status < 400:
        assert response.status_code == row.status, response.text
    else:
        assert_error(response, row.status, row.code)
    if row.issue is not None:
        assert row.issue in issue_paths(response), response.text
    assert await written(client) == before


def test_rows_never_expect_a_server_error() -> None:
    assert all(row.status < 500 for row in ROWS)


async def test_duplicate_keys_last_one_wins(client: httpx.AsyncClient, partner: Partner) -> None:
    body = order(max_bid_amount_usd='"not a number", "max_bid_amount_usd": 17600')
    response = await client.post(
        "/auto/v1/orders",
        content=body,
        headers={**partner.headers, "Idempotency-Key": str(uuid.uuid4()), "Content-Type": "application/json"},
    )
    assert response.status_code == 201, response.text
    assert response.json()["max_bid_amount_usd"] == 17600


async def test_operator_free_form_json_refuses_numbers_it_cannot_store(client: httpx.AsyncClient) -> None:
    operator = Operator(client)
    for value in ("9" * 400, "1e400", "-" + "9" * 400, deep(1000), deep(1020)):
        response = await client.put(
            f"/ops/v1/auto/vehicles/{VEHICLE}",
            content=order_vehicle(value),
            headers={"Authorization": "Bearer test-ops-token", "Content-Type": "application/json"},
        )
        assert ("body", "inspection_report") in issue_paths(response)
    assert (await operator.request("GET", f"/vehicles/{VEHICLE}")).status_code == 404


def order_vehicle(number: str) -> bytes:
    import orjson

    from tests.auto.conftest import PALISADE

    text = orjson.dumps({**PALISADE, "inspection_report": {"grade": "__N__"}}).decode()
    return text.replace('"__N__"', number).encode()


async def test_key_revoked_between_and_during_requests(client: httpx.AsyncClient, partner: Partner) -> None:
    """A revoked key is refused from the next request on (no cache outlives the revocation);
    requests racing the revocation answer either as before or 401, never anything else."""
    operator = Operator(client)
    key_id = partner.created["key_id"]
    assert (await partner.get("/v1/vehicles")).status_code == 200

    async def revoke() -> int:
        return (await operator.request("DELETE", f"/partners/{partner.id}/keys/{key_id}")).status_code

    racing = [partner.get(f"/v1/vehicles/{VEHICLE}") for _ in range(20)]
    results = await asyncio.gather(*racing[:10], revoke(), *racing[10:])
    assert results[10] == 204
    statuses = {r.status_code for r in results if isinstance(r, httpx.Response)}
    assert statuses <= {200, 401}, statuses
    for response in [r for r in results if isinstance(r, httpx.Response) and r.status_code == 401]:
        assert_error(response, 401, "invalid_api_key")
    assert_error(await partner.get("/v1/vehicles"), 401, "invalid_api_key")
    assert_error(await partner.place(VEHICLE, 15500), 401, "invalid_api_key")
