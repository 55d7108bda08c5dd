"""Redis away while ORDERDESK_REDIS_URL is set. Decision: the rate limiter fails open to the
process's own buckets (same limit, counted per process) and tries Redis again each second; a
partner never sees a 500 or a 503 because the counter store is down, and the limit still holds
per process. The operator sees orderdesk_ratelimit_redis_errors_total move and one warning."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from bench.server import free_port
from tests.conftest import OPS_HEADERS
from tests.e2e.conftest import ServerFactory
from tests.faults.observe import log_lines, scrape
from tests.faults.processes import PrivateRedis, wait_until

pytestmark = pytest.mark.slow


def partner_key(base_url: str) -> str:
    created = httpx.post(base_url + "/ops/v1/auto/partners", json={"name": "Harbor"}, headers=OPS_HEADERS)
    assert created.status_code == 201, created.text
    return str(created.json()["api_key"])


def burst(client: httpx.Client, count: int) -> list[int]:
    statuses = []
    for _ in range(count):
        response = client.get("/auto/v1/vehicles")
        if response.status_code >= 400:
            body = response.json()["error"]
            assert response.status_code == 429 and body["code"] == "rate_limited", response.text
            assert int(response.headers["retry-after"]) >= 1
        statuses.append(response.status_code)
    return statuses


@pytest.fixture
def engine_url(e2e_database_url: str) -> str:
    if not e2e_database_url.startswith("sqlite"):
        pytest.skip("the rate limiter does not depend on the database engine: SQLite covers it")
    return e2e_database_url


def test_rate_limit_fails_open_to_process_buckets_while_redis_is_away(
    serve: ServerFactory, engine_url: str, tmp_path: Path
) -> None:
    redis = PrivateRedis(tmp_path).start()
    try:
        server = serve(ORDERDESK_REDIS_URL=redis.url, ORDERDESK_RATE_LIMIT="5/second", ORDERDESK_LOG_LEVEL="info")
        client = httpx.Client(base_url=server.base_url, headers={"x-api-key": partner_key(server.base_url)}, timeout=30)
        statuses = burst(client, 12)
        assert statuses.count(200) >= 5 and 429 in statuses
        assert redis.keys(), "the buckets live in Redis while it is up"
        errors_before = scrape(server.base_url, "orderdesk_ratelimit_redis_errors_total")

        redis.kill()
        away = burst(client, 12)
        assert set(away) <= {200, 429} and 200 in away and 429 in away  # still limited, per process
        assert scrape(server.base_url, "orderdesk_ratelimit_redis_errors_total") > errors_before
        warnings = [line for line in log_lines(server.log_path) if line.get("event") == "rate_limit_redis_unavailable"]
        assert len(warnings) == 1

        redis.start()  # same port: the server uses it again on its own
        assert wait_until(lambda: burst(client, 1) and redis.keys(), timeout=15)
        assert set(burst(client, 6)) <= {200, 429}
    finally:
        redis.kill()


def test_redis_never_reachable_from_the_start(serve: ServerFactory, engine_url: str) -> None:
    server = serve(ORDERDESK_REDIS_URL=f"redis://127.0.0.1:{free_port()}/0", ORDERDESK_RATE_LIMIT="5/second")
    client = httpx.Client(base_url=server.base_url, headers={"x-api-key": partner_key(server.base_url)}, timeout=30)
    statuses = burst(client, 12)
    assert statuses.count(200) >= 5 and 429 in statuses
    assert scrape(server.base_url, "orderdesk_ratelimit_redis_errors_total") >= 1
