"""Rate-limit fields (draft-ietf-httpapi-ratelimit-headers) on every limited crypto response."""

from __future__ import annotations

from orderdesk.platform.clock import ManualClock
from tests.conftest import ClientFactory
from tests.crypto.conftest import Operator, assert_error


async def test_success_and_errors_carry_the_quota_left(make_client: ClientFactory, clock: ManualClock) -> None:
    client = await make_client(crypto_rate_limit="2/second")
    partner = await Operator(client).partner()
    first = await partner.get("/partner")
    assert first.status_code == 200
    assert first.headers["ratelimit-policy"] == '"crypto";q=2;w=1'
    assert first.headers["ratelimit"] == '"crypto";r=1;t=1'
    missing = await partner.get("/customers/" + "0" * 32)
    assert missing.status_code == 404 and missing.headers["ratelimit"] == '"crypto";r=0;t=1'
    limited = await partner.get("/partner")
    assert_error(limited, 429, "rate_limited", "Rate limit exceeded")
    assert (limited.headers["retry-after"], limited.headers["ratelimit"]) == ("1", '"crypto";r=0;t=1')
    clock.advance(seconds=1)
    assert (await partner.get("/partner")).headers["ratelimit"] == '"crypto";r=1;t=1'


async def test_unauthenticated_and_public_answers_carry_no_fields(make_client: ClientFactory) -> None:
    client = await make_client(crypto_rate_limit="2/second")
    refused = await client.get("/crypto/v1/partner", headers={"Authorization": "Bearer x"})
    assert refused.status_code == 401 and "ratelimit" not in refused.headers
    public = await client.get("/crypto/v1/webhooks/public_key")
    assert public.status_code == 200 and "ratelimit" not in public.headers
