"""The background dispatcher: runs due outbox rows and periodic sweeps.

It runs inside `orderdesk serve` (unless --no-dispatcher) and alone in `orderdesk worker`.
Any number of dispatchers may run against PostgreSQL: rows are claimed with
`FOR UPDATE SKIP LOCKED` and a lease, so one attempt is never run twice at the same time.
On SQLite the claim runs under the single writer.

Products plug in:
- a handler per outbox `kind`: `async def handle(job) -> Outcome`, called outside any
  transaction (it may talk to the network); the Outcome's `record` callback runs in the
  transaction that settles the row, so the product's bookkeeping and the outbox agree.
- sweeps: `async def sweep(now) -> int`, called every tick, for work derived from the data
  (auctions that are due, quotes that expired). A sweep locks what it changes and re-checks
  it, so two dispatchers running the same sweep is harmless.

A kind may also register `prepare(jobs)` (run once per claimed batch before its handlers: load
what they need in one query) and `record_many(conn, [(job, outcome), ...])` (run once in the
settling transaction: the product's bookkeeping for the whole batch in one statement). A batch
is settled in one transaction, so a busy dispatcher spends a few round trips per batch, not
several per row.

A crash between a handler's side effect and the settling transaction repeats the attempt
after the lease ends: delivery is at least once.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import structlog

from orderdesk.platform import ids, metrics
from orderdesk.platform.clock import Clock
from orderdesk.platform.db import Connection, Database, DatabaseUnavailable

log = structlog.get_logger("orderdesk.dispatcher")

Record = Callable[[Connection], Awaitable[None]]
#: Attempts finishing this close together are settled in one transaction.
SETTLE_WINDOW = 0.05
#: How long a stopping dispatcher lets attempts in flight finish before cancelling them.
STOP_GRACE = 5.0
TAKEN_OVER = "~"  # lease token suffix: this claim took the row over from an expired lease


@dataclass(frozen=True)
class Job:
    id: int
    kind: str
    ref: str
    fifo_key: str | None
    attempts: int  # attempts made before this one
    due_at: datetime
    created_at: datetime
    lease_token: str


@dataclass(frozen=True)
class Outcome:
    state: str  # "done" | "retry" | "dead"
    retry_at: datetime | None = None
    record: Record | None = None
    error: str | None = None
    detach: bool = False  # on retry, leave the FIFO so later rows are not held up
    data: Any = None  # what the kind's record_many needs to know about this attempt

    @classmethod
    def done(cls, record: Record | None = None, *, data: Any = None) -> Outcome:
        return cls("done", record=record, data=data)

    @classmethod
    def retry(
        cls,
        at: datetime,
        record: Record | None = None,
        error: str | None = None,
        detach: bool = False,
        *,
        data: Any = None,
    ) -> Outcome:
        return cls("retry", retry_at=at, record=record, error=error, detach=detach, data=data)

    @classmethod
    def dead(cls, record: Record | None = None, error: str | None = None, *, data: Any = None) -> Outcome:
        return cls("dead", record=record, error=error, data=data)


Handler = Callable[[Job], Awaitable[Outcome]]
Prepare = Callable[[list[Job]], Awaitable[None]]
RecordMany = Callable[[Connection, list[tuple[Job, Outcome]]], Awaitable[None]]
Sweep = Callable[[datetime], Awaitable[int]]


@dataclass(frozen=True)
class Registration:
    handler: Handler
    prepare: Prepare | None = None
    record_many: RecordMany | None = None


class Dispatcher:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        *,
        interval: float = 1.0,
        lease_seconds: float = 120.0,
        batch_size: int = 200,
        concurrency: int = 64,
    ) -> None:
        self.db = db
        self.clock = clock
        self.interval = interval
        self.lease = timedelta(seconds=lease_seconds)
        self.batch_size = batch_size
        self._semaphore = asyncio.Semaphore(concurrency)
        self._kinds: dict[str, Registration] = {}
        self._sweeps: list[tuple[str, Sweep]] = []
        self._wake = asyncio.Event()

    def register(
        self, kind: str, handler: Handler, *, prepare: Prepare | None = None, record_many: RecordMany | None = None
    ) -> None:
        self._kinds[kind] = Registration(handler, prepare, record_many)

    def handler(self, kind: str) -> Handler | None:
        registration = self._kinds.get(kind)
        return None if registration is None else registration.handler

    def kinds(self) -> list[str]:
        return list(self._kinds)

    def add_sweep(self, name: str, sweep: Sweep) -> None:
        self._sweeps.append((name, sweep))

    def wake(self) -> None:
        """Look for work now instead of at the next tick (after a commit that queued some)."""
        self._wake.set()

    # ----------------------------------------------------------------- one round

    async def run_once(self) -> int:
        """Run every sweep once, then claim and run one batch of due rows to the end. Returns
        work done."""
        done = await self._sweep_all()
        jobs = await self._claim(self.batch_size)
        if jobs:
            await self._run_batch(jobs)
        return done + len(jobs)

    async def drain(self, max_rounds: int = 1000) -> int:
        """Run rounds until one finds nothing due (tests, and `worker --once`)."""
        total = 0
        for _ in range(max_rounds):
            done = await self.run_once()
            total += done
            if done == 0:
                return total
        return total

    async def run_forever(self, stop: asyncio.Event) -> None:
        """Claim and run due rows until `stop`. Batches run side by side: a batch whose slowest
        attempt waits for its timeout (a hanging webhook receiver) holds up neither the rows
        that finished with it (settled as they finish) nor the next claims (up to `batch_size`
        rows in flight)."""
        log.info("dispatcher_started", interval=self.interval)
        running: set[asyncio.Task[None]] = set()
        in_flight = 0

        def finished(task: asyncio.Task[None], size: int) -> None:
            nonlocal in_flight
            in_flight -= size
            running.discard(task)
            self._wake.set()  # room for more

        while not stop.is_set():
            busy = 0
            try:
                busy = await self._sweep_all()
                room = self.batch_size - in_flight
                jobs = await self._claim(room) if room > 0 else []
                if jobs:
                    in_flight += len(jobs)
                    task = asyncio.create_task(self._run_batch(jobs))
                    running.add(task)
                    task.add_done_callback(functools.partial(finished, size=len(jobs)))
                    busy += len(jobs)
            except Exception:
                log.exception("dispatcher_round_failed")
            if busy:
                await asyncio.sleep(0)  # let the batch start before claiming again
                continue
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self.interval):
                    waiters = [asyncio.ensure_future(stop.wait()), asyncio.ensure_future(self._wake.wait())]
                    try:
                        await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
                    finally:
                        for waiter in waiters:
                            waiter.cancel()
        await self._finish(running)
        log.info("dispatcher_stopped")

    async def _finish(self, running: set[asyncio.Task[None]]) -> None:
        """At stop: let attempts in flight end for a moment, then cancel the rest (their rows
        run again when the lease ends: at least once)."""
        if not running:
            return
        _done, late = await asyncio.wait(set(running), timeout=STOP_GRACE)
        for task in late:
            task.cancel()
        await asyncio.gather(*late, return_exceptions=True)

    async def _sweep_all(self) -> int:
        done = 0
        for name, sweep in self._sweeps:
            try:
                done += await sweep(self.clock.now())
            except Exception:
                log.exception("sweep_failed", sweep=name)
        return done

    async def _run_batch(self, jobs: list[Job]) -> None:
        """Run a claimed batch; settle its rows as they finish, gathering those that finish
        within SETTLE_WINDOW of each other into one transaction."""
        await self._prepare(jobs)
        pending = {asyncio.ensure_future(self._run(job)): job for job in jobs}
        while pending:
            finished, _ = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
            if len(finished) < len(pending):
                more, _ = await asyncio.wait(set(pending) - finished, timeout=SETTLE_WINDOW)
                finished |= more
            results = sorted(((pending.pop(task), task.result()) for task in finished), key=lambda r: r[0].id)
            await self._settle_soon(jobs[0].lease_token, results)

    async def _settle_soon(self, token: str, results: list[tuple[Job, Outcome]]) -> None:
        """Settle, waiting for a database that is away for a while (up to half the lease): the
        attempts were made, and settling them spares receivers a repeat after the lease ends."""
        deadline = time.monotonic() + self.lease.total_seconds() / 2
        delay = 0.25
        while True:
            try:
                await self._settle(token, results)
                return
            except DatabaseUnavailable as exc:
                if time.monotonic() + delay > deadline:
                    log.warning("batch_settle_gave_up", jobs=len(results), error=str(exc))
                    return
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)
            except Exception:
                log.exception("batch_settle_failed", jobs=len(results))
                return

    # ----------------------------------------------------------------- internals

    async def _claim(self, limit: int | None = None) -> list[Job]:
        now = self.clock.now()
        token = ids.random_hex(8)
        async with self.db.transaction() as conn:
            # A row whose earlier lease ran out is marked by a suffixed token: the claim sees
            # only new values, and that is how it knows it took the row over.
            rows = await conn.fetch(
                "UPDATE outbox SET leased_until = :lease_until, updated_at = :now,"
                " lease_token = CASE WHEN leased_until IS NULL THEN :token ELSE :taken END"
                " WHERE id IN (SELECT o.id FROM outbox o"
                "   WHERE o.state = 'pending' AND o.due_at <= :now"
                "     AND (o.leased_until IS NULL OR o.leased_until <= :now)"
                "     AND (o.fifo_key IS NULL OR NOT EXISTS (SELECT 1 FROM outbox p"
                "          WHERE p.fifo_key = o.fifo_key AND p.state = 'pending' AND p.id < o.id))"
                f"   ORDER BY o.due_at, o.id LIMIT :limit{conn.skip_locked})"
                " RETURNING id, kind, ref, fifo_key, attempts, due_at, created_at, lease_token",
                {
                    "lease_until": now + self.lease,
                    "token": token,
                    "taken": token + TAKEN_OVER,
                    "now": now,
                    "limit": limit or self.batch_size,
                },
            )
        for row in rows:
            if row["lease_token"] != token:
                metrics.observe_lease_takeover(row["kind"])
                log.warning("job_lease_taken_over", job_id=row["id"], kind=row["kind"], ref=row["ref"])
        jobs = [
            Job(r["id"], r["kind"], r["ref"], r["fifo_key"], r["attempts"], r["due_at"], r["created_at"], token)
            for r in rows
        ]
        jobs.sort(key=lambda job: job.id)
        return jobs

    async def _prepare(self, jobs: list[Job]) -> None:
        by_kind: dict[str, list[Job]] = {}
        for job in jobs:
            by_kind.setdefault(job.kind, []).append(job)
        for kind, batch in by_kind.items():
            registration = self._kinds.get(kind)
            if registration is not None and registration.prepare is not None:
                try:
                    await registration.prepare(batch)
                except Exception:
                    log.exception("job_prepare_failed", kind=kind)

    async def _run(self, job: Job) -> Outcome:
        # Every line logged while this job runs names it (job id, kind, and the product's ref:
        # the event or delivery id). Each job runs in its own task, so the binding stays here.
        structlog.contextvars.bind_contextvars(job_id=job.id, kind=job.kind, ref=job.ref)
        registration = self._kinds.get(job.kind)
        async with self._semaphore:
            if registration is None:
                outcome = Outcome.dead(error=f"no handler for {job.kind}")
            else:
                try:
                    outcome = await registration.handler(job)
                except Exception as exc:
                    log.exception("job_failed", job_id=job.id, kind=job.kind)
                    backoff = min(3600.0, 5.0 * 2 ** min(job.attempts, 10))
                    outcome = Outcome.retry(
                        self.clock.now() + timedelta(seconds=backoff), error=f"{type(exc).__name__}: {exc}"[:500]
                    )
        metrics.observe_job(job.kind, outcome.state)
        if outcome.state != "done":  # what an operator looks for when deliveries fail
            log.info("job_" + outcome.state, attempts=job.attempts + 1, error=outcome.error, retry_at=outcome.retry_at)
        return outcome

    async def _settle(self, token: str, results: list[tuple[Job, Outcome]]) -> None:
        """Settle a claimed batch in one transaction: the rows still leased to us (a row whose
        lease ran out may have been taken over) and their products' bookkeeping."""
        now = self.clock.now()
        marks = ", ".join(f":id_{i}" for i in range(len(results)))
        params: dict[str, object] = {f"id_{i}": job.id for i, (job, _) in enumerate(results)}
        async with self.db.transaction() as conn:
            rows = await conn.fetch(
                f"SELECT id FROM outbox WHERE id IN ({marks}) AND lease_token IN (:token, :taken)" + conn.for_update,
                {**params, "token": token, "taken": token + TAKEN_OVER},
            )
            owned = {row["id"] for row in rows}
            mine = [(job, outcome) for job, outcome in results if job.id in owned]
            for job, _ in results:
                if job.id not in owned:
                    metrics.observe_lease_lost(job.kind)
                    log.warning("job_lease_lost", job_id=job.id, kind=job.kind, ref=job.ref)
            await conn.executemany(
                "UPDATE outbox SET state = :state, attempts = attempts + 1, due_at = :due_at,"
                " leased_until = NULL, lease_token = NULL, last_error = :error, updated_at = :now,"
                " fifo_key = CASE WHEN :detach THEN NULL ELSE fifo_key END WHERE id = :id",
                [
                    {
                        "state": "pending" if outcome.state == "retry" else outcome.state,
                        "due_at": outcome.retry_at or job.due_at,
                        "error": outcome.error,
                        "now": now,
                        "detach": outcome.detach,
                        "id": job.id,
                    }
                    for job, outcome in mine
                ],
            )
            by_kind: dict[str, list[tuple[Job, Outcome]]] = {}
            for job, outcome in mine:
                if outcome.record is not None:
                    await outcome.record(conn)
                by_kind.setdefault(job.kind, []).append((job, outcome))
            for kind, items in by_kind.items():
                registration = self._kinds.get(kind)
                if registration is not None and registration.record_many is not None:
                    await registration.record_many(conn, items)
