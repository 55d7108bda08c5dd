"""Rate-limit fields (draft-ietf-httpapi-ratelimit-headers) on every limited auto response."""

from __future__ import annotations

import httpx

from orderdesk.platform.clock import ManualClock
from tests.auto.conftest import assert_error
from tests.conftest import OPS_HEADERS, ClientFactory

ORDERS = "/auto/v1/orders"


async def _partner(make_client: ClientFactory) -> tuple[httpx.AsyncClient, dict[str, str]]:
    client = await make_client(rate_limit="3/minute")
    created = await client.post("/ops/v1/auto/partners", headers=OPS_HEADERS, json={"name": "Counted"})
    return client, {"x-api-key": created.json()["api_key"]}


async def test_success_and_errors_carry_the_quota_left(make_client: ClientFactory, clock: ManualClock) -> None:
    client, headers = await _partner(make_client)
    first = await client.get(ORDERS, headers=headers)
    assert first.status_code == 200
    assert first.headers["ratelimit-policy"] == '"auto";q=3;w=60'
    assert first.headers["ratelimit"] == '"auto";r=2;t=20'  # one token spent, back in 20 s
    missing = await client.get(ORDERS + "/ord_01J0000000000000000000000", headers=headers)
    assert missing.status_code == 404  # an error after the count still says what is left
    assert missing.headers["ratelimit"] == '"auto";r=1;t=40'
    assert (await client.get(ORDERS, headers=headers)).headers["ratelimit"] == '"auto";r=0;t=60'
    limited = await client.get(ORDERS, headers=headers)
    assert_error(limited, 429, "rate_limited", {}, "Rate limit exceeded")
    assert (limited.headers["retry-after"], limited.headers["ratelimit"]) == ("20", '"auto";r=0;t=60')
    assert limited.headers["ratelimit-policy"] == '"auto";q=3;w=60'
    clock.advance(seconds=20)
    assert (await client.get(ORDERS, headers=headers)).headers["ratelimit"] == '"auto";r=0;t=60'


async def test_unlimited_responses_carry_no_fields(make_client: ClientFactory) -> None:
    client, headers = await _partner(make_client)
    unauthenticated = await client.get(ORDERS, headers={"x-api-key": "lmn_stg_" + "x" * 28})
    assert unauthenticated.status_code == 401 and "ratelimit" not in unauthenticated.headers
    operator = await client.get("/ops/v1/auto/partners", headers=OPS_HEADERS)
    assert operator.status_code == 200 and "ratelimit" not in operator.headers
    assert "ratelimit" not in (await client.get("/healthz")).headers
    unlimited = await make_client(rate_limit="")
    created = await unlimited.post("/ops/v1/auto/partners", headers=OPS_HEADERS, json={"name": "Free"})
    answer = await unlimited.get(ORDERS, headers={"x-api-key": created.json()["api_key"]})
    assert answer.status_code == 200 and "ratelimit-policy" not in answer.headers
