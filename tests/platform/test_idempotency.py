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
