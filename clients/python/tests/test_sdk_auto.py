"""The auto lifecycle driven from the SDK against a real `orderdesk serve`: search, place,
replay, refusals as typed exceptions, cancel, the operator's auction and shipping (plain HTTP
to the operator API), the partner's status pushes, the event log, and every webhook the
receiver got verified by `verify_auto_webhook`."""

from __future__ import annotations

import asyncio
import uuid
from datetime import datetime, timedelta, timezone
from typing import Any

import httpx
import pytest
from orderdesk_client import (
    AsyncAutoClient,
    AutoClient,
    DuplicateOrder,
    InvalidStatusTransition,
    OrderEvent,
    PastOrderCutoff,
    RetryPolicy,
    ValidationError,
    VehicleNotFound,
    verify_auto_webhook,
)

from conftest import Receiver, Server, wait_for

pytestmark = pytest.mark.slow
KST = timezone(timedelta(hours=9))
FAST_RETRY = RetryPolicy(base_delay=0.05)


def auction_in(days: float) -> str:
    at = datetime.now(KST) + timedelta(days=days)
    if days >= 2:
        at = at.replace(hour=13, minute=30, second=0, microsecond=0)
    return at.isoformat(timespec="seconds")


def car(make: str, model: str, auction_date: str, listing: int = 17400) -> dict[str, Any]:
    return {
        "source": "glovis",
        "make": make,
        "model": model,
        "trim": "Calligraphy 2.2 AWD",
        "year": 2022,
        "mileage_km": 38412,
        "fuel": "diesel",
        "transmission": "auto",
        "options": ["sunroof", "navigation"],
        "accident_grade": "A",
        "exterior_grade": "B",
        "auction_date": auction_date,
        "auction_count": 1,
        "auction_result": "upcoming",
        "pricing": {"listing_usd": listing},
        "vin": "KMHR381ABNU123456",
        "images": ["https://img.example.com/glovis/0418/front.jpg"],
        "inspection_report": {"grade": "A/B"},
    }


def put_car(ops: httpx.Client, body: dict[str, Any]) -> str:
    vehicle_id = f"glovis-sdk-{uuid.uuid4().hex[:10]}"
    response = ops.put(f"/ops/v1/auto/vehicles/{vehicle_id}", json=body)
    assert response.status_code == 201, response.text
    return vehicle_id


def new_partner(ops: httpx.Client, webhook_url: str | None = None) -> dict[str, Any]:
    response = ops.post("/ops/v1/auto/partners", json={"name": "SDK Motors", "webhook_url": webhook_url})
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


