"""SQLite group commit: writers queued for the single writer together share one transaction
and one COMMIT, each in its own SAVEPOINT. A request answers only after its batch's COMMIT
returned; a failure takes back its own work only; a failed COMMIT fails the whole batch."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from orderdesk.platform.db import DatabaseUnavailable, SQLiteConnection, SQLiteDatabase

Body = Callable[[SQLiteConnection], Awaitable[None]]
Task = asyncio.Task[None]


@pytest.fixture
async def database(tmp_path: Path) -> AsyncIterator[SQLiteDatabase]:
    db = SQLiteDatabase(str(tmp_path / "group.db"), synchronous="normal")
    await db.open()
    async with db.transaction() as conn:
        await conn.execute("CREATE TABLE t (id INTEGER PRIMARY KEY)")
    yield db
    await db.close()


def committed(db: SQLiteDatabase) -> set[int]:
    """The rows another connection sees: only what was committed."""
    probe = sqlite3.connect(db.path)
    try:
        return {row[0] for row in probe.execute("SELECT id FROM t")}
    finally:
        probe.close()


def no_write_transaction_open(db: SQLiteDatabase) -> bool:
    probe = sqlite3.connect(db.path, timeout=0, isolation_level=None)
    try:
        probe.execute("BEGIN IMMEDIATE")  # fails at once ("database is locked") if a batch is open
        probe.execute("ROLLBACK")
        return True
    except sqlite3.OperationalError:
        return False
    finally:
        probe.close()


def count_commits(db: SQLiteDatabase) -> list[str]:
    seen: list[str] = []
    assert db._raw is not None
    db._raw.set_trace_callback(lambda sql: seen.append(sql) if sql == "COMMIT" else None)
    return seen


async def write(db: SQLiteDatabase, row: int, body: Body | None = None) -> None:
    async with db.transaction() as conn:
        await conn.execute("INSERT INTO t (id) VALUES (:id)", {"id": row})
        if body is not None:
            await body(conn)
    assert row in committed(db)  # no answer before its COMMIT returned


async def start_queued(db: SQLiteDatabase, bodies: dict[int, Body | None]) -> tuple[asyncio.Event, list[Task]]:
    """Row 0's writer takes the writer lock and holds it until the gate opens; writers 1..n
    queue behind it meanwhile. Returns the gate and the writers' tasks (row 0's first)."""
    gate = asyncio.Event()

    async def hold(conn: SQLiteConnection) -> None:
        await gate.wait()

    first = asyncio.create_task(write(db, 0, hold))
    await asyncio.sleep(0)
    others = [asyncio.create_task(write(db, row, body)) for row, body in bodies.items()]
    await asyncio.sleep(0)
    return gate, [first, *others]


async def outcomes(tasks: list[Task]) -> list[Any]:
    """Each writer's outcome: None, or the exception it raised."""
    return await asyncio.wait_for(asyncio.gather(*tasks, return_exceptions=True), 10)


async def queued_behind_a_holder(db: SQLiteDatabase, bodies: dict[int, Body | None]) -> list[Any]:
    gate, tasks = await start_queued(db, bodies)
    gate.set()
    return await outcomes(tasks)


async def test_writers_queued_together_share_one_commit(database: SQLiteDatabase) -> None:
    commits = count_commits(database)
    results = await queued_behind_a_holder(database, dict.fromkeys(range(1, 10)))
    assert results == [None] * 10
    assert committed(database) == set(range(10))
    assert len(commits) == 1


async def test_a_lone_writer_commits_at_once(database: SQLiteDatabase) -> None:
    commits = count_commits(database)
    for row in range(3):
        await write(database, row)
    assert len(commits) == 3 and committed(database) == {0, 1, 2}


async def test_batches_are_capped(database: SQLiteDatabase) -> None:
    database.batch_limit = 4
    commits = count_commits(database)
    results = await queued_behind_a_holder(database, dict.fromkeys(range(1, 10)))
    assert results == [None] * 10 and committed(database) == set(range(10))
    assert len(commits) == 3  # 4 + 4 + 2


async def test_a_failing_writer_takes_back_only_its_own_work(database: SQLiteDatabase) -> None:
    async def fail(conn: SQLiteConnection) -> None:
        await conn.execute("INSERT INTO t (id) VALUES (100)")
        raise RuntimeError("refused")

    commits = count_commits(database)
    results = await queued_behind_a_holder(database, {1: None, 2: fail, 3: None})
    assert results[:2] == [None, None] and results[3] is None
    assert isinstance(results[2], RuntimeError)
    assert committed(database) == {0, 1, 3}
    assert len(commits) == 1


