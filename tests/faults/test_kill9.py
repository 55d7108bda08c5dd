"""SIGKILL under load, on each engine: concurrent auto order creation (unique keys) and crypto
buy + confirm, the whole server process group killed mid-load, then restarted. Every
acknowledged write is there with the same body; replays answer as the contracts say (auto
2.12: the stored response with Idempotent-Replayed; crypto 8.17: 409 reference_id_already_used,
confirm of a completed order 400 invalid_order_state); nothing is doubled; no order is stuck
half-way; the ledger check is balanced."""

from __future__ import annotations

import time
from collections import Counter
from typing import Any

import httpx
import pytest

from tests.conftest import OPS_HEADERS
from tests.e2e.conftest import ServerFactory
from tests.faults.conftest import sized
from tests.faults.load import Attempt, CryptoClient, World, build_world, run_load

pytestmark = pytest.mark.slow


def test_sigkill_under_load_loses_and_doubles_nothing(serve: ServerFactory, e2e_database_url: str) -> None:
    engine = "sqlite" if e2e_database_url.startswith("sqlite") else "postgres"
    server = serve()
    rounds = sized(1, 3)
    # A round places at most one order per (partner, car), ~900 of 8 x 150 on a fast server: with
    # cars for one round only, round 3 found none left. Cars enough for every round.
    world = build_world(server.base_url, vehicles=200 * rounds)
    totals: Counter[str] = Counter()
    for round_number in range(1, rounds + 1):

        def kill_mid_load(current: Any = server) -> None:
            time.sleep(1.5)
            current.kill()  # SIGKILL to the process group: no shutdown hook runs

        attempts = run_load(world, 0.3, stop_early=kill_mid_load)
        server = serve(port=server.port)
        result = verify(world, attempts)
        print(f"\n[kill -9 {engine} round {round_number}] " + ", ".join(f"{k}={v}" for k, v in sorted(result.items())))
        totals.update(result)
        assert result["auto_lost"] == result["auto_doubled"] == 0, result
        assert result["crypto_lost"] == result["crypto_doubled"] == 0, result
        assert result["auto_acknowledged"] > 0 and result["crypto_confirm_acknowledged"] > 0, result
    print(f"\n[kill -9 {engine} total] " + ", ".join(f"{k}={v}" for k, v in sorted(totals.items())))


def verify(world: World, attempts: list[Attempt]) -> Counter[str]:
    result: Counter[str] = Counter()
    result.update(dict.fromkeys(("auto_lost", "auto_doubled", "crypto_lost", "crypto_doubled"), 0))
    with httpx.Client(base_url=world.base_url, timeout=30) as client:
        for attempt in attempts:
            if attempt.kind == "auto.order":
                check_auto(client, world, attempt, result)
        check_crypto(world, attempts, result)
        orders = all_auto_orders(client)
    pairs = Counter((order["partner_id"], order["vehicle_id"]) for order in orders)
    result["auto_doubled"] += sum(count - 1 for count in pairs.values() if count > 1)
    stuck = [order for order in orders if order["status"] != "proceed"]
    assert not stuck, stuck[:3]
    return result


def check_auto(client: httpx.Client, world: World, attempt: Attempt, result: Counter[str]) -> None:
    headers = {"x-api-key": world.auto_keys[attempt.partner]}
    if attempt.acknowledged:
        assert attempt.answer is not None
        result["auto_acknowledged"] += 1
        stored = client.get(f"/auto/v1/orders/{attempt.answer['id']}", headers=headers)
        if stored.status_code == 200 and same_order(stored.json(), attempt.answer):
            result["auto_found"] += 1
        else:
            result["auto_lost"] += 1
            print("auto lost or changed:", attempt.answer, stored.text)
    replay = client.post("/auto/v1/orders", json=attempt.body, headers={**headers, "Idempotency-Key": attempt.key})
    replayed = replay.headers.get("idempotent-replayed") == "true"
    assert replay.status_code == (200 if replayed else 201), replay.text  # 2.12: a replay answers 200
    if attempt.acknowledged:
        assert replayed and replay.json() == attempt.answer, replay.text
    else:
        answered = "unanswered" if attempt.status is None else f"answered_{attempt.status}"
        result[f"auto_{answered}_then_" + ("replayed" if replayed else "created")] += 1


