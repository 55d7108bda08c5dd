"""Database access: one small interface over asyncpg (PostgreSQL) and sqlite3 (SQLite).

SQL is written once with `:name` parameters and runs on both engines. Values come back as
Python types on both: aware UTC `datetime` for timestamp columns, `Decimal` for decimal
columns, `bool` for boolean columns (see `platform.dbtypes` for how SQLite does it).

Use cases run in exactly one transaction:

    async with db.transaction() as conn:
        row = await conn.fetchrow("SELECT ... WHERE id = :id" + conn.for_update, {"id": x})
        await conn.execute("UPDATE ...", {...})

The wrapper commits on normal exit and rolls back on any exception; services never commit.

SQLite runs ONE writer connection used from the event-loop thread: the single writer. Writers
take turns on an asyncio lock (it serves them in arrival order); their statements are fast and
never wait on the network, so they run inline (cheaper than a thread hop). COMMIT waits for
the disk (an fsync with synchronous=FULL), so it is shared: group commit. The writers that
queued for the lock together run in one `BEGIN IMMEDIATE` transaction, each in its own
SAVEPOINT (a failure takes back only its own work), and one COMMIT, on a thread so the event
loop keeps serving meanwhile, makes the whole batch durable. A lone writer commits at once;
when others wait, the batch stays open for them and a flusher queued behind them commits it.
No writer returns before its batch's COMMIT returned; if that COMMIT fails, every writer of the
batch fails as it did and nothing of the batch is written. Reads (`transaction(write=False)`,
`fetchrow`) use a small pool of read-only connections: WAL lets them read the last commit
while the writer writes, so a read never queues behind writes (nor sees a batch uncommitted).
PostgreSQL runs a pool; row locks (`conn.for_update`) serialise what must be serialised.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import sqlite3
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, Literal, Protocol, TypeVar

from orderdesk.platform import dbtypes, metrics

Params = Mapping[str, Any] | None
T = TypeVar("T")
Dialect = Literal["postgresql", "sqlite"]

#: How long a request waits for a pooled connection before it is answered 503.
ACQUIRE_TIMEOUT = 10.0

_NAMED_PARAM = re.compile(r"(?<![:\w]):([A-Za-z_][A-Za-z0-9_]*)")


class Row(Protocol):
    def __getitem__(self, key: str | int | slice) -> Any: ...
    def keys(self) -> Iterable[str]: ...


class UniqueViolation(Exception):
    """An INSERT/UPDATE hit a unique constraint; `constraint` names it when the engine says."""

    def __init__(self, constraint: str | None, message: str) -> None:
        super().__init__(message)
        self.constraint = constraint


class DatabaseUnavailable(Exception):
    """The database cannot be reached or refuses to write (connection lost, server restarting,
    disk full, file read-only). Answered 503 in the product's envelope; nothing was committed."""


@contextlib.asynccontextmanager
async def _discard_if_broken(raw: Any) -> AsyncIterator[None]:
    """A connection that lost its server is closed before it goes back to the pool, so the pool
    opens a fresh one instead of lending out one whose protocol state is broken."""
    try:
        yield
    except Exception as exc:
        if _pg_unavailable(exc) is not None:
            with contextlib.suppress(Exception):  # already detached when the pool saw it die
                raw.terminate()
        raise


def _pg_unavailable(exc: BaseException) -> str | None:
    """A short name when `exc` means PostgreSQL is away (not that the statement was wrong)."""
    import asyncpg

    if isinstance(exc, asyncpg.InternalClientError) and "another operation" in str(exc):
        return "connection_lost"  # a connection whose server went away mid-statement

    if isinstance(exc, asyncpg.PostgresConnectionError | asyncpg.ConnectionDoesNotExistError):
        return "connection_lost"
    if isinstance(exc, asyncpg.CannotConnectNowError | asyncpg.AdminShutdownError | asyncpg.CrashShutdownError):
        return "server_restarting"
    if isinstance(exc, asyncpg.InterfaceError) and "closed" in str(exc).lower():
        return "connection_lost"
    if isinstance(exc, asyncpg.TooManyConnectionsError):
        return "too_many_connections"
    if isinstance(exc, OSError | TimeoutError):  # refused, reset, unreachable, pool acquire timed out
        return "unreachable"
    return None


