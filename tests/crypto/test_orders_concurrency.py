"""Concurrent confirmations (spec/crypto.md 6.4, 8.12): real concurrent requests against one
balance or one order, then the invariants checked through the API and the ledger check."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from typing import Any

from tests.crypto.conftest import Operator, Partner, assert_error, customer_body
from tests.crypto.ordering import buy, confirm, created, latest_code, sell


async def test_concurrent_sell_confirms_never_overdraw(
    operator: Operator, partner: Partner, customer: dict[str, Any]
) -> None:
    cid = customer["id"]
    await operator.deposit(cid, "BTC", "0.1")
    orders = [await created(partner, cid, sell("BTC", "0.01")) for _ in range(20)]  # each covered on its own
    responses = await asyncio.gather(*(confirm(partner, cid, order["id"]) for order in orders))
    won = [r for r in responses if r.status_code == 200]
    lost = [r for r in responses if r.status_code != 200]
    assert len(won) == 10, [r.text for r in responses]
    for response in lost:
        assert_error(response, 400, "insufficient_funds", "The customer's BTC balance is insufficient for this order")
    accounts = (await partner.get(f"/customers/{cid}/accounts")).json()["accounts"]
    assert accounts == [{"currency": "BTC", "amount": "0"}]
    states = [(await partner.get(f"/customers/{cid}/orders/{o['id']}")).json()["state"] for o in orders]
    assert sorted(states) == ["completed"] * 10 + ["pending"] * 10  # the losers stay pending
    check = await operator.ledger_check()
    assert check == {"balanced": True, "postings": 11, "mismatches": []}


async def test_one_order_confirmed_concurrently_executes_once(
    operator: Operator, partner: Partner, customer: dict[str, Any]
) -> None:
    cid = customer["id"]
    order = await created(partner, cid, buy("BTC", "0.01"))
    responses = await asyncio.gather(*(confirm(partner, cid, order["id"]) for _ in range(10)))
    assert sorted(r.status_code for r in responses) == [200] + [400] * 9
    for response in responses:
        if response.status_code == 400:
            assert_error(response, 400, "invalid_order_state", "Order is completed")
    assert (await partner.get(f"/customers/{cid}/accounts")).json()["accounts"] == [
        {"currency": "BTC", "amount": "0.01"}
    ]
    assert (await operator.ledger_check())["postings"] == 1


async def test_concurrent_wrong_codes_cancel_exactly_once(
    operator: Operator, partner: Partner, customer: dict[str, Any]
) -> None:
    cid = customer["id"]
    order = await created(partner, cid, buy("BTC", "0.1"))  # V = 6505 > 1000: code required
    code = await latest_code(operator, "ana.gomez@example.com", order["id"])
    wrong = "000000" if code != "000000" else "111111"
    responses = await asyncio.gather(
        *(confirm(partner, cid, order["id"], {"confirmation_code": wrong}) for _ in range(8))
    )
    messages = sorted(r.json()["error_msg"] for r in responses)
    assert messages == (
        ["Invalid security code"] * 4
        + ["Invalid security code; the order has been cancelled"]
        + ["Order is cancelled"] * 3
    ), messages
    shown = (await partner.get(f"/customers/{cid}/orders/{order['id']}")).json()
    assert (shown["state"], shown["cancel_reason"]) == ("cancelled", "security_code_attempts")


async def test_concurrent_confirms_of_one_partners_customers_keep_shared_balances_exact(
    client: Any, operator: Operator, partner: Partner
) -> None:
    """64 customers of one partner confirm buys at once: all post against the same house and
    settlement accounts (unlocked on PostgreSQL: deltas). Every confirm lands, the ledger is
    balanced, and the settlement balance the operator sees is exactly minus the sum of the
    orders' settlement amounts — before and after the dispatcher folds the deltas."""
    customers = await asyncio.gather(
        *(
            partner.customer(
                reference_id=f"cust-{i}",
                contact={"email": f"c{i}@example.com"},
                profile={**customer_body()["profile"], "national_id": f"G{i:08d}", "tax_id": f"T{i:08d}"},
            )
            for i in range(64)
        )
    )
    orders = [await created(partner, c["id"], buy("USDC", "10.5")) for c in customers]
    responses = await asyncio.gather(
        *(confirm(partner, c["id"], o["id"]) for c, o in zip(customers, orders, strict=True))
    )
    assert [r.status_code for r in responses] == [200] * 64, [r.text for r in responses if r.status_code != 200]
    settled = sum(Decimal(r.json()["buy"]["settlement"]["amount"]) for r in responses)
    for c in customers:
        assert (await partner.get(f"/customers/{c['id']}/accounts")).json()["accounts"] == [
            {"currency": "USDC", "amount": "10.5"}
        ]

    async def settlement_shown() -> Decimal:
        shown = (await operator.request("GET", f"/crypto/partners/{partner.id}")).json()["balances"]["settlement"]
        assert [entry["currency"] for entry in shown] == ["USD"]
        return Decimal(shown[0]["amount"])

    assert await settlement_shown() == -settled
    assert await operator.ledger_check() == {"balanced": True, "postings": 64, "mismatches": []}
    await client.runtime.dispatcher.drain()  # folds the pending deltas into the stored balances
    assert await settlement_shown() == -settled
    assert await operator.ledger_check() == {"balanced": True, "postings": 64, "mismatches": []}
