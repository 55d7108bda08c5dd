"""Optional OpenTelemetry tracing: off (and not even imported) unless OTEL_* variables ask for
it; on, every request becomes a span exported by the configured exporter."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from orderdesk.platform.tracing import tracing_requested

PROGRAM = """
import asyncio, sys
import httpx
from orderdesk.app import create_app
from orderdesk.settings import load_settings

async def main():
    app = create_app(load_settings(database_url=sys.argv[1]))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            assert (await client.get("/healthz")).status_code == 200
    # FastAPI and redis-py may import parts of opentelemetry themselves; the instrumentations
    # (what would wrap every request, statement and outbound call) are ours alone.
    ours = [f"opentelemetry.instrumentation.{name}" for name in ("asgi", "asyncpg", "httpx")]
    print("OTEL_IMPORTED", any(name in sys.modules for name in ours))

asyncio.run(main())
"""


def run(tmp_path: Path, **env: str) -> str:
    from orderdesk.migrate import upgrade

    url = f"sqlite:///{tmp_path}/t.db"
    upgrade(url)
    clean = {k: v for k, v in os.environ.items() if not k.startswith("OTEL_")}
    done = subprocess.run(
        [sys.executable, "-c", PROGRAM, url], env={**clean, **env}, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_off_by_default_and_never_imported(tmp_path: Path) -> None:
    assert "OTEL_IMPORTED False" in run(tmp_path)


def test_console_exporter_gets_a_span_per_request(tmp_path: Path) -> None:
    out = run(tmp_path, OTEL_TRACES_EXPORTER="console", OTEL_SERVICE_NAME="orderdesk-test")
    assert "OTEL_IMPORTED True" in out
    assert '"trace_id"' in out and "/healthz" in out and "orderdesk-test" in out


def test_which_variables_switch_it_on() -> None:
    assert not tracing_requested({})
    assert tracing_requested({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318"})
    assert tracing_requested({"OTEL_TRACES_EXPORTER": "otlp"})
    assert not tracing_requested({"OTEL_TRACES_EXPORTER": "none", "OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318"})
    assert not tracing_requested({"OTEL_SDK_DISABLED": "true", "OTEL_TRACES_EXPORTER": "console"})
