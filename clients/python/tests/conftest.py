"""Fixtures for the SDK's suite: a real `orderdesk serve` process on a free port (SQLite, and
PostgreSQL when ORDERDESK_TEST_POSTGRES_URL names a database we may wipe), an operator client
over plain httpx, and a standard-library webhook receiver."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest

POSTGRES_URL = os.environ.get("ORDERDESK_TEST_POSTGRES_URL")
OPS_TOKEN = "sdk-test-ops-token"
FAST = ",".join(["1s"] * 20)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wait_for(condition: Any, timeout: float = 30.0, interval: float = 0.2) -> Any:
    """Poll `condition()` until it returns something truthy; fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout}s")
        time.sleep(interval)


class Server:
    """`orderdesk serve` in a child process of its own session (killed as a group)."""

    def __init__(self, database_url: str, log_path: Path) -> None:
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        orderdesk = str(Path(sys.executable).with_name("orderdesk"))
        env = {
            **os.environ,
            "ORDERDESK_DATABASE_URL": database_url,
            "ORDERDESK_OPS_TOKEN": OPS_TOKEN,
            "ORDERDESK_LOG_LEVEL": "warning",
            "ORDERDESK_DISPATCH_INTERVAL": "1s",
            "ORDERDESK_WEBHOOK_RETRY_SCHEDULE": FAST,
            "ORDERDESK_CRYPTO_WEBHOOK_RETRY_SCHEDULE": FAST,
            "ORDERDESK_CRYPTO_SEND_DELAY": "1s",
        }
        self.log = log_path.open("ab")
        self.process = subprocess.Popen(
            [orderdesk, "serve", "--port", str(self.port)],
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self._wait_ready(log_path)

    def _wait_ready(self, log_path: Path) -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"orderdesk serve exited: {log_path.read_text()[-2000:]}")
            try:
                if httpx.get(self.base_url + "/healthz", timeout=1.0).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError("orderdesk serve not ready after 60 s")

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, 9)
            self.process.wait(timeout=30)
        self.log.close()


def reset_postgres(url: str) -> None:
    """An empty schema: the server migrates it at start, so every test starts from the seed."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("SET lock_timeout = '60s'")  # fail, never hang, if a connection still holds a lock
        conn.execute("DROP SCHEMA public CASCADE")
        conn.execute("CREATE SCHEMA public")


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'sdk.db'}"
    if not POSTGRES_URL:
        pytest.skip("PostgreSQL not configured: set ORDERDESK_TEST_POSTGRES_URL to run these cases")
    reset_postgres(POSTGRES_URL)
    return POSTGRES_URL


@pytest.fixture
def server(database_url: str, tmp_path: Path) -> Iterator[Server]:
    started = Server(database_url, tmp_path / "server.log")
    yield started
    started.stop()


@pytest.fixture
def ops(server: Server) -> Iterator[httpx.Client]:
    """The operator, through plain HTTP (the SDK is for partners)."""
    with httpx.Client(base_url=server.base_url, headers={"Authorization": f"Bearer {OPS_TOKEN}"}) as client:
        yield client


# --------------------------------------------------------------------------- webhook receiver


@dataclass
class Delivery:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    url: str
    deliveries: list[Delivery] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def received(self) -> list[Delivery]:
        with self.lock:
            return list(self.deliveries)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    """A webhook endpoint answering 200 to every POST, keeping what it got."""
    port = free_port()
    box = Receiver(f"http://127.0.0.1:{port}/hooks")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            with box.lock:
                box.deliveries.append(Delivery(self.path, dict(self.headers.items()), body))
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield box
    httpd.shutdown()
    httpd.server_close()