_SQLITE_UNAVAILABLE = (
    ("readonly", "read_only"),
    ("disk is full", "disk_full"),
    ("disk i/o error", "io_error"),
    ("unable to open", "cannot_open"),
    ("database is locked", "locked"),
)


def _sqlite_unavailable(exc: BaseException) -> str | None:
    if isinstance(exc, sqlite3.OperationalError):
        message = str(exc).lower()
        for needle, name in _SQLITE_UNAVAILABLE:
            if needle in message:
                return name
    return None


class Connection(Protocol):
    dialect: Dialect
    #: " FOR UPDATE" on PostgreSQL, "" on SQLite (the single writer already excludes others).
    for_update: str
    #: " FOR UPDATE SKIP LOCKED" on PostgreSQL, "" on SQLite.
    skip_locked: str

    async def fetch(self, sql: str, params: Params = None) -> list[Row]: ...
    async def fetchrow(self, sql: str, params: Params = None) -> Row | None: ...
    async def fetchval(self, sql: str, params: Params = None) -> Any: ...
    async def execute(self, sql: str, params: Params = None) -> int: ...
    async def executemany(self, sql: str, rows: Sequence[Mapping[str, Any]]) -> None: ...
    async def try_advisory_lock(self, key: int) -> bool: ...


class Database(Protocol):
    dialect: Dialect

    async def open(self) -> None: ...
    async def close(self) -> None: ...
    def transaction(self, *, write: bool = True) -> contextlib.AbstractAsyncContextManager[Connection]: ...
    def transaction_trying_lock(self, key: int) -> contextlib.AbstractAsyncContextManager[Connection]:
        """A write transaction that tries advisory lock `key` as it begins (PostgreSQL: in the
        BEGIN's round trip); `conn.try_advisory_lock(key)` then answers without another one."""
        ...

    async def fetchrow(self, sql: str, params: Params = None) -> Row | None:
        """One read statement on its own, outside any explicit transaction (it sees one
        snapshot). For hot single-query reads; anything else uses transaction()."""
        ...

    async def fetch(self, sql: str, params: Params = None) -> list[Row]:
        """Like fetchrow, every row."""
        ...

    async def ping(self) -> bool: ...
    def in_use(self) -> int:
        """Connections lent out now (for the pool gauge)."""
        ...


def open_database(url: str, *, pool_size: int = 10, sqlite_synchronous: str = "full") -> Database:
    """Build (not yet open) the database for an ORDERDESK_DATABASE_URL."""
    if url.startswith("sqlite:///"):
        return SQLiteDatabase(url.removeprefix("sqlite:///"), synchronous=sqlite_synchronous)
    if url.startswith(("postgresql://", "postgres://")):
        return PostgresDatabase(url, pool_size=pool_size)
    raise ValueError(f"unsupported database URL: {url!r}")


# --------------------------------------------------------------------------- PostgreSQL


class _PgSqlCache:
    """Translates `:name` SQL to asyncpg's `$n` once per statement text."""

    def __init__(self) -> None:
        self._cache: dict[str, tuple[str, tuple[str, ...]]] = {}

    def translate(self, sql: str) -> tuple[str, tuple[str, ...]]:
        hit = self._cache.get(sql)
        if hit is None:
            names: list[str] = []

            def number(match: re.Match[str]) -> str:
                name = match.group(1)
                if name not in names:
                    names.append(name)
                return f"${names.index(name) + 1}"

            hit = (_NAMED_PARAM.sub(number, sql), tuple(names))
            if len(self._cache) < 4096:
                self._cache[sql] = hit
        return hit


_pg_sql = _PgSqlCache()


