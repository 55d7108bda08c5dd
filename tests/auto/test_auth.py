"""Partner authentication, IP allowlist and rate limit (spec 2.1, 2.2, 2.11) and the order in
which the checks answer (2.13)."""

from __future__ import annotations

import os

import httpx
import orjson
import pytest

from tests.auto.conftest import Operator, Partner, assert_error, idem
from tests.conftest import OPS_HEADERS, ClientFactory

ORDERS = "/auto/v1/orders"


async def test_missing_api_key(client: httpx.AsyncClient) -> None:
    for headers in ({}, {"x-api-key": ""}):
        response = await client.get(ORDERS, headers=headers)
        assert_error(response, 401, "missing_api_key", {}, "x-api-key header is required")


@pytest.mark.parametrize(
    "key",
    [
        "lmn_stg_E2I8nUigVahfNbA03U7uapnvxFMJ",  # well-formed, unknown
        "lmn_stg_short",
        "Bearer lmn_stg_E2I8nUigVahfNbA03U7uapnvxFMJ",
        "lmn_xyz_E2I8nUigVahfNbA03U7uapnvxFMJ",
    ],
)
async def test_invalid_api_key(client: httpx.AsyncClient, key: str) -> None:
    response = await client.get(ORDERS, headers={"x-api-key": key})
    assert_error(response, 401, "invalid_api_key", {}, "API key is invalid")


async def test_header_name_is_case_insensitive(client: httpx.AsyncClient, partner: Partner) -> None:
    response = await client.get(ORDERS, headers={"X-API-KEY": partner.key})
    assert response.status_code == 200


async def test_revoked_key_is_invalid_and_other_keys_keep_working(operator: Operator, partner: Partner) -> None:
    second = await operator.request("POST", f"/partners/{partner.id}/keys")
    assert second.status_code == 201
    new_key = second.json()["api_key"]
    revoke = await operator.request("DELETE", f"/partners/{partner.id}/keys/{partner.created['key_id']}")
    assert revoke.status_code == 204
    assert_error(await partner.get("/v1/orders"), 401, "invalid_api_key")
    response = await partner.client.get(ORDERS, headers={"x-api-key": new_key})
    assert response.status_code == 200


async def test_keys_of_one_partner_share_orders_and_idempotency(
    operator: Operator, partner: Partner, auction_car: dict
) -> None:
    second_key = (await operator.request("POST", f"/partners/{partner.id}/keys")).json()["api_key"]
    headers = idem()
    first = await partner.client.post(
        ORDERS,
        json={"vehicle_id": auction_car["id"], "max_bid_amount_usd": 18200},
        headers={"x-api-key": partner.key, **headers},
    )
    assert first.status_code == 201
    replay = await partner.client.post(
        ORDERS,
        json={"vehicle_id": auction_car["id"], "max_bid_amount_usd": 18200},
        headers={"x-api-key": second_key, **headers},
    )
    assert replay.status_code == 200 and replay.content == first.content
    listed = await partner.client.get(ORDERS, headers={"x-api-key": second_key})
    assert [order["id"] for order in listed.json()["data"]] == [first.json()["id"]]


async def test_key_of_the_other_environment_is_invalid(make_client: ClientFactory) -> None:
    client = await make_client()
    created = await client.post(
        "/ops/v1/auto/partners", headers=OPS_HEADERS, json={"name": "Prod Partner", "environment": "production"}
    )
    assert created.status_code == 201
    key = created.json()["api_key"]
    assert key.startswith("lmn_prd_")
    assert_error(await client.get(ORDERS, headers={"x-api-key": key}), 401, "invalid_api_key")
    production = await make_client(environment="production")
    assert (await production.get(ORDERS, headers={"x-api-key": key})).status_code == 200


# --------------------------------------------------------------------------- IP allowlist


