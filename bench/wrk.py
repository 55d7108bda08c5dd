"""Run wrk and read its latency distribution."""

from __future__ import annotations

import re
import shutil
import subprocess
import time
from dataclasses import dataclass, replace
from pathlib import Path

from bench import cpuuse

LUA = Path(__file__).parent / "lua"


@dataclass(frozen=True)
class LoadResult:
    name: str
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    requests: int
    non_2xx: int
    errors: int
    cpu: cpuuse.CpuUse | None = None  # measured when the run knew the server's process group


def ensure_wrk() -> str:
    path = shutil.which("wrk")
    if path is None:
        raise SystemExit("wrk is not installed: apt-get install -y wrk (Debian package)")
    return path


def run(
    name: str,
    url: str,
    script: str,
    *,
    connections: int,
    duration: int,
    threads: int = 1,
    env_args: list[str] | None = None,
    server_pgid: int | None = None,
) -> LoadResult:
    args = [
        ensure_wrk(),
        f"-t{threads}",
        f"-c{connections}",
        f"-d{duration}s",
        "--latency",
        "--timeout",
        "30s",
        "-s",
        str(LUA / script),
        url,
    ]
    if env_args:
        args += ["--", *env_args]
    if server_pgid is None:
        return parse(name, _wrk(args))
    with cpuuse.meter(server_pgid) as used:
        output = _wrk(args)
    return replace(parse(name, output), cpu=used.result)


def _wrk(args: list[str]) -> str:
    return subprocess.run(args, capture_output=True, text=True, check=True).stdout


def run_until(script: str, url: str, done: Path, *, connections: int, env_args: list[str]) -> None:
    """Run wrk until the script creates `done` (a fixed amount of work, not a timed run)."""
    done.unlink(missing_ok=True)
    args = [ensure_wrk(), "-t1", f"-c{connections}", "-d86400s", "-s", str(LUA / script), url, "--", *env_args]
    process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        while not done.exists():
            if process.poll() is not None:
                raise RuntimeError(f"wrk exited with {process.returncode} before the work was done")
            time.sleep(0.2)
    finally:
        process.kill()
        process.wait()


_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def _ms(text: str) -> float:
    match = re.match(r"([\d.]+)(us|ms|s)", text)
    if not match:
        raise ValueError(text)
    return float(match.group(1)) * _UNITS[match.group(2)]


def parse(name: str, output: str) -> LoadResult:
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))  # type: ignore[union-attr]
    p50 = _ms(re.search(r"^\s+50%\s+(\S+)", output, re.M).group(1))  # type: ignore[union-attr]
    p99 = _ms(re.search(r"^\s+99%\s+(\S+)", output, re.M).group(1))  # type: ignore[union-attr]
    requests = int(re.search(r"(\d+) requests in", output).group(1))  # type: ignore[union-attr]
    non_2xx_match = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    errors_match = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    errors = sum(int(g) for g in errors_match.groups()) if errors_match else 0
    return LoadResult(name, rps, p50, p99, requests, int(non_2xx_match.group(1)) if non_2xx_match else 0, errors)