class PostgresConnection:
    dialect: Dialect = "postgresql"
    for_update = " FOR UPDATE"
    skip_locked = " FOR UPDATE SKIP LOCKED"

    def __init__(self, raw: Any, tried_locks: dict[int, bool] | None = None) -> None:
        self.raw = raw
        self._tried_locks = tried_locks or {}

    def _args(self, sql: str, params: Params) -> tuple[str, list[Any]]:
        text, names = _pg_sql.translate(sql)
        if not names:
            return text, []
        assert params is not None, f"SQL needs parameters {names}"
        args = [params[name] for name in names]
        if any(type(arg) is str and "\x00" in arg for arg in args):
            args = [_without_nul(arg) for arg in args]
        return text, args

    async def fetch(self, sql: str, params: Params = None) -> list[Row]:
        text, args = self._args(sql, params)
        with _pg_errors():
            return await self.raw.fetch(text, *args)

    async def fetchrow(self, sql: str, params: Params = None) -> Row | None:
        text, args = self._args(sql, params)
        with _pg_errors():
            return await self.raw.fetchrow(text, *args)

    async def fetchval(self, sql: str, params: Params = None) -> Any:
        text, args = self._args(sql, params)
        with _pg_errors():
            return await self.raw.fetchval(text, *args)

    async def execute(self, sql: str, params: Params = None) -> int:
        text, args = self._args(sql, params)
        with _pg_errors():
            status = await self.raw.execute(text, *args)
        tail = status.rsplit(" ", 1)[-1]
        return int(tail) if tail.isdigit() else 0

    async def executemany(self, sql: str, rows: Sequence[Mapping[str, Any]]) -> None:
        if not rows:
            return
        text, names = _pg_sql.translate(sql)
        with _pg_errors():
            await self.raw.executemany(text, [[row[name] for name in names] for row in rows])

    async def try_advisory_lock(self, key: int) -> bool:
        tried = self._tried_locks.pop(key, None)
        if tried is not None:  # tried as the transaction began
            return tried
        return bool(await self.raw.fetchval("SELECT pg_try_advisory_xact_lock($1)", key))


def _without_nul(arg: Any) -> Any:
    """PostgreSQL text cannot hold NUL, and asyncpg fails the statement (and the transaction)
    on one. Such a value only reaches SQL as a lookup key from a path or query string (bodies
    holding NUL are refused when parsed), and it equals nothing stored: NULL matches nothing
    too, as SQLite's comparison of the NUL string would."""
    return None if type(arg) is str and "\x00" in arg else arg


@contextlib.contextmanager
def _pg_errors() -> Iterator[None]:
    import asyncpg

    try:
        yield
    except asyncpg.UniqueViolationError as exc:
        raise UniqueViolation(getattr(exc, "constraint_name", None), str(exc)) from exc


async def _keep_session(raw: Any) -> None:
    """Pool release hook. asyncpg's default sends RESET ALL, CLOSE ALL, UNLISTEN * and
    pg_advisory_unlock_all() on every release: a round trip per transaction for session state
    orderdesk never creates (advisory locks are transaction-scoped). asyncpg still rolls back
    a transaction left open before the connection is reused."""
    return None


