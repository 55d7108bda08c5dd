"""The database layer behaves the same on both engines."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from orderdesk.platform.db import Database, UniqueViolation

SCRATCH = {
    "sqlite": "CREATE TABLE scratch (id TEXT PRIMARY KEY, at TEXT_UTC, amount TEXT_DEC, flag BOOLEAN)",
    "postgresql": "CREATE TABLE scratch (id TEXT PRIMARY KEY, at TIMESTAMPTZ, amount NUMERIC, flag BOOLEAN)",
}


@pytest.fixture
async def scratch(db: Database) -> Database:
    async with db.transaction() as conn:
        await conn.execute("DROP TABLE IF EXISTS scratch")
        await conn.execute(SCRATCH[db.dialect])
    return db


async def test_types_round_trip(scratch: Database) -> None:
    at = datetime(2026, 5, 12, 4, 30, 0, 123456, tzinfo=UTC)
    async with scratch.transaction() as conn:
        await conn.execute(
            "INSERT INTO scratch VALUES (:id, :at, :amount, :flag)",
            {"id": "a", "at": at, "amount": Decimal("0.000000000000000001"), "flag": True},
        )
        await conn.execute(
            "INSERT INTO scratch VALUES (:id, :at, :amount, :flag)",
            {"id": "b", "at": None, "amount": Decimal("10000.50"), "flag": False},
        )
    async with scratch.transaction(write=False) as conn:
        rows = await conn.fetch("SELECT id, at, amount, flag FROM scratch ORDER BY id")
    assert rows[0]["at"] == at and rows[0]["at"].tzinfo is not None
    assert rows[0]["amount"] == Decimal("0.000000000000000001") and str(rows[0]["amount"]) == "1E-18"
    assert rows[0]["flag"] is True
    assert rows[1]["at"] is None and rows[1]["amount"] == Decimal("10000.50") and rows[1]["flag"] is False


async def test_timestamps_compare_in_sql(scratch: Database) -> None:
    early = datetime(2026, 5, 12, 4, 30, tzinfo=UTC)
    async with scratch.transaction() as conn:
        for i in range(3):
            await conn.execute(
                "INSERT INTO scratch (id, at) VALUES (:id, :at)", {"id": str(i), "at": early.replace(second=i)}
            )
        later = await conn.fetch(
            "SELECT id FROM scratch WHERE at > :t ORDER BY at DESC", {"t": early.replace(second=0)}
        )
    assert [r["id"] for r in later] == ["2", "1"]


async def test_repeated_named_parameters(scratch: Database) -> None:
    async with scratch.transaction() as conn:
        await conn.execute("INSERT INTO scratch (id) VALUES (:id)", {"id": "x"})
        found = await conn.fetchval("SELECT count(*) FROM scratch WHERE id = :v OR id = :v", {"v": "x"})
    assert found == 1


async def test_exception_rolls_back(scratch: Database) -> None:
    with pytest.raises(RuntimeError):
        async with scratch.transaction() as conn:
            await conn.execute("INSERT INTO scratch (id) VALUES ('gone')")
            raise RuntimeError("boom")
    async with scratch.transaction(write=False) as conn:
        assert await conn.fetchval("SELECT count(*) FROM scratch") == 0


async def test_unique_violation_is_translated(scratch: Database) -> None:
    with pytest.raises(UniqueViolation):
        async with scratch.transaction() as conn:
            await conn.execute("INSERT INTO scratch (id) VALUES ('dup')")
            await conn.execute("INSERT INTO scratch (id) VALUES ('dup')")


async def test_executemany_and_rowcount(scratch: Database) -> None:
    async with scratch.transaction() as conn:
        await conn.executemany(
            "INSERT INTO scratch (id, flag) VALUES (:id, :flag)", [{"id": str(i), "flag": i % 2 == 0} for i in range(5)]
        )
        changed = await conn.execute("UPDATE scratch SET flag = :f WHERE flag = :old", {"f": True, "old": False})
    assert changed == 2


async def test_sqlite_checkpoints_off_the_event_loop(database_url: str, engine: str) -> None:
    if engine != "sqlite":
        pytest.skip("WAL checkpoints are a SQLite matter")
    import os

    from orderdesk.platform.db import SQLiteDatabase

    database = SQLiteDatabase(database_url.removeprefix("sqlite:///"), synchronous="normal")
    database.checkpoint_interval = 0.01
    await database.open()
    async with database.transaction() as conn:
        await conn.execute("CREATE TABLE filler (x TEXT)")
        await conn.executemany("INSERT INTO filler VALUES (:x)", [{"x": "y" * 500}] * 2000)
    wal = database.path + "-wal"
    assert os.path.getsize(wal) > 0
    import asyncio

    for _ in range(100):  # the background checkpoint copies the WAL into the database file
        await asyncio.sleep(0.01)
        async with database.transaction(write=False) as conn:
            if await conn.fetchval("SELECT count(*) FROM filler") == 2000 and _checkpointed(database.path):
                break
    assert _checkpointed(database.path)
    await database.close()
    assert not os.path.exists(wal) or os.path.getsize(wal) == 0  # emptied on close


def _checkpointed(path: str) -> bool:
    import sqlite3

    probe = sqlite3.connect(path)
    try:
        busy, log_frames, checkpointed = probe.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        return log_frames == checkpointed
    finally:
        probe.close()


async def test_fetchrow_outside_a_transaction(scratch: Database) -> None:
    assert await scratch.fetchrow("SELECT id FROM scratch WHERE id = :id", {"id": "x"}) is None
    async with scratch.transaction() as conn:
        await conn.execute("INSERT INTO scratch (id, flag) VALUES (:id, :flag)", {"id": "x", "flag": True})
    row = await scratch.fetchrow("SELECT id, flag FROM scratch WHERE id = :id", {"id": "x"})
    assert row is not None and row["id"] == "x" and row["flag"] is True


async def test_one_statement_reads_do_not_wait_for_the_pooled_readers(database_url: str, engine: str) -> None:
    """SQLite: a read transaction holds a pooled reader across awaits; a one-statement read
    (`fetchrow`, `fetch`: key lookups, GET by id) runs on its own reader, so it neither waits
    for one nor runs inside a held reader's older snapshot: it sees the last commit."""
    if engine != "sqlite":
        pytest.skip("the pool of read-only connections is SQLite's")
    import asyncio
    import contextlib

    from orderdesk.platform.db import SQLiteDatabase

    database = SQLiteDatabase(database_url.removeprefix("sqlite:///"))
    await database.open()
    try:
        async with database.transaction() as conn:
            await conn.execute("CREATE TABLE seen (id TEXT PRIMARY KEY)")
        async with contextlib.AsyncExitStack() as held:
            readers = [
                await held.enter_async_context(database.transaction(write=False)) for _ in range(database.readers)
            ]
            for reader in readers:  # each holds a snapshot without the row
                assert await reader.fetchval("SELECT count(*) FROM seen") == 0
            async with database.transaction() as conn:
                await conn.execute("INSERT INTO seen (id) VALUES ('x')")
            row = await asyncio.wait_for(database.fetchrow("SELECT id FROM seen WHERE id = :id", {"id": "x"}), 5)
            assert row is not None and row["id"] == "x"
            assert [r["id"] for r in await asyncio.wait_for(database.fetch("SELECT id FROM seen"), 5)] == ["x"]
    finally:
        await database.close()


