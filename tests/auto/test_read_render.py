"""The read path renders order rows by position (serializers.read_orders) and formats instants
through a memo (timefmt.kst) and, on SQLite, a memoized converter: the bytes must be those of
the general renderer (order_from_row) and of a plain isoformat, for every null and edge value."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import orjson
import pytest

from orderdesk.auto import repository
from orderdesk.auto.serializers import ops_order_from_row, order_from_row, read_ops_orders, read_orders
from orderdesk.auto.timefmt import KST
from orderdesk.platform import ids
from orderdesk.platform.runtime import Runtime
from tests.auto.conftest import DEALER_CAR, Operator, Partner
from tests.conftest import OPS_HEADERS

BIG = 1_000_000_000
INSTANTS = [
    datetime(2026, 5, 6, 0, 14, 27, 123456, tzinfo=UTC),
    datetime(2026, 5, 6, 14, 59, 59, 999999, tzinfo=UTC),  # 23:59:59 KST, fraction truncated
    datetime(2026, 5, 6, 15, 0, 0, tzinfo=UTC),  # next calendar day in KST
    datetime(2025, 12, 31, 15, 0, 0, 1, tzinfo=UTC),  # new year in KST
    datetime(2028, 2, 28, 20, 30, 0, 500000, tzinfo=UTC),  # leap day in KST
    datetime(1999, 1, 1, 0, 0, 0, tzinfo=UTC),
    datetime(9999, 12, 30, 14, 59, 59, tzinfo=UTC),
]
TEXTS = [None, "dealer_cancelled", 'quote " backslash \\ slash /', "줄\n바꿈\t탭 \u0001 \u2028 é 🚗", "x" * 300]
SHIPMENTS = [
    None,
    '{"vessel_name": "Morning Cara", "voyage_number": null, "bill_of_lading_number": null,'
    ' "port_of_loading": "Pyeongtaek", "port_of_discharge": "Lagos (Tin Can)",'
    ' "etd": "2026-06-20T08:15:00+01:00", "eta": null}',
    '{"vessel_name": "선박 🚢 \\u00e9", "voyage_number": "V\\"1", "bill_of_lading_number": "",'
    ' "port_of_loading": null, "port_of_discharge": null, "etd": null, "eta": "2026-07-01T00:00:00-05:30"}',
]
STATUSES = ["proceed", "acquiring", "secured", "shipping", "delivered", "cancelled", "failed"]


def iso_kst(instant: datetime | None) -> str | None:
    """The contract's format, computed independently of timefmt.kst."""
    return None if instant is None else instant.astimezone(KST).replace(microsecond=0).isoformat()


def edge_orders(partner_id: str, vehicle_ids: list[str]) -> list[dict[str, Any]]:
    orders = []
    for i, vehicle_id in enumerate(vehicle_ids):
        created = INSTANTS[i % len(INSTANTS)] + timedelta(microseconds=i)
        auction = i % 3 != 0
        orders.append(
            {
                "id": ids.new_ulid(),
                "partner_id": partner_id,
                "vehicle_id": vehicle_id,
                "status": STATUSES[i % len(STATUSES)],
                "max_bid_amount_usd": (BIG - i if i % 2 else 17400 + i) if auction else None,
                "frozen_is_highest_bid": [None, True, False][i % 3],
                "frozen_current_max_bid_usd": [None, BIG, 0][(i + 1) % 3],
                "purchase_price_usd": [None, BIG, 1][i % 3],
                "auction_fee_usd": [None, 0, BIG][(i + 2) % 3],
                "auction_date": INSTANTS[(i + 2) % len(INSTANTS)] if auction else None,
                "order_cutoff_at": INSTANTS[(i + 3) % len(INSTANTS)] if auction and i % 4 else None,
                "failure_reason": TEXTS[i % len(TEXTS)],
                "cancellation_reason": TEXTS[(i + 1) % len(TEXTS)],
                "fulfillment_detail": TEXTS[(i + 2) % len(TEXTS)],
                "shipment": SHIPMENTS[i % len(SHIPMENTS)],
                "created_at": created,
                "updated_at": created if i % 2 else INSTANTS[(i + 4) % len(INSTANTS)],
            }
        )
    return orders


@pytest.fixture
async def stored(runtime: Runtime, partner: Partner, operator: Operator) -> list[dict[str, Any]]:
    vehicles = [(await operator.vehicle(f"render-{i:02d}", DEALER_CAR))["id"] for i in range(42)]
    orders = edge_orders(partner.id, vehicles)
    async with runtime.db.transaction() as conn:
        for order in orders:
            await repository.insert_order(conn, order)
        await conn.execute(  # one of the active auction orders leads
            "UPDATE auto_vehicles SET leader_order_id = :id, leader_max_bid_usd = :bid WHERE id = :vehicle",
            {"id": orders[1]["id"], "bid": orders[1]["max_bid_amount_usd"], "vehicle": vehicles[1]},
        )
    return orders


async def test_read_renderer_matches_general_renderer(
    runtime: Runtime, partner: Partner, stored: list[dict[str, Any]]
) -> None:
    rows = await repository.list_orders(
        runtime.db, "o.partner_id = :partner_id", {"partner_id": partner.id}, "o.created_at DESC, o.id DESC", 100
    )
    assert len(rows) == len(stored)
    assert orjson.dumps(read_orders(rows)) == orjson.dumps([order_from_row(row) for row in rows])
    assert orjson.dumps(read_ops_orders(rows)) == orjson.dumps([ops_order_from_row(row) for row in rows])
    by_id = {order["id"]: order for order in stored}
    for body in read_orders(rows):
        order = by_id[body["id"]]
        for name in ("auction_date", "created_at", "updated_at"):
            assert body[name] == iso_kst(order[name]), name
        assert body["order_cutoff_at"] == iso_kst(order["order_cutoff_at"])
        assert body["shipment"] == (None if order["shipment"] is None else orjson.loads(order["shipment"]))
    assert read_orders([]) == []


async def test_read_renderer_refuses_other_columns(runtime: Runtime, stored: list[dict[str, Any]]) -> None:
    async with runtime.db.transaction(write=False) as conn:
        rows = await conn.fetch("SELECT o.partner_id, o.id FROM auto_orders o")
    with pytest.raises(ValueError):
        read_orders(rows)


async def test_get_and_lists_answer_the_general_renderers_bytes(
    client: httpx.AsyncClient, runtime: Runtime, partner: Partner, operator: Operator, stored: list[dict[str, Any]]
) -> None:
    for order in stored:
        response = await partner.get(f"/v1/orders/{order['id']}")
        async with runtime.db.transaction(write=False) as conn:
            row = await repository.get_order(conn, order["id"])
        assert response.status_code == 200
        assert response.content == orjson.dumps(order_from_row(row))

    response = await partner.get("/v1/orders", params={"limit": 100})
    rows = await repository.list_orders(
        runtime.db, "o.partner_id = :partner_id", {"partner_id": partner.id}, "o.created_at DESC, o.id DESC", 100
    )
    assert response.content == orjson.dumps({"data": [order_from_row(row) for row in rows], "next_cursor": None})

    response = await client.get("/ops/v1/auto/orders", params={"limit": 100}, headers=OPS_HEADERS)
    rows = await repository.list_orders(runtime.db, "TRUE", {}, "o.created_at DESC, o.id DESC", 100)
    assert response.content == orjson.dumps({"data": [ops_order_from_row(row) for row in rows], "next_cursor": None})
