"""Start and stop real server processes for benchmarks and end-to-end tests."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Mapping
from pathlib import Path

import httpx


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class ServerProcess:
    """`orderdesk serve` (or any uvicorn app) in a child process, with its own environment."""

    def __init__(self, args: list[str], env: Mapping[str, str], port: int, log_path: Path) -> None:
        self.args = args
        self.env = {**os.environ, **env}
        self.port = port
        self.log_path = log_path
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, ready_path: str = "/healthz", timeout: float = 60.0) -> ServerProcess:
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            self.args, env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited with {self.process.returncode}; see {self.log_path}")
            try:
                if httpx.get(self.base_url + ready_path, timeout=1.0).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        self.kill()
        raise RuntimeError(f"server not ready after {timeout}s; see {self.log_path}")

    def kill(self, sig: int = signal.SIGKILL) -> None:
        """Stop the whole process group (uvicorn workers included) with `sig`."""
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, sig)
        self.process.wait(timeout=30)

    def stop(self) -> None:
        self.kill(signal.SIGTERM)


def orderdesk_serve(env: Mapping[str, str], port: int, log_path: Path, *extra: str) -> ServerProcess:
    orderdesk = str(Path(sys.executable).with_name("orderdesk"))
    return ServerProcess([orderdesk, "serve", "--port", str(port), *extra], env, port, log_path)


def uvicorn_app(app: str, env: Mapping[str, str], port: int, log_path: Path) -> ServerProcess:
    args = [
        sys.executable,
        "-m",
        "uvicorn",
        app,
        "--factory",
        "--port",
        str(port),
        "--loop",
        "uvloop",
        "--http",
        "httptools",
        "--no-access-log",
        "--log-level",
        "warning",
    ]
    return ServerProcess(args, env, port, log_path)