async def test_integrity_errors_other_than_unique_pass_through(scratch: Database) -> None:
    async with scratch.transaction() as conn:
        await conn.execute("DROP TABLE IF EXISTS required")
        await conn.execute("CREATE TABLE required (id TEXT NOT NULL)")
    with pytest.raises(Exception) as raised:  # noqa: PT011 - each driver's own class
        async with scratch.transaction() as conn:
            await conn.execute("INSERT INTO required (id) VALUES (NULL)")
    assert not isinstance(raised.value, UniqueViolation)
    assert "null" in str(raised.value).lower()


async def test_connection_reused_after_a_cancelled_transaction(database_url: str, engine: str) -> None:
    if engine != "postgres":
        pytest.skip("pool reuse is a PostgreSQL matter")
    import asyncio

    from orderdesk.platform.db import open_database

    db = open_database(database_url, pool_size=1)  # one connection: the next use gets the same one
    await db.open()
    try:
        async with db.transaction() as conn:
            await conn.execute("DROP TABLE IF EXISTS scratch")
            await conn.execute(SCRATCH["postgresql"])

        async def stuck() -> None:
            async with db.transaction() as conn:
                await conn.execute("INSERT INTO scratch (id) VALUES ('uncommitted')")
                await conn.execute("SELECT pg_sleep(5)")

        task = asyncio.create_task(stuck())
        await asyncio.sleep(0.3)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        async with db.transaction() as conn:  # no transaction leaks into the next use
            assert await conn.fetchval("SELECT count(*) FROM scratch") == 0
            await conn.execute("INSERT INTO scratch (id) VALUES ('next')")
        assert await db.fetchrow("SELECT id FROM scratch WHERE id = 'next'") is not None
    finally:
        await db.close()


async def test_pooled_connections_go_in_arrival_order(database_url: str, engine: str) -> None:
    """Requests keep arriving while one connection serves them: each is served in the order it
    asked (asyncpg's pool alone hands a released connection to whoever asks next, ahead of
    those already waiting: under load some requests waited ~50x the median)."""
    if engine != "postgres":
        pytest.skip("the connection pool is PostgreSQL's")
    import asyncio

    from orderdesk.platform.db import open_database

    db = open_database(database_url, pool_size=1)
    await db.open()
    asked: list[int] = []
    served: list[int] = []

    async def use(number: int) -> None:
        asked.append(number)
        async with db.transaction(write=False) as conn:
            served.append(number)
            await conn.fetchval("SELECT 1")

    try:
        tasks = []
        for number in range(60):  # a new request every loop iteration, while others wait
            tasks.append(asyncio.create_task(use(number)))
            await asyncio.sleep(0)
        await asyncio.gather(*tasks)
        assert served == asked
    finally:
        await db.close()
