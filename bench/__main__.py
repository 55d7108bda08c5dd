"""Run the load benchmarks and print a table.

    python -m bench [--engines sqlite,postgres] [--duration 10] [--connections 64]
                    [--deep-orders 1000000] [--sqlite-synchronous full|normal]
                    [--scenarios auto,crypto] [--database-name orderdesk_bench]
                    [--workers 2] [--memory-orders 20000,200000] [--hot-partners 4000]

Each engine gets a fresh database; the real `orderdesk serve` (one process, default settings
except: operator token set, rate limits off so the load is not refused) is loaded by wrk
(one thread, so it leaves the server its core). The yardsticks, minimal FastAPI endpoints
doing one INSERT / one SELECT by primary key through the same driver, run right after on the
same engine. Then (PostgreSQL) POST /v1/orders under `serve --workers 1` and `--workers N`
side by side, then the server's RSS after `small` and after `large` orders placed (a fresh
server; `--memory-orders 0` skips it), then the invariants are checked on the data the run
produced. The table ends with the issue-10 targets: the measure, the target and a verdict.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import tempfile
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

from bench import auto, crypto, databases, invariants, memory, targets, wrk
from bench.server import ServerProcess, free_port, orderdesk_serve, uvicorn_app

RESULTS = Path(__file__).parent / "results"
RATIO_TO_MINIMAL = (targets.AUTO_POST, targets.CRYPTO_CREATE, targets.CRYPTO_CONFIRM)
RATIO_TO_GET = (targets.AUTO_GET, targets.AUTO_LIST)


def serve(url: str, workdir: Path, sqlite_synchronous: str, *extra: str) -> ServerProcess:
    env = {
        "ORDERDESK_DATABASE_URL": url,
        "ORDERDESK_OPS_TOKEN": "bench-ops-token",
        "ORDERDESK_RATE_LIMIT": "",
        "ORDERDESK_CRYPTO_RATE_LIMIT": "",
        "ORDERDESK_LOG_LEVEL": "warning",
        "ORDERDESK_SQLITE_SYNCHRONOUS": sqlite_synchronous,
        "ORDERDESK_CRYPTO_QUOTE_TTL": crypto.QUOTE_TTL,
    }
    return orderdesk_serve(env, free_port(), workdir / "server.log", *extra).start()


def minimal(url: str, workdir: Path, sqlite_synchronous: str) -> ServerProcess:
    env = {
        "BENCH_DATABASE_URL": url,
        "BENCH_SQLITE_SYNCHRONOUS": sqlite_synchronous,
        "PYTHONPATH": str(Path(__file__).parent.parent),
    }
    return uvicorn_app("bench.minimal_app:create_app", env, free_port(), workdir / "minimal.log").start()


def load_on(server: ServerProcess, args: argparse.Namespace) -> dict[str, Any]:
    """wrk's settings for a run against `server`, whose process group's CPU use is measured."""
    assert server.process is not None
    return {"connections": args.connections, "duration": args.duration, "server_pgid": server.process.pid}


def run_engine(engine: str, args: argparse.Namespace, workdir: Path) -> targets.EngineRun:
    url = databases.fresh(engine, workdir, args.database_name)
    run = targets.EngineRun(engine)
    server = serve(url, workdir, args.sqlite_synchronous)
    try:
        if "auto" in args.scenarios:
            run.results += run_auto(server, url, args, workdir)
        if "crypto" in args.scenarios:
            run.results += run_crypto(server, url, args, workdir)
    finally:
        server.stop()
    yardstick = minimal(url, workdir, args.sqlite_synchronous)
    load = load_on(yardstick, args)
    try:
        run.results.append(wrk.run(targets.MINIMAL_INSERT, yardstick.base_url, "minimal_post.lua", **load))
        run.results.append(wrk.run(targets.MINIMAL_GET, yardstick.base_url, "minimal_get.lua", **load))
    finally:
        yardstick.stop()
    if engine == "postgres" and args.workers > 1 and "auto" in args.scenarios:
        run.workers = run_workers(url, args, workdir)
    if args.memory_orders and "auto" in args.scenarios:
        run.memory = run_memory(url, args, workdir)
    run.invariants = asyncio.run(invariants.check(url))
    return run


def run_workers(url: str, args: argparse.Namespace, workdir: Path) -> list[wrk.LoadResult]:
    """POST /v1/orders under `serve --workers 1` and `--workers N`, fresh partners for each."""
    results = []
    for workers in (1, args.workers):
        server = serve(url, workdir, args.sqlite_synchronous, "--workers", str(workers))
        try:
            keys = asyncio.run(auto.partner_keys(server, workdir / f"w{workers}_keys.txt", f"bench-w{workers}", 300))
            name = targets.workers_row(workers)
            load = load_on(server, args)
            results.append(wrk.run(name, server.base_url, "auto_post.lua", env_args=[str(keys)], **load))
        finally:
            server.stop()
    return results


def run_memory(url: str, args: argparse.Namespace, workdir: Path) -> memory.MemoryResult:
    """RSS of a fresh server after `small` orders, then after `large` (POST /v1/orders)."""
    small, large = (int(n) for n in args.memory_orders.split(","))
    server = serve(url, workdir, args.sqlite_synchronous)
    try:
        keys = asyncio.run(auto.partner_keys(server, workdir / "memory_keys.txt", "bench-mem", -(-large // 100)))
        assert server.process is not None
        rss = []
        for start, count in ((0, small), (small, large - small)):
            wrk.run_until(
                "auto_post_count.lua",
                server.base_url,
                workdir / "memory_done",
                connections=args.connections,
                env_args=[str(keys), str(start), str(count), str(workdir / "memory_done")],
            )
            rss.append(memory.rss_mb(server.process.pid))
    finally:
        server.stop()
    return memory.MemoryResult(small, rss[0], large, rss[1])


def run_crypto(server: ServerProcess, url: str, args: argparse.Namespace, workdir: Path) -> list[wrk.LoadResult]:
    load = load_on(server, args)
    data = asyncio.run(crypto.prepare(server, workdir))
    base = server.base_url
    created = wrk.run(
        targets.CRYPTO_CREATE,
        base,
        "crypto_create.lua",
        env_args=[data.token(), str(data.customers_file)],
        **load,
    )
    wrk.run("crypto: fill", base, "crypto_create.lua", env_args=[data.token(), str(data.customers_file)], **load)
    pending = asyncio.run(crypto.pending_orders(url, workdir))
    confirmed = wrk.run(
        targets.CRYPTO_CONFIRM,
        base,
        "crypto_confirm.lua",
        env_args=[data.token(), str(pending)],
        **load,
    )
    return [created, confirmed]


def run_auto(server: ServerProcess, url: str, args: argparse.Namespace, workdir: Path) -> list[wrk.LoadResult]:
    load = load_on(server, args)
    results = []
    data = asyncio.run(auto.prepare(server, url, workdir, args.deep_orders))
    base = server.base_url
    results.append(wrk.run(targets.AUTO_POST, base, "auto_post.lua", env_args=[str(data.post_keys)], **load))
    results.append(wrk.run(targets.AUTO_GET, base, "auto_get.lua", env_args=[str(data.get_pairs)], **load))
    results.append(
        wrk.run(
            targets.AUTO_LIST,
            base,
            "get_with_key.lua",
            env_args=["x-api-key", data.list_key, data.first_page],
            **load,
        )
    )
    hot_keys = asyncio.run(auto.hot_car(server, workdir, args.hot_partners))
    results.append(
        wrk.run(targets.HOT_CAR, base, "auto_hot_car.lua", env_args=[str(hot_keys), auto.HOT_VEHICLE], **load)
    )
    results.append(
        wrk.run(
            f"auto: GET /v1/orders page {args.deep_orders - 50:,} deep",
            base,
            "get_with_key.lua",
            env_args=["x-api-key", data.list_key, data.deep_page],
            **load,
        )
    )
    return results


def print_table(runs: dict[str, targets.EngineRun], args_hot_partners: int) -> None:
    header = (
        f"{'engine':<9} {'scenario':<42} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'p99/p50':>7} {'non-2xx':>8}"
        f" {'sock err':>8}  note"
    )
    print(header)
    print("-" * len(header))
    for engine, run in runs.items():
        results = run.results + run.workers
        by_name = {r.name: r for r in results}
        insert, read = by_name.get(targets.MINIMAL_INSERT), by_name.get(targets.MINIMAL_GET)
        first = by_name.get(targets.AUTO_LIST)
        for result in results:
            note = ""
            if insert and result.name in RATIO_TO_MINIMAL:
                note = f"{result.requests_per_second / insert.requests_per_second:.2f}x minimal insert"
            if read and result.name in RATIO_TO_GET:
                note = f"{result.requests_per_second / read.requests_per_second:.2f}x minimal GET"
            if first and "deep" in result.name:
                note = f"p50 {result.p50_ms / first.p50_ms:.2f}x first page"
            if result.name == targets.HOT_CAR and result.requests >= args_hot_partners:
                note = "all partners bid before the end: a lower bound"
            print(
                f"{engine:<9} {result.name:<42} {result.requests_per_second:>9.0f} {result.p50_ms:>8.2f} "
                f"{result.p99_ms:>8.2f} {result.p99_ms / max(result.p50_ms, 0.001):>7.1f} {result.non_2xx:>8}"
                f" {result.errors:>8}  {note}"
            )
        if run.memory:
            m = run.memory
            print(
                f"{engine:<9} RSS after {m.small_orders:,} orders {m.small_rss_mb:.0f} MB,"
                f" after {m.large_orders:,} orders {m.large_rss_mb:.0f} MB"
            )
    print_cpu(runs)
    print("\ninvariants on the data each run produced:")
    for engine, run in runs.items():
        for invariant in run.invariants:
            print(f"{engine:<9} {'HOLDS' if invariant.holds else 'BROKEN':<7} {invariant.name:<52} {invariant.detail}")
    print("\nissue 10 targets:")
    for engine, run in runs.items():
        for row in targets.verdicts(run):
            print(f"{engine:<9} {row.name:<52} {row.measured:>24} {row.target:>16}  {row.verdict}")


def print_cpu(runs: dict[str, targets.EngineRun]) -> None:
    """Who was on CPU during each run: what bounds a row the profile of one process cannot say."""
    print("\nCPU during each run (cores' worth over the run; the server is its whole process group):")
    for engine, run in runs.items():
        for result in run.results + run.workers:
            if result.cpu is not None:
                print(f"{engine:<9} {result.name:<42}  {result.cpu.describe()}")


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("--engines", default="sqlite,postgres")
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--deep-orders", type=int, default=1_000_000)
    parser.add_argument("--sqlite-synchronous", choices=("full", "normal"), default="full")
    parser.add_argument("--scenarios", default="auto,crypto", help="comma-separated: auto, crypto")
    parser.add_argument("--database-name", default="orderdesk_bench", help="PostgreSQL database (dropped first)")
    parser.add_argument("--workers", type=int, default=2, help="PostgreSQL: also POST orders under N workers")
    parser.add_argument("--memory-orders", default="20000,200000", help="RSS after SMALL,LARGE orders placed; 0 skips")
    parser.add_argument("--hot-partners", type=int, default=4000, help="partners bidding once each on the hot car")
    args = parser.parse_args()
    wrk.ensure_wrk()
    load_before = os.getloadavg()
    if args.memory_orders == "0":
        args.memory_orders = ""
    runs: dict[str, targets.EngineRun] = {}
    with tempfile.TemporaryDirectory(prefix="orderdesk-bench-") as tmp:
        for engine in args.engines.split(","):
            runs[engine] = run_engine(engine, args, Path(tmp))
    print(
        f"\nload average before: {load_before[0]:.2f}, after: {os.getloadavg()[0]:.2f} ({os.cpu_count()} cores); "
        f"{args.connections} connections, {args.duration}s each, sqlite synchronous={args.sqlite_synchronous}\n"
    )
    print_table(runs, args.hot_partners)
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / f"bench-{time.strftime('%Y%m%d-%H%M%S')}.json"
    out.write_text(json.dumps({e: asdict(run) for e, run in runs.items()}, indent=2))
    print(f"\nresults: {out}")


if __name__ == "__main__":
    main()