async def _partner_behind(
    make_client: ClientFactory, allowlist: list[str] | None, client_ip: str, **settings: object
) -> tuple[httpx.AsyncClient, str]:
    client = await make_client(client_ip=client_ip, **settings)
    created = await client.post(
        "/ops/v1/auto/partners", headers=OPS_HEADERS, json={"name": "Walled", "ip_allowlist": allowlist}
    )
    assert created.status_code == 201, created.text
    return client, created.json()["api_key"]


@pytest.mark.parametrize(
    ("client_ip", "allowed", "reported"),
    [
        ("203.0.113.7", True, None),
        ("198.51.100.200", True, None),
        ("203.0.113.8", False, "203.0.113.8"),
        ("::ffff:203.0.113.7", True, None),
        ("::ffff:203.0.113.9", False, "203.0.113.9"),
        ("2001:db8::10", True, None),
        ("2001:db8::11", False, "2001:db8::11"),
    ],
)
async def test_ip_allowlist(make_client: ClientFactory, client_ip: str, allowed: bool, reported: str | None) -> None:
    client, key = await _partner_behind(make_client, ["203.0.113.7", "198.51.100.0/24", "2001:db8::10"], client_ip)
    response = await client.get(ORDERS, headers={"x-api-key": key})
    if allowed:
        assert response.status_code == 200
    else:
        assert_error(response, 403, "ip_not_allowed", {"ip": reported}, "Source IP address is not allowed")


async def test_forwarded_for_is_ignored_unless_trusted(make_client: ClientFactory) -> None:
    client, key = await _partner_behind(make_client, ["203.0.113.7"], "10.0.0.5")
    response = await client.get(ORDERS, headers={"x-api-key": key, "X-Forwarded-For": "203.0.113.7"})
    assert_error(response, 403, "ip_not_allowed", {"ip": "10.0.0.5"})


@pytest.mark.parametrize(
    ("forwarded", "status", "checked"),
    [
        ("203.0.113.7", 200, None),
        ("192.0.2.1, 203.0.113.7", 200, None),  # the right-most entry is the one the proxy appended
        ("203.0.113.7, 192.0.2.1", 403, "192.0.2.1"),
        ("203.0.113.7, garbage", 403, "10.0.0.5"),  # not an IP: fall back to the peer
        (None, 403, "10.0.0.5"),
    ],
)
async def test_trusted_proxy_header(
    make_client: ClientFactory, forwarded: str | None, status: int, checked: str | None
) -> None:
    client, key = await _partner_behind(make_client, ["203.0.113.7"], "10.0.0.5", trust_proxy_headers=True)
    headers = {"x-api-key": key, **({"X-Forwarded-For": forwarded} if forwarded else {})}
    response = await client.get(ORDERS, headers=headers)
    if status == 200:
        assert response.status_code == 200
    else:
        assert_error(response, 403, "ip_not_allowed", {"ip": checked})


# --------------------------------------------------------------------------- rate limit


async def _rate_limited_partner(make_client: ClientFactory, **settings: object) -> tuple[httpx.AsyncClient, str]:
    client = await make_client(rate_limit="2/minute", **settings)
    created = await client.post("/ops/v1/auto/partners", headers=OPS_HEADERS, json={"name": "Busy"})
    return client, created.json()["api_key"]


async def test_rate_limit_per_key(make_client: ClientFactory, clock) -> None:  # noqa: ANN001
    client, key = await _rate_limited_partner(make_client)
    headers = {"x-api-key": key}
    assert (await client.get(ORDERS, headers=headers)).status_code == 200
    assert (await client.get("/auto/v1/vehicles", headers=headers)).status_code == 200
    limited = await client.get(ORDERS, headers=headers)
    assert_error(limited, 429, "rate_limited", {}, "Rate limit exceeded")
    assert limited.headers["retry-after"] == "30"
    # the operator API and the docs are not limited
    assert (await client.get("/ops/v1/auto/partners", headers=OPS_HEADERS)).status_code == 200
    assert (await client.get("/auto/v1/openapi.json")).status_code == 200
    clock.advance(seconds=30)
    assert (await client.get(ORDERS, headers=headers)).status_code == 200


