"""Concurrent sends (spec/crypto.md 6.4, 8.12): many confirmations against one balance, and
customers sending to each other at the same time, then the ledger check."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from typing import Any

import httpx

from orderdesk.platform.clock import ManualClock
from tests.crypto.conftest import Operator, Partner, assert_error, customer_body
from tests.crypto.ordering import confirm, created, latest_code
from tests.crypto.test_orders_send import BECH32, balanced, balances, send

EMAIL = "ana.gomez@example.com"


async def test_concurrent_sends_never_overdraw(
    client: httpx.AsyncClient, clock: ManualClock, operator: Operator, partner: Partner, customer: dict[str, Any]
) -> None:
    cid = customer["id"]
    other = await partner.customer(customer_body(reference_id="cust-2"))
    await operator.deposit(cid, "BTC", "0.1")
    external = [await created(partner, cid, send("BTC", "0.01", value=BECH32)) for _ in range(10)]
    internal = [
        await created(partner, cid, send("BTC", "0.01", kind="lirium_customer", value=other["id"])) for _ in range(10)
    ]
    codes = {o["id"]: await latest_code(operator, EMAIL, o["id"]) for o in external}
    responses = await asyncio.gather(
        *(
            confirm(partner, cid, o["id"], {"confirmation_code": codes.get(o["id"])} if o["id"] in codes else {})
            for o in external + internal
        )
    )
    won = [r for r in responses if r.status_code == 200]
    assert len(won) == 10, [r.text for r in responses]
    for response in responses:
        if response.status_code != 200:
            assert_error(
                response, 400, "insufficient_funds", "The customer's BTC balance is insufficient for this order"
            )
    assert await balances(partner, cid) == {"BTC": "0"}
    moved_internally = sum(1 for r in won if r.json()["send"]["destination"]["type"] == "lirium_customer")
    received = Decimal(moved_internally) / 100
    assert await balances(partner, other["id"]) == ({"BTC": f"{received:f}"} if moved_internally else {})
    clock.advance(seconds=5)
    await client.runtime.dispatcher.drain()  # type: ignore[attr-defined]
    states = [r.json()["state"] for r in won]
    assert states.count("completed") == moved_internally
    await balanced(operator)


async def test_customers_sending_to_each_other_do_not_deadlock(
    operator: Operator, partner: Partner, rival: Partner, customer: dict[str, Any]
) -> None:
    first = customer["id"]
    second = (await rival.customer())["id"]
    third = (await partner.customer(customer_body(reference_id="cust-3")))["id"]
    for cid in (first, second, third):
        await operator.deposit(cid, "ETH", "1")
    pairs = [
        (partner, first, second),
        (rival, second, first),
        (partner, third, first),
        (rival, second, third),
        (partner, first, third),
    ] * 6
    orders = [
        (owner, sender, await created(owner, sender, send("ETH", "0.1", kind="lirium_customer", value=receiver)))
        for owner, sender, receiver in pairs
    ]
    responses = await asyncio.wait_for(
        asyncio.gather(*(confirm(owner, sender, order["id"]) for owner, sender, order in orders)), timeout=120
    )
    assert all(r.status_code in (200, 400) for r in responses), [r.text for r in responses]
    for response in responses:
        if response.status_code == 400:
            assert response.json()["error_code"] == "insufficient_funds", response.text
    assert sum(r.status_code == 200 for r in responses) >= 15
    totals = [await balances(partner, first), await balances(rival, second), await balances(partner, third)]
    assert sum(Decimal(t.get("ETH", "0")) for t in totals) == 3  # off chain, no fee: nothing leaves
    await balanced(operator)
