"""`orderdesk demo` for auto: repeatable, and the printed call places an order."""

from __future__ import annotations

import json
import re
import shlex

import httpx

from orderdesk.auto.product import load_demo
from orderdesk.platform.clock import ManualClock
from tests.auto.conftest import Operator


def _printed_call(text: str) -> tuple[str, str, dict]:
    key = re.search(r"API key \(new, shown once\): (lmn_stg_[A-Za-z0-9_-]{28})", text)
    assert key, text
    curl = text[text.index("curl -X POST") :].replace("\\\n", " ")
    assert "$(python3 -c 'import uuid; print(uuid.uuid4())')" in curl
    words = shlex.split(curl.replace("$(python3 -c 'import uuid; print(uuid.uuid4())')", "IDEM"))
    url = words[words.index("POST") + 1]
    body = words[words.index("-d") + 1]
    return key.group(1), url, json.loads(body)


async def test_demo_is_repeatable_and_its_call_works(
    client: httpx.AsyncClient, operator: Operator, clock: ManualClock
) -> None:
    runtime = client.runtime  # type: ignore[attr-defined]
    first = await load_demo(runtime, "http://127.0.0.1:8000/")
    key, url, body = _printed_call(first)
    assert url == "http://127.0.0.1:8000/auto/v1/orders"
    headers = {"x-api-key": key, "Idempotency-Key": "0b9a1f48-5f1e-4a7c-9d0e-1c2b3a4d5e6f"}
    placed = await client.post("/auto/v1/orders", json=body, headers=headers)
    assert placed.status_code == 201, placed.text

    vehicles = (await client.get("/auto/v1/vehicles", headers={"x-api-key": key})).json()["data"]
    assert 8 <= len(vehicles) <= 12
    kinds = {(v["source"] == "dealer", v["auction_result"]) for v in vehicles}
    assert {(False, "upcoming"), (False, "no_bid"), (False, "sold"), (True, None)} <= kinds

    second = await load_demo(runtime, "http://127.0.0.1:8000")
    second_key, _url, second_body = _printed_call(second)
    assert second_key != key
    assert second_body["vehicle_id"] != body["vehicle_id"]  # the first car already has the partner's order
    assert (await client.get("/auto/v1/orders", headers={"x-api-key": key})).status_code == 200  # old key kept
    again = await client.post(
        "/auto/v1/orders",
        json=second_body,
        headers={"x-api-key": second_key, "Idempotency-Key": "1c9a1f48-5f1e-4a7c-9d0e-1c2b3a4d5e6f"},
    )
    assert again.status_code == 201, again.text
    partners = (await operator.request("GET", "/partners")).json()["data"]
    assert len(partners) == 1
    assert len((await client.get("/auto/v1/vehicles", headers={"x-api-key": key})).json()["data"]) == len(vehicles)
    # nothing was rescheduled on the same day: the existing order has no events
    detail = await operator.order(placed.json()["id"])
    assert detail["auction_date"] == placed.json()["auction_date"]


async def test_demo_redates_auctions_whose_cutoff_is_near(client: httpx.AsyncClient, clock: ManualClock) -> None:
    runtime = client.runtime  # type: ignore[attr-defined]
    await load_demo(runtime, "http://127.0.0.1:8000")
    clock.advance(days=30)
    text = await load_demo(runtime, "http://127.0.0.1:8000")
    key, _url, body = _printed_call(text)
    placed = await client.post(
        "/auto/v1/orders",
        json=body,
        headers={"x-api-key": key, "Idempotency-Key": "2c9a1f48-5f1e-4a7c-9d0e-1c2b3a4d5e6f"},
    )
    assert placed.status_code == 201, placed.text
    vehicles = (
        await client.get("/auto/v1/vehicles", headers={"x-api-key": key}, params={"auction_date_from": "2026-06-06"})
    ).json()["data"]
    assert len([v for v in vehicles if v["auction_result"] == "upcoming"]) == 5
