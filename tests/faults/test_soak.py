"""Soak: 64 connections of mixed traffic (auto search, auto orders placed and cancelled, crypto
buy + confirm, operator reads) against the real server on each engine: 10 s under `make test`,
60 s with ORDERDESK_FAULTS_FULL=1. Zero 5xx, zero socket errors, the server's memory flat
(RSS growth under 10 % between the first third and the end of the full run), and the
invariants hold after: one highest bid per car, the ledger balanced, no negative balance."""

from __future__ import annotations

import asyncio
import threading
import time
import uuid
from collections import Counter, defaultdict
from typing import Any

import httpx
import pytest

from tests.conftest import OPS_HEADERS
from tests.e2e.conftest import ServerFactory
from tests.faults.conftest import FULL, sized
from tests.faults.load import BUY, CryptoClient, World, build_world

pytestmark = pytest.mark.slow
CONNECTIONS = 64


def rss_kib(pid: int) -> int:
    with open(f"/proc/{pid}/status") as status:
        lines = status.read().splitlines()
    for line in lines:
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


async def auto_orders(client: httpx.AsyncClient, world: World, lane: int, tally: Counter[str]) -> None:
    partner = lane % len(world.auto_keys)  # each lane its own (partner, car): no duplicate_order
    vehicle = world.vehicles[lane // len(world.auto_keys)]
    headers = {"x-api-key": world.auto_keys[partner]}
    placed = await client.post(
        "/auto/v1/orders",
        json={"vehicle_id": vehicle, "max_bid_amount_usd": 18000 + lane},
        headers={**headers, "Idempotency-Key": str(uuid.uuid4())},
    )
    tally[f"auto.order {placed.status_code}"] += 1
    if placed.status_code == 201:
        cancelled = await client.delete(
            f"/auto/v1/orders/{placed.json()['id']}", headers={**headers, "Idempotency-Key": str(uuid.uuid4())}
        )
        tally[f"auto.cancel {cancelled.status_code}"] += 1


async def auto_search(client: httpx.AsyncClient, world: World, lane: int, tally: Counter[str]) -> None:
    response = await client.get(
        "/auto/v1/vehicles", params={"limit": 20}, headers={"x-api-key": world.auto_keys[lane % len(world.auto_keys)]}
    )
    tally[f"auto.search {response.status_code}"] += 1


async def crypto_buy(client: httpx.AsyncClient, world: World, lane: int, tally: Counter[str]) -> None:
    signer, customer_id = SIGNERS[lane % len(SIGNERS)]
    headers = {"Authorization": f"Bearer {signer.token()}"}
    orders = f"/crypto/v1/customers/{customer_id}/orders"
    created = await client.post(orders, json=BUY, headers=headers)
    tally[f"crypto.order {created.status_code}"] += 1
    if created.status_code == 201:
        confirmed = await client.post(f"{orders}/{created.json()['id']}/confirm", headers=headers)
        tally[f"crypto.confirm {confirmed.status_code}"] += 1


async def operator_reads(client: httpx.AsyncClient, world: World, lane: int, tally: Counter[str]) -> None:
    orders = await client.get("/ops/v1/auto/orders", params={"limit": 50}, headers=OPS_HEADERS)
    tally[f"ops.orders {orders.status_code}"] += 1
    rates = await client.get("/ops/v1/auto/partners", params={"limit": 20}, headers=OPS_HEADERS)
    tally[f"ops.partners {rates.status_code}"] += 1


SIGNERS: list[tuple[CryptoClient, str]] = []  # one per crypto partner: a token is reused for a minute

MIX = (auto_search, auto_orders, crypto_buy, auto_search, operator_reads, auto_orders, crypto_buy, auto_search)


async def soak(world: World, seconds: float, tally: Counter[str]) -> None:
    deadline = time.monotonic() + seconds
    SIGNERS[:] = [(CryptoClient(world.base_url, key, pem), customer) for key, pem, customer in world.crypto]
    limits = httpx.Limits(max_connections=CONNECTIONS, max_keepalive_connections=CONNECTIONS)

    async def lane(client: httpx.AsyncClient, number: int) -> None:
        step = 0
        while time.monotonic() < deadline:
            work = MIX[(number + step) % len(MIX)]
            step += 1
            try:
                await work(client, world, number, tally)
            except httpx.TransportError as exc:
                tally[f"socket error {type(exc).__name__}"] += 1

    async with httpx.AsyncClient(base_url=world.base_url, timeout=60, limits=limits) as client:
        await asyncio.gather(*(lane(client, n) for n in range(CONNECTIONS)))


def test_soak(serve: ServerFactory, e2e_database_url: str) -> None:
    engine = "sqlite" if e2e_database_url.startswith("sqlite") else "postgres"
    server = serve()
    assert server.process is not None
    world = build_world(server.base_url, partners=8, vehicles=CONNECTIONS // 8, crypto_partners=2)
    seconds = sized(10, 60)
    tally: Counter[str] = Counter()
    samples: list[tuple[float, int]] = []
    stop = threading.Event()

    def sample_memory() -> None:
        started = time.monotonic()
        while not stop.wait(1.0):
            samples.append((time.monotonic() - started, rss_kib(server.process.pid)))  # type: ignore[union-attr]

    sampler = threading.Thread(target=sample_memory)
    sampler.start()
    try:
        asyncio.run(soak(world, seconds, tally))
    finally:
        stop.set()
        sampler.join()
    third = [rss for at, rss in samples if at >= seconds / 3][0]
    last = samples[-1][1]
    growth = (last - third) / third
    requests = sum(tally.values())
    print(
        f"\n[soak {engine} {seconds}s] requests={requests} rss {third}->{last} KiB ({growth:+.1%}) "
        + ", ".join(f"{k}={v}" for k, v in sorted(tally.items()))
    )
    bad = {k: v for k, v in tally.items() if k.startswith("socket") or k.split()[-1].startswith("5")}
    assert not bad, bad
    assert not [k for k in tally if not k.split()[-1].startswith("2")], tally  # nothing refused either
    if FULL:
        assert growth < 0.10, samples
    check_invariants(world)


def check_invariants(world: World) -> None:
    with httpx.Client(base_url=world.base_url, headers=OPS_HEADERS, timeout=60) as ops:
        leaders: dict[str, int] = defaultdict(int)
        cursor = None
        while True:
            page = ops.get(
                "/ops/v1/auto/orders", params={"limit": 200, **({"cursor": cursor} if cursor else {})}
            ).json()
            for order in page["data"]:
                if order["status"] == "proceed" and order["is_highest_bid"]:
                    leaders[order["vehicle_id"]] += 1
            cursor = page["next_cursor"]
            if cursor is None:
                break
        assert all(count == 1 for count in leaders.values()), leaders
        check = ops.get("/ops/v1/crypto/ledger/check").json()
        assert check["balanced"] is True, check
    for api_key, pem, customer_id in world.crypto:
        accounts: list[dict[str, Any]] = (
            CryptoClient(world.base_url, api_key, pem)
            .call("GET", f"/customers/{customer_id}/accounts")
            .json()["accounts"]
        )
        assert all(not account["amount"].startswith("-") for account in accounts), accounts