# Rivals bidding on the same car after this order move these; everything else must be as acknowledged.
COMPETITIVE_FIELDS = {"is_highest_bid", "current_max_bid_usd"}


def same_order(stored: dict[str, Any], acknowledged: dict[str, Any]) -> bool:
    def keep(order: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in order.items() if k not in COMPETITIVE_FIELDS}

    return keep(stored) == keep(acknowledged)


def check_crypto(world: World, attempts: list[Attempt], result: Counter[str]) -> None:
    clients = [CryptoClient(world.base_url, key, pem) for key, pem, _ in world.crypto]
    confirms = {a.key: a for a in attempts if a.kind == "crypto.confirm"}
    for attempt in (a for a in attempts if a.kind == "crypto.order"):
        client = clients[attempt.partner % len(clients)]
        replay = client.call("POST", attempt.path, json=attempt.body)
        if attempt.acknowledged:
            assert attempt.answer is not None
            result["crypto_order_acknowledged"] += 1
            assert replay.status_code == 409 and replay.json()["error_code"] == "reference_id_already_used", replay.text
            check_confirm(client, attempt, confirms.get(attempt.answer["id"]), result)
        else:
            answered = "unanswered" if attempt.status is None else f"answered_{attempt.status}"
            assert replay.status_code in (201, 409), replay.text
            outcome = "found" if replay.status_code == 409 else "created"
            result[f"crypto_order_{answered}_then_{outcome}"] += 1
        found = client.call("GET", attempt.path, params={"reference_id": attempt.key}).json()["orders"]
        result["crypto_doubled"] += max(0, len(found) - 1)
    for client, (_, _, customer_id) in zip(clients, world.crypto, strict=True):
        completed = client.call("GET", f"/customers/{customer_id}/orders", params={"state": "completed", "limit": 1})
        result["crypto_completed"] += completed.json()["total"]
    check = httpx.get(world.base_url + "/ops/v1/crypto/ledger/check", headers=OPS_HEADERS, timeout=60).json()
    assert check["balanced"] is True, check
    assert check["postings"] == result["crypto_completed"], check  # one posting per completed buy, no more


def check_confirm(client: CryptoClient, created: Attempt, confirm: Attempt | None, result: Counter[str]) -> None:
    assert created.answer is not None
    order_path = f"{created.path}/{created.answer['id']}"
    stored = client.call("GET", order_path)
    assert stored.status_code == 200, stored.text
    if confirm is None:
        return
    again = client.call("POST", confirm.path)
    if confirm.acknowledged:
        result["crypto_confirm_acknowledged"] += 1
        if stored.json() == confirm.answer:
            result["crypto_found"] += 1
        else:
            result["crypto_lost"] += 1
        assert again.status_code == 400 and again.json()["error_code"] == "invalid_order_state", again.text
    else:
        assert again.status_code in (200, 400), again.text
        state = client.call("GET", order_path).json()["state"]
        assert state == "completed", state  # confirmed by the lost request or by this retry: never half-way
        result["crypto_confirm_unanswered"] += 1


def all_auto_orders(client: httpx.Client) -> list[dict[str, Any]]:
    orders: list[dict[str, Any]] = []
    cursor = None
    while True:
        params = {"limit": 200, **({"cursor": cursor} if cursor else {})}
        page = client.get("/ops/v1/auto/orders", params=params, headers=OPS_HEADERS).json()
        orders += page["data"]
        cursor = page["next_cursor"]
        if cursor is None:
            return orders
