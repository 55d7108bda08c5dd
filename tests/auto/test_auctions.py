"""Operator auction calls (spec 8.5): checks in the contract's order, the winner by ranking,
and concurrent starts, results and partner requests on one car."""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any

import pytest

from orderdesk.auto.auctions import AuctionJobs
from orderdesk.platform.clock import ManualClock
from orderdesk.platform.dispatcher import Dispatcher
from tests.auto.conftest import DEALER_CAR, Operator, Partner, assert_error, issue_paths

CAR = "glovis-20260512-0418"


async def bids(operator: Operator, clock: ManualClock, *ceilings: int) -> list[dict[str, Any]]:
    await operator.vehicle(CAR)
    placed = []
    for i, ceiling in enumerate(ceilings):
        partner = await operator.partner(f"Bidder {i}")
        clock.advance(seconds=1)
        placed.append((await partner.place(CAR, ceiling)).json())
    return placed


async def test_winner_is_the_highest_ceiling_then_the_earliest(operator: Operator, clock: ManualClock) -> None:
    first, second, third = await bids(operator, clock, 18000, 18500, 18500)
    result = await operator.start(CAR)
    assert result == {"winner_order_id": second["id"], "failed_order_ids": sorted([first["id"], third["id"]])}
    orders = {o["id"]: o for o in await operator.orders(vehicle_id=CAR)}
    assert orders[second["id"]]["status"] == "acquiring"
    assert (orders[second["id"]]["is_highest_bid"], orders[second["id"]]["current_max_bid_usd"]) == (True, 18500)
    assert {orders[o["id"]]["failure_reason"] for o in (first, third)} == {"outbid_internally"}
    assert orders[third["id"]]["is_highest_bid"] is False


async def test_start_without_orders_and_unknown_vehicle(operator: Operator, partner: Partner) -> None:
    await operator.vehicle(CAR)
    assert await operator.start(CAR) == {"winner_order_id": None, "failed_order_ids": []}
    assert_error(await operator.request("POST", "/vehicles/nope/auction/start"), 404, "vehicle_not_found")
    assert_error(await operator.result("nope", "won", purchase_price_usd=1), 404, "vehicle_not_found")


async def test_result_checks_in_order(operator: Operator, clock: ManualClock) -> None:
    [order] = await bids(operator, clock, 18200)
    assert issue_paths(await operator.request("POST", f"/vehicles/{CAR}/auction/result", json={})) == [
        ("body", "outcome")
    ]
    assert issue_paths(await operator.result(CAR, "sold")) == [("body", "outcome")]
    assert issue_paths(await operator.result("nope", "won", colour=1)) == [("body", "colour")]  # 400 before 404
    assert_error(
        await operator.result(CAR, "won", purchase_price_usd="x"), 409, "invalid_status_transition", {"vehicle_id": CAR}
    )  # 409 before amount problems
    assert_error(await operator.result(CAR, "lost"), 409, "invalid_status_transition", {"vehicle_id": CAR})
    await operator.start(CAR)
    for amounts, path in (
        ({}, "purchase_price_usd"),
        ({"purchase_price_usd": 18201}, "purchase_price_usd"),
        ({"purchase_price_usd": 0}, "purchase_price_usd"),
        ({"purchase_price_usd": 17000.5}, "purchase_price_usd"),
        ({"purchase_price_usd": 17000, "auction_fee_usd": -5}, "auction_fee_usd"),
        ({"purchase_price_usd": 17000, "auction_fee_usd": "310"}, "auction_fee_usd"),
    ):
        error = assert_error(await operator.result(CAR, "won", **amounts), 422, "validation_error")
        assert [i["path"] for i in error["details"]["issues"]] == [path]
    error = assert_error(await operator.result(CAR, "won", purchase_price_usd=18201), 422, "validation_error")
    assert error["details"]["issues"][0]["message"] == "exceeds max_bid_amount_usd 18200"
    error = assert_error(await operator.result(CAR, "lost", purchase_price_usd=100), 422, "validation_error")
    assert [i["path"] for i in error["details"]["issues"]] == ["purchase_price_usd"]
    won = (await operator.result(CAR, "won", purchase_price_usd=18200)).json()
    assert won["order"]["amounts"] == {"purchase_price_usd": 18200, "auction_fee_usd": 0}
    assert won["order"]["id"] == order["id"]


