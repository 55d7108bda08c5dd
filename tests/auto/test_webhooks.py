"""Webhook delivery (spec 6.2, 6.3) to a real local receiver, and the events log (4.9)."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator
from typing import Any

import httpx
import orjson
import pytest

from orderdesk.auto import webhooks
from orderdesk.platform.clock import ManualClock
from orderdesk.platform.dispatcher import Dispatcher
from tests.auto.conftest import Operator, Partner, assert_error, stored_events
from tests.receiver import Received, Receiver, signature_is_valid

CAR = "glovis-20260512-0418"


def fail_first(attempts: int, status: int = 503) -> Any:
    """A receiver policy: each event's first `attempts` attempts get `status`, then 200."""

    def answer(seen: list[Received], headers: dict[str, str], body: bytes) -> int:
        earlier = sum(1 for r in seen if r.event_id == headers["x-lmn-event-id"])
        return status if earlier < attempts else 200

    return answer


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    server = await Receiver().start()
    yield server
    await server.close()


async def drain(client: httpx.AsyncClient) -> None:
    await client.runtime.dispatcher.drain()  # type: ignore[attr-defined]


async def won_and_shipped(operator: Operator, partner: Partner, vehicle_id: str) -> str:
    """An order with four LMN-side events: acquiring, secured, shipping, fulfillment_updated."""
    await operator.vehicle(vehicle_id)
    order = (await partner.place(vehicle_id, 18200)).json()
    await operator.start(vehicle_id)
    assert (await operator.result(vehicle_id, "won", purchase_price_usd=17650)).status_code == 200
    await operator.move(order["id"], status="shipping")
    await operator.move(order["id"], fulfillment_detail="awaiting_pickup")
    return order["id"]


def check_signatures(receiver: Receiver, secret: str, since: float, clock: ManualClock) -> None:
    """Every request signed with the partner's secret, stamped with the (test) clock's time of
    its attempt, and shaped as spec 6.2 says."""
    for received in receiver.received:
        headers = received.headers
        assert signature_is_valid(secret, received.body, headers["x-lmn-signature"], headers["x-lmn-timestamp"])
        assert int(since) <= int(headers["x-lmn-timestamp"]) <= clock.now().timestamp()
        assert headers["content-type"] == "application/json"
        assert headers["user-agent"] == "orderdesk-webhooks/1"
        assert received.json["id"] == headers["x-lmn-event-id"]
        assert received.path == "/hooks/lmn"


async def test_retries_keep_the_event_id_the_bytes_and_the_order(
    operator: Operator, receiver: Receiver, clock: ManualClock
) -> None:
    receiver.answer = fail_first(2)
    partner = await operator.partner(webhook_url=receiver.url)
    orders = [await won_and_shipped(operator, partner, f"glovis-{i}") for i in range(3)]
    since = clock.now().timestamp()
    await drain(operator.client)
    assert len(receiver.received) == 3  # one attempt per order: later events wait for the first one
    log = (await partner.events(orders[0]))[0]
    assert (log["delivery_status"], log["attempts"], log["last_response_code"]) == ("pending", 1, 503)
    assert log["last_attempt_at"] == "2026-05-06T09:14:27+09:00"
    clock.advance(seconds=29)
    await drain(operator.client)
    assert len(receiver.received) == 3  # the 30 s delay is counted from the failed attempt
    for delay in (1, 120):
        clock.advance(seconds=delay)
        await drain(operator.client)
    assert len(receiver.received) == 3 * (3 + 1)  # first events delivered on attempt 3; each second one tried
    for _ in range(8):
        clock.advance(seconds=120)
        await drain(operator.client)
    check_signatures(receiver, partner.created["webhook_secret"], since, clock)
    for order_id in orders:
        received = [r for r in receiver.received if r.json["data"]["order"]["id"] == order_id]
        ids_in_order = list(dict.fromkeys(r.event_id for r in received))
        logged = await partner.events(order_id)
        assert ids_in_order == [e["id"] for e in logged]
        # every event: two failures then one success, same bytes each time; none overtakes an earlier one
        for event_id in ids_in_order:
            attempts = [r for r in received if r.event_id == event_id]
            assert [r.status for r in attempts] == [503, 503, 200]
            assert len({r.body for r in attempts}) == 1
        positions = [next(i for i, r in enumerate(received) if r.event_id == e) for e in ids_in_order]
        delivered_at = [max(i for i, r in enumerate(received) if r.event_id == e) for e in ids_in_order]
        assert all(delivered_at[i] < positions[i + 1] for i in range(len(positions) - 1))
        assert [(e["delivery_status"], e["attempts"], e["last_response_code"]) for e in logged] == [
            ("delivered", 3, 200)
        ] * 4
        assert [e["payload"] for e in logged] == [orjson.loads(r.body) for r in received if r.status == 200]


