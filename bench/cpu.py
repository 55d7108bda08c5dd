"""Server CPU per 1,000 requests on the hot paths: an A/B measure that a loaded, shared
machine disturbs far less than req/s.

    python -m bench.cpu [--engines sqlite,postgres] [--scenarios auto,crypto] [--duration 8] [--deep-orders 2000]

Starts the real server, loads the auto data set, and for each scenario reads the server
process group's utime+stime (/proc/<pid>/stat) before and after a fixed wrk run.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

from bench import auto, cpuuse, crypto, databases, wrk
from bench.__main__ import serve
from bench.server import ServerProcess

Scenario = tuple[str, str, list[str]]  # name, wrk script, the script's arguments


def measure(engine: str, args: argparse.Namespace, workdir: Path) -> list[tuple[str, float, float, float]]:
    url = databases.fresh(engine, workdir, args.database_name)
    server = serve(url, workdir, "full")
    rows = []
    try:
        assert server.process is not None
        pgid = server.process.pid
        load = {"connections": args.connections, "duration": args.duration}
        for name, script, env_args in _scenarios(server, url, args, workdir):
            before = cpuuse.group_cpu_seconds(pgid)
            result = wrk.run(name, server.base_url, script, env_args=env_args, **load)
            used = cpuuse.group_cpu_seconds(pgid) - before
            rows.append((name, result.requests_per_second, used * 1000 / max(result.requests, 1), result.p99_ms))
    finally:
        server.stop()
    return rows


def _scenarios(server: ServerProcess, url: str, args: argparse.Namespace, workdir: Path) -> Iterator[Scenario]:
    """Each scenario's data is prepared just before it runs (confirm needs the orders create left)."""
    if "auto" in args.scenarios:
        data = asyncio.run(auto.prepare(server, url, workdir, args.deep_orders))
        yield "POST /v1/orders", "auto_post.lua", [str(data.post_keys)]
        yield "GET /v1/orders/{id}", "auto_get.lua", [str(data.get_pairs)]
        yield "GET /v1/orders first page", "get_with_key.lua", ["x-api-key", data.list_key, data.first_page]
    if "crypto" in args.scenarios:
        prepared = asyncio.run(crypto.prepare(server, workdir))
        create = [prepared.token(), str(prepared.customers_file)]
        yield "crypto create buy", "crypto_create.lua", create
        yield "crypto create buy (fill)", "crypto_create.lua", create
        yield (
            "crypto confirm buy",
            "crypto_confirm.lua",
            [prepared.token(), str(asyncio.run(crypto.pending_orders(url, workdir)))],
        )


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.cpu")
    parser.add_argument("--engines", default="sqlite,postgres")
    parser.add_argument("--scenarios", default="auto,crypto", help="comma-separated: auto, crypto")
    parser.add_argument("--duration", type=int, default=8)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--deep-orders", type=int, default=2000)
    parser.add_argument("--database-name", default="orderdesk_bench_cpu")
    args = parser.parse_args()
    print(f"load average {os.getloadavg()[0]:.2f}")
    with tempfile.TemporaryDirectory(prefix="orderdesk-cpu-") as tmp:
        for engine in args.engines.split(","):
            for name, rps, cpu_ms, p99 in measure(engine, args, Path(tmp)):
                print(
                    f"{engine:<9} {name:<28} {rps:>8.0f} req/s  {cpu_ms:>6.2f} server CPU s/1000 req  p99 {p99:.1f} ms"
                )
    print(f"load average {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