async def test_buy_now_orders_are_left_to_transitions(operator: Operator, partner: Partner) -> None:
    await operator.vehicle("dealer-1", DEALER_CAR)
    order = (await partner.place("dealer-1")).json()
    assert_error(
        await operator.result("dealer-1", "cancelled"), 409, "invalid_status_transition", {"vehicle_id": "dealer-1"}
    )
    assert (await partner.order(order["id"]))["status"] == "proceed"


async def test_a_thousand_competing_orders_start_in_one_call(
    operator: Operator, clock: ManualClock, engine: str
) -> None:
    await operator.vehicle(CAR)
    runtime = operator.client.runtime  # type: ignore[attr-defined]
    await bulk_orders(runtime, CAR, 1000, clock.now())
    result = await operator.start(CAR)
    assert len(result["failed_order_ids"]) == 999
    async with runtime.db.transaction(write=False) as conn:
        counts = dict(await conn.fetch("SELECT status, count(*) FROM auto_orders GROUP BY status"))
        events = await conn.fetchval("SELECT count(*) FROM auto_events")
        history = await conn.fetchval("SELECT count(*) FROM auto_order_history WHERE actor = 'operator'")
    assert counts == {"acquiring": 1, "failed": 999} and events == 1000 and history == 1000
    winner = await operator.order(result["winner_order_id"])
    assert winner["max_bid_amount_usd"] == 18400 + 999  # the highest of the generated ceilings


async def bulk_orders(runtime: Any, vehicle_id: str, count: int, now: datetime) -> None:
    """`count` partners with one auction order each on the car, ceilings 18400, 18401, …,
    inserted directly: a thousand partners through the API would only slow the test down."""
    from orderdesk.platform.ids import new_ulid

    partners = [{"id": new_ulid(), "now": now} for _ in range(count)]
    orders = [
        {"id": new_ulid(), "partner_id": p["id"], "vehicle_id": vehicle_id, "max_bid": 18400 + i, "now": now}
        for i, p in enumerate(partners)
    ]
    async with runtime.db.transaction() as conn:
        await conn.executemany(
            "INSERT INTO auto_partners (id, name, environment, ip_allowlist, webhook_url, webhook_secret, created_at)"
            " VALUES (:id, 'Bulk', 'sandbox', NULL, NULL, 'whsec_bulk', :now)",
            partners,
        )
        await conn.executemany(
            "INSERT INTO auto_orders (id, partner_id, vehicle_id, status, max_bid_amount_usd, created_at,"
            " updated_at, auction_date) VALUES (:id, :partner_id, :vehicle_id, 'proceed', :max_bid, :now, :now,"
            " (SELECT auction_date FROM auto_vehicles WHERE id = :vehicle_id))",
            orders,
        )
        await conn.execute(
            "UPDATE auto_vehicles SET leader_order_id = :leader, leader_max_bid_usd = :top, leader_created_at = :now"
            " WHERE id = :id",
            {"id": vehicle_id, "leader": orders[-1]["id"], "top": orders[-1]["max_bid"], "now": now},
        )


