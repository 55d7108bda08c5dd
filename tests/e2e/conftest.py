"""End-to-end fixtures: the real `orderdesk serve` process, started and killed like in
production. Marked slow; they run in the normal suite."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from bench.server import ServerProcess, free_port, orderdesk_serve
from tests.conftest import OPS_TOKEN, POSTGRES_URL

ServerFactory = Callable[..., ServerProcess]


@pytest.fixture(params=["sqlite", "postgres"])
def e2e_database_url(request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path) -> str:
    if request.param == "sqlite":
        path = tmp_path / "e2e.db"
        shutil.copyfile(sqlite_template, path)
        return f"sqlite:///{path}"
    reset = request.getfixturevalue("postgres_reset")
    reset.reset()
    assert POSTGRES_URL
    return POSTGRES_URL


@pytest.fixture
def serve(e2e_database_url: str, tmp_path: Path) -> Iterator[ServerFactory]:
    """`serve(**env)` starts `orderdesk serve` on a free port and waits for /healthz."""
    started: list[ServerProcess] = []

    def factory(*args: str, port: int | None = None, **env: str) -> ServerProcess:
        environment = {
            "ORDERDESK_DATABASE_URL": e2e_database_url,
            "ORDERDESK_OPS_TOKEN": OPS_TOKEN,
            "ORDERDESK_LOG_LEVEL": "warning",
            "ORDERDESK_DISPATCH_INTERVAL": "1s",
            **env,
        }
        server = orderdesk_serve(environment, port or free_port(), tmp_path / "server.log", *args)
        started.append(server.start())
        return server

    yield factory
    for server in started:
        server.kill()
