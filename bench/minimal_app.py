"""The yardsticks: minimal FastAPI endpoints through the same driver and database layer as
orderdesk (asyncpg pool / in-loop sqlite3 single writer, same pragmas): one INSERT per POST,
and one SELECT by primary key per GET (over `READ_ROWS` rows seeded at start, ids
`minimal-0000`...). Our endpoints are measured as a ratio to them.

    BENCH_DATABASE_URL=... uvicorn bench.minimal_app:create_app --factory
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import orjson
from fastapi import FastAPI, Request
from starlette.responses import Response

from orderdesk.platform import ids
from orderdesk.platform.db import open_database

DDL = {
    "sqlite": "CREATE TABLE IF NOT EXISTS bench_minimal_orders (id TEXT PRIMARY KEY, vehicle_id TEXT NOT NULL,"
    " max_bid_amount_usd INTEGER, status TEXT NOT NULL, created_at TEXT_UTC NOT NULL)",
    "postgresql": "CREATE TABLE IF NOT EXISTS bench_minimal_orders (id TEXT PRIMARY KEY, vehicle_id TEXT NOT NULL,"
    " max_bid_amount_usd BIGINT, status TEXT NOT NULL, created_at TIMESTAMPTZ NOT NULL)",
}

READ_ROWS = 1000


def read_id(i: int) -> str:
    return f"minimal-{i:04d}"


def create_app() -> FastAPI:
    db = open_database(
        os.environ["BENCH_DATABASE_URL"],
        pool_size=int(os.environ.get("BENCH_POOL_SIZE", "10")),
        sqlite_synchronous=os.environ.get("BENCH_SQLITE_SYNCHRONOUS", "full"),
    )

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await db.open()
        async with db.transaction() as conn:
            await conn.execute(DDL[db.dialect])
            await conn.executemany(
                "INSERT INTO bench_minimal_orders (id, vehicle_id, max_bid_amount_usd, status, created_at)"
                " VALUES (:id, :vehicle_id, 15500, 'proceed', :created_at) ON CONFLICT (id) DO NOTHING",
                [
                    {"id": read_id(i), "vehicle_id": f"bench-vehicle-{i % 100:03d}", "created_at": datetime.now(UTC)}
                    for i in range(READ_ROWS)
                ],
            )
        yield
        await db.close()

    app = FastAPI(lifespan=lifespan, openapi_url=None, docs_url=None, redoc_url=None)

    @app.get("/healthz")
    async def healthz() -> Response:
        return Response(b'{"status":"ok"}', media_type="application/json")

    @app.post("/minimal/orders")
    async def create(request: Request) -> Response:
        body = orjson.loads(await request.body())
        row = {
            "id": ids.new_ulid(),
            "vehicle_id": body["vehicle_id"],
            "max_bid_amount_usd": body.get("max_bid_amount_usd"),
            "status": "proceed",
            "created_at": datetime.now(UTC),
        }
        async with db.transaction() as conn:
            await conn.execute(
                "INSERT INTO bench_minimal_orders (id, vehicle_id, max_bid_amount_usd, status, created_at)"
                " VALUES (:id, :vehicle_id, :max_bid_amount_usd, :status, :created_at)",
                row,
            )
        row["created_at"] = row["created_at"].isoformat()
        return Response(orjson.dumps(row), status_code=201, media_type="application/json")

    @app.get("/minimal/orders/{order_id}")
    async def read(order_id: str) -> Response:
        row = await db.fetchrow(
            "SELECT id, vehicle_id, max_bid_amount_usd, status, created_at FROM bench_minimal_orders WHERE id = :id",
            {"id": order_id},
        )
        if row is None:
            return Response(b'{"error":"not_found"}', status_code=404, media_type="application/json")
        body = {name: row[name] for name in ("id", "vehicle_id", "max_bid_amount_usd", "status")}
        body["created_at"] = row["created_at"].isoformat()
        return Response(orjson.dumps(body), media_type="application/json")

    return app
