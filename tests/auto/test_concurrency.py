"""The invariants of spec 2.14 under real concurrent requests (asyncio.gather on one client)."""

from __future__ import annotations

import asyncio
import uuid

import httpx
import pytest

from tests.auto.conftest import DEALER_CAR, Operator, Partner

CAR = "glovis-20260512-0418"


async def _fire(requests: list) -> list[httpx.Response]:  # type: ignore[type-arg]
    return list(await asyncio.gather(*requests))


@pytest.mark.parametrize("warm", [False, True])
async def test_one_order_per_idempotency_key(
    partner: Partner, operator: Operator, auction_car: dict, warm: bool
) -> None:
    """`warm`: the API key was read before (nothing about the key may be remembered in a way
    that changes the answer to concurrent retries)."""
    if warm:
        assert (await partner.get("/v1/orders")).status_code == 200
    key = str(uuid.uuid4())
    responses = await _fire([partner.place(CAR, 18200, key=key) for _ in range(30)])
    statuses = [r.status_code for r in responses]
    assert set(statuses) <= {200, 201, 409}, statuses
    assert statuses.count(201) == 1
    created = next(r for r in responses if r.status_code == 201)
    for response in responses:
        if response.status_code == 200:
            assert response.content == created.content
            assert response.headers["idempotent-replayed"] == "true"
        elif response.status_code == 409:
            assert response.json()["error"]["code"] == "idempotency_key_in_use"
            assert response.headers["retry-after"] == "1"
    orders = await operator.orders()
    assert [o["id"] for o in orders] == [created.json()["id"]]
    retry = await partner.place(CAR, 18200, key=key)
    assert retry.status_code == 200 and retry.content == created.content


async def test_competing_partners_leave_one_leader(operator: Operator, auction_car: dict) -> None:
    partners = [await operator.partner(f"Bidder {i}") for i in range(20)]
    ceilings = [17400 + 137 * ((i * 7) % 20) for i in range(20)]  # distinct, shuffled
    responses = await _fire([p.place(CAR, ceiling) for p, ceiling in zip(partners, ceilings, strict=True)])
    assert [r.status_code for r in responses] == [201] * 20
    top = max(ceilings)
    orders = [(await p.get(f"/v1/orders/{r.json()['id']}")).json() for p, r in zip(partners, responses, strict=True)]
    leaders = [o for o in orders if o["is_highest_bid"]]
    assert len(leaders) == 1 and leaders[0]["max_bid_amount_usd"] == top
    assert {o["current_max_bid_usd"] for o in orders} == {top}
    # every response saw a consistent state: the leader it reported held the highest ceiling so far
    for response in responses:
        body = response.json()
        assert body["current_max_bid_usd"] >= body["max_bid_amount_usd"]
        assert body["is_highest_bid"] == (body["current_max_bid_usd"] == body["max_bid_amount_usd"])


async def test_equal_ceilings_race_to_one_leader(operator: Operator, auction_car: dict) -> None:
    partners = [await operator.partner(f"Twin {i}") for i in range(10)]
    responses = await _fire([p.place(CAR, 18000) for p in partners])
    orders = [(await p.get(f"/v1/orders/{r.json()['id']}")).json() for p, r in zip(partners, responses, strict=True)]
    assert sum(o["is_highest_bid"] for o in orders) == 1
    rows = await operator.orders(vehicle_id=CAR)
    earliest = min(rows, key=lambda o: (o["created_at"], o["id"]))
    leader = next(o for o in orders if o["is_highest_bid"])
    assert leader["created_at"] == earliest["created_at"]


async def test_one_partner_racing_two_keys(partner: Partner, operator: Operator, auction_car: dict) -> None:
    responses = await _fire([partner.place(CAR, 18200), partner.place(CAR, 18900)])
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [201, 409]
    created = next(r for r in responses if r.status_code == 201).json()
    refused = next(r for r in responses if r.status_code == 409).json()["error"]
    assert refused["code"] == "duplicate_order" and refused["details"] == {"existing_order_id": created["id"]}
    assert [o["id"] for o in await operator.orders()] == [created["id"]]


async def test_buy_now_car_goes_to_one_partner(operator: Operator) -> None:
    await operator.vehicle("dealer-1", DEALER_CAR)
    partners = [await operator.partner(f"Buyer {i}") for i in range(8)]
    responses = await _fire([p.place("dealer-1") for p in partners])
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [201] + [410] * 7
    for response in responses:
        if response.status_code == 410:
            assert response.json()["error"]["details"] == {"reason": "taken"}
    assert len(await operator.orders(vehicle_id="dealer-1")) == 1


async def test_cancel_and_bid_race_keeps_the_leader_right(operator: Operator, auction_car: dict) -> None:
    partners = [await operator.partner(f"Bidder {i}") for i in range(6)]
    placed = [(await p.place(CAR, 18000 + 100 * i)).json() for i, p in enumerate(partners)]
    late = [await operator.partner(f"Late {i}") for i in range(4)]
    await _fire(
        [
            *(p.cancel(o["id"]) for p, o in zip(partners[3:], placed[3:], strict=True)),
            *(p.place(CAR, 18150 + 10 * i) for i, p in enumerate(late)),
        ]
    )
    active = [o for o in await operator.orders(vehicle_id=CAR) if o["status"] == "proceed"]
    top = max(o["max_bid_amount_usd"] for o in active)
    assert [o["max_bid_amount_usd"] for o in active if o["is_highest_bid"]] == [top]
    assert {o["current_max_bid_usd"] for o in active} == {top}


async def test_withdrawal_racing_new_orders(operator: Operator, auction_car: dict) -> None:
    partners = [await operator.partner(f"Bidder {i}") for i in range(10)]
    results = await _fire(
        [*(p.place(CAR, 18000 + i) for i, p in enumerate(partners)), operator.request("DELETE", f"/vehicles/{CAR}")]
    )
    withdrawal = results[-1].json()
    created = [r.json()["id"] for r in results[:-1] if r.status_code == 201]
    refused = [r for r in results[:-1] if r.status_code != 201]
    assert all(r.status_code == 410 and r.json()["error"]["details"] == {"reason": "withdrawn"} for r in refused)
    assert sorted(created) == withdrawal["failed_order_ids"]
    assert all(o["status"] == "failed" for o in await operator.orders(vehicle_id=CAR))


async def test_two_warm_keys_of_one_partner_share_one_idempotency_lock(
    partner: Partner, operator: Operator, auction_car: dict
) -> None:
    """Idempotency keys are the partner's, not the API key's: the same Idempotency-Key through
    two keys of one partner is one order."""
    created = await operator.request("POST", f"/partners/{partner.id}/keys")
    second = Partner(partner.client, {**partner.created, "api_key": created.json()["api_key"]})
    for caller in (partner, second):
        assert (await caller.get("/v1/orders")).status_code == 200
    key = str(uuid.uuid4())
    responses = await _fire([caller.place(CAR, 18200, key=key) for caller in (partner, second) * 10])
    statuses = [r.status_code for r in responses]
    assert set(statuses) <= {200, 201, 409} and statuses.count(201) == 1, statuses
    assert len(await operator.orders()) == 1
