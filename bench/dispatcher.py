"""Dispatcher benchmark: webhook events delivered per second to a local receiver that answers
200 at once, with 1 and 2 `orderdesk worker` processes on PostgreSQL and one on SQLite; and the
time of one auction start for a car with 1,000 competing orders.

    python -m bench.dispatcher [--events 4000] [--engines postgres,sqlite] [--competitors 1000]

Events are real: partners with a webhook URL, orders, envelopes as `events.emit_many` writes
them, two events per order (so per-order FIFO is exercised). The workers start first and sit
idle; the events are then committed in one transaction and the clock runs from that commit
until the last event is recorded as delivered.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bench import databases
from bench.server import ServerProcess, free_port, uvicorn_app
from orderdesk.auto import auctions, events
from orderdesk.auto.bidding import Competition
from orderdesk.platform import ids
from orderdesk.platform.db import Connection, open_database
from orderdesk.platform.runtime import Runtime
from orderdesk.settings import load_settings

ORDERDESK = str(Path(sys.executable).with_name("orderdesk"))
VEHICLE = "bench-auction"
ORDERS_PER_PARTNER = 50


def receiver(workdir: Path) -> ServerProcess:
    env = {"PYTHONPATH": str(Path(__file__).parent.parent)}
    return uvicorn_app("bench.receiver_app:create_app", env, free_port(), workdir / "receiver.log").start("/")


def start_workers(url: str, count: int, workdir: Path) -> list[subprocess.Popen[bytes]]:
    env = {
        **os.environ,
        "ORDERDESK_DATABASE_URL": url,
        "ORDERDESK_LOG_LEVEL": "warning",
        "ORDERDESK_SQLITE_SYNCHRONOUS": "normal",
    }
    log = (workdir / "workers.log").open("ab")
    return [
        subprocess.Popen([ORDERDESK, "worker"], env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        for _ in range(count)
    ]


def stop_workers(workers: list[subprocess.Popen[bytes]]) -> None:
    for worker in workers:
        if worker.poll() is None:
            os.killpg(worker.pid, signal.SIGTERM)
    for worker in workers:
        worker.wait(30)


async def insert_vehicle(conn: Connection, now: datetime) -> None:
    await conn.execute(
        "INSERT INTO auto_vehicles (id, source, make, make_ci, model, model_ci, year, mileage_km, options,"
        " auction_date, auction_count, auction_result, listing_usd, images, withdrawn, created_at, updated_at)"
        " VALUES (:id, 'glovis', 'Hyundai', 'hyundai', 'Palisade', 'palisade', 2022, 1000, '[]', :auction,"
        " 1, 'upcoming', 10000, '[]', FALSE, :now, :now)",
        {"id": VEHICLE, "auction": now + timedelta(days=30), "now": now},
    )


async def insert_partners(conn: Connection, count: int, webhook_url: str | None, now: datetime) -> list[str]:
    partner_ids = [ids.new_ulid() for _ in range(count)]
    await conn.executemany(
        "INSERT INTO auto_partners (id, name, environment, ip_allowlist, webhook_url, webhook_secret, created_at)"
        " VALUES (:id, 'bench', 'sandbox', NULL, :url, :secret, :now)",
        [{"id": pid, "url": webhook_url, "secret": "whsec_" + ids.random_hex(22), "now": now} for pid in partner_ids],
    )
    return partner_ids


async def insert_orders(conn: Connection, partner_ids: list[str], now: datetime) -> list[dict[str, Any]]:
    """One auction order per partner on the bench vehicle, ceilings rising; the leader is set."""
    orders = [
        {
            "id": ids.new_ulid(),
            "partner_id": pid,
            "vehicle_id": VEHICLE,
            "status": "proceed",
            "max_bid_amount_usd": 10000 + i,
            "frozen_is_highest_bid": None,
            "frozen_current_max_bid_usd": None,
            "purchase_price_usd": None,
            "auction_fee_usd": None,
            "auction_date": now + timedelta(days=30),
            "order_cutoff_at": now + timedelta(days=29),
            "failure_reason": None,
            "cancellation_reason": None,
            "fulfillment_detail": None,
            "shipment": None,
            "created_at": now,
            "updated_at": now,
        }
        for i, pid in enumerate(partner_ids)
    ]
    columns = list(orders[0])
    await conn.executemany(
        f"INSERT INTO auto_orders ({', '.join(columns)}) VALUES ({', '.join(':' + c for c in columns)})", orders
    )
    top = orders[-1]
    await conn.execute(
        "UPDATE auto_vehicles SET leader_order_id = :id, leader_max_bid_usd = :max,"
        " leader_created_at = :now WHERE id = :vehicle",
        {"id": top["id"], "max": top["max_bid_amount_usd"], "now": now, "vehicle": VEHICLE},
    )
    return orders


# --------------------------------------------------------------------------- throughput


async def seed_orders(url: str, count: int, webhook_url: str) -> list[dict[str, Any]]:
    db = open_database(url)
    await db.open()
    now = datetime.now(UTC)
    try:
        async with db.transaction() as conn:
            await insert_vehicle(conn, now)
            partner_ids = await insert_partners(conn, max(1, count // ORDERS_PER_PARTNER), webhook_url, now)
            # the one-open-order-per-partner index: spread orders over vehicles of their own
            orders = []
            for i, pid in enumerate(partner_ids):
                orders += await _partner_orders(conn, pid, ORDERS_PER_PARTNER, i, now)
            return orders[:count]
    finally:
        await db.close()


async def _partner_orders(
    conn: Connection, partner_id: str, count: int, index: int, now: datetime
) -> list[dict[str, Any]]:
    rows = []
    for j in range(count):
        vehicle_id = f"bench-{index}-{j}"
        rows.append(
            {"vehicle": vehicle_id, "order": {"id": ids.new_ulid(), "partner_id": partner_id, "vehicle_id": vehicle_id}}
        )
    await conn.executemany(
        "INSERT INTO auto_vehicles (id, source, make, make_ci, model, model_ci, year, mileage_km, options,"
        " listing_usd, images, withdrawn, created_at, updated_at)"
        " VALUES (:vehicle, 'dealer', 'Kia', 'kia', 'Sorento', 'sorento', 2021, 1, '[]', 10000, '[]', FALSE,"
        " :now, :now)",
        [{"vehicle": r["vehicle"], "now": now} for r in rows],
    )
    orders = [
        {
            **r["order"],
            "status": "acquiring",
            "max_bid_amount_usd": None,
            "frozen_is_highest_bid": None,
            "frozen_current_max_bid_usd": None,
            "purchase_price_usd": None,
            "auction_fee_usd": None,
            "auction_date": None,
            "order_cutoff_at": None,
            "failure_reason": None,
            "cancellation_reason": None,
            "fulfillment_detail": None,
            "shipment": None,
            "created_at": now,
            "updated_at": now,
        }
        for r in rows
    ]
    columns = list(orders[0])
    await conn.executemany(
        f"INSERT INTO auto_orders ({', '.join(columns)}) VALUES ({', '.join(':' + c for c in columns)})", orders
    )
    return orders


async def emit_events(url: str, orders: list[dict[str, Any]], per_order: int, webhook_url: str) -> float:
    """Commit `per_order` events for every order in one transaction; returns the commit time."""
    db = open_database(url)
    await db.open()
    try:
        async with db.transaction() as conn:
            now = datetime.now(UTC)
            batch = [
                events.Event("order.status_changed", order, {"previous_status": "proceed"}, webhook_url)
                for _ in range(per_order)
                for order in orders
            ]
            await events.emit_many(conn, batch, competition=Competition(None, None), now=now)
        return time.perf_counter()
    finally:
        await db.close()


class DeliveredCounter:
    """Counts delivered events over one plain connection (opening one per poll would cost the
    workers: closing a SQLite database checkpoints its WAL)."""

    SQL = "SELECT count(*) FROM auto_events WHERE delivery_status = 'delivered'"

    def __init__(self, url: str) -> None:
        if url.startswith("sqlite"):
            import sqlite3

            self.conn: Any = sqlite3.connect(url.removeprefix("sqlite:///"), isolation_level=None)
        else:
            import psycopg

            self.conn = psycopg.connect(url, autocommit=True)

    def count(self) -> int:
        return int(self.conn.execute(self.SQL).fetchone()[0])

    def close(self) -> None:
        self.conn.close()


def throughput(engine: str, workers: int, total_events: int, workdir: Path) -> tuple[float, float]:
    """(events per second, seconds) from the commit to the last delivery."""
    url = databases.fresh(engine, workdir, f"orderdesk_bench_dispatch_{workers}")
    far_end = receiver(workdir)
    webhook_url = far_end.base_url + "/hooks"
    orders = asyncio.run(seed_orders(url, total_events // 2, webhook_url))
    running = start_workers(url, workers, workdir)
    try:
        time.sleep(3)  # workers imported, connected and idle
        counter = DeliveredCounter(url)
        committed = asyncio.run(emit_events(url, orders, 2, webhook_url))
        expected = len(orders) * 2
        while counter.count() < expected:
            if any(w.poll() is not None for w in running):
                raise RuntimeError(f"a worker exited; see {workdir / 'workers.log'}")
            time.sleep(0.1)
        elapsed = time.perf_counter() - committed
        counter.close()
    finally:
        stop_workers(running)
        far_end.stop()
    return expected / elapsed, elapsed


# --------------------------------------------------------------------------- auction start


async def auction_start_seconds(engine: str, competitors: int, workdir: Path) -> float:
    url = databases.fresh(engine, workdir, "orderdesk_bench_auction")
    runtime = Runtime.build(load_settings(database_url=url, sqlite_synchronous="normal"))
    await runtime.open()
    try:
        now = runtime.clock.now()
        async with runtime.db.transaction() as conn:
            await insert_vehicle(conn, now)
            partner_ids = await insert_partners(conn, competitors, "http://127.0.0.1:9/hooks", now)
            await insert_orders(conn, partner_ids, now)
        databases.analyze(url)
        started = time.perf_counter()
        result = await auctions.start_auction(runtime, VEHICLE)
        elapsed = time.perf_counter() - started
        assert result["winner_order_id"] is not None and len(result["failed_order_ids"]) == competitors - 1
        return elapsed
    finally:
        await runtime.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=4000)
    parser.add_argument("--engines", default="postgres,sqlite")
    parser.add_argument("--competitors", type=int, default=1000)
    args = parser.parse_args()
    engines = args.engines.split(",")
    rows = []
    with tempfile.TemporaryDirectory(prefix="orderdesk-bench-") as tmp:
        workdir = Path(tmp)
        for engine in engines:
            for workers in (1, 2) if engine == "postgres" else (1,):
                rate, seconds = throughput(engine, workers, args.events, workdir)
                rows.append(
                    (
                        engine,
                        f"webhook delivery, {workers} worker{'s' if workers > 1 else ''}",
                        f"{rate:,.0f} events/s",
                        f"{args.events:,} events in {seconds:.2f} s",
                    )
                )
        for engine in engines:
            seconds = asyncio.run(auction_start_seconds(engine, args.competitors, workdir))
            rows.append(
                (
                    engine,
                    f"auction start, {args.competitors:,} competing orders",
                    f"{seconds * 1000:,.0f} ms",
                    "one call: winner acquiring, the rest failed, one event each",
                )
            )
    header = f"{'engine':<9} {'scenario':<42} {'result':>16}  note"
    print(header)
    print("-" * len(header))
    for engine, scenario, result, note in rows:
        print(f"{engine:<9} {scenario:<42} {result:>16}  {note}")


if __name__ == "__main__":
    main()
