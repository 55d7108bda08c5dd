"""Webhook receivers that misbehave, against the real server (two workers, so two dispatchers,
on PostgreSQL): partner A's receiver is down at first, then hangs past the timeout, answers
500, redirects, answers slowly and with a huge body; partner B's answers well. Every event is
delivered once A recovers, in order per order, with valid signatures; no two attempts of one
event are in flight at once; and while A hangs, B's events (two in a row on one order) still
arrive: a hanging receiver does not stall other partners."""

from __future__ import annotations

import uuid
from collections import defaultdict
from typing import Any

import httpx
import pytest

from tests.conftest import OPS_HEADERS
from tests.e2e.conftest import ServerFactory
from tests.faults.load import auction_car
from tests.faults.misbehaving import MisbehavingReceiver
from tests.faults.observe import scrape
from tests.faults.processes import wait_until
from tests.receiver import signature_is_valid

pytestmark = pytest.mark.slow

TIMEOUT = 3  # seconds the sender waits for a receiver
A_PLAN = [("hang", 60.0), ("status", 500), ("status", 500), ("redirect", 0), ("slow", 1.0), ("huge", 5_000_000)]


def a_plan(number: int) -> tuple[str, float]:
    return A_PLAN[number] if number < len(A_PLAN) else ("ok", 0)


class Ops:
    def __init__(self, base_url: str) -> None:
        self.client = httpx.Client(base_url=base_url + "/ops/v1/auto", headers=OPS_HEADERS, timeout=30)

    def partner(self, name: str, url: str) -> dict[str, Any]:
        created = self.client.post("/partners", json={"name": name, "webhook_url": url})
        assert created.status_code == 201, created.text
        return dict(created.json())

    def auction(self, vehicle: str, partners: list[tuple[dict[str, Any], int]], base_url: str) -> None:
        """Both partners bid, the auction starts (winner acquiring, loser failed) and is won
        (winner secured): two events in a row for the winner, one for the loser."""
        assert self.client.put(f"/vehicles/{vehicle}", json=auction_car()).status_code == 201
        for partner, bid in partners:
            placed = httpx.post(
                base_url + "/auto/v1/orders",
                json={"vehicle_id": vehicle, "max_bid_amount_usd": bid},
                headers={
                    "x-api-key": partner["api_key"],
                    "Idempotency-Key": str(uuid.uuid4()),
                },
            )
            assert placed.status_code == 201, placed.text
        assert self.client.post(f"/vehicles/{vehicle}/auction/start").status_code == 200
        result = self.client.post(
            f"/vehicles/{vehicle}/auction/result", json={"outcome": "won", "purchase_price_usd": 17500}
        )
        assert result.status_code == 200, result.text


def events_of(base_url: str, partner: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """Each of the partner's orders' events, oldest first, as the partner API lists them."""
    headers = {"x-api-key": partner["api_key"]}
    orders = httpx.get(base_url + "/auto/v1/orders", params={"limit": 200}, headers=headers).json()["data"]
    return {
        order["id"]: httpx.get(
            base_url + f"/auto/v1/orders/{order['id']}/events", params={"limit": 200}, headers=headers
        ).json()["data"]
        for order in orders
    }


def test_misbehaving_receivers(serve: ServerFactory, e2e_database_url: str) -> None:
    workers = ("--workers", "2") if e2e_database_url.startswith("postgres") else ()
    a_receiver, b_receiver = MisbehavingReceiver(a_plan), MisbehavingReceiver()
    b_receiver.listen()  # A is down: nothing listens on its port yet
    try:
        server = serve(
            *workers,
            ORDERDESK_WEBHOOK_RETRY_SCHEDULE=",".join(["1s"] * 30),
            ORDERDESK_WEBHOOK_TIMEOUT=f"{TIMEOUT}s",
            ORDERDESK_DISPATCH_LEASE="30s",
        )
        ops = Ops(server.base_url)
        a = ops.partner("Partner A", a_receiver.url)
        b = ops.partner("Partner B", b_receiver.url)
        ops.auction("glovis-v1", [(a, 18000), (b, 17900)], server.base_url)  # A wins: two events for A
        assert wait_until(lambda: len(b_receiver.delivered()) == 1, 30)
        retries_before = scrape(server.base_url, "orderdesk_webhook_deliveries_total", partner=a["id"], outcome="retry")
        assert wait_until(
            lambda: (
                scrape(server.base_url, "orderdesk_webhook_deliveries_total", partner=a["id"], outcome="retry")
                > retries_before
            ),
            15,
        )

        a_receiver.listen()  # A is back, and hangs on its first request
        assert wait_until(lambda: a_receiver.hanging_now() == 1, 15)
        ops.auction("glovis-v2", [(a, 17800), (b, 18100)], server.base_url)  # B wins: two events in a row for B
        assert wait_until(lambda: len(b_receiver.delivered()) == 3, 30)
        assert a_receiver.hanging_now() == 1, "B's two events in a row arrived while A's attempt still hung"

        all_events = {**events_of(server.base_url, a), **events_of(server.base_url, b)}
        total = sum(len(events) for events in all_events.values())

        def all_delivered() -> bool:
            current = {**events_of(server.base_url, a), **events_of(server.base_url, b)}
            return all(e["delivery_status"] == "delivered" for events in current.values() for e in events)

        assert wait_until(all_delivered, 90), events_of(server.base_url, a)
        for receiver, partner in ((a_receiver, a), (b_receiver, b)):
            delivered = receiver.delivered()
            for seen in receiver.seen:
                assert signature_is_valid(
                    partner["webhook_secret"],
                    seen.body,
                    seen.headers["x-lmn-signature"],
                    seen.headers["x-lmn-timestamp"],
                )
            first_delivery: dict[str, int] = {}
            for index, seen in enumerate(delivered):
                first_delivery.setdefault(seen.event_id, index)
            per_order: dict[str, list[str]] = defaultdict(list)
            for event_id in sorted(first_delivery, key=first_delivery.__getitem__):
                per_order[next(o for o, evs in all_events.items() if any(e["id"] == event_id for e in evs))].append(
                    event_id
                )
            for order_id, received_order in per_order.items():
                assert received_order == [e["id"] for e in all_events[order_id]], order_id  # in order per order
            assert receiver.max_in_flight == 1
        actions = [seen.action for seen in a_receiver.seen]
        print(f"\n[webhook receivers] events={total} A attempts={len(actions)} {actions}")
        print(f"[webhook receivers] B attempts={len(b_receiver.seen)}, max in flight per event 1")
        assert {"hang", "status", "redirect", "slow", "huge"} <= set(actions)
        assert scrape(server.base_url, "orderdesk_webhook_deliveries_total", partner=a["id"], outcome="delivered") == 3
    finally:
        a_receiver.close()
        b_receiver.close()
