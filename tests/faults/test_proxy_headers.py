"""Which client address the auto IP allowlist checks (spec auto 2.2), through the real
`orderdesk serve`: the product's ORDERDESK_TRUST_PROXY_HEADERS alone decides, never the
server's own proxy-header handling (uvicorn rewrites the peer from X-Forwarded-For for
127.0.0.1 by default), with one worker or several."""

from __future__ import annotations

import httpx
import pytest

from tests.conftest import OPS_HEADERS
from tests.e2e.conftest import ServerFactory

pytestmark = pytest.mark.slow

ALLOWED = "203.0.113.7"


def partner_key(base_url: str) -> str:
    created = httpx.post(
        base_url + "/ops/v1/auto/partners",
        json={"name": "Harbor Auto Imports", "ip_allowlist": [ALLOWED]},
        headers=OPS_HEADERS,
        timeout=30,
    )
    assert created.status_code == 201, created.text
    return str(created.json()["api_key"])


def search(base_url: str, key: str, forwarded: str | None) -> httpx.Response:
    headers = {"x-api-key": key}
    if forwarded is not None:
        headers["X-Forwarded-For"] = forwarded
    return httpx.get(base_url + "/auto/v1/vehicles", headers=headers, timeout=30)


def refused_ip(response: httpx.Response) -> str:
    assert response.status_code == 403, response.text
    error = response.json()["error"]
    assert error["code"] == "ip_not_allowed", error
    return str(error["details"]["ip"])


def workers_for(engine_url: str, workers: int) -> tuple[str, ...]:
    if workers > 1 and engine_url.startswith("sqlite"):
        pytest.skip("--workers > 1 needs PostgreSQL")
    return ("--workers", str(workers)) if workers > 1 else ()


@pytest.mark.parametrize("workers", [1, 2])
def test_forwarded_for_is_ignored_unless_trusted(serve: ServerFactory, e2e_database_url: str, workers: int) -> None:
    server = serve(*workers_for(e2e_database_url, workers))
    key = partner_key(server.base_url)
    # Several requests: with --workers each may land on another process; every one must refuse.
    for forwarded in (ALLOWED, f"198.51.100.1, {ALLOWED}", ALLOWED, ALLOWED):
        assert refused_ip(search(server.base_url, key, forwarded)) == "127.0.0.1"
    assert refused_ip(search(server.base_url, key, None)) == "127.0.0.1"


@pytest.mark.parametrize("workers", [1, 2])
def test_trusted_forwarded_for_uses_the_right_most_address(
    serve: ServerFactory, e2e_database_url: str, workers: int
) -> None:
    server = serve(*workers_for(e2e_database_url, workers), ORDERDESK_TRUST_PROXY_HEADERS="true")
    key = partner_key(server.base_url)
    for _ in range(3):
        assert search(server.base_url, key, ALLOWED).status_code == 200
        assert search(server.base_url, key, f"198.51.100.1, {ALLOWED}").status_code == 200
        # The proxy appended the right-most entry: anything the client wrote before it is ignored.
        assert refused_ip(search(server.base_url, key, f"{ALLOWED}, 198.51.100.1")) == "198.51.100.1"
        # A right-most entry that is not an IP address falls back to the TCP peer.
        assert refused_ip(search(server.base_url, key, f"{ALLOWED}, garbage")) == "127.0.0.1"
        assert refused_ip(search(server.base_url, key, "unknown")) == "127.0.0.1"
        assert refused_ip(search(server.base_url, key, None)) == "127.0.0.1"