class PostgresDatabase:
    dialect: Dialect = "postgresql"

    def __init__(self, url: str, *, pool_size: int = 10) -> None:
        self.url = url.replace("postgres://", "postgresql://", 1)
        self.pool_size = pool_size
        self._pool: Any = None
        self._turns = asyncio.Semaphore(pool_size)  # made again with each pool: bound to its loop

    async def open(self) -> None:
        import asyncpg

        if self._pool is None:
            self._turns = asyncio.Semaphore(self.pool_size)
            self._pool = await asyncpg.create_pool(
                self.url,
                min_size=1,
                max_size=self.pool_size,
                command_timeout=60,
                server_settings={"application_name": "orderdesk", "timezone": "UTC"},
                reset=_keep_session,
            )

    async def close(self) -> None:
        if self._pool is not None:
            await self._pool.close()
            self._pool = None

    @contextlib.asynccontextmanager
    async def _acquire(self) -> AsyncIterator[Any]:
        """A pooled connection, handed out in arrival order. asyncpg's pool lets a newcomer take
        a connection released for a waiter (the waiter goes back to the end of the queue), so
        under load some requests waited ~50x the median for one (docs/performance.md, change 15)."""
        await asyncio.wait_for(self._turns.acquire(), ACQUIRE_TIMEOUT)
        try:
            async with self._pool.acquire(timeout=ACQUIRE_TIMEOUT) as raw:
                yield raw
        finally:
            self._turns.release()

    @contextlib.asynccontextmanager
    async def transaction(self, *, write: bool = True) -> AsyncIterator[Connection]:
        with _unavailable("postgresql", _pg_unavailable):
            async with (
                self._acquire() as raw,
                _discard_if_broken(raw),
                raw.transaction(readonly=not write),
            ):
                yield PostgresConnection(raw)

    @contextlib.asynccontextmanager
    async def transaction_trying_lock(self, key: int) -> AsyncIterator[Connection]:
        """BEGIN and the lock attempt in one simple-query round trip (`key` is an int, safe to
        inline): `SELECT 1` when granted, `SELECT 0` when another transaction holds it."""
        with _unavailable("postgresql", _pg_unavailable):
            async with self._acquire() as raw, _discard_if_broken(raw):
                status = await raw.execute(f"BEGIN; SELECT WHERE pg_try_advisory_xact_lock({int(key)})")
                try:
                    yield PostgresConnection(raw, {key: status == "SELECT 1"})
                except BaseException:
                    with contextlib.suppress(Exception):  # a lost connection is discarded on release
                        await raw.execute("ROLLBACK")
                    raise
                await raw.execute("COMMIT")

    async def fetchrow(self, sql: str, params: Params = None) -> Row | None:
        return await self._alone(PostgresConnection.fetchrow, sql, params)

    async def fetch(self, sql: str, params: Params = None) -> list[Row]:
        return await self._alone(PostgresConnection.fetch, sql, params)

    async def _alone(
        self, run: Callable[[PostgresConnection, str, Params], Awaitable[T]], sql: str, params: Params
    ) -> T:
        with _unavailable("postgresql", _pg_unavailable):
            async with self._acquire() as raw, _discard_if_broken(raw):
                return await run(PostgresConnection(raw), sql, params)

    def in_use(self) -> int:
        if self._pool is None:
            return 0
        return int(self._pool.get_size() - self._pool.get_idle_size())

    async def ping(self) -> bool:
        try:
            async with self._pool.acquire(timeout=2.0) as raw:
                return await raw.fetchval("SELECT 1") == 1
        except Exception:
            return False


# --------------------------------------------------------------------------- SQLite


class SQLiteConnection:
    dialect: Dialect = "sqlite"
    for_update = ""
    skip_locked = ""

    def __init__(self, raw: sqlite3.Connection) -> None:
        self.raw = raw

    # Each statement handles its errors inline (`_raise_unique_violation`): a context manager around
    # it cost about a microsecond per statement, ~10 statements per write request.

    async def fetch(self, sql: str, params: Params = None) -> list[Row]:
        try:
            return self.raw.execute(sql, params or _NO_PARAMS).fetchall()
        except sqlite3.IntegrityError as exc:
            _raise_unique_violation(exc)
            raise

    async def fetchrow(self, sql: str, params: Params = None) -> Row | None:
        try:
            return self.raw.execute(sql, params or _NO_PARAMS).fetchone()
        except sqlite3.IntegrityError as exc:
            _raise_unique_violation(exc)
            raise

    async def fetchval(self, sql: str, params: Params = None) -> Any:
        try:
            row = self.raw.execute(sql, params or _NO_PARAMS).fetchone()
        except sqlite3.IntegrityError as exc:
            _raise_unique_violation(exc)
            raise
        return None if row is None else row[0]

    async def execute(self, sql: str, params: Params = None) -> int:
        try:
            return self.raw.execute(sql, params or _NO_PARAMS).rowcount
        except sqlite3.IntegrityError as exc:
            _raise_unique_violation(exc)
            raise

    async def executemany(self, sql: str, rows: Sequence[Mapping[str, Any]]) -> None:
        try:
            self.raw.executemany(sql, rows)
        except sqlite3.IntegrityError as exc:
            _raise_unique_violation(exc)
            raise

    async def try_advisory_lock(self, key: int) -> bool:
        # One connection, one transaction at a time: whoever runs holds every key already.
        return True


_NO_PARAMS: Mapping[str, Any] = {}


