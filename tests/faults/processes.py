"""Helper processes the fault tests start and kill themselves: a private redis-server, a
private PostgreSQL cluster, and load generators."""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

import httpx

from bench.server import free_port


def wait_until(predicate: object, timeout: float = 30.0, interval: float = 0.1) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if predicate():  # type: ignore[operator]
                return True
        except Exception:
            pass
        time.sleep(interval)
    return False


class PrivateRedis:
    """redis-server on its own port, no persistence; killed with SIGKILL, started again."""

    def __init__(self, workdir: Path) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            import pytest

            pytest.skip("redis-server is not installed")
        self.binary = binary
        self.port = free_port()
        self.workdir = workdir
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> PrivateRedis:
        args = [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
        self.process = subprocess.Popen(args, cwd=self.workdir, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        import redis

        client = redis.Redis(port=self.port)
        assert wait_until(client.ping, 10), "redis-server did not start"
        client.close()
        return self

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(10)

    def keys(self) -> list[bytes]:
        import redis

        client = redis.Redis(port=self.port)
        try:
            return list(client.keys("orderdesk:*"))
        finally:
            client.close()


def postgres_bin() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    return Path(found[-1]).parent if found else None


class PrivatePostgres:
    """A throwaway PostgreSQL cluster (initdb) on its own port under a temporary directory:
    the only PostgreSQL a fault test ever stops or restarts."""

    def __init__(self, workdir: Path) -> None:
        bindir = postgres_bin()
        if bindir is None:
            import pytest

            pytest.skip("PostgreSQL server binaries (initdb, pg_ctl) not found under /usr/lib/postgresql/*/bin")
        self.bindir = bindir
        # PostgreSQL refuses to run as root: then it runs as the `postgres` user, in a directory
        # of its own (pytest's tmp_path is private to root).
        self.as_user: list[str] = []
        if os.geteuid() == 0:
            runuser = shutil.which("runuser")
            if runuser is None:
                import pytest

                pytest.skip("running as root without runuser: cannot start a private PostgreSQL")
            self.as_user = [runuser, "-u", "postgres", "--"]
        self.workdir = Path(tempfile.mkdtemp(prefix="orderdesk-faults-pg-"))
        if self.as_user:
            shutil.chown(self.workdir, "postgres", "postgres")
        self.data = self.workdir / "pgdata"
        self.socket_dir = self.workdir
        self.port = free_port()
        self.log = self.workdir / "postgres.log"

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, *args: str) -> None:
        env = {**os.environ, "LC_ALL": "C"}
        done = subprocess.run([*self.as_user, *args], capture_output=True, timeout=120, env=env, cwd=self.workdir)
        if done.returncode != 0:
            raise RuntimeError(f"{args[0]} failed: {done.stderr.decode(errors='replace')[-2000:]}")

    def init(self) -> PrivatePostgres:
        self._run(
            str(self.bindir / "initdb"),
            "-D",
            str(self.data),
            "-U",
            "postgres",
            "--auth=trust",
            "--no-sync",
            "-E",
            "UTF8",
        )
        return self

    def start(self) -> PrivatePostgres:
        options = f"-p {self.port} -k {self.socket_dir} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._run(str(self.bindir / "pg_ctl"), "-D", str(self.data), "-l", str(self.log), "-o", options, "-w", "start")
        return self

    def stop(self, mode: str = "immediate") -> None:
        self._run(str(self.bindir / "pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "stop")

    def remove(self) -> None:
        with contextlib.suppress(Exception):
            self.stop()
        shutil.rmtree(self.workdir, ignore_errors=True)

    def stop_quietly(self) -> None:
        with contextlib.suppress(Exception):
            self.stop()


def readyz(base_url: str) -> int:
    try:
        return httpx.get(base_url + "/readyz", timeout=5).status_code
    except httpx.HTTPError:
        return 0