async def test_gone_fails_at_once_and_the_next_event_goes(operator: Operator, receiver: Receiver) -> None:
    receiver.answer = lambda seen, headers, body: 410 if not seen else 200
    partner = await operator.partner(webhook_url=receiver.url)
    order_id = await won_and_shipped(operator, partner, CAR)
    await drain(operator.client)
    logged = await partner.events(order_id)
    assert [(e["delivery_status"], e["attempts"], e["last_response_code"]) for e in logged] == [
        ("failed", 1, 410),
        ("delivered", 1, 200),
        ("delivered", 1, 200),
        ("delivered", 1, 200),
    ]
    assert (await operator.request("GET", f"/partners/{partner.id}")).json()["webhook_url"] == receiver.url


async def test_schedule_exhausted_fails(make_client: Any, receiver: Receiver, clock: ManualClock) -> None:
    client = await make_client(webhook_retry_schedule="10s,20s")
    receiver.answer = fail_first(99, 500)
    operator = Operator(client)
    partner = await operator.partner(webhook_url=receiver.url)
    await operator.vehicle(CAR)
    order = (await partner.place(CAR, 18200)).json()
    await operator.start(CAR)
    for delay in (0, 10, 20, 3600):
        clock.advance(seconds=delay)
        await drain(client)
    [event] = await partner.events(order["id"])
    assert (event["delivery_status"], event["attempts"], event["last_response_code"]) == ("failed", 3, 500)
    assert len(receiver.received) == 3


async def test_empty_schedule_is_one_attempt(make_client: Any, receiver: Receiver, clock: ManualClock) -> None:
    client = await make_client(webhook_retry_schedule="")
    receiver.answer = fail_first(99)
    operator = Operator(client)
    partner = await operator.partner(webhook_url=receiver.url)
    await operator.vehicle(CAR)
    order = (await partner.place(CAR, 18200)).json()
    await operator.start(CAR)
    await drain(client)
    clock.advance(days=2)
    await drain(client)
    [event] = await partner.events(order["id"])
    assert (event["delivery_status"], event["attempts"]) == ("failed", 1)


async def test_timeouts_redirects_and_refused_connections_are_retried(
    make_client: Any, receiver: Receiver, clock: ManualClock
) -> None:
    client = await make_client(webhook_timeout="1s")
    operator = Operator(client)
    partner = await operator.partner(webhook_url=receiver.url)
    await operator.vehicle(CAR)
    order = (await partner.place(CAR, 18200)).json()
    await operator.start(CAR)
    receiver.delay = 1.5
    await drain(client)
    [event] = await partner.events(order["id"])
    assert (event["delivery_status"], event["attempts"], event["last_response_code"]) == ("pending", 1, None)
    receiver.delay = 0
    receiver.answer = lambda seen, headers, body: 302
    clock.advance(seconds=30)
    await drain(client)
    [event] = await partner.events(order["id"])
    assert (event["delivery_status"], event["attempts"], event["last_response_code"]) == ("pending", 2, 302)
    await operator.request("PATCH", f"/partners/{partner.id}", json={"webhook_url": "http://127.0.0.1:1/closed"})
    clock.advance(minutes=2)
    await drain(client)
    [event] = await partner.events(order["id"])
    assert (event["delivery_status"], event["attempts"], event["last_response_code"]) == ("pending", 3, None)


async def test_without_url_events_are_skipped(operator: Operator, receiver: Receiver) -> None:
    quiet = await operator.partner("Quiet")
    order_id = await won_and_shipped(operator, quiet, CAR)
    await drain(operator.client)
    logged = await quiet.events(order_id)
    assert [(e["delivery_status"], e["attempts"], e["last_attempt_at"]) for e in logged] == [
        ("delivery_skipped", 0, None)
    ] * 4
    assert receiver.received == []