async def test_an_error_answer_waits_for_its_batch_commit(database: SQLiteDatabase) -> None:
    """An error may rest on a batch-mate's row that is not committed yet."""

    async def refuse_because_row_1_exists(conn: SQLiteConnection) -> None:
        if await conn.fetchval("SELECT count(*) FROM t WHERE id = 1"):
            raise LookupError("row 1 exists")

    seen_when_refused: set[int] = set()

    async def refused() -> None:
        try:
            await write(database, 2, refuse_because_row_1_exists)
        except LookupError:
            seen_when_refused.update(committed(database))

    gate, tasks = await start_queued(database, {1: None})
    tasks.append(asyncio.create_task(refused()))
    await asyncio.sleep(0)
    tasks.append(asyncio.create_task(write(database, 3)))  # so the refused one is not the committer
    await asyncio.sleep(0)
    gate.set()
    assert await outcomes(tasks) == [None] * 4
    assert seen_when_refused == {0, 1, 3}


async def test_a_unique_violation_leaves_the_batch_usable(database: SQLiteDatabase) -> None:
    async def duplicate(conn: SQLiteConnection) -> None:
        await conn.execute("INSERT INTO t (id) VALUES (0)")  # row 0's writer is a batch-mate

    results = await queued_behind_a_holder(database, {1: duplicate, 2: None})
    assert results[0] is None and results[2] is None and results[1] is not None
    assert committed(database) == {0, 2}


class FailingCommit:
    """The writer connection, but COMMIT fails as on a full disk (the transaction stays open)."""

    def __init__(self, raw: sqlite3.Connection) -> None:
        self.raw = raw

    def execute(self, sql: str, *args: Any) -> sqlite3.Cursor:
        if sql == "COMMIT":
            raise sqlite3.OperationalError("database or disk is full")
        return self.raw.execute(sql, *args)

    @property
    def in_transaction(self) -> bool:
        return self.raw.in_transaction


async def test_a_failed_commit_fails_the_whole_batch(database: SQLiteDatabase) -> None:
    raw = database._raw
    assert raw is not None
    database._raw = FailingCommit(raw)  # type: ignore[assignment]
    results = await queued_behind_a_holder(database, dict.fromkeys(range(1, 5)))
    assert all(isinstance(outcome, DatabaseUnavailable) for outcome in results), results
    assert all("disk_full" in str(outcome) for outcome in results)
    assert committed(database) == set()
    database._raw = raw
    assert no_write_transaction_open(database)
    await write(database, 7)
    assert committed(database) == {7}


async def test_a_failure_sqlite_rolled_back_fails_the_batch(database: SQLiteDatabase) -> None:
    """Disk full or an I/O error in a statement may make SQLite roll back the whole
    transaction: every batch-mate's work is gone, so every batch-mate fails."""

    async def lose_the_transaction(conn: SQLiteConnection) -> None:
        conn.raw.execute("ROLLBACK")  # what SQLite does itself on such an error
        raise sqlite3.OperationalError("disk I/O error")

    results = await queued_behind_a_holder(database, {1: None, 2: lose_the_transaction})
    assert [type(outcome) for outcome in results] == [DatabaseUnavailable] * 3, results
    assert committed(database) == set()
    await write(database, 5)
    assert committed(database) == {5}


async def test_cancelled_waiters_leave_no_batch_open(database: SQLiteDatabase) -> None:
    gate, tasks = await start_queued(database, {1: None, 2: None})
    gate.set()
    await asyncio.sleep(0)  # the holder saw them waiting and left its batch open for them
    tasks[1].cancel()
    tasks[2].cancel()
    results = await outcomes(tasks)
    assert results[0] is None
    assert isinstance(results[1], asyncio.CancelledError) and isinstance(results[2], asyncio.CancelledError)
    assert committed(database) == {0}
    assert no_write_transaction_open(database)
    await asyncio.wait_for(write(database, 3), 10)
    assert committed(database) == {0, 3}


async def test_a_writer_cancelled_mid_work_takes_back_its_work(database: SQLiteDatabase) -> None:
    working, never = asyncio.Event(), asyncio.Event()

    async def stall(conn: SQLiteConnection) -> None:
        working.set()
        await never.wait()

    gate, tasks = await start_queued(database, {1: stall, 2: None})
    gate.set()
    await asyncio.wait_for(working.wait(), 10)
    tasks[1].cancel()
    results = await outcomes(tasks)
    assert results[0] is None and results[2] is None
    assert isinstance(results[1], asyncio.CancelledError)
    assert committed(database) == {0, 2}
    assert no_write_transaction_open(database)
    await asyncio.wait_for(write(database, 3), 10)
    assert committed(database) == {0, 2, 3}


async def test_a_writer_cancelled_while_committing_still_commits_its_batch(database: SQLiteDatabase) -> None:
    done_working = asyncio.Event()

    async def finish(conn: SQLiteConnection) -> None:
        done_working.set()

    gate, tasks = await start_queued(database, {1: finish})
    gate.set()
    await asyncio.wait_for(done_working.wait(), 10)
    tasks[1].cancel()  # the last of the batch: it commits it, on the COMMIT thread by now
    results = await outcomes(tasks)
    assert results[0] is None and isinstance(results[1], asyncio.CancelledError)
    assert committed(database) == {0, 1}  # a COMMIT once started finishes
    assert no_write_transaction_open(database)
    await asyncio.wait_for(write(database, 2), 10)