def ops_call(ops: httpx.Client, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
    response = ops.request(method, "/ops/v1/auto" + path, **kwargs)
    assert response.status_code == 200, response.text
    answer: dict[str, Any] = response.json()
    return answer


def test_auto_lifecycle(server: Server, ops: httpx.Client, receiver: Receiver) -> None:
    partner = new_partner(ops, receiver.url)
    palisade = put_car(ops, car("Hyundai", "Palisade", auction_in(10)))
    tucson = put_car(ops, car("Hyundai", "Tucson", auction_in(11), listing=19800))
    too_late = put_car(ops, car("Hyundai", "Avante", auction_in(0.05)))

    with AutoClient(partner["api_key"], server.base_url, retry=FAST_RETRY) as client:
        assert "Hyundai" in client.facets().makes
        found = list(client.search_vehicles(make="Hyundai", sort="price_asc", page_size=1))  # follows 3 cursors
        assert {palisade, tucson, too_late} == {v.id for v in found}
        assert [v.pricing.listing_usd for v in found] == sorted(v.pricing.listing_usd for v in found)
        detail = client.get_vehicle(palisade)
        assert (detail.vin, detail.images, detail.options) == (
            "KMHR381ABNU123456",
            ["https://img.example.com/glovis/0418/front.jpg"],
            ["sunroof", "navigation"],
        )

        key = str(uuid.uuid4())
        order = client.place_order(palisade, 18200, idempotency_key=key)
        assert (order.status, order.max_bid_amount_usd, order.is_highest_bid) == ("proceed", 18200, True)
        assert client.place_order(palisade, 18200, idempotency_key=key) == order  # the server's replay

        with pytest.raises(PastOrderCutoff) as late:
            client.place_order(too_late, 17400)
        assert (late.value.status, late.value.code) == (409, "past_order_cutoff")
        assert set(late.value.details) == {"cutoff_at", "now"}
        assert late.value.request_id is not None and late.value.request_id.startswith("req_")
        with pytest.raises(DuplicateOrder) as duplicate:
            client.place_order(palisade, 19000)
        assert duplicate.value.details == {"existing_order_id": order.id}
        with pytest.raises(ValidationError):
            client.place_order(palisade, 1_000_000_001)
        with pytest.raises(VehicleNotFound):
            client.get_vehicle("no-such-car")

        other = client.place_order(tucson, 19800)
        cancelled = client.cancel_order(other.id)
        assert (cancelled.status, cancelled.cancellation_reason) == ("cancelled", "dealer_cancelled")
        with pytest.raises(InvalidStatusTransition) as early:
            client.push_status(order.id, fulfillment_detail="in_transit", occurred_at="2026-06-20T08:15:00+01:00")
        assert (early.value.status, early.value.details) == (409, {"current_status": "proceed"})
        assert {o.id for o in client.list_orders(page_size=1)} == {order.id, other.id}
        assert [o.id for o in client.list_orders(status="cancelled")] == [other.id]

        # LMN's side, through the operator API
        started = ops_call(ops, "POST", f"/vehicles/{palisade}/auction/start")
        assert started["winner_order_id"] == order.id
        ops_call(
            ops,
            "POST",
            f"/vehicles/{palisade}/auction/result",
            json={"outcome": "won", "purchase_price_usd": 17650, "auction_fee_usd": 310},
        )
        shipment = {"port_of_loading": "Pyeongtaek", "port_of_discharge": "Lagos (Tin Can)"}
        ops_call(ops, "POST", f"/orders/{order.id}/transition", json={"status": "shipping", "shipment": shipment})

        secured = client.get_order(order.id)
        assert secured.amounts.purchase_price_usd == 17650 and secured.shipment is not None
        assert secured.shipment.port_of_loading == "Pyeongtaek"
        moving = client.push_status(
            order.id, fulfillment_detail="in_transit", occurred_at="2026-06-20T08:15:00+01:00", notes="left port"
        )
        assert (moving.status, moving.fulfillment_detail) == ("shipping", "in_transit")
        delivered = client.push_status(order.id, status="delivered", occurred_at="2026-07-20T10:00:00+01:00")
        assert (delivered.status, delivered.fulfillment_detail) == ("delivered", None)

        received = wait_for(lambda: len(receiver.received()) >= 3 and receiver.received())
        events = [verify_auto_webhook(partner["webhook_secret"], d.headers, d.body) for d in received]
        assert [(e.type, e.order.status) for e in events] == [
            ("order.status_changed", "acquiring"),
            ("order.status_changed", "secured"),
            ("order.status_changed", "shipping"),
        ]
        assert all(e.order.id == order.id for e in events)

        def settled_log() -> list[OrderEvent] | None:
            got = list(client.list_events(order.id, page_size=1))  # one page per event
            return got if got and all(e.delivery_status == "delivered" for e in got) else None

        log = wait_for(settled_log)
        assert [e.id for e in log] == [e.id for e in events]
        assert log[0].payload == events[0]


def test_async_auto_client(server: Server, ops: httpx.Client) -> None:
    partner = new_partner(ops)
    vehicle_id = put_car(ops, car("Kia", "Sorento", auction_in(9), listing=16900))

    async def scenario() -> None:
        async with AsyncAutoClient(partner["api_key"], server.base_url, retry=FAST_RETRY) as client:
            assert [v.id async for v in client.search_vehicles(make="Kia")] == [vehicle_id]
            assert (await client.get_vehicle(vehicle_id)).pricing.listing_usd == 16900
            order = await client.place_order(vehicle_id, 17000)
            assert (await client.get_order(order.id)).status == "proceed"
            assert [o.id async for o in client.list_orders()] == [order.id]
            cancelled = await client.cancel_order(order.id)
            assert cancelled.status == "cancelled"
            assert [e async for e in client.list_events(order.id)] == []
            facets = await client.facets(source=["glovis"])
            assert facets.makes == ["Kia"]

    asyncio.run(scenario())
