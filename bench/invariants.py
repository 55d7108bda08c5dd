"""What must hold on the data a bench run produced, checked in SQL after the run (issue 10):
one leader per car, no duplicate order per idempotency key, the operator ledger check balanced,
no negative customer balance."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import orjson

from bench.auto import DEEP_VEHICLE, HOT_VEHICLE
from orderdesk.auto.idempotent import PLACE_ORDER
from orderdesk.crypto import ledger
from orderdesk.platform.db import Connection, open_database


@dataclass(frozen=True)
class Invariant:
    name: str
    holds: bool
    detail: str


_EXPECTED_LEADER = (
    "SELECT v.id, v.leader_order_id, (SELECT o.id FROM auto_orders o WHERE o.vehicle_id = v.id"
    " AND o.status IN ('proceed', 'acquiring') AND o.max_bid_amount_usd IS NOT NULL"
    " ORDER BY o.max_bid_amount_usd DESC, o.created_at ASC, o.id ASC LIMIT 1) AS expected FROM auto_vehicles v"
)


async def _leaders(conn: Connection) -> list[Invariant]:
    rows = await conn.fetch(_EXPECTED_LEADER)
    wrong = [row["id"] for row in rows if row["leader_order_id"] != row["expected"]]
    found = [
        Invariant("auto: every car's leader is its top active bid", not wrong, f"{len(rows)} cars, wrong: {wrong[:5]}")
    ]
    hot = next((row for row in rows if row["id"] == HOT_VEHICLE), None)
    if hot is not None:
        bids = await conn.fetchval(
            "SELECT COUNT(*) FROM auto_orders WHERE vehicle_id = :v AND status IN ('proceed', 'acquiring')",
            {"v": HOT_VEHICLE},
        )
        one = hot["leader_order_id"] is not None and hot["leader_order_id"] == hot["expected"]
        found.append(Invariant("auto: hot car has exactly one leader", one, f"{bids} active bids"))
    return found


async def _idempotency(conn: Connection) -> list[Invariant]:
    bodies = await conn.fetch("SELECT body FROM idempotency_records WHERE endpoint = :e", {"e": PLACE_ORDER})
    by_order = Counter(orjson.loads(bytes(row["body"]))["id"] for row in bodies)
    twice = [order for order, n in by_order.items() if n > 1]
    order_ids = {
        row["id"] for row in await conn.fetch("SELECT id FROM auto_orders WHERE vehicle_id <> :v", {"v": DEEP_VEHICLE})
    }
    missing = set(by_order) - order_ids
    unkeyed = order_ids - set(by_order)
    dup_open = await conn.fetchval(
        "SELECT COUNT(*) FROM (SELECT partner_id, vehicle_id FROM auto_orders"
        " WHERE status IN ('proceed', 'acquiring', 'secured', 'shipping')"
        " GROUP BY partner_id, vehicle_id HAVING COUNT(*) > 1) d"
    )
    return [
        Invariant(
            "auto: one order per idempotency key",
            not twice and not missing and not unkeyed,
            f"{len(by_order)} keys; orders under 2+ keys {len(twice)}, keys without order {len(missing)},"
            f" orders without key {len(unkeyed)}",
        ),
        Invariant("auto: no partner holds two open orders on one car", dup_open == 0, f"{dup_open} pairs"),
    ]


async def _ledger(conn: Connection) -> list[Invariant]:
    report = await ledger.check(conn)
    negative = [
        row["id"]
        for row in await conn.fetch("SELECT id, balance FROM crypto_accounts WHERE kind = 'customer'")
        if row["balance"] < 0
    ]
    return [
        Invariant(
            "crypto: operator ledger check balanced",
            report["balanced"],
            f"{report['postings']} postings, {len(report['mismatches'])} mismatches {report['mismatches'][:3]}",
        ),
        Invariant("crypto: no negative customer balance", not negative, f"negative: {negative[:5]}"),
    ]


async def check(url: str) -> list[Invariant]:
    db = open_database(url, pool_size=1)
    await db.open()
    try:
        async with db.transaction(write=False) as conn:
            return [*await _leaders(conn), *await _idempotency(conn), *await _ledger(conn)]
    finally:
        await db.close()