def _raise_unique_violation(exc: sqlite3.IntegrityError) -> None:
    """UniqueViolation when `exc` is a unique constraint's refusal; other integrity errors are
    re-raised by the caller as they are."""
    message = str(exc)
    if "UNIQUE" in message:
        # "UNIQUE constraint failed: table.col1, table.col2"
        raise UniqueViolation(message.partition(": ")[2] or None, message) from exc


class _Batch:
    """One write transaction shared by the writers that queued for the writer lock together:
    each writer's work is a SAVEPOINT in it, one COMMIT (one fsync) makes all of it durable.
    `done` resolves once the COMMIT returned: to None, or to the error that ended the batch
    (then none of it is written)."""

    def __init__(self) -> None:
        self.done: asyncio.Future[BaseException | None] = asyncio.get_running_loop().create_future()
        self.writers = 0


class SQLiteDatabase:
    """The single writer. WAL checkpoints run on a thread with their own connection: done
    inline (SQLite's default) they would stall the event loop for the length of an fsync."""

    dialect: Dialect = "sqlite"
    checkpoint_interval = 1.0

    readers = 4
    #: The most writers one COMMIT makes durable.
    batch_limit = 64

    def __init__(self, path: str, *, synchronous: str = "full") -> None:
        self.path = path
        self.synchronous = synchronous.upper()
        self._raw: sqlite3.Connection | None = None
        self._lock = asyncio.Lock()
        self._waiting = 0
        self._batch: _Batch | None = None
        self._flusher: asyncio.Task[None] | None = None
        self._checkpointer: asyncio.Task[None] | None = None
        self._readers: asyncio.Queue[sqlite3.Connection] | None = None
        self._reader_list: list[sqlite3.Connection] = []
        self._statement_reader: sqlite3.Connection | None = None

    async def open(self) -> None:
        if self._raw is None:
            self._raw = connect_sqlite(self.path, synchronous=self.synchronous)
            self._raw.execute("PRAGMA wal_autocheckpoint=0")
            if self.path != ":memory:":  # an in-memory database exists on its own connection only
                self._reader_list = [self._connect_reader() for _ in range(self.readers)]
                self._readers = asyncio.Queue()
                for reader in self._reader_list:
                    self._readers.put_nowait(reader)
                self._statement_reader = self._connect_reader()
            self._checkpointer = asyncio.create_task(self._checkpoint_forever())

    async def close(self) -> None:
        if self._checkpointer is not None:
            self._checkpointer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._checkpointer
            self._checkpointer = None
        if self._raw is not None:
            async with self._lock:
                if self._batch is not None:
                    await self._commit_batch()
                for reader in self._reader_list:
                    reader.close()
                if self._statement_reader is not None:
                    self._statement_reader.close()
                self._reader_list, self._readers, self._statement_reader = [], None, None
                self._raw.execute("PRAGMA wal_checkpoint(TRUNCATE)")
                self._raw.close()
                self._raw = None
            if self._flusher is not None:  # queued behind close: finds nothing left to commit
                await self._flusher

    def _connect_reader(self) -> sqlite3.Connection:
        reader = connect_sqlite(self.path, synchronous=self.synchronous)
        reader.execute("PRAGMA query_only=ON")
        return reader

    async def _checkpoint_forever(self) -> None:
        checkpoint_conn = await asyncio.to_thread(connect_sqlite, self.path, synchronous=self.synchronous)
        running: asyncio.Future[Any] | None = None
        try:
            while True:
                await asyncio.sleep(self.checkpoint_interval)
                running = asyncio.ensure_future(
                    asyncio.to_thread(checkpoint_conn.execute, "PRAGMA wal_checkpoint(PASSIVE)")
                )
                await asyncio.shield(running)
        finally:
            # Cancelling does not stop the worker thread: closing the connection while it still
            # runs the checkpoint crashes the process (segfault in sqlite3). Let it finish first.
            if running is not None and not running.done():
                with contextlib.suppress(Exception):
                    await running
            checkpoint_conn.close()

    @contextlib.asynccontextmanager
    async def transaction(self, *, write: bool = True) -> AsyncIterator[Connection]:
        if not write and self._readers is not None:
            async with self._reader() as reader:
                with _unavailable("sqlite", _sqlite_unavailable):
                    reader.execute("BEGIN")
                    try:
                        yield SQLiteConnection(reader)
                    finally:
                        reader.execute("COMMIT")
            return
        with _unavailable("sqlite", _sqlite_unavailable):
            await self._take_turn()
            try:
                raw, batch = self._join_batch()
                failure: BaseException | None = None
                try:
                    raw.execute("SAVEPOINT request")
                    yield SQLiteConnection(raw)
                except BaseException as exc:
                    failure = exc
                    self._undo(raw, batch, exc)
                else:
                    raw.execute("RELEASE request")
                await self._end_turn(batch)
            finally:
                self._lock.release()
            if not isinstance(failure, asyncio.CancelledError):  # nobody waits for the answer
                await self._committed(batch)
            if failure is not None:
                raise failure

    async def _take_turn(self) -> None:
        """The writer lock. Its waiters are counted: a writer ending its turn while others wait
        leaves the batch open for them."""
        self._waiting += 1
        try:
            await self._lock.acquire()
        finally:
            self._waiting -= 1

    def _join_batch(self) -> tuple[sqlite3.Connection, _Batch]:
        raw = self._raw
        assert raw is not None, "database is not open"
        if self._batch is None:
            raw.execute("BEGIN IMMEDIATE")
            self._batch = _Batch()
        self._batch.writers += 1
        return raw, self._batch

    def _undo(self, raw: sqlite3.Connection, batch: _Batch, error: BaseException) -> None:
        """Take back one writer's work, exactly as a ROLLBACK of its own transaction would. When
        SQLite has already rolled back the whole transaction (it may on disk full or an I/O
        error) or cannot take the work back, the batch ends here: none of it is written."""
        if raw.in_transaction:
            try:
                raw.execute("ROLLBACK TO request")
                raw.execute("RELEASE request")
                return
            except sqlite3.Error as exc:
                error = exc
        self._end_batch(raw, batch, error)

    async def _end_turn(self, batch: _Batch) -> None:
        """Commit the batch now if no other writer waits to join it (or it is full); else leave
        it open for them, with one flusher queued behind them to commit it."""
        if self._batch is not batch:
            return  # it ended already (a writer's failure rolled it back)
        if self._waiting == 0 or batch.writers >= self.batch_limit:
            await self._commit_batch()
        elif self._flusher is None:
            self._flusher = asyncio.create_task(self._flush())

    async def _flush(self) -> None:
        """Commits the open batch once the writers queued ahead of it have added their work."""
        try:
            async with self._lock:
                if self._batch is not None:
                    await self._commit_batch()
        finally:
            self._flusher = None

    async def _commit_batch(self) -> None:
        """COMMIT the open batch (writer lock held) and tell its writers how it ended."""
        raw, batch = self._raw, self._batch
        assert raw is not None and batch is not None
        error, cancelled = await self._commit(raw)
        self._end_batch(raw, batch, error)
        if cancelled:
            raise asyncio.CancelledError

    def _end_batch(self, raw: sqlite3.Connection, batch: _Batch, error: BaseException | None) -> None:
        """Settle the batch: committed (`error` None) or failed. A failed COMMIT (disk full,
        read-only) may leave the transaction open, or SQLite may have rolled it back itself: it
        is ended either way, nothing half-written."""
        if error is not None and raw.in_transaction:
            with contextlib.suppress(sqlite3.Error):
                raw.execute("ROLLBACK")
        self._batch = None
        batch.done.set_result(error)

    async def _commit(self, raw: sqlite3.Connection) -> tuple[BaseException | None, bool]:
        """COMMIT on a thread: it waits for the disk, the event loop need not (and serves the
        requests that will form the next batch meanwhile). Submitted to the thread right here
        (not when a task first runs: a blocking call scheduled before it would wait for a lock
        this COMMIT is about to release). Waited for to the end even if the caller is
        cancelled: the writer lock is released only after the COMMIT finished. Returns the
        COMMIT's error (or None) and whether the caller was cancelled meanwhile.

        Measured (docs/performance.md): with group commit, COMMIT inline on the loop gave auto
        POST and crypto confirm a p99 of 23-26x their p50; on the thread, 2-4.5x."""
        committing = asyncio.get_running_loop().run_in_executor(None, raw.execute, "COMMIT")
        cancelled = False
        while not committing.done():
            try:
                await asyncio.wait((committing,))
            except asyncio.CancelledError:
                cancelled = True
        return committing.exception(), cancelled

    async def _committed(self, batch: _Batch) -> None:
        """Wait until the batch's COMMIT returned; if it failed, fail as it did (a copy: every
        writer of the batch raises its own)."""
        error = await asyncio.shield(batch.done)
        if error is not None:
            raise sqlite3.OperationalError(*error.args) from error

    def transaction_trying_lock(self, key: int) -> contextlib.AbstractAsyncContextManager[Connection]:
        return self.transaction()  # one writer: whoever runs holds every key already

    @contextlib.asynccontextmanager
    async def _reader(self) -> AsyncIterator[sqlite3.Connection]:
        assert self._readers is not None, "database is not open"
        reader = await self._readers.get()
        try:
            yield reader
        finally:
            self._readers.put_nowait(reader)

    async def fetchrow(self, sql: str, params: Params = None) -> Row | None:
        return await self._alone(sqlite3.Cursor.fetchone, sql, params)

    async def fetch(self, sql: str, params: Params = None) -> list[Row]:
        return await self._alone(sqlite3.Cursor.fetchall, sql, params)

    async def _alone(self, take: Callable[[sqlite3.Cursor], T], sql: str, params: Params) -> T:
        """One statement outside a transaction, on the statement reader (the writer for an
        in-memory database). The statement and the reading of its rows run to the end without
        giving up the event loop, so one connection serves them all in turn: no turn to wait for
        in the pool of readers, which serve read transactions (those hold a reader across awaits)."""
        reader = self._statement_reader
        if reader is not None:
            try:
                return take(reader.execute(sql, params or _NO_PARAMS))
            except sqlite3.Error as exc:
                _raise_unavailable("sqlite", _sqlite_unavailable, exc)
                raise
        async with self.transaction() as conn:  # an in-memory database: the writer's connection
            assert isinstance(conn, SQLiteConnection)
            return take(conn.raw.execute(sql, params or _NO_PARAMS))

    def in_use(self) -> int:
        return 1 if self._lock.locked() else 0

    async def ping(self) -> bool:
        try:
            async with self.transaction(write=False) as conn:
                return await conn.fetchval("SELECT 1") == 1
        except Exception:
            return False


