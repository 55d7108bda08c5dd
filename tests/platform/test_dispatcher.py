"""The outbox dispatcher: claims, outcomes, FIFO, leases, sweeps, concurrent workers."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import timedelta

import pytest

from orderdesk.platform import outbox
from orderdesk.platform.clock import ManualClock
from orderdesk.platform.db import Connection, Database
from orderdesk.platform.dispatcher import Dispatcher, Job, Outcome


async def enqueue(
    db: Database, clock: ManualClock, ref: str, *, fifo_key: str | None = None, delay: float = 0, kind: str = "test"
) -> None:
    now = clock.now()
    async with db.transaction() as conn:
        await outbox.enqueue(conn, kind, ref=ref, due_at=now + timedelta(seconds=delay), now=now, fifo_key=fifo_key)


async def states(db: Database) -> dict[str, tuple[str, int]]:
    async with db.transaction(write=False) as conn:
        rows = await conn.fetch("SELECT ref, state, attempts FROM outbox ORDER BY id")
    return {r["ref"]: (r["state"], r["attempts"]) for r in rows}


@pytest.fixture
def dispatcher(db: Database, clock: ManualClock) -> Dispatcher:
    return Dispatcher(db, clock, interval=0.01)


async def test_due_rows_run_once_and_settle(db: Database, clock: ManualClock, dispatcher: Dispatcher) -> None:
    seen: list[str] = []

    async def handle(job: Job) -> Outcome:
        seen.append(job.ref)
        return Outcome.done()

    dispatcher.register("test", handle)
    await enqueue(db, clock, "now")
    await enqueue(db, clock, "later", delay=60)
    assert await dispatcher.drain() == 1
    assert seen == ["now"]
    clock.advance(seconds=60)
    await dispatcher.drain()
    assert seen == ["now", "later"]
    assert await states(db) == {"now": ("done", 1), "later": ("done", 1)}
    assert await dispatcher.drain() == 0


async def test_record_runs_in_the_settling_transaction(
    db: Database, clock: ManualClock, dispatcher: Dispatcher
) -> None:
    async def record(conn: Connection) -> None:
        await conn.execute("UPDATE outbox SET last_error = 'recorded' WHERE ref = 'r'")

    async def handle(job: Job) -> Outcome:
        return Outcome.done(record)

    dispatcher.register("test", handle)
    await enqueue(db, clock, "r")
    await dispatcher.drain()
    async with db.transaction(write=False) as conn:
        assert await conn.fetchval("SELECT last_error FROM outbox WHERE ref = 'r'") == "recorded"


async def test_retry_waits_for_its_time(db: Database, clock: ManualClock, dispatcher: Dispatcher) -> None:
    calls: list[int] = []

    async def handle(job: Job) -> Outcome:
        calls.append(job.attempts)
        if job.attempts < 2:
            return Outcome.retry(clock.now() + timedelta(seconds=30), error="503")
        return Outcome.done()

    dispatcher.register("test", handle)
    await enqueue(db, clock, "flaky")
    await dispatcher.drain()
    clock.advance(seconds=29)
    await dispatcher.drain()
    assert calls == [0]
    clock.advance(seconds=1)
    await dispatcher.drain()
    clock.advance(seconds=30)
    await dispatcher.drain()
    assert calls == [0, 1, 2]
    assert await states(db) == {"flaky": ("done", 3)}


async def test_a_failing_handler_is_retried_with_growing_back_off(
    db: Database, clock: ManualClock, dispatcher: Dispatcher
) -> None:
    async def handle(job: Job) -> Outcome:
        raise RuntimeError("handler bug")

    dispatcher.register("test", handle)
    await enqueue(db, clock, "broken")
    delays = []
    for _ in range(3):
        before = clock.now()
        await dispatcher.drain()
        async with db.transaction(write=False) as conn:
            due = await conn.fetchval("SELECT due_at FROM outbox WHERE ref = 'broken'")
        delays.append((due - before).total_seconds())
        clock.set(due)
    assert delays == [5, 10, 20]
    assert await states(db) == {"broken": ("pending", 3)}


async def test_unknown_kind_is_dead(db: Database, clock: ManualClock, dispatcher: Dispatcher) -> None:
    await enqueue(db, clock, "orphan", kind="nobody")
    await dispatcher.drain()
    assert await states(db) == {"orphan": ("dead", 1)}


async def test_fifo_rows_wait_for_earlier_rows_including_retries(
    db: Database, clock: ManualClock, dispatcher: Dispatcher
) -> None:
    order: list[str] = []

    async def handle(job: Job) -> Outcome:
        order.append(job.ref)
        if job.ref == "a1" and job.attempts == 0:
            return Outcome.retry(clock.now() + timedelta(seconds=10))
        return Outcome.done()

    dispatcher.register("test", handle)
    for ref in ("a1", "a2", "a3"):
        await enqueue(db, clock, ref, fifo_key="order-a")
    await enqueue(db, clock, "b1", fifo_key="order-b")
    await dispatcher.drain()
    assert order == ["a1", "b1"]  # a2 waits behind a1's retry; order-b is independent
    clock.advance(seconds=10)
    await dispatcher.drain()
    assert order == ["a1", "b1", "a1", "a2", "a3"]


async def test_detached_retry_lets_later_rows_go(db: Database, clock: ManualClock, dispatcher: Dispatcher) -> None:
    order: list[str] = []

    async def handle(job: Job) -> Outcome:
        order.append(job.ref)
        if job.ref == "first" and job.attempts == 0:
            return Outcome.retry(clock.now() + timedelta(seconds=10), detach=True)
        return Outcome.done()

    dispatcher.register("test", handle)
    await enqueue(db, clock, "first", fifo_key="sub")
    await enqueue(db, clock, "second", fifo_key="sub")
    await dispatcher.drain()
    assert order == ["first", "second"]
    clock.advance(seconds=10)
    await dispatcher.drain()
    assert order == ["first", "second", "first"]


async def test_a_crashed_claim_runs_again_after_the_lease(db: Database, clock: ManualClock) -> None:
    crashed = Dispatcher(db, clock, lease_seconds=120)
    await enqueue(db, clock, "job")
    assert len(await crashed._claim()) == 1  # claimed, then the process "dies" before settling
    survivor = Dispatcher(db, clock, lease_seconds=120)
    seen: list[str] = []

    async def handle(job: Job) -> Outcome:
        seen.append(job.ref)
        return Outcome.done()

    survivor.register("test", handle)
    await survivor.drain()
    assert seen == []
    clock.advance(seconds=120)
    await survivor.drain()
    assert seen == ["job"]
    assert await states(db) == {"job": ("done", 1)}


async def test_sweeps_run_every_round(db: Database, clock: ManualClock, dispatcher: Dispatcher) -> None:
    ticks: list[object] = []

    async def sweep(now: object) -> int:
        ticks.append(now)
        return 1 if len(ticks) < 3 else 0

    dispatcher.add_sweep("count", sweep)
    await dispatcher.drain()
    assert ticks == [clock.now()] * 3


async def test_run_forever_stops(db: Database, clock: ManualClock, dispatcher: Dispatcher) -> None:
    seen: list[str] = []

    async def handle(job: Job) -> Outcome:
        seen.append(job.ref)
        return Outcome.done()

    dispatcher.register("test", handle)
    await enqueue(db, clock, "x")
    stop = asyncio.Event()
    task = asyncio.create_task(dispatcher.run_forever(stop))
    for _ in range(200):
        if seen:
            break
        await asyncio.sleep(0.01)
    stop.set()
    await asyncio.wait_for(task, 5)
    assert seen == ["x"]


async def test_concurrent_workers_never_run_one_row_twice(db: Database, clock: ManualClock, engine: str) -> None:
    if engine != "postgres":
        pytest.skip("several workers at once is the PostgreSQL deployment (SKIP LOCKED)")
    async with db.transaction() as conn:
        now = clock.now()
        await conn.executemany(
            "INSERT INTO outbox (kind, ref, fifo_key, due_at, attempts, state, created_at, updated_at)"
            " VALUES ('test', :ref, :fifo, :now, 0, 'pending', :now, :now)",
            [{"ref": f"r{i}", "fifo": f"o{i % 50}" if i % 2 else None, "now": now} for i in range(600)],
        )
    runs = Counter[str]()

    async def handle(job: Job) -> Outcome:
        runs[job.ref] += 1
        await asyncio.sleep(0)
        return Outcome.done()

    workers = [Dispatcher(db, clock, batch_size=40) for _ in range(3)]
    for worker in workers:
        worker.register("test", handle)
    for _ in range(100):
        if sum(await asyncio.gather(*(w.run_once() for w in workers))) == 0:
            break
    assert len(runs) == 600 and set(runs.values()) == {1}


async def test_prepare_and_record_many_run_once_per_batch(
    db: Database, clock: ManualClock, dispatcher: Dispatcher
) -> None:
    prepared: list[list[str]] = []
    recorded: list[list[tuple[str, str, object]]] = []

    async def prepare(jobs: list[Job]) -> None:
        prepared.append([job.ref for job in jobs])

    async def handle(job: Job) -> Outcome:
        if job.ref == "b":
            return Outcome.retry(clock.now() + timedelta(seconds=5), data="again")
        return Outcome.done(data=job.ref.upper())

    async def record_many(conn: Connection, settled: list[tuple[Job, Outcome]]) -> None:
        recorded.append([(job.ref, outcome.state, outcome.data) for job, outcome in settled])
        await conn.execute("UPDATE outbox SET last_error = 'recorded' WHERE ref = 'a'")

    dispatcher.register("test", handle, prepare=prepare, record_many=record_many)
    for ref in ("a", "b", "c"):
        await enqueue(db, clock, ref)
    assert await dispatcher.run_once() == 3
    assert prepared == [["a", "b", "c"]]
    assert recorded == [[("a", "done", "A"), ("b", "retry", "again"), ("c", "done", "C")]]
    assert await states(db) == {"a": ("done", 1), "b": ("pending", 1), "c": ("done", 1)}
    async with db.transaction(write=False) as conn:
        assert await conn.fetchval("SELECT last_error FROM outbox WHERE ref = 'a'") == "recorded"


async def test_rows_whose_lease_was_taken_over_are_not_recorded(db: Database, clock: ManualClock) -> None:
    slow = Dispatcher(db, clock, lease_seconds=10)
    recorded: list[str] = []
    taken_over = asyncio.Event()

    async def handle(job: Job) -> Outcome:
        clock.advance(seconds=11)  # the attempt outlives its lease...
        other = Dispatcher(db, clock, lease_seconds=10)
        assert [j.ref for j in await other._claim()] == ["x"]  # ...and another dispatcher claims the row
        taken_over.set()
        return Outcome.done()

    async def record_many(conn: Connection, settled: list[tuple[Job, Outcome]]) -> None:
        recorded.extend(job.ref for job, _ in settled)

    slow.register("test", handle, record_many=record_many)
    await enqueue(db, clock, "x")
    await slow.run_once()
    assert taken_over.is_set() and recorded == []
    assert await states(db) == {"x": ("pending", 0)}  # still the other dispatcher's to settle
