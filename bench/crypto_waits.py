"""Where a crypto confirm's time goes inside PostgreSQL (a diagnosis tool, PostgreSQL only).

    python -m bench.crypto_waits [--duration 10] [--database-name orderdesk_bench_confirm]

Prepares the crypto data set as `python -m bench` does (create run, fill run), restarts the
server with `log_min_duration_statement = 0` set on the bench database (no PostgreSQL
restart: a database setting, read by new connections), then runs the confirm scenario under
wrk while a thread samples `pg_stat_activity` of that database every 20 ms. Prints:

- per statement (normalized to its first 90 characters), from the server log's `duration:`
  lines written during the run: count, total and mean server-side ms, split by whether the
  request path or the dispatcher (sweeps, outbox) ran it;
- the sampled backends by state and wait event (lock waits show as Lock/tuple,
  Lock/transactionid, ...), and what the waiting ones were running;
- how often the bench's confirm list puts one customer twice among 64 consecutive orders
  (confirms of one customer queue on its account row).

The database setting is reset at the end. The server log is read from
/var/log/postgresql/postgresql-15-main.log (override with BENCH_POSTGRES_LOG).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import tempfile
import threading
import time
from collections import Counter, defaultdict
from pathlib import Path

import psycopg

from bench import crypto, databases, wrk
from bench.__main__ import serve

LOG = Path(os.environ.get("BENCH_POSTGRES_LOG", "/var/log/postgresql/postgresql-15-main.log"))
_DURATION = re.compile(
    r"\[(?P<pid>\d+)\].*duration: (?P<ms>[\d.]+) ms\s+(?:execute [^:]*|statement|parse [^:]*|bind [^:]*):\s*(?P<sql>.*)"
)
# Statements only the dispatcher runs (sweeps, outbox claims and settles).
_DISPATCHER = (
    "DELETE FROM crypto_balance_deltas",
    "UPDATE crypto_accounts SET balance = $1 WHERE id",
    "SELECT balance FROM crypto_accounts WHERE id",
    "outbox",
    "auto_",
    "kyc",
    "expires_at <=",
    "authorization",
)


def _is_dispatcher(sql: str) -> bool:
    return any(marker in sql for marker in _DISPATCHER)


def _sample(url: str, stop: threading.Event, samples: list[tuple[str, str, str]], dbname: str) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        while not stop.is_set():
            for state, wait_type, wait, query in conn.execute(
                "SELECT state, wait_event_type, wait_event, left(query, 90) FROM pg_stat_activity"
                " WHERE datname = %s AND pid <> pg_backend_pid()",
                (dbname,),
            ):
                samples.append((state or "-", f"{wait_type or '-'}/{wait or '-'}", query or ""))
            time.sleep(0.02)


def _log_durations(start: int) -> list[tuple[float, str, bool]]:
    """(ms, statement, whether the dispatcher ran it): a statement belongs to the dispatcher
    when its transaction (BEGIN to COMMIT/ROLLBACK on one backend) ran a dispatcher statement."""
    found: list[tuple[float, str, bool]] = []
    open_by_pid: dict[str, list[tuple[float, str]]] = defaultdict(list)
    with LOG.open("rb") as log:
        log.seek(start)
        for raw in log.read().decode(errors="replace").splitlines():
            match = _DURATION.search(raw)
            if not match:
                continue
            pid, sql = match.group("pid"), match.group("sql")[:90].strip()
            statements = open_by_pid[pid]
            statements.append((float(match.group("ms")), sql))
            if sql.upper().startswith("BEGIN") and len(statements) == 1:
                continue
            if sql.upper().startswith(("COMMIT", "ROLLBACK")) or not statements[0][1].upper().startswith("BEGIN"):
                dispatcher = any(_is_dispatcher(text) for _, text in statements)
                found += [(ms, text, dispatcher) for ms, text in statements]
                statements.clear()
    return found


def _repeats(pending: Path, window: int) -> tuple[int, int]:
    """Orders whose customer also owns one of the previous `window - 1` orders of the list."""
    customers = [line.split()[0] for line in pending.read_text().splitlines() if line]
    repeated = sum(1 for i, c in enumerate(customers) if c in customers[max(0, i - window + 1) : i])
    return repeated, len(customers)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.crypto_waits")
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--database-name", default="orderdesk_bench_waits")
    args = parser.parse_args()
    name = args.database_name
    admin = f"{databases.POSTGRES_SERVER}/postgres"
    with tempfile.TemporaryDirectory(prefix="orderdesk-waits-") as tmp:
        workdir = Path(tmp)
        url = databases.fresh("postgres", workdir, name)
        server = serve(url, workdir, "full")
        try:
            data = asyncio.run(crypto.prepare(server, workdir))
            create = [data.token(), str(data.customers_file)]
            for run in ("create", "fill"):
                wrk.run(run, server.base_url, "crypto_create.lua", env_args=create, connections=64, duration=10)
        finally:
            server.stop()
        pending = asyncio.run(crypto.pending_orders(url, workdir))
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'ALTER DATABASE "{name}" SET log_min_duration_statement = 0')
        try:
            server = serve(url, workdir, "full")
            samples: list[tuple[str, str, str]] = []
            stop = threading.Event()
            sampler = threading.Thread(target=_sample, args=(admin, stop, samples, name))
            start = LOG.stat().st_size
            sampler.start()
            try:
                result = wrk.run(
                    "confirm",
                    server.base_url,
                    "crypto_confirm.lua",
                    env_args=[data.token(), str(pending)],
                    connections=args.connections,
                    duration=args.duration,
                )
            finally:
                stop.set()
                sampler.join()
                server.stop()
        finally:
            with psycopg.connect(admin, autocommit=True) as conn:
                conn.execute(f'ALTER DATABASE "{name}" RESET log_min_duration_statement')
        durations = _log_durations(start)
        repeated, total = _repeats(pending, 64)
    print(f"confirm: {result.requests_per_second:.0f} req/s, p50 {result.p50_ms:.1f} ms, p99 {result.p99_ms:.1f} ms")
    _print_statements(durations, result.requests)
    _print_samples(samples)
    print(f"\nbench list: {repeated} of {total} orders share their customer with one of the 63 before them")


def _print_statements(durations: list[tuple[float, str, bool]], requests: int) -> None:
    by_sql: dict[tuple[str, bool], list[float]] = defaultdict(list)
    for ms, sql, dispatcher in durations:
        by_sql[(sql, dispatcher)].append(ms)
    print(f"\nserver-side statement time ({len(durations)} statements logged, {requests} requests)")
    print(f"{'where':<10} {'count':>7} {'total ms':>10} {'mean ms':>8} {'per req ms':>10}  statement")
    for (sql, dispatcher), times in sorted(by_sql.items(), key=lambda item: -sum(item[1])):
        where = "dispatch" if dispatcher else "request"
        total = sum(times)
        per_request = total / max(requests, 1)
        print(f"{where:<10} {len(times):>7} {total:>10.1f} {total / len(times):>8.3f} {per_request:>10.3f}  {sql}")
    for where in ("request", "dispatch"):
        total = sum(ms for ms, _, dispatcher in durations if (where == "dispatch") == dispatcher)
        print(f"{where}: {total:.0f} ms server-side in all, {total / max(requests, 1):.3f} ms per confirm")


def _print_samples(samples: list[tuple[str, str, str]]) -> None:
    states = Counter((state, wait) for state, wait, _ in samples)
    print(f"\npg_stat_activity samples (backend x sample): {len(samples)}")
    for (state, wait), n in states.most_common(15):
        print(f"  {n * 100 / max(len(samples), 1):5.1f}%  {state:<22} {wait}")
    locks = Counter(query for _, wait, query in samples if wait.startswith("Lock/"))
    if locks:
        print("  waiting on a lock, running:")
        for query, n in locks.most_common(8):
            print(f"    {n:>6}  {query}")


if __name__ == "__main__":
    main()