async def test_url_removed_or_changed_before_the_attempt(operator: Operator, receiver: Receiver) -> None:
    partner = await operator.partner(webhook_url="http://127.0.0.1:9/unused")
    other = await Receiver().start()
    try:
        await operator.vehicle(CAR)
        order = (await partner.place(CAR, 18200)).json()
        await operator.start(CAR)
        await operator.request("PATCH", f"/partners/{partner.id}", json={"webhook_url": other.url})
        await drain(operator.client)
        assert [r.json["data"]["order"]["id"] for r in other.received] == [order["id"]]  # the current URL
        await operator.request("PATCH", f"/partners/{partner.id}", json={"webhook_url": None})
        await operator.result(CAR, "lost")
        await drain(operator.client)
        assert [e["delivery_status"] for e in await partner.events(order["id"])] == ["delivered", "delivery_skipped"]
        assert len(other.received) == 1
    finally:
        await other.close()


async def test_partner_calls_never_produce_webhooks(operator: Operator, receiver: Receiver) -> None:
    partner = await operator.partner(webhook_url=receiver.url)
    await operator.vehicle(CAR)
    order = (await partner.place(CAR, 18200)).json()
    assert (await partner.cancel(order["id"])).status_code == 200
    await drain(operator.client)
    assert await stored_events(operator.client, order["id"]) == [] and receiver.received == []
    assert await partner.events(order["id"]) == []
    shipped = await won_and_shipped(operator, partner, "glovis-2")
    await drain(operator.client)
    seen = len(receiver.received)
    for body in ({"fulfillment_detail": "in_transit"}, {"fulfillment_detail": "customs"}, {"status": "delivered"}):
        assert (await partner.push(shipped, {**body, "occurred_at": "2026-06-20T08:15:00+01:00"})).status_code == 200
    await drain(operator.client)
    assert len(await partner.events(shipped)) == 4 and len(receiver.received) == seen


async def test_events_log_pages_and_scopes(operator: Operator, receiver: Receiver, rival: Partner) -> None:
    partner = await operator.partner(webhook_url=receiver.url)
    order_id = await won_and_shipped(operator, partner, CAR)
    everything = await partner.events(order_id)
    assert [e["type"] for e in everything] == ["order.status_changed"] * 3 + ["order.fulfillment_updated"]
    assert set(everything[0]) == {
        "id",
        "type",
        "occurred_at",
        "delivery_status",
        "attempts",
        "last_response_code",
        "last_attempt_at",
        "payload",
    }
    assert everything[0]["payload"]["data"]["previous_status"] == "proceed"
    assert everything[0]["occurred_at"] == everything[0]["payload"]["occurred_at"]
    first = (await partner.get(f"/v1/orders/{order_id}/events", params={"limit": 3})).json()
    rest = (
        await partner.get(f"/v1/orders/{order_id}/events", params={"limit": 3, "cursor": first["next_cursor"]})
    ).json()
    assert rest["next_cursor"] is None
    assert [e["id"] for e in first["data"] + rest["data"]] == [e["id"] for e in everything]
    assert_error(await rival.get(f"/v1/orders/{order_id}/events"), 404, "order_not_found")
    assert_error(await partner.get("/v1/orders/nope/events"), 404, "order_not_found")
    bad = await partner.get(f"/v1/orders/{order_id}/events", params={"cursor": "garbage"})
    assert_error(bad, 400, "invalid_cursor")
    assert_error(await partner.get(f"/v1/orders/{order_id}/events", params={"limit": 0}), 400, "validation_error")


async def test_two_dispatchers_never_run_one_attempt_twice(
    operator: Operator, receiver: Receiver, clock: ManualClock, engine: str
) -> None:
    runtime = operator.client.runtime  # type: ignore[attr-defined]
    receiver.answer = fail_first(1)
    receiver.delay = 0.002
    partner = await operator.partner(webhook_url=receiver.url)
    orders = [await won_and_shipped(operator, partner, f"glovis-{i}") for i in range(8)]
    second = Dispatcher(runtime.db, clock, batch_size=5)
    webhooks.register(runtime, second)
    for _ in range(30):
        await asyncio.gather(runtime.dispatcher.drain(), second.drain())
        clock.advance(seconds=30)
    attempts = Counter(r.event_id for r in receiver.received)
    assert len(attempts) == 8 * 4 and set(attempts.values()) == {2}
    assert receiver.max_in_flight_per_event == 1
    for order_id in orders:
        logged = await partner.events(order_id)
        assert [(e["delivery_status"], e["attempts"]) for e in logged] == [("delivered", 2)] * 4
