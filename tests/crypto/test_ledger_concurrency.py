"""Concurrency of the ledger (spec 6.4): real concurrent transactions (a connection pool on
PostgreSQL) never overdraw a customer balance, never deadlock, and keep the ledger balanced."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from typing import Any

import httpx

from orderdesk.crypto import ledger, postings
from orderdesk.platform.runtime import Runtime
from tests.crypto.conftest import Operator, Partner

D = Decimal


async def _debit(runtime: Runtime, customer_id: str, amount: Decimal) -> bool:
    """A sell-like posting that takes `amount` BTC from the customer; False when refused."""
    entries = [postings.customer(customer_id, "BTC", -amount), postings.house(postings.HOUSE_TRADING, "BTC", amount)]
    try:
        async with runtime.db.transaction() as conn:
            await ledger.post(conn, entries, kind="test", order_id=None, now=runtime.clock.now())
    except ledger.InsufficientFunds:
        return False
    return True


async def _transfer(runtime: Runtime, sender: str, receiver: str, amount: Decimal) -> bool:
    entries = [postings.customer(sender, "BTC", -amount), postings.customer(receiver, "BTC", amount)]
    try:
        async with runtime.db.transaction() as conn:
            await ledger.post(conn, entries, kind="test", order_id=None, now=runtime.clock.now())
    except ledger.InsufficientFunds:
        return False
    return True


async def _balance(partner: Partner, customer_id: str) -> str | None:
    accounts = (await partner.get(f"/customers/{customer_id}/accounts")).json()["accounts"]
    return next((a["amount"] for a in accounts if a["currency"] == "BTC"), None)


async def test_concurrent_debits_never_overdraw(
    client: httpx.AsyncClient, operator: Operator, partner: Partner, customer: dict[str, Any]
) -> None:
    runtime: Runtime = client.runtime  # type: ignore[attr-defined]
    await operator.deposit(customer["id"], "BTC", "10")
    results = await asyncio.gather(*(_debit(runtime, customer["id"], D("1")) for _ in range(30)))
    assert results.count(True) == 10 and results.count(False) == 20
    assert await _balance(partner, customer["id"]) == "0"
    check = await operator.ledger_check()
    assert check == {"balanced": True, "postings": 11, "mismatches": []}


async def test_concurrent_deposits_to_a_new_customer(
    operator: Operator, partner: Partner, customer: dict[str, Any]
) -> None:
    responses = await asyncio.gather(
        *(
            operator.request(
                "POST",
                f"/crypto/customers/{customer['id']}/deposits",
                json={"currency": "BTC", "amount": "0.1", "fee": "0.001"},
            )
            for _ in range(20)
        )
    )
    assert [r.status_code for r in responses] == [201] * 20
    assert await _balance(partner, customer["id"]) == "1.98"
    check = await operator.ledger_check()
    assert check == {"balanced": True, "postings": 20, "mismatches": []}


async def test_deposits_and_debits_race(
    client: httpx.AsyncClient, operator: Operator, partner: Partner, customer: dict[str, Any]
) -> None:
    runtime: Runtime = client.runtime  # type: ignore[attr-defined]
    deposits = [
        operator.request(
            "POST", f"/crypto/customers/{customer['id']}/deposits", json={"currency": "BTC", "amount": "1"}
        )
        for _ in range(10)
    ]
    debits = [_debit(runtime, customer["id"], D("0.7")) for _ in range(20)]
    results = await asyncio.gather(*deposits, *debits)
    assert all(r.status_code == 201 for r in results[:10])
    succeeded = results[10:].count(True)
    final = D(await _balance(partner, customer["id"]) or "0")
    assert final == D("10") - D("0.7") * succeeded and final >= 0
    assert succeeded <= 14
    assert (await operator.ledger_check())["balanced"] is True


async def test_opposite_transfers_do_not_deadlock(
    client: httpx.AsyncClient, operator: Operator, partner: Partner, customer: dict[str, Any]
) -> None:
    runtime: Runtime = client.runtime  # type: ignore[attr-defined]
    other = await partner.customer(reference_id="other")
    await operator.deposit(customer["id"], "BTC", "5")
    await operator.deposit(other["id"], "BTC", "5")
    moves = []
    for i in range(40):
        sender, receiver = (customer["id"], other["id"]) if i % 2 else (other["id"], customer["id"])
        moves.append(_transfer(runtime, sender, receiver, D("0.5") + D(i % 3)))
    results = await asyncio.wait_for(asyncio.gather(*moves), timeout=60)
    assert any(results)
    first = D(await _balance(partner, customer["id"]) or "0")
    second = D(await _balance(partner, other["id"]) or "0")
    assert first >= 0 and second >= 0 and first + second == D("10")
    assert (await operator.ledger_check())["balanced"] is True


async def test_concurrent_deposits_of_one_transaction_credit_once(
    operator: Operator, partner: Partner, customer: dict[str, Any]
) -> None:
    body = {"currency": "BTC", "amount": "0.3", "tx_hash": "f" * 64}
    responses = await asyncio.gather(
        *(operator.request("POST", f"/crypto/customers/{customer['id']}/deposits", json=body) for _ in range(10))
    )
    assert sorted(r.status_code for r in responses) == [201] + [409] * 9
    assert await _balance(partner, customer["id"]) == "0.3"
    assert await operator.ledger_check() == {"balanced": True, "postings": 1, "mismatches": []}


async def _until_one_waits_on_a_lock(runtime: Runtime) -> None:
    """PostgreSQL: until another backend waits on a lock; SQLite (the writer lock is in-process):
    a few loop turns."""
    for _ in range(500):
        if runtime.db.dialect == "sqlite":
            await asyncio.sleep(0.05)
            return
        waiting = await runtime.db.fetchrow(
            "SELECT count(*) AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )
        if waiting is not None and waiting["n"] > 0:
            return
        await asyncio.sleep(0.01)
    raise AssertionError("nobody waited on a lock")


async def test_a_posting_that_waited_for_an_accounts_creation_sees_its_balance(
    client: httpx.AsyncClient, operator: Operator, partner: Partner, customer: dict[str, Any]
) -> None:
    """The first posting on a customer account creates it; a debit that arrives while that
    creation is uncommitted waits for it, then locks the created row and sees its balance
    (on PostgreSQL the row was not in the waiting statement's snapshot)."""
    runtime: Runtime = client.runtime  # type: ignore[attr-defined]
    created, release = asyncio.Event(), asyncio.Event()

    async def first_credit() -> None:
        entries = [
            postings.customer(customer["id"], "BTC", D("2")),
            postings.house(postings.HOUSE_TRADING, "BTC", D("-2")),
        ]
        async with runtime.db.transaction() as conn:
            await ledger.post(conn, entries, kind="test", order_id=None, now=runtime.clock.now())
            created.set()
            await release.wait()

    credit = asyncio.create_task(first_credit())
    await created.wait()
    debit = asyncio.create_task(_debit(runtime, customer["id"], D("1.5")))
    await _until_one_waits_on_a_lock(runtime)
    release.set()
    await credit
    assert await debit is True
    assert await _balance(partner, customer["id"]) == "0.5"
    assert await operator.ledger_check() == {"balanced": True, "postings": 2, "mismatches": []}
