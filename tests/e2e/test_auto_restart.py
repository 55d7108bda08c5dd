"""An auto order and its idempotency record survive SIGKILL of the real server process."""

from __future__ import annotations

import uuid

import httpx
import pytest

from tests.auto.conftest import DEALER_CAR
from tests.conftest import OPS_HEADERS
from tests.e2e.conftest import ServerFactory

pytestmark = pytest.mark.slow


def test_order_and_its_replay_survive_sigkill(serve: ServerFactory) -> None:
    server = serve()
    ops = httpx.Client(base_url=server.base_url + "/ops/v1/auto", headers=OPS_HEADERS)
    partner = ops.post("/partners", json={"name": "Harbor Auto Imports"}).json()
    assert ops.put("/vehicles/dealer-restart-1", json=DEALER_CAR).status_code == 201
    key = str(uuid.uuid4())
    headers = {"x-api-key": partner["api_key"], "Idempotency-Key": key}
    body = {"vehicle_id": "dealer-restart-1", "max_bid_amount_usd": None}
    placed = httpx.post(server.base_url + "/auto/v1/orders", json=body, headers=headers)
    assert placed.status_code == 201, placed.text

    server.kill()  # SIGKILL: no shutdown hook runs
    restarted = serve(port=server.port)

    found = httpx.get(f"{restarted.base_url}/auto/v1/orders/{placed.json()['id']}", headers=headers)
    assert found.status_code == 200
    assert found.json() == placed.json()
    replay = httpx.post(restarted.base_url + "/auto/v1/orders", json=body, headers=headers)
    assert replay.status_code == 200
    assert replay.headers["idempotent-replayed"] == "true"
    assert replay.content == placed.content
    listed = httpx.get(restarted.base_url + "/auto/v1/orders", headers=headers).json()
    assert [order["id"] for order in listed["data"]] == [placed.json()["id"]]