@contextlib.contextmanager
def _unavailable(engine: str, classify: Callable[[BaseException], str | None]) -> Iterator[None]:
    """Turn "the database is away" into DatabaseUnavailable (counted in the metrics); every
    other error passes through unchanged."""
    try:
        yield
    except DatabaseUnavailable:
        raise
    except Exception as exc:
        _raise_unavailable(engine, classify, exc)
        raise


def _raise_unavailable(engine: str, classify: Callable[[BaseException], str | None], exc: Exception) -> None:
    """DatabaseUnavailable when `exc` means the database is away; else the caller re-raises `exc`."""
    reason = classify(exc)
    if reason is not None:
        metrics.observe_db_error(engine, reason)
        raise DatabaseUnavailable(f"{engine} {reason}: {exc}") from exc


def connect_sqlite(path: str, *, synchronous: str = "FULL") -> sqlite3.Connection:
    """A connection in autocommit mode (we issue BEGIN/COMMIT) with typed columns."""
    dbtypes.register_sqlite_types()
    if path != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    raw = sqlite3.connect(
        path,
        isolation_level=None,
        check_same_thread=False,
        detect_types=sqlite3.PARSE_DECLTYPES,
        timeout=10.0,
    )
    raw.row_factory = sqlite3.Row
    raw.execute("PRAGMA journal_mode=WAL")
    raw.execute(f"PRAGMA synchronous={synchronous}")
    raw.execute("PRAGMA foreign_keys=ON")
    raw.execute("PRAGMA busy_timeout=10000")
    return raw
