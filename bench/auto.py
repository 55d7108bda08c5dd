"""Auto benchmarks: place an order, read one, list the first page and a page 1,000,000 deep.

Data: 300 partners for POST (request i → partner i // 100, vehicle i % 100, so nothing is a
duplicate), 100 auction vehicles, 1,000 orders to read back, and one partner holding
1,000,000 orders (bulk-loaded in SQL) for the list pages.
"""

from __future__ import annotations

import asyncio
import base64
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import orjson

from bench.server import ServerProcess
from orderdesk.auto.repository import ORDER_FIELDS
from orderdesk.auto.timefmt import utc_key
from orderdesk.platform import cursors, ids
from orderdesk.platform.db import open_database

OPS = {"Authorization": "Bearer bench-ops-token"}
VEHICLES = 100
DEEP_VEHICLE = "bench-deep"  # holds the deep partner's orders, away from the POST load


@dataclass(frozen=True)
class AutoData:
    post_keys: Path
    get_pairs: Path
    list_key: str
    first_page: str
    deep_page: str


async def _create_partners(client: httpx.AsyncClient, prefix: str, count: int) -> list[str]:
    async def one(i: int) -> str:
        response = await client.post("/ops/v1/auto/partners", json={"name": f"{prefix}-{i}"}, headers=OPS)
        response.raise_for_status()
        return response.json()["api_key"]

    return list(await asyncio.gather(*(one(i) for i in range(count))))


async def _create_vehicles(client: httpx.AsyncClient) -> None:
    auction_date = (datetime.now(UTC) + timedelta(days=30)).replace(microsecond=0).isoformat()
    for name in [f"bench-v-{i:03d}" for i in range(VEHICLES)] + [DEEP_VEHICLE]:
        response = await client.put(
            f"/ops/v1/auto/vehicles/{name}",
            headers=OPS,
            json={
                "source": "glovis",
                "make": "Hyundai",
                "model": "Palisade",
                "year": 2022,
                "mileage_km": 38412,
                "auction_date": auction_date,
                "auction_count": 1,
                "auction_result": "upcoming",
                "pricing": {"listing_usd": 10000},
            },
        )
        response.raise_for_status()


async def _place_orders(client: httpx.AsyncClient, keys: list[str]) -> list[tuple[str, str]]:
    semaphore = asyncio.Semaphore(32)

    async def one(key: str, vehicle: int) -> tuple[str, str]:
        async with semaphore:
            response = await client.post(
                "/auto/v1/orders",
                json={"vehicle_id": f"bench-v-{vehicle:03d}", "max_bid_amount_usd": 15000},
                headers={"x-api-key": key, "Idempotency-Key": str(__import__("uuid").uuid4())},
            )
            response.raise_for_status()
            return key, response.json()["id"]

    return list(await asyncio.gather(*(one(key, v) for key in keys for v in range(VEHICLES))))


async def _bulk_orders(database_url: str, partner_id: str, count: int) -> None:
    """`count` cancelled orders for one partner, newest one second apart."""
    db = open_database(database_url, pool_size=2, sqlite_synchronous="normal")
    await db.open()
    columns = ("id", "partner_id", "vehicle_id", *ORDER_FIELDS)
    sql = f"INSERT INTO auto_orders ({', '.join(columns)}) VALUES ({', '.join(':' + c for c in columns)})"
    start = datetime(2026, 1, 1, tzinfo=UTC)
    try:
        for offset in range(0, count, 20_000):
            rows = []
            for i in range(offset, min(count, offset + 20_000)):
                created = start + timedelta(seconds=i)
                rows.append(
                    {
                        "id": ids.new_ulid(),
                        "partner_id": partner_id,
                        "vehicle_id": DEEP_VEHICLE,
                        "status": "cancelled",
                        "max_bid_amount_usd": 20000,
                        "frozen_is_highest_bid": False,
                        "frozen_current_max_bid_usd": 20000,
                        "purchase_price_usd": None,
                        "auction_fee_usd": None,
                        "auction_date": start + timedelta(days=60),
                        "order_cutoff_at": start + timedelta(days=59),
                        "failure_reason": None,
                        "cancellation_reason": "dealer_cancelled",
                        "fulfillment_detail": None,
                        "shipment": None,
                        "created_at": created,
                        "updated_at": created,
                    }
                )
            async with db.transaction() as conn:
                await conn.executemany(sql, rows)
    finally:
        await db.close()


