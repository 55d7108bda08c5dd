"""Shared test fixtures.

Every test that uses `client` (or `make_client`) runs twice: on SQLite and on PostgreSQL.
PostgreSQL runs when ORDERDESK_TEST_POSTGRES_URL names a database we may wipe; otherwise
those cases skip with the reason shown in the summary.

Each test starts from a freshly migrated database: SQLite copies a migrated template file;
PostgreSQL empties every table, restarts its sequences and restores the rows the migrations seeded.
"""

from __future__ import annotations

import contextlib
import graphlib
import os
import shutil
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from orderdesk.app import create_app
from orderdesk.migrate import upgrade
from orderdesk.platform.clock import ManualClock
from orderdesk.platform.logs import configure_logging
from orderdesk.platform.runtime import Runtime
from orderdesk.settings import Settings

POSTGRES_URL = os.environ.get("ORDERDESK_TEST_POSTGRES_URL")
configure_logging("warning")
OPS_TOKEN = "test-ops-token"
# 2026-05-06 09:14:27 KST, the moment of the auto contract's examples.
DEFAULT_NOW = datetime(2026, 5, 6, 0, 14, 27, 123456, tzinfo=UTC)


# --------------------------------------------------------------------------- engines


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.db"
    upgrade(f"sqlite:///{path}")
    return path


class PostgresReset:
    """Puts the test database back to its freshly migrated state between tests.

    DELETE, not TRUNCATE: TRUNCATE of ~30 tables costs ~65 ms even when they are empty (new
    files for every table and index), DELETE of a test's few rows well under a millisecond.
    Tables are emptied children first so that no foreign key is ever violated, and the
    sequences restart as TRUNCATE ... RESTART IDENTITY did."""

    def __init__(self, url: str) -> None:
        import psycopg

        self.conn = psycopg.connect(url, autocommit=True)
        # Start from an empty schema so the snapshot below holds only what migrations seed.
        self.conn.execute("DROP SCHEMA public CASCADE")
        self.conn.execute("CREATE SCHEMA public")
        upgrade(url)
        tables = [
            r[0]
            for r in self.conn.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'alembic_version'"
            )
        ]
        self.tables = self._children_first(tables)
        self.sequences = [
            r[0] for r in self.conn.execute("SELECT sequencename FROM pg_sequences WHERE schemaname = 'public'")
        ]
        self.seed: dict[str, tuple[list[str], list[tuple[Any, ...]]]] = {}
        for table in tables:
            cur = self.conn.execute(f'SELECT * FROM "{table}"')
            rows = cur.fetchall()
            if rows:
                self.seed[table] = ([d.name for d in cur.description], rows)

    def _children_first(self, tables: list[str]) -> list[str]:
        """`tables` ordered so that every table comes before the tables its foreign keys name."""
        referrers: dict[str, set[str]] = {table: set() for table in tables}
        for child, parent in self.conn.execute(
            "SELECT conrelid::regclass::text, confrelid::regclass::text FROM pg_constraint"
            " WHERE contype = 'f' AND connamespace = 'public'::regnamespace"
        ):
            if child != parent and parent in referrers:
                referrers[parent].add(child)
        return list(graphlib.TopologicalSorter(referrers).static_order())

    def reset(self) -> None:
        if not self.tables:
            return
        with self.conn.transaction():
            self.conn.execute("; ".join(f'DELETE FROM "{t}"' for t in self.tables))
            if self.sequences:
                self.conn.execute("; ".join(f'ALTER SEQUENCE "{s}" RESTART' for s in self.sequences))
            for table, (columns, rows) in self.seed.items():
                cols = ", ".join(f'"{c}"' for c in columns)
                marks = ", ".join(["%s"] * len(columns))
                with self.conn.cursor() as cur:
                    cur.executemany(f'INSERT INTO "{table}" ({cols}) VALUES ({marks})', rows)


@pytest.fixture(scope="session")
def postgres_reset() -> PostgresReset:
    if not POSTGRES_URL:
        pytest.skip("PostgreSQL not configured: set ORDERDESK_TEST_POSTGRES_URL to run these cases")
    return PostgresReset(POSTGRES_URL)


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A freshly migrated database for this test, on each engine."""
    if request.param == "sqlite":
        template: Path = request.getfixturevalue("sqlite_template")
        path = tmp_path / "orderdesk.db"
        shutil.copyfile(template, path)
        return f"sqlite:///{path}"
    reset: PostgresReset = request.getfixturevalue("postgres_reset")
    reset.reset()
    assert POSTGRES_URL
    return POSTGRES_URL


@pytest.fixture
def engine(database_url: str) -> str:
    return "sqlite" if database_url.startswith("sqlite") else "postgres"


# --------------------------------------------------------------------------- app and clients


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(DEFAULT_NOW)


def settings_for(database_url: str, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "database_url": database_url,
        "ops_token": OPS_TOKEN,
        "rate_limit": "",  # rate-limit tests turn these back on explicitly
        "crypto_rate_limit": "",
        "sqlite_synchronous": "normal",
        "db_pool_size": 20,
        "log_level": "warning",
    }
    values.update(overrides)
    return Settings(**values)


ClientFactory = Callable[..., Awaitable[httpx.AsyncClient]]


@pytest.fixture
async def make_client(database_url: str, clock: ManualClock) -> AsyncIterator[ClientFactory]:
    """`await make_client(**settings_overrides, client_ip="203.0.113.7")` → an httpx client
    talking to a running app (lifespan entered) over ASGI. Its `.runtime` is the app's."""
    stack = contextlib.AsyncExitStack()

    async def factory(client_ip: str = "127.0.0.1", **overrides: Any) -> httpx.AsyncClient:
        app = create_app(settings_for(database_url, **overrides), clock=clock)
        await stack.enter_async_context(app.router.lifespan_context(app))
        transport = httpx.ASGITransport(app=app, client=(client_ip, 50000))
        client = httpx.AsyncClient(transport=transport, base_url="http://testserver")
        await stack.enter_async_context(client)
        client.runtime = app.state.runtime  # type: ignore[attr-defined]
        client.app = app  # type: ignore[attr-defined]
        return client

    async with stack:
        yield factory


@pytest.fixture
async def client(make_client: ClientFactory) -> httpx.AsyncClient:
    return await make_client()


@pytest.fixture
def runtime(client: httpx.AsyncClient) -> Runtime:
    return client.runtime  # type: ignore[attr-defined]


OPS_HEADERS = {"Authorization": f"Bearer {OPS_TOKEN}"}


# --------------------------------------------------------------------------- summary


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """One line per skip reason (`-rfE` lists failures and errors only), so that the PostgreSQL
    half of a run without ORDERDESK_TEST_POSTGRES_URL is one line, not hundreds."""
    reasons: dict[str, int] = {}
    for report in terminalreporter.stats.get("skipped", []):
        if isinstance(report.longrepr, tuple):
            reason = report.longrepr[2].removeprefix("Skipped: ")
        else:
            reason = str(report.longrepr)
        if "ORDERDESK_TEST_POSTGRES_URL" in reason:
            reason = "set ORDERDESK_TEST_POSTGRES_URL to also test PostgreSQL"
        reasons[reason] = reasons.get(reason, 0) + 1
    for reason, count in sorted(reasons.items(), key=lambda item: -item[1]):
        terminalreporter.write_line(f"{count} skipped: {reason}")