@pytest.mark.parametrize("round_", range(3))
async def test_concurrent_starts_places_cancels_and_sweeps(operator: Operator, clock: ManualClock, round_: int) -> None:
    """Whatever interleaving: one winner at most, every loser failed, the leader invariant holds."""
    placed = await bids(operator, clock, *(18000 + 10 * i for i in range(12)))
    latecomers = [await operator.partner(f"Late {i}") for i in range(6)]
    bidders = {o["id"]: o for o in placed}
    clock.set(datetime.fromisoformat("2026-05-10T09:00:00+09:00"))
    runtime = operator.client.runtime  # type: ignore[attr-defined]
    calls = [operator.request("POST", f"/vehicles/{CAR}/auction/start") for _ in range(4)]
    calls += [p.place(CAR, 19000 + i) for i, p in enumerate(latecomers)]
    calls += [runtime.dispatcher.drain()]
    results = await asyncio.gather(*calls)
    winners = {r.json()["winner_order_id"] for r in results[:4]}
    assert len(winners) == 1 and None not in winners
    orders = await operator.orders(vehicle_id=CAR)
    assert [o["id"] for o in orders if o["status"] == "acquiring"] == list(winners)
    proceed = [o for o in orders if o["status"] == "proceed"]
    assert all(o["id"] not in bidders for o in proceed)  # only orders placed after the start still wait
    active_leaders = [o for o in orders if o["status"] in ("proceed", "acquiring") and o["is_highest_bid"]]
    assert len(active_leaders) == 1
    top = max(o["max_bid_amount_usd"] for o in orders if o["status"] in ("proceed", "acquiring"))
    assert all(o["current_max_bid_usd"] == top for o in orders if o["status"] in ("proceed", "acquiring"))
    result = (await operator.result(CAR, "won", purchase_price_usd=18000)).json()
    assert sorted(result["failed_order_ids"]) == sorted(o["id"] for o in proceed)
    assert all(o["status"] in ("secured", "failed") for o in await operator.orders(vehicle_id=CAR))


async def test_cancel_racing_the_start(operator: Operator, clock: ManualClock) -> None:
    """A DELETE racing the start either cancels first (and is not the winner) or sees the new
    status and gets 409 with it (spec 4.7)."""
    placed = await bids(operator, clock, *(18000 + i for i in range(8)))
    owners = {o["id"]: o for o in placed}
    responses = await asyncio.gather(
        operator.request("POST", f"/vehicles/{CAR}/auction/start"),
        *(_cancel_as_owner(operator, order_id) for order_id in owners),
    )
    winner = responses[0].json()["winner_order_id"]
    final = {o["id"]: o for o in await operator.orders(vehicle_id=CAR)}
    for order_id, response in zip(owners, responses[1:], strict=True):
        if response.status_code == 200:
            assert final[order_id]["status"] == "cancelled" and order_id != winner
        else:
            assert_error(response, 409, "invalid_status_transition", {"current_status": final[order_id]["status"]})
            assert final[order_id]["status"] in ("acquiring", "failed")
    assert [o for o in final.values() if o["status"] == "acquiring"] == ([final[winner]] if winner else [])


async def _cancel_as_owner(operator: Operator, order_id: str) -> Any:
    """DELETE the order with a fresh key of its own partner."""
    order = await operator.order(order_id)
    key = (await operator.request("POST", f"/partners/{order['partner_id']}/keys")).json()["api_key"]
    return await Partner(operator.client, {"id": order["partner_id"], "api_key": key}).cancel(order_id)


async def test_sweeps_in_two_dispatchers_start_each_auction_once(operator: Operator, clock: ManualClock) -> None:
    runtime = operator.client.runtime  # type: ignore[attr-defined]
    bidders = [await operator.partner(f"Bidder {i}") for i in range(3)]
    for v in range(6):
        await operator.vehicle(f"glovis-{v}")
        for i, bidder in enumerate(bidders):
            assert (await bidder.place(f"glovis-{v}", 18000 + 100 * i + v)).status_code == 201
    clock.set(datetime.fromisoformat("2026-05-12T13:30:00+09:00"))
    others = [Dispatcher(runtime.db, clock) for _ in range(2)]
    for other in others:
        AuctionJobs(runtime, other).register()
    await asyncio.gather(runtime.dispatcher.drain(), *(other.drain() for other in others))
    for v in range(6):
        orders = await operator.orders(vehicle_id=f"glovis-{v}")
        assert sorted(o["status"] for o in orders) == ["acquiring", "failed", "failed"]
        assert [o for o in orders if o["status"] == "acquiring"][0]["max_bid_amount_usd"] == 18200 + v
        for order in orders:
            history = (await operator.order(order["id"]))["history"]
            assert [h["actor"] for h in history] == ["partner", "scheduler"]
    async with runtime.db.transaction(write=False) as conn:
        assert await conn.fetchval("SELECT count(*) FROM auto_events") == 18
