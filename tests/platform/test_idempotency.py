from __future__ import annotations

import asyncio

import pytest

from orderdesk.platform import idempotency
from orderdesk.platform.db import Database
from tests.conftest import DEFAULT_NOW


async def test_claim_save_and_load(db: Database) -> None:
    async with db.transaction() as conn:
        assert await idempotency.claim(conn, "auto:p1", "k1") is None
        await idempotency.save(conn, "auto:p1", "k1", "POST /v1/orders", "veh-1", 201, b'{"id":"x"}', DEFAULT_NOW)
    async with db.transaction() as conn:
        stored = await idempotency.claim(conn, "auto:p1", "k1")
        other_scope = await idempotency.claim(conn, "auto:p2", "k1")
    assert stored == idempotency.StoredResponse("POST /v1/orders", "veh-1", 201, b'{"id":"x"}')
    assert other_scope is None


async def test_second_save_is_a_race(db: Database) -> None:
    async with db.transaction() as conn:
        await idempotency.save(conn, "s", "k", "E", "f", 200, b"{}", DEFAULT_NOW)
    with pytest.raises(idempotency.Race):
        async with db.transaction() as conn:
            await idempotency.save(conn, "s", "k", "E", "f", 200, b"{}", DEFAULT_NOW)


async def test_key_in_flight_is_refused_on_postgres(db: Database, engine: str) -> None:
    if engine != "postgres":
        pytest.skip("SQLite has one writer: a second transaction cannot start while the first runs")
    holding = asyncio.Event()
    release = asyncio.Event()

    async def first() -> None:
        async with db.transaction() as conn:
            await idempotency.claim(conn, "s", "busy")
            holding.set()
            await release.wait()

    task = asyncio.create_task(first())
    await holding.wait()
    with pytest.raises(idempotency.KeyInUse):
        async with db.transaction() as conn:
            await idempotency.claim(conn, "s", "busy")
    release.set()
    await task
    async with db.transaction() as conn:  # free again once the first transaction ended
        assert await idempotency.claim(conn, "s", "busy") is None


@pytest.mark.parametrize("key", ["0f8fad5b-d9cb-469f-a165-70867728950e", "it's \\ a ü key"])
async def test_lock_expression_is_lock_id_on_postgres(db: Database, engine: str, key: str) -> None:
    """PostgreSQL computes the same lock number as `lock_id`, so a request that locks by
    expression and one that locks by number contend for the same key."""
    if engine != "postgres":
        pytest.skip("SQLite takes no advisory locks")
    expression = idempotency.lock_expression("'auto:' || 'p1'", key)
    async with db.transaction() as conn:
        computed = await conn.fetchval("SELECT " + expression.sql)
    assert computed == idempotency.lock_id("auto:p1", key)


async def test_claimed_tries_a_refused_lock_again_and_reads_after_it_on_postgres(db: Database, engine: str) -> None:
    """Begun while another transaction held the key: once that one committed its record, the
    retry is granted and the record is read after it (not the stale read of before)."""
    if engine != "postgres":
        pytest.skip("SQLite takes no advisory locks")
    lock = idempotency.lock_expression("'auto:' || 'p1'", "k")
    holding, release = asyncio.Event(), asyncio.Event()

    async def holder() -> None:
        async with db.transaction() as conn:
            await idempotency.claim(conn, "auto:p1", "k")
            holding.set()
            await release.wait()
            await idempotency.save(conn, "auto:p1", "k", "E", "f", 200, b"{}", DEFAULT_NOW)

    task = asyncio.create_task(holder())
    await holding.wait()
    async with db.transaction_trying_lock(lock) as conn:  # refused: the holder has it
        stale = await idempotency.load(conn, "auto:p1", "k")
        release.set()
        await task
        stored = await idempotency.claimed(conn, lock, "auto:p1", "k", stale)
    assert stale is None
    assert stored == idempotency.StoredResponse("E", "f", 200, b"{}")


async def test_claimed_refuses_a_key_still_held_on_postgres(db: Database, engine: str) -> None:
    if engine != "postgres":
        pytest.skip("SQLite takes no advisory locks")
    async with db.transaction() as holder:
        await idempotency.claim(holder, "auto:p1", "k")
        lock = idempotency.lock_expression("'auto:' || 'p1'", "k")
        with pytest.raises(idempotency.KeyInUse):
            async with db.transaction_trying_lock(lock) as conn:
                await idempotency.claimed(conn, lock, "auto:p1", "k", None)
    nothing = idempotency.lock_expression("NULL", "k")  # no scope: nothing to lock, refused
    with pytest.raises(idempotency.KeyInUse):
        async with db.transaction_trying_lock(nothing) as conn:
            await idempotency.claimed(conn, nothing, "auto:p1", "k", None)
