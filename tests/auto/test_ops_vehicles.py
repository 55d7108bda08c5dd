"""Operator vehicles (spec 8.4): upsert with its consistency rules, withdrawal failing active
orders, the reschedule of 9.3, and the webhook events those LMN-side changes record (6.1)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import orjson
import pytest

from orderdesk.platform.clock import ManualClock
from tests.auto.conftest import (
    DEALER_CAR,
    NO_BID_CAR,
    PALISADE,
    Operator,
    Partner,
    assert_error,
    issue_paths,
    stored_events,
)

CAR = "glovis-20260512-0418"


# --------------------------------------------------------------------------- upsert


async def test_create_then_replace(operator: Operator, clock: ManualClock) -> None:
    created = await operator.request("PUT", f"/vehicles/{CAR}", json=PALISADE)
    assert created.status_code == 201
    assert created.json() == {"id": CAR, **PALISADE}
    replaced = await operator.request("PUT", f"/vehicles/{CAR}", json={**DEALER_CAR, "id": CAR})
    assert replaced.status_code == 200
    body = replaced.json()
    assert body["source"] == "dealer" and body["trim"] is None and body["options"] == [] and body["images"] == []
    assert body["auction_date"] is None and body["inspection_report"] is None
    detail = (await operator.request("GET", f"/vehicles/{CAR}")).json()
    assert detail == {**body, "withdrawn": False}


async def test_offsets_are_normalised_to_kst(operator: Operator) -> None:
    body = await operator.vehicle(CAR, auction_date="2026-05-12T04:30:00.999+00:00")
    assert body["auction_date"] == "2026-05-12T13:30:00+09:00"


async def test_inspection_report_is_kept_as_supplied(operator: Operator) -> None:
    report = {"grade": "A/B", "panels": [{"name": "hood", "state": "repainted"}], "score": 87.5, "notes": None}
    body = await operator.vehicle(CAR, inspection_report=report, body_condition={"scratches": 2})
    assert body["inspection_report"] == report and body["body_condition"] == {"scratches": 2}


@pytest.mark.parametrize(
    ("changes", "paths"),
    [
        ({"id": "other-id"}, [("body", "id")]),
        ({"source": "encar"}, [("body", "source")]),
        ({"make": ""}, [("body", "make")]),
        ({"model": "m" * 65}, [("body", "model")]),
        ({"trim": "t" * 129}, [("body", "trim")]),
        ({"year": 1949}, [("body", "year")]),
        ({"year": "2022"}, [("body", "year")]),
        ({"year": 2022.0}, [("body", "year")]),
        ({"mileage_km": -1}, [("body", "mileage_km")]),
        ({"mileage_km": 2_000_001}, [("body", "mileage_km")]),
        ({"fuel": "petrol"}, [("body", "fuel")]),
        ({"transmission": "Auto"}, [("body", "transmission")]),
        ({"engine_cc": 0}, [("body", "engine_cc")]),
        ({"drivetrain": "awd"}, [("body", "drivetrain")]),
        ({"options": ["sunroof", "Sunroof", "sunroof"]}, [("body", "options.1"), ("body", "options.2")]),
        ({"options": "sunroof"}, [("body", "options")]),
        ({"options": [f"opt_{i}" for i in range(101)]}, [("body", "options")]),
        ({"accident_grade": "E"}, [("body", "accident_grade")]),
        ({"auction_date": "2026-05-12T13:30:00Z"}, [("body", "auction_date")]),
        ({"auction_date": "2026-05-12T13:30:00"}, [("body", "auction_date")]),
        ({"auction_date": "2026-05-12"}, [("body", "auction_date")]),
        ({"auction_count": 0}, [("body", "auction_count")]),
        ({"auction_result": "pending"}, [("body", "auction_result")]),
        ({"pricing": None}, [("body", "pricing")]),
        ({"pricing": {}}, [("body", "pricing.listing_usd")]),
        ({"pricing": {"listing_usd": 0}}, [("body", "pricing.listing_usd")]),
        ({"pricing": {"listing_usd": 17400.0}}, [("body", "pricing.listing_usd")]),
        ({"pricing": {"listing_usd": 1_000_000_001}}, [("body", "pricing.listing_usd")]),
        ({"pricing": {"listing_usd": 17400, "currency": "USD"}}, [("body", "pricing.currency")]),
        ({"vin": "V" * 33}, [("body", "vin")]),
        (
            {"images": ["ftp://img.example.com/a.jpg", "https://ok.example.com/b.jpg", "/relative.jpg"]},
            [("body", "images.0"), ("body", "images.2")],
        ),
        ({"images": [f"https://img.example.com/{i}.jpg" for i in range(51)]}, [("body", "images")]),
        ({"inspection_report": ["a"]}, [("body", "inspection_report")]),
        ({"withdrawn": True}, [("body", "withdrawn")]),
        # consistency rules of 3.1
        ({"auction_result": None}, [("body", "auction_result")]),
        ({"auction_count": None}, [("body", "auction_count")]),
        ({"auction_date": None}, [("body", "auction_date")]),
    ],
)
async def test_put_validation(operator: Operator, changes: dict, paths: list) -> None:
    response = await operator.request("PUT", f"/vehicles/{CAR}", json={**PALISADE, **changes})
    assert issue_paths(response) == paths
    assert_error(await operator.request("GET", f"/vehicles/{CAR}"), 404, "vehicle_not_found")


async def test_dealer_consistency(operator: Operator) -> None:
    response = await operator.request(
        "PUT",
        "/vehicles/dealer-1",
        json={
            **DEALER_CAR,
            "accident_grade": "A",
            "auction_count": 1,
            "auction_result": "no_bid",
            "auction_date": "2026-05-12T13:30:00+09:00",
        },
    )
    assert issue_paths(response) == [
        ("body", "accident_grade"),
        ("body", "auction_date"),
        ("body", "auction_count"),
        ("body", "auction_result"),
    ]


async def test_required_fields(operator: Operator) -> None:
    response = await operator.request("PUT", f"/vehicles/{CAR}", json={})
    assert issue_paths(response) == [
        ("body", name) for name in ("source", "make", "model", "year", "mileage_km", "pricing")
    ]


async def test_bad_path_id(operator: Operator) -> None:
    response = await operator.request("PUT", "/vehicles/bad.id", json={**PALISADE, "year": 1900})
    assert issue_paths(response) == [("path", "vehicle_id"), ("body", "year")]
    response = await operator.request("PUT", "/vehicles/" + "x" * 65, json=PALISADE)
    assert issue_paths(response) == [("path", "vehicle_id")]


async def test_put_needs_a_json_object(operator: Operator) -> None:
    response = await operator.request(
        "PUT", f"/vehicles/{CAR}", content=b"[]", headers={"Content-Type": "application/json"}
    )
    assert issue_paths(response) == [("body", "")]


async def test_unknown_vehicle(operator: Operator) -> None:
    assert_error(await operator.request("GET", "/vehicles/nope"), 404, "vehicle_not_found")
    assert_error(await operator.request("DELETE", "/vehicles/nope"), 404, "vehicle_not_found")


# --------------------------------------------------------------------------- withdrawal


async def test_withdrawal_fails_active_orders(operator: Operator, clock: ManualClock) -> None:
    await operator.vehicle(CAR)
    hooked = await operator.partner("Hooked", webhook_url="https://hooked.example.com/lmn")
    quiet = await operator.partner("Quiet")
    third = await operator.partner("Third")
    high = (await hooked.place(CAR, 19000)).json()
    clock.advance(seconds=1)
    low = (await quiet.place(CAR, 18000)).json()
    clock.advance(seconds=1)
    gone = (await third.place(CAR, 18500)).json()
    await third.cancel(gone["id"])
    clock.advance(minutes=1)

    response = await operator.request("DELETE", f"/vehicles/{CAR}")
    assert response.json() == {"vehicle_id": CAR, "failed_order_ids": sorted([high["id"], low["id"]])}
    # the state of just before the withdrawal is frozen on every failed order
    high_now = (await hooked.get(f"/v1/orders/{high['id']}")).json()
    low_now = (await quiet.get(f"/v1/orders/{low['id']}")).json()
    assert (high_now["status"], high_now["failure_reason"]) == ("failed", "vehicle_unavailable")
    assert (high_now["is_highest_bid"], high_now["current_max_bid_usd"]) == (True, 19000)
    assert (low_now["is_highest_bid"], low_now["current_max_bid_usd"]) == (False, 19000)
    assert high_now["updated_at"] == "2026-05-06T09:15:29+09:00"
    assert (await third.get(f"/v1/orders/{gone['id']}")).json()["status"] == "cancelled"

    history = (await operator.order(high["id"]))["history"]
    assert history[-1] == {
        "at": "2026-05-06T09:15:29+09:00",
        "actor": "operator",
        "from_status": "proceed",
        "to_status": "failed",
        "from_fulfillment_detail": None,
        "to_fulfillment_detail": None,
        "occurred_at": None,
        "notes": None,
    }

    [event] = await stored_events(operator.client, high["id"])
    assert event["type"] == "order.status_changed" and event["partner_id"] == hooked.id
    assert event["delivery_status"] == "pending" and event["attempts"] == 0
    assert event["last_response_code"] is None and event["last_attempt_at"] is None
    assert event["outbox_kind"] == "auto.webhook" and event["fifo_key"] == high["id"]
    assert event["outbox_due_at"] == clock.now()
    payload = bytes(event["payload"])
    assert payload == orjson.dumps(orjson.loads(payload))  # compact, serialised once
    assert orjson.loads(payload) == {
        "id": event["id"],
        "type": "order.status_changed",
        "occurred_at": "2026-05-06T09:15:29+09:00",
        "data": {"previous_status": "proceed", "order": high_now},
    }
    assert event["id"].startswith("evt_") and len(event["id"]) == 30
    [quiet_event] = await stored_events(operator.client, low["id"])
    assert quiet_event["delivery_status"] == "delivery_skipped" and quiet_event["outbox_kind"] is None
    assert await stored_events(operator.client, gone["id"]) == []

    assert (await operator.request("GET", f"/vehicles/{CAR}")).json()["withdrawn"] is True
    again = await operator.request("DELETE", f"/vehicles/{CAR}")
    assert again.json() == {"vehicle_id": CAR, "failed_order_ids": []}


async def test_withdrawn_vehicle_is_invisible_until_listed_again(operator: Operator, partner: Partner) -> None:
    await operator.vehicle(CAR)
    await operator.request("DELETE", f"/vehicles/{CAR}")
    assert_error(await partner.get(f"/v1/vehicles/{CAR}"), 404, "vehicle_not_found")
    assert (await partner.get("/v1/vehicles")).json()["data"] == []
    assert (await partner.get("/v1/vehicles/facets")).json()["makes"] == []
    relisted = await operator.request("PUT", f"/vehicles/{CAR}", json=PALISADE)
    assert relisted.status_code == 200
    assert (await operator.request("GET", f"/vehicles/{CAR}")).json()["withdrawn"] is False
    assert (await partner.get(f"/v1/vehicles/{CAR}")).status_code == 200
    assert (await partner.place(CAR, 18200)).status_code == 201


async def test_withdrawal_leaves_later_orders_alone(operator: Operator, partner: Partner) -> None:
    await operator.vehicle("dealer-1", DEALER_CAR)
    order = (await partner.place("dealer-1")).json()
    async with partner.client.runtime.db.transaction() as conn:  # type: ignore[attr-defined]
        await conn.execute("UPDATE auto_orders SET status = 'secured' WHERE id = :id", {"id": order["id"]})
    response = await operator.request("DELETE", "/vehicles/dealer-1")
    assert response.json()["failed_order_ids"] == []
    assert (await operator.order(order["id"]))["status"] == "secured"


# --------------------------------------------------------------------------- reschedule (spec 9.3)


async def _two_bids(operator: Operator, clock: ManualClock) -> tuple[Partner, Partner, dict, dict]:
    await operator.vehicle(CAR)
    hooked = await operator.partner("Hooked", webhook_url="https://hooked.example.com/lmn")
    quiet = await operator.partner("Quiet")
    first = (await hooked.place(CAR, 18200)).json()
    clock.advance(seconds=1)
    second = (await quiet.place(CAR, 19000)).json()
    clock.advance(hours=1)
    return hooked, quiet, first, second


async def test_same_instant_changes_nothing(operator: Operator, clock: ManualClock) -> None:
    hooked, _quiet, first, _second = await _two_bids(operator, clock)
    await operator.vehicle(CAR, auction_date="2026-05-12T04:30:00+00:00", pricing={"listing_usd": 18000})
    assert (await hooked.get(f"/v1/orders/{first['id']}")).json() == {
        **first,
        "is_highest_bid": False,
        "current_max_bid_usd": 19000,
    }
    assert await stored_events(operator.client, first["id"]) == []


async def test_reschedule_moves_active_orders(operator: Operator, clock: ManualClock) -> None:
    hooked, quiet, first, second = await _two_bids(operator, clock)
    await quiet.cancel(second["id"])
    clock.advance(minutes=1)
    await operator.vehicle(CAR, auction_date="2026-05-20T10:00:00+09:00")
    moved = (await hooked.get(f"/v1/orders/{first['id']}")).json()
    assert moved == {
        **first,
        "auction_date": "2026-05-20T10:00:00+09:00",
        "order_cutoff_at": "2026-05-19T00:00:00+09:00",
        "updated_at": "2026-05-06T10:15:28+09:00",
    }
    assert (await quiet.get(f"/v1/orders/{second['id']}")).json()["auction_date"] == "2026-05-12T13:30:00+09:00"
    [event] = await stored_events(operator.client, first["id"])
    assert event["type"] == "order.auction_rescheduled" and event["delivery_status"] == "pending"
    assert orjson.loads(event["payload"])["data"] == {
        "previous_auction_date": "2026-05-12T13:30:00+09:00",
        "order": moved,
    }
    assert len((await operator.order(first["id"]))["history"]) == 1  # a date change is not a status change


async def test_reschedule_too_soon_cancels_proceed_auction_orders(operator: Operator, clock: ManualClock) -> None:
    hooked, quiet, first, second = await _two_bids(operator, clock)
    clock.set(datetime.fromisoformat("2026-05-07T12:00:00+09:00"))
    await operator.vehicle(CAR, auction_date="2026-05-08T09:00:00+09:00")  # cutoff 2026-05-07T00:00 has passed
    for partner, order, highest in ((hooked, first, False), (quiet, second, True)):
        now = (await partner.get(f"/v1/orders/{order['id']}")).json()
        assert now["status"] == "cancelled" and now["cancellation_reason"] == "auction_rescheduled_too_soon"
        assert now["auction_date"] == "2026-05-08T09:00:00+09:00"
        assert now["order_cutoff_at"] == "2026-05-07T00:00:00+09:00"
        assert (now["is_highest_bid"], now["current_max_bid_usd"]) == (highest, 19000)
        events = await stored_events(operator.client, order["id"])
        assert [e["type"] for e in events] == ["order.auction_rescheduled", "order.status_changed"]
        rescheduled, cancelled = (orjson.loads(e["payload"]) for e in events)
        assert rescheduled["data"]["order"]["status"] == "proceed"
        assert rescheduled["data"]["previous_auction_date"] == "2026-05-12T13:30:00+09:00"
        assert cancelled["data"] == {"previous_status": "proceed", "order": now}
        history = (await operator.order(order["id"]))["history"]
        assert [(h["actor"], h["to_status"]) for h in history] == [("partner", "proceed"), ("operator", "cancelled")]
    assert [e["delivery_status"] for e in await stored_events(operator.client, second["id"])] == [
        "delivery_skipped",
        "delivery_skipped",
    ]
    # the vehicle has no leader left: a new bid leads
    newcomer = await operator.partner("Newcomer")
    await operator.vehicle(CAR, auction_date="2026-05-20T09:00:00+09:00")
    assert (await newcomer.place(CAR, 17500)).json()["is_highest_bid"] is True


async def test_reschedule_to_no_date_cancels(operator: Operator, clock: ManualClock) -> None:
    hooked, _quiet, first, _second = await _two_bids(operator, clock)
    await operator.vehicle(CAR, auction_result="no_bid", auction_date=None, auction_count=1)
    now = (await hooked.get(f"/v1/orders/{first['id']}")).json()
    assert now["status"] == "cancelled" and now["auction_date"] is None and now["order_cutoff_at"] is None
    previous = orjson.loads((await stored_events(operator.client, first["id"]))[0]["payload"])["data"]
    assert previous["previous_auction_date"] == "2026-05-12T13:30:00+09:00"


async def test_reschedule_of_buy_now_orders(operator: Operator, partner: Partner, clock: ManualClock) -> None:
    await operator.vehicle("sk-1", NO_BID_CAR)
    order = (await partner.place("sk-1")).json()
    clock.advance(minutes=1)
    await operator.vehicle("sk-1", NO_BID_CAR, auction_date="2026-05-06T10:00:00+09:00")
    now = (await partner.get(f"/v1/orders/{order['id']}")).json()
    assert now["status"] == "proceed" and now["auction_date"] == "2026-05-06T10:00:00+09:00"
    assert now["order_cutoff_at"] is None
    [event] = await stored_events(operator.client, order["id"])
    assert event["type"] == "order.auction_rescheduled"


async def test_reschedule_hours_before_rule(make_client: Any, clock: ManualClock) -> None:
    client = await make_client(order_cutoff_rule="hours_before:3")
    operator = Operator(client)
    partner = await operator.partner()
    await operator.vehicle(CAR)
    order = (await partner.place(CAR, 18200)).json()
    assert order["order_cutoff_at"] == "2026-05-12T10:30:00+09:00"
    await operator.vehicle(CAR, auction_date="2026-05-06T12:14:28+09:00")  # cutoff one second ahead
    moved = (await partner.get(f"/v1/orders/{order['id']}")).json()
    assert moved["status"] == "proceed" and moved["order_cutoff_at"] == "2026-05-06T09:14:28+09:00"
    await operator.vehicle(CAR, auction_date="2026-05-06T12:14:27+09:00")  # cutoff equals now
    assert (await partner.get(f"/v1/orders/{order['id']}")).json()["status"] == "cancelled"


# --------------------------------------------------------------------------- operator order views


async def test_operator_order_list(operator: Operator, clock: ManualClock) -> None:
    await operator.vehicle(CAR)
    await operator.vehicle("dealer-1", DEALER_CAR)
    a, b = await operator.partner("A"), await operator.partner("B")
    placed = []
    for partner, vehicle in ((a, CAR), (b, CAR), (a, "dealer-1")):
        clock.advance(seconds=1)
        placed.append((await partner.place(vehicle, 18000 if vehicle == CAR else None)).json())
    await b.cancel(placed[1]["id"])
    everything = await operator.orders()
    assert [o["id"] for o in everything] == [o["id"] for o in placed][::-1]
    assert everything[0] == {**placed[2], "partner_id": a.id}
    assert [o["id"] for o in await operator.orders(partner_id=a.id)] == [placed[2]["id"], placed[0]["id"]]
    assert [o["id"] for o in await operator.orders(vehicle_id=CAR)] == [placed[1]["id"], placed[0]["id"]]
    assert [o["id"] for o in await operator.orders(vehicle_id=CAR, status="cancelled")] == [placed[1]["id"]]
    assert await operator.orders(partner_id="01KQX9Z4B7M2P5R8T1V3W6Y0CD") == []
    assert issue_paths(await operator.request("GET", "/orders", params={"status": "done"})) == [("query", "status")]
    page = (await operator.request("GET", "/orders", params={"limit": 2})).json()
    rest = (await operator.request("GET", "/orders", params={"limit": 2, "cursor": page["next_cursor"]})).json()
    assert [o["id"] for o in page["data"] + rest["data"]] == [o["id"] for o in everything]
    other_filter = await operator.request("GET", "/orders", params={"cursor": page["next_cursor"], "status": "proceed"})
    assert_error(other_filter, 400, "invalid_cursor")
    assert_error(await operator.request("GET", "/orders/01KQXA5KNRPQNMCMYXC47R2PCT"), 404, "order_not_found")