async def _deep_cursor(client: httpx.AsyncClient, database_url: str, key: str, partner_id: str, depth: int) -> str:
    first = await client.get("/auto/v1/orders?limit=50", headers={"x-api-key": key})
    first.raise_for_status()
    token = first.json()["next_cursor"]
    digest = orjson.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))["h"]
    db = open_database(database_url, pool_size=1)
    await db.open()
    try:
        async with db.transaction(write=False) as conn:
            row = await conn.fetchrow(
                "SELECT id, created_at FROM auto_orders WHERE partner_id = :p"
                " ORDER BY created_at DESC, id DESC LIMIT 1 OFFSET :depth",
                {"p": partner_id, "depth": depth},
            )
    finally:
        await db.close()
    return cursors.encode("created_desc", digest, [utc_key(row["created_at"]), row["id"]])


async def prepare(server: ServerProcess, database_url: str, workdir: Path, deep_orders: int) -> AutoData:
    async with httpx.AsyncClient(base_url=server.base_url, timeout=60) as client:
        post_keys = await _create_partners(client, "bench-post", 300)
        get_keys = await _create_partners(client, "bench-get", 10)
        created = await client.post("/ops/v1/auto/partners", json={"name": "bench-deep"}, headers=OPS)
        created.raise_for_status()
        deep_key, deep_partner = created.json()["api_key"], created.json()["id"]
        await _create_vehicles(client)
        pairs = await _place_orders(client, get_keys)
        await _bulk_orders(database_url, deep_partner, deep_orders)
        from bench.databases import analyze

        analyze(database_url)
        deep_cursor = await _deep_cursor(client, database_url, deep_key, deep_partner, deep_orders - 50)
    (workdir / "post_keys.txt").write_text("\n".join(post_keys) + "\n")
    (workdir / "get_pairs.txt").write_text("".join(f"{k} {o}\n" for k, o in pairs))
    return AutoData(
        workdir / "post_keys.txt",
        workdir / "get_pairs.txt",
        deep_key,
        "/auto/v1/orders?limit=50",
        f"/auto/v1/orders?limit=50&cursor={deep_cursor}",
    )


HOT_VEHICLE = "bench-hot"


async def partner_keys(server: ServerProcess, path: Path, prefix: str, count: int) -> Path:
    """`count` new partners' API keys, one a line, in `path`."""
    async with httpx.AsyncClient(base_url=server.base_url, timeout=60) as client:
        keys: list[str] = []
        for start in range(0, count, 500):
            keys += await _create_partners(client, f"{prefix}-{start}", min(500, count - start))
    path.write_text("\n".join(keys) + "\n")
    return path


async def hot_car(server: ServerProcess, workdir: Path, partners: int) -> Path:
    """The one vehicle every connection bids on, and the partners (one bid each) to bid."""
    async with httpx.AsyncClient(base_url=server.base_url, timeout=60) as client:
        auction_date = (datetime.now(UTC) + timedelta(days=30)).replace(microsecond=0).isoformat()
        response = await client.put(
            f"/ops/v1/auto/vehicles/{HOT_VEHICLE}",
            headers=OPS,
            json={
                "source": "glovis",
                "make": "Kia",
                "model": "Carnival",
                "year": 2023,
                "mileage_km": 1200,
                "auction_date": auction_date,
                "auction_count": 1,
                "auction_result": "upcoming",
                "pricing": {"listing_usd": 10000},
            },
        )
        response.raise_for_status()
    return await partner_keys(server, workdir / "hot_keys.txt", "bench-hot", partners)
