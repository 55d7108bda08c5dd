"""Run the load benchmarks and print a table.

    python -m bench [--engines sqlite,postgres] [--duration 10] [--connections 64]
                    [--deep-orders 1000000] [--sqlite-synchronous full|normal]
                    [--scenarios auto,crypto] [--database-name orderdesk_bench]

Each engine gets a fresh database; the real `orderdesk serve` (one process, default settings
except: operator token set, rate limits off so the load is not refused) is loaded by wrk
(one thread, so it leaves the server its core). The yardstick, a minimal FastAPI endpoint
doing one INSERT through the same driver, runs right after on the same engine.
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

from bench import auto, crypto, databases, wrk
from bench.server import ServerProcess, free_port, orderdesk_serve, uvicorn_app

RESULTS = Path(__file__).parent / "results"
RATIO_TO_MINIMAL = ("auto: POST /v1/orders", "crypto: POST orders (buy)", "crypto: POST orders/{id}/confirm (buy)")


def serve(url: str, workdir: Path, sqlite_synchronous: str) -> ServerProcess:
    env = {
        "ORDERDESK_DATABASE_URL": url,
        "ORDERDESK_OPS_TOKEN": "bench-ops-token",
        "ORDERDESK_RATE_LIMIT": "",
        "ORDERDESK_CRYPTO_RATE_LIMIT": "",
        "ORDERDESK_LOG_LEVEL": "warning",
        "ORDERDESK_SQLITE_SYNCHRONOUS": sqlite_synchronous,
        "ORDERDESK_CRYPTO_QUOTE_TTL": crypto.QUOTE_TTL,
    }
    return orderdesk_serve(env, free_port(), workdir / "server.log").start()


def minimal(url: str, workdir: Path, sqlite_synchronous: str) -> ServerProcess:
    env = {
        "BENCH_DATABASE_URL": url,
        "BENCH_SQLITE_SYNCHRONOUS": sqlite_synchronous,
        "PYTHONPATH": str(Path(__file__).parent.parent),
    }
    return uvicorn_app("bench.minimal_app:create_app", env, free_port(), workdir / "minimal.log").start()


def run_engine(engine: str, args: argparse.Namespace, workdir: Path) -> list[wrk.LoadResult]:
    url = databases.fresh(engine, workdir, args.database_name)
    load = {"connections": args.connections, "duration": args.duration}
    results = []
    server = serve(url, workdir, args.sqlite_synchronous)
    try:
        if "auto" in args.scenarios:
            results += run_auto(server, url, args, workdir)
        if "crypto" in args.scenarios:
            results += run_crypto(server, url, args, workdir)
    finally:
        server.stop()
    yardstick = minimal(url, workdir, args.sqlite_synchronous)
    try:
        results.append(
            wrk.run("minimal FastAPI insert", yardstick.base_url + "/minimal/orders", "minimal_post.lua", **load)
        )
    finally:
        yardstick.stop()
    return results


def run_crypto(server: ServerProcess, url: str, args: argparse.Namespace, workdir: Path) -> list[wrk.LoadResult]:
    load = {"connections": args.connections, "duration": args.duration}
    data = asyncio.run(crypto.prepare(server, workdir))
    base = server.base_url
    created = wrk.run(
        "crypto: POST orders (buy)",
        base,
        "crypto_create.lua",
        env_args=[data.token(), str(data.customers_file)],
        **load,
    )
    wrk.run("crypto: fill", base, "crypto_create.lua", env_args=[data.token(), str(data.customers_file)], **load)
    pending = asyncio.run(crypto.pending_orders(url, workdir))
    confirmed = wrk.run(
        "crypto: POST orders/{id}/confirm (buy)",
        base,
        "crypto_confirm.lua",
        env_args=[data.token(), str(pending)],
        **load,
    )
    return [created, confirmed]


def run_auto(server: ServerProcess, url: str, args: argparse.Namespace, workdir: Path) -> list[wrk.LoadResult]:
    load = {"connections": args.connections, "duration": args.duration}
    results = []
    data = asyncio.run(auto.prepare(server, url, workdir, args.deep_orders))
    base = server.base_url
    results.append(wrk.run("auto: POST /v1/orders", base, "auto_post.lua", env_args=[str(data.post_keys)], **load))
    results.append(wrk.run("auto: GET /v1/orders/{id}", base, "auto_get.lua", env_args=[str(data.get_pairs)], **load))
    results.append(
        wrk.run(
            "auto: GET /v1/orders first page",
            base,
            "get_with_key.lua",
            env_args=["x-api-key", data.list_key, data.first_page],
            **load,
        )
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


def print_table(all_results: dict[str, list[wrk.LoadResult]]) -> None:
    header = (
        f"{'engine':<9} {'scenario':<42} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'non-2xx':>8} {'sock err':>8}  note"
    )
    print(header)
    print("-" * len(header))
    for engine, results in all_results.items():
        by_name = {r.name: r for r in results}
        yardstick = by_name.get("minimal FastAPI insert")
        first = next((r for r in results if r.name.endswith("first page")), None)
        for result in results:
            note = ""
            if yardstick and result.name in RATIO_TO_MINIMAL:
                note = f"{result.requests_per_second / yardstick.requests_per_second:.2f}x minimal insert"
            if first and "deep" in result.name:
                note = f"p50 {result.p50_ms / first.p50_ms:.2f}x first page"
            print(
                f"{engine:<9} {result.name:<42} {result.requests_per_second:>9.0f} {result.p50_ms:>8.2f} "
                f"{result.p99_ms:>8.2f} {result.non_2xx:>8} {result.errors:>8}  {note}"
            )


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("--engines", default="sqlite,postgres")
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--deep-orders", type=int, default=1_000_000)
    parser.add_argument("--sqlite-synchronous", choices=("full", "normal"), default="full")
    parser.add_argument("--scenarios", default="auto,crypto", help="comma-separated: auto, crypto")
    parser.add_argument("--database-name", default="orderdesk_bench", help="PostgreSQL database (dropped first)")
    args = parser.parse_args()
    wrk.ensure_wrk()
    load_before = os.getloadavg()
    all_results: dict[str, list[wrk.LoadResult]] = {}
    with tempfile.TemporaryDirectory(prefix="orderdesk-bench-") as tmp:
        for engine in args.engines.split(","):
            all_results[engine] = run_engine(engine, args, Path(tmp))
    print(
        f"\nload average before: {load_before[0]:.2f}, after: {os.getloadavg()[0]:.2f} ({os.cpu_count()} cores); "
        f"{args.connections} connections, {args.duration}s each, sqlite synchronous={args.sqlite_synchronous}\n"
    )
    print_table(all_results)
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / f"bench-{time.strftime('%Y%m%d-%H%M%S')}.json"
    out.write_text(json.dumps({e: [asdict(r) for r in rs] for e, rs in all_results.items()}, indent=2))
    print(f"\nresults: {out}")


if __name__ == "__main__":
    main()