async def test_rate_limit_through_redis(make_client: ClientFactory) -> None:
    redis_url = os.environ.get("ORDERDESK_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
    try:
        import redis

        redis.Redis.from_url(redis_url, socket_connect_timeout=0.5).ping()
    except Exception:
        pytest.skip(f"Redis not reachable at {redis_url}")
    client, key = await _rate_limited_partner(make_client, redis_url=redis_url)
    statuses = [(await client.get(ORDERS, headers={"x-api-key": key})).status_code for _ in range(3)]
    assert statuses == [200, 200, 429]


async def test_disabled_rate_limit(make_client: ClientFactory) -> None:
    client = await make_client(rate_limit="")
    key = (await client.post("/ops/v1/auto/partners", headers=OPS_HEADERS, json={"name": "Free"})).json()["api_key"]
    statuses = {(await client.get(ORDERS, headers={"x-api-key": key})).status_code for _ in range(60)}
    assert statuses == {200}


# --------------------------------------------------------------------------- order of checks (spec 2.13)


async def test_route_and_method_come_before_the_key(client: httpx.AsyncClient) -> None:
    assert_error(await client.get("/auto/v1/nothing"), 404, "route_not_found")
    response = await client.put(ORDERS)
    assert_error(response, 405, "method_not_allowed", {"allowed": ["GET", "POST"]})
    assert response.headers["allow"] == "GET, POST"


async def test_key_before_ip_before_rate_limit_before_body(make_client: ClientFactory) -> None:
    client = await make_client(client_ip="192.0.2.50", rate_limit="1/hour", max_body_bytes=100)
    created = await client.post("/ops/v1/auto/partners", headers=OPS_HEADERS, json={"name": "Checks"})
    walled = await client.post(
        "/ops/v1/auto/partners", headers=OPS_HEADERS, json={"name": "Walled", "ip_allowlist": ["203.0.113.7"]}
    )
    key, walled_key = created.json()["api_key"], walled.json()["api_key"]
    huge = b"x" * 1000
    assert_error(await client.post(ORDERS, content=huge), 401, "missing_api_key")
    assert_error(await client.post(ORDERS, content=huge, headers={"x-api-key": walled_key}), 403, "ip_not_allowed")
    assert_error(
        await client.post(ORDERS, content=huge, headers={"x-api-key": key}),
        413,
        "payload_too_large",
        {"max_bytes": 100},
        "Request body exceeds 100 bytes",
    )
    assert_error(await client.post(ORDERS, content=huge, headers={"x-api-key": key}), 429, "rate_limited")


async def test_body_size_before_idempotency_key_before_json(client: httpx.AsyncClient, partner: Partner) -> None:
    big = b"{" + b" " * 1_048_576 + b"}"
    response = await client.post(ORDERS, content=big, headers=partner.headers)
    assert_error(response, 413, "payload_too_large", {"max_bytes": 1048576})
    response = await client.post(ORDERS, content=b"not json", headers=partner.headers)
    assert_error(response, 400, "missing_idempotency_key", {}, "Idempotency-Key header is required")
    response = await client.post(ORDERS, content=b"not json", headers={**partner.headers, "Idempotency-Key": "nope"})
    error = assert_error(response, 400, "validation_error")
    assert error["details"]["issues"][0]["location"] == "header"
    assert error["details"]["issues"][0]["path"] == "Idempotency-Key"


async def refused_keys(
    make_client: ClientFactory, rate_limit: str
) -> tuple[httpx.AsyncClient, Operator, Partner, Partner, Partner]:
    """A client at 192.0.2.50 with `rate_limit`; a partner, one walled off from that address and
    one whose only key is revoked."""
    client = await make_client(client_ip="192.0.2.50", rate_limit=rate_limit)
    operator = Operator(client)
    partner = await operator.partner()
    walled = await operator.partner("Walled", ip_allowlist=["203.0.113.7"])
    revoked = await operator.partner("Revoked")
    response = await operator.request("DELETE", f"/partners/{revoked.id}/keys/{revoked.created['key_id']}")
    assert response.status_code == 204
    return client, operator, partner, walled, revoked


async def test_key_checks_come_first_whatever_the_order_body(make_client: ClientFactory) -> None:
    """An unknown, revoked, walled or rate-limited key answers the same with a valid order body
    as with a broken one (the key is judged first), and places nothing."""
    client, operator, partner, walled, revoked = await refused_keys(make_client, "1/hour")
    car = await operator.vehicle("glovis-20260512-0418")
    order = orjson.dumps({"vehicle_id": car["id"], "max_bid_amount_usd": 18000})

    async def post(key: str, valid: bool) -> httpx.Response:
        if valid:
            headers = {**idem(), "Content-Type": "application/json", "x-api-key": key}
            return await client.post(ORDERS, content=order, headers=headers)
        return await client.post(ORDERS, content=b"not json", headers={"x-api-key": key})

    for valid in (True, False):
        for key in ("lmn_stg_E2I8nUigVahfNbA03U7uapnvxFMJ", revoked.key):
            assert_error(await post(key, valid), 401, "invalid_api_key", {}, "API key is invalid")
        assert_error(await post(walled.key, valid), 403, "ip_not_allowed")
    assert (await partner.place(car["id"], 18000)).status_code == 201  # the hour's one request
    for valid in (True, False):
        assert_error(await post(partner.key, valid), 429, "rate_limited")
    assert [placed["partner_id"] for placed in await operator.orders()] == [partner.id]


async def test_cancel_and_status_push_judge_the_key_before_the_idempotency_key(
    client: httpx.AsyncClient, operator: Operator, partner: Partner, auction_car: dict
) -> None:
    placed = await partner.place(auction_car["id"], 18000)
    assert placed.status_code == 201, placed.text
    order = f"{ORDERS}/{placed.json()['id']}"
    revoked = await operator.partner("Revoked")
    await operator.request("DELETE", f"/partners/{revoked.id}/keys/{revoked.created['key_id']}")
    for key in ("lmn_stg_E2I8nUigVahfNbA03U7uapnvxFMJ", revoked.key):
        for headers in ({"x-api-key": key}, {"x-api-key": key, **idem()}):
            assert_error(await client.delete(order, headers=headers), 401, "invalid_api_key")
            response = await client.post(f"{order}/status", content=b"not json", headers=headers)
            assert_error(response, 401, "invalid_api_key")
    assert_error(await client.delete(order, headers=partner.headers), 400, "missing_idempotency_key")
    assert (await partner.order(placed.json()["id"]))["status"] == "proceed"


async def test_list_judges_the_key_then_the_declared_size_then_the_query(make_client: ClientFactory) -> None:
    """On PostgreSQL GET /v1/orders reads the key with the page: an unknown, revoked, walled or
    rate-limited key still answers the same with a valid query as with a broken one, and a
    declared oversize body (413) still comes before the query's 400."""
    client, _, partner, walled, revoked = await refused_keys(make_client, "2/hour")
    queries = ("?limit=50", "?limit=0&sort=nope")
    for query in queries:
        for key in ("lmn_stg_E2I8nUigVahfNbA03U7uapnvxFMJ", revoked.key):
            answer = await client.get(ORDERS + query, headers={"x-api-key": key})
            assert_error(answer, 401, "invalid_api_key", {}, "API key is invalid")
        assert_error(await client.get(ORDERS + query, headers={"x-api-key": walled.key}), 403, "ip_not_allowed")
    oversize = {**partner.headers, "Content-Length": str(10**9)}
    assert_error(await client.get(ORDERS + queries[1], headers=oversize), 413, "payload_too_large")
    page = await client.get(ORDERS + queries[0], headers=partner.headers)
    assert page.status_code == 200 and page.json() == {"data": [], "next_cursor": None}
    for query in queries:
        assert_error(await client.get(ORDERS + query, headers=partner.headers), 429, "rate_limited")
