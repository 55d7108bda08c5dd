"""Webhook delivery by real processes: SIGKILL the dispatcher with deliveries pending and lose
nothing; two `orderdesk worker` processes on PostgreSQL never run one attempt twice at once."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from bench.server import free_port, orderdesk_serve
from tests.conftest import OPS_HEADERS, OPS_TOKEN, POSTGRES_URL
from tests.e2e.conftest import ServerFactory
from tests.receiver import Received, Receiver, signature_is_valid

pytestmark = pytest.mark.slow
ORDERDESK = str(Path(sys.executable).with_name("orderdesk"))
FAST_RETRIES = {
    "ORDERDESK_WEBHOOK_RETRY_SCHEDULE": ",".join(["1s"] * 20),
    "ORDERDESK_WEBHOOK_TIMEOUT": "2s",
    "ORDERDESK_DISPATCH_LEASE": "4s",
    "ORDERDESK_DISPATCH_INTERVAL": "1s",
}


class ThreadedReceiver:
    """The test receiver on its own event loop in a thread (these tests drive blocking clients)."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.receiver = Receiver()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        asyncio.run_coroutine_threadsafe(self.receiver.start(), self.loop).result(10)

    def close(self) -> None:
        asyncio.run_coroutine_threadsafe(self.receiver.close(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    threaded = ThreadedReceiver()
    yield threaded.receiver
    threaded.close()


def answer_with(status: Callable[[], int]) -> Callable[[list[Received], dict[str, str], bytes], int]:
    return lambda seen, headers, body: status()


def vehicle(auction_at: datetime) -> dict[str, Any]:
    return {
        "source": "glovis",
        "make": "Hyundai",
        "model": "Palisade",
        "year": 2022,
        "mileage_km": 38412,
        "auction_date": auction_at.isoformat(),
        "auction_count": 1,
        "auction_result": "upcoming",
        "pricing": {"listing_usd": 17400},
    }


def make_events(base_url: str, webhook_url: str, cars: int) -> tuple[dict[str, Any], list[str]]:
    """A partner with a webhook URL and `cars` won auctions: two events per order."""
    ops = httpx.Client(base_url=base_url + "/ops/v1/auto", headers=OPS_HEADERS, timeout=30)
    partner = ops.post("/partners", json={"name": "Crash Test", "webhook_url": webhook_url}).json()
    auction_at = (datetime.now(UTC) + timedelta(days=10)).replace(microsecond=0)
    order_ids = []
    for i in range(cars):
        assert ops.put(f"/vehicles/crash-{i}", json=vehicle(auction_at)).status_code == 201
        placed = httpx.post(
            base_url + "/auto/v1/orders",
            json={"vehicle_id": f"crash-{i}", "max_bid_amount_usd": 18000},
            headers={"x-api-key": partner["api_key"], "Idempotency-Key": str(uuid.uuid4())},
            timeout=30,
        )
        assert placed.status_code == 201, placed.text
        order_ids.append(placed.json()["id"])
        assert ops.post(f"/vehicles/crash-{i}/auction/start").status_code == 200
        assert (
            ops.post(
                f"/vehicles/crash-{i}/auction/result", json={"outcome": "won", "purchase_price_usd": 17500}
            ).status_code
            == 200
        )
    return partner, order_ids


def event_logs(base_url: str, api_key: str, order_ids: list[str]) -> dict[str, list[dict[str, Any]]]:
    return {
        order_id: httpx.get(
            f"{base_url}/auto/v1/orders/{order_id}/events", headers={"x-api-key": api_key}, timeout=30
        ).json()["data"]
        for order_id in order_ids
    }


def wait_until(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def check_delivered(receiver: Receiver, partner: dict[str, Any], logs: dict[str, list[dict[str, Any]]]) -> None:
    secret = partner["webhook_secret"]
    for received in list(receiver.received):
        assert signature_is_valid(
            secret, received.body, received.headers["x-lmn-signature"], received.headers["x-lmn-timestamp"]
        )
    for order_id, events in logs.items():
        assert [e["delivery_status"] for e in events] == ["delivered", "delivered"], events
        successes = [
            r.event_id for r in receiver.received if r.status == 200 and r.json["data"]["order"]["id"] == order_id
        ]
        # at least once: a crash between sending and recording may repeat one, never reorder them
        assert list(dict.fromkeys(successes)) == [e["id"] for e in events]


def test_sigkill_with_deliveries_pending_loses_nothing(serve: ServerFactory, receiver: Receiver) -> None:
    failing = {"on": True}
    receiver.answer = answer_with(lambda: 503 if failing["on"] else 200)
    receiver.delay = 0.2
    server = serve(**FAST_RETRIES)
    partner, order_ids = make_events(server.base_url, receiver.url, cars=8)
    wait_until(lambda: len(receiver.received) >= 12, 30, "failing attempts")
    server.kill()  # SIGKILL: attempts in flight, retries scheduled, later events not yet tried
    logs = restart_until_delivered(serve, server.port, partner, order_ids, failing)
    check_delivered(receiver, partner, logs)


def restart_until_delivered(
    serve: ServerFactory, port: int, partner: dict[str, Any], order_ids: list[str], failing: dict[str, bool]
) -> dict[str, list[dict[str, Any]]]:
    failing["on"] = False
    restarted = serve(port=port, **FAST_RETRIES)

    def all_delivered() -> bool:
        logs = event_logs(restarted.base_url, partner["api_key"], order_ids)
        return all(e["delivery_status"] == "delivered" for events in logs.values() for e in events)

    wait_until(all_delivered, 60, "every event delivered after the restart")
    return event_logs(restarted.base_url, partner["api_key"], order_ids)


@pytest.fixture
def postgres_url(postgres_reset: Any) -> str:
    postgres_reset.reset()
    assert POSTGRES_URL
    return POSTGRES_URL


def test_two_workers_never_deliver_one_attempt_twice(postgres_url: str, receiver: Receiver, tmp_path: Path) -> None:
    env = {
        "ORDERDESK_DATABASE_URL": postgres_url,
        "ORDERDESK_OPS_TOKEN": OPS_TOKEN,
        "ORDERDESK_LOG_LEVEL": "warning",
        **FAST_RETRIES,
    }
    receiver.answer = lambda seen, headers, body: (
        200 if any(r.event_id == headers["x-lmn-event-id"] for r in seen) else 503
    )
    receiver.delay = 0.02
    api = orderdesk_serve(env, free_port(), tmp_path / "api.log", "--no-dispatcher").start()
    workers: list[subprocess.Popen[bytes]] = []
    try:
        partner, order_ids = make_events(api.base_url, receiver.url, cars=15)
        log = (tmp_path / "workers.log").open("ab")
        workers = [
            subprocess.Popen(
                [ORDERDESK, "worker"],
                env={**os.environ, **env},
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
            for _ in range(2)
        ]

        def all_delivered() -> bool:
            logs = event_logs(api.base_url, partner["api_key"], order_ids)
            return all(e["delivery_status"] == "delivered" for events in logs.values() for e in events)

        wait_until(all_delivered, 60, "every event delivered by the two workers")
        logs = event_logs(api.base_url, partner["api_key"], order_ids)
        check_delivered(receiver, partner, logs)
        attempts = Counter(r.event_id for r in receiver.received)
        assert len(attempts) == 30 and set(attempts.values()) == {2}  # one failure, one success, no repeat
        assert receiver.max_in_flight_per_event == 1
        assert all(e["attempts"] == 2 for events in logs.values() for e in events)
    finally:
        for worker in workers:
            if worker.poll() is None:
                os.killpg(worker.pid, signal.SIGKILL)
                worker.wait(10)
        api.kill()
