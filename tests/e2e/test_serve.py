"""The real command line: start-up, readiness, refusals, and surviving SIGKILL."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e.conftest import ServerFactory
from tests.faults.observe import log_lines

pytestmark = pytest.mark.slow
ORDERDESK = str(Path(sys.executable).with_name("orderdesk"))


def test_serve_answers_health_and_survives_sigkill(serve: ServerFactory) -> None:
    server = serve()
    assert httpx.get(server.base_url + "/healthz").json() == {"status": "ok"}
    assert httpx.get(server.base_url + "/readyz").json() == {"status": "ready"}
    metrics = httpx.get(server.base_url + "/metrics")
    assert metrics.status_code == 200 and "orderdesk_request_seconds" in metrics.text
    server.kill()
    restarted = serve(port=server.port)
    assert httpx.get(restarted.base_url + "/readyz").status_code == 200


def test_serve_takes_the_start_up_heap_out_of_the_collectors_walks(serve: ServerFactory, e2e_database_url: str) -> None:
    """A full garbage collection over the ~165,000 objects alive after start-up stopped the loop
    for ~100 ms (docs/performance.md, change 16): each API process freezes them once started."""
    workers = 2 if e2e_database_url.startswith("postgres") else 1
    server = serve(*(("--workers", str(workers)) if workers > 1 else ()), ORDERDESK_LOG_LEVEL="info")
    deadline = time.monotonic() + 30  # /healthz answers once one worker is up; wait for the other
    while len(frozen := heap_frozen_lines(server.log_path)) < workers and time.monotonic() < deadline:
        time.sleep(0.1)
    assert len(frozen) == workers
    assert all(line["objects"] > 10_000 for line in frozen)  # the modules and the app, not a handful


def heap_frozen_lines(log: Path) -> list[dict[str, Any]]:
    return [line for line in log_lines(log) if line.get("event") == "heap_frozen"]


def run_cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [ORDERDESK, *args], env={"PATH": "/usr/bin:/bin", **env}, capture_output=True, text=True, timeout=60
    )


def test_invalid_setting_stops_start_up_naming_it(tmp_path: Path) -> None:
    result = run_cli(
        "serve",
        "--port",
        "1",
        env={"ORDERDESK_DATABASE_URL": f"sqlite:///{tmp_path}/x.db", "ORDERDESK_AUCTION_PASSED_AFTER": "tomorrow"},
    )
    assert result.returncode == 2
    assert "ORDERDESK_AUCTION_PASSED_AFTER" in result.stderr


def test_several_workers_need_postgres(tmp_path: Path) -> None:
    result = run_cli("serve", "--workers", "2", env={"ORDERDESK_DATABASE_URL": f"sqlite:///{tmp_path}/x.db"})
    assert result.returncode == 2
    assert "PostgreSQL" in result.stderr


def test_db_upgrade_is_repeatable(tmp_path: Path) -> None:
    env = {"ORDERDESK_DATABASE_URL": f"sqlite:///{tmp_path}/fresh.db"}
    for _ in range(2):
        result = run_cli("db", "upgrade", env=env)
        assert result.returncode == 0, result.stderr
        assert "up to date" in result.stdout
