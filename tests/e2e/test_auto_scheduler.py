"""The scheduler inside a real `orderdesk serve`: an auction starts by itself at its date."""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from tests.conftest import OPS_HEADERS
from tests.e2e.conftest import ServerFactory

pytestmark = pytest.mark.slow


def test_auction_starts_at_its_date(serve: ServerFactory) -> None:
    server = serve(ORDERDESK_ORDER_CUTOFF_RULE="hours_before:0")
    ops = httpx.Client(base_url=server.base_url + "/ops/v1/auto", headers=OPS_HEADERS, timeout=30)
    auction_at = (datetime.now(UTC) + timedelta(seconds=8)).replace(microsecond=0)
    assert (
        ops.put(
            "/vehicles/glovis-soon",
            json={
                "source": "glovis",
                "make": "Hyundai",
                "model": "Palisade",
                "year": 2022,
                "mileage_km": 38412,
                "auction_date": auction_at.isoformat(),
                "auction_count": 1,
                "auction_result": "upcoming",
                "pricing": {"listing_usd": 17400},
            },
        ).status_code
        == 201
    )
    placed = []
    for name, ceiling in (("Low", 18000), ("High", 18500)):
        partner = ops.post("/partners", json={"name": name}).json()
        response = httpx.post(
            server.base_url + "/auto/v1/orders",
            json={"vehicle_id": "glovis-soon", "max_bid_amount_usd": ceiling},
            headers={"x-api-key": partner["api_key"], "Idempotency-Key": str(uuid.uuid4())},
        )
        assert response.status_code == 201, response.text
        placed.append(response.json()["id"])
    deadline = time.monotonic() + 40
    statuses: list[str] = []
    while time.monotonic() < deadline:
        statuses = [ops.get(f"/orders/{order_id}").json()["status"] for order_id in placed]
        if "proceed" not in statuses:  # the two reads are two requests: wait until both see the start
            break
        time.sleep(0.25)
    assert statuses == ["failed", "acquiring"]
    assert datetime.now(UTC) >= auction_at
    history = ops.get(f"/orders/{placed[1]}").json()["history"]
    assert history[-1]["actor"] == "scheduler"
