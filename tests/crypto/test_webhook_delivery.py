"""Webhook delivery (spec 9.2, 9.3) to a real local HTTP receiver: every signature verified
with the published key, the events the core produces, order per subscription, retries with
the same id and body, the retry schedule, failure after ten attempts, deleted subscriptions."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import httpx
import jwt
import orjson
import pytest

from orderdesk.crypto import webhooks
from tests.crypto.conftest import BASE, Operator, Partner
from tests.crypto.test_customers import recorded_events
from tests.crypto.test_documents_kyc import upload
from tests.receiver import Received, Receiver, jwt_signature_is_valid, running_receiver

SCHEDULE = (30, 120, 600, 1800, 3600, 10800, 21600, 43200, 86400)


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    async with running_receiver("/hooks/crypto") as running:
        yield running


async def subscribe(partner: Partner, url: str, events: list[str] | None = None) -> dict[str, Any]:
    response = await partner.post("/webhooks/subscriptions", json={"url": url, "events": events})
    assert response.status_code == 201, response.text
    return response.json()


async def public_pem(client: httpx.AsyncClient) -> str:
    response = await client.get(BASE + "/webhooks/public_key")
    assert response.status_code == 200
    pem: str = response.json()["public_key_pem"]
    return pem


async def assert_all_signed(client: httpx.AsyncClient, received: list[Received]) -> None:
    pem = await public_pem(client)
    for request in received:
        assert request.headers["content-type"] == "application/json"
        assert request.headers["user-agent"] == "orderdesk-webhooks/1"
        assert jwt_signature_is_valid(request.body, request.headers["x-jwt-signature"], pem), request
        assert request.path == "/hooks/crypto"


async def deliveries(client: httpx.AsyncClient) -> list[dict[str, Any]]:
    runtime = client.runtime  # type: ignore[attr-defined]
    async with runtime.db.transaction(write=False) as conn:
        rows = await conn.fetch(
            "SELECT d.event_id, d.subscription_id, d.state, d.attempts, d.last_response_code,"
            " o.state AS outbox_state FROM crypto_webhook_deliveries d"
            " JOIN outbox o ON o.ref = d.id AND o.kind = 'crypto.webhook' ORDER BY o.id"
        )
    return [
        {
            key: row[key]
            for key in ("event_id", "subscription_id", "state", "attempts", "last_response_code", "outbox_state")
        }
        for row in rows
    ]


async def drain(client: httpx.AsyncClient) -> None:
    await client.runtime.dispatcher.drain()  # type: ignore[attr-defined]


async def test_deposit_events_arrive_in_order_signed(
    client: httpx.AsyncClient, operator: Operator, partner: Partner, customer: dict[str, Any], receiver: Receiver
) -> None:
    await subscribe(partner, receiver.url)
    order = await operator.deposit(customer["id"], "BTC", "0.5")
    assert receiver.received == []  # nothing leaves before the dispatcher runs
    await drain(client)
    assert receiver.actions() == ["order-created", "incoming-funds", "order-closed"]
    await assert_all_signed(client, receiver.received)
    stored = await recorded_events(client, partner.id)
    assert receiver.events() == stored
    for event in receiver.events():
        assert event["order"] == order and event["created_at"] == order["created_at"]
        assert set(event) == {"id", "action", "created_at", "order"}
    bodies = [r.body for r in receiver.received]
    assert all(body == orjson.dumps(orjson.loads(body)) for body in bodies)  # compact, as stored
    assert [d["state"] for d in await deliveries(client)] == ["delivered"] * 3
    assert {d["last_response_code"] for d in await deliveries(client)} == {200}


async def test_claims_of_the_signature(
    client: httpx.AsyncClient, operator: Operator, partner: Partner, customer: dict[str, Any], receiver: Receiver
) -> None:
    await subscribe(partner, receiver.url, ["incoming-funds"])
    await operator.deposit(customer["id"])
    await drain(client)
    (request,) = receiver.received
    claims = jwt.decode(
        request.headers["x-jwt-signature"], await public_pem(client), algorithms=["RS512"], issuer="lirium-sandbox"
    )
    assert set(claims) == {"iss", "iat", "digest"}
    assert claims["iat"] == int(client.runtime.clock.now().timestamp())  # type: ignore[attr-defined]
    tampered = request.body.replace(b"incoming-funds", b"incoming-fundz")
    assert not jwt_signature_is_valid(tampered, request.headers["x-jwt-signature"], await public_pem(client))


async def test_customer_events_reach_subscribers(make_client, receiver: Receiver) -> None:  # type: ignore[no-untyped-def]
    client = await make_client(crypto_require_kyc=True)
    operator = Operator(client)
    partner = await operator.partner(products=["crypto_buy_sell"])
    await subscribe(partner, receiver.url)
    customer = await partner.customer()
    for kind in ("id_front", "id_back", "proof_of_address"):  # the third switches the products on
        await upload(partner, customer["id"], document_type=kind)
    path = f"/crypto/customers/{customer['id']}/requirements/document_id_back"
    response = await operator.request(
        "PATCH", path, json={"status": "rejected", "rejection_reason": "document_expired"}
    )
    assert response.status_code == 200, response.text
    response = await operator.request("PATCH", f"/crypto/customers/{customer['id']}", json={"state": "banned"})
    assert response.status_code == 200, response.text
    await drain(client)
    assert receiver.actions() == ["customer-product-changed", "customer-requirement-rejected", "customer-state-changed"]
    await assert_all_signed(client, receiver.received)
    changed, rejected, state = receiver.events()
    assert changed["products"] == ["crypto_buy_sell"] and changed["customer"]["id"] == customer["id"]
    assert rejected["data_requirement"]["id"] == "document_id_back"
    assert rejected["data_requirement"]["status"] == "rejected"
    assert state["customer"]["state"] == "banned"
    assert receiver.events() == await recorded_events(client, partner.id)


async def test_only_subscribed_actions_of_the_owning_partner(
    client: httpx.AsyncClient,
    operator: Operator,
    partner: Partner,
    rival: Partner,
    customer: dict[str, Any],
    receiver: Receiver,
) -> None:
    closed_only = await subscribe(partner, receiver.url, ["order-closed"])
    await subscribe(rival, receiver.url + "?rival")  # the rival's customers' events only
    await operator.deposit(customer["id"])
    await drain(client)
    assert receiver.actions() == ["order-closed"]
    assert [d["subscription_id"] for d in await deliveries(client)] == [closed_only["id"]]


async def test_every_subscription_gets_its_own_delivery(
    client: httpx.AsyncClient, operator: Operator, partner: Partner, customer: dict[str, Any], receiver: Receiver
) -> None:
    first = await subscribe(partner, receiver.url, ["order-created"])
    second = await subscribe(partner, receiver.url, ["order-created"])  # the same URL twice
    await operator.deposit(customer["id"])
    await drain(client)
    assert receiver.actions() == ["order-created", "order-created"]
    assert receiver.received[0].body == receiver.received[1].body
    assert sorted(d["subscription_id"] for d in await deliveries(client)) == sorted([first["id"], second["id"]])


async def test_failed_attempts_are_retried_with_the_same_body(
    client: httpx.AsyncClient,
    clock: Any,
    operator: Operator,
    partner: Partner,
    customer: dict[str, Any],
    receiver: Receiver,
) -> None:
    receiver.answer = lambda seen, headers, body: 500 if len(seen) < 2 else 204
    await subscribe(partner, receiver.url, ["incoming-funds"])
    await operator.deposit(customer["id"])
    await drain(client)
    assert len(receiver.received) == 1
    clock.advance(seconds=29)
    await drain(client)
    assert len(receiver.received) == 1  # the first retry waits 30 s
    clock.advance(seconds=1)
    await drain(client)
    assert len(receiver.received) == 2
    clock.advance(seconds=119)
    await drain(client)
    assert len(receiver.received) == 2  # the second waits 2 min
    clock.advance(seconds=1)
    await drain(client)
    assert len(receiver.received) == 3
    assert len({r.body for r in receiver.received}) == 1
    assert len({r.json["id"] for r in receiver.received}) == 1
    signatures = [r.headers["x-jwt-signature"] for r in receiver.received]
    assert len(set(signatures)) == 3  # a new JWT per attempt, iat = the attempt time
    pem = await public_pem(client)
    iats = [jwt.decode(s, pem, algorithms=["RS512"], issuer="lirium-sandbox")["iat"] for s in signatures]
    assert iats[1] - iats[0] == 30 and iats[2] - iats[1] == 120
    await assert_all_signed(client, receiver.received)
    (delivery,) = await deliveries(client)
    assert delivery["state"] == "delivered" and delivery["attempts"] == 3 and delivery["last_response_code"] == 204


async def test_a_retry_does_not_block_later_events(
    client: httpx.AsyncClient, operator: Operator, partner: Partner, customer: dict[str, Any], receiver: Receiver
) -> None:
    """First attempts follow creation order; a failing event is retried apart (9.3)."""
    receiver.answer = lambda seen, headers, body: 503 if orjson.loads(body)["action"] == "order-created" else 200
    await subscribe(partner, receiver.url)
    await operator.deposit(customer["id"])
    await drain(client)
    assert receiver.actions() == ["order-created", "incoming-funds", "order-closed"]
    states = [(d["state"], d["attempts"], d["last_response_code"]) for d in await deliveries(client)]
    assert states == [("pending", 1, 503), ("delivered", 1, 200), ("delivered", 1, 200)]


async def test_ten_attempts_then_failed(
    client: httpx.AsyncClient,
    clock: Any,
    operator: Operator,
    partner: Partner,
    customer: dict[str, Any],
    receiver: Receiver,
) -> None:
    receiver.answer = lambda seen, headers, body: 302  # redirects are not followed: a failure
    await subscribe(partner, receiver.url, ["order-closed"])
    await operator.deposit(customer["id"])
    await drain(client)
    for delay in SCHEDULE:
        clock.advance(seconds=delay)
        await drain(client)
    assert len(receiver.received) == 10
    assert all(r.path == "/hooks/crypto" for r in receiver.received)
    (delivery,) = await deliveries(client)
    assert delivery["state"] == "failed" and delivery["attempts"] == 10 and delivery["last_response_code"] == 302
    assert delivery["outbox_state"] == "dead"
    clock.advance(days=7)
    await drain(client)
    assert len(receiver.received) == 10


async def test_a_slow_receiver_times_out_and_is_retried(
    make_client,
    clock: Any,  # type: ignore[no-untyped-def]
    receiver: Receiver,
) -> None:
    client = await make_client(crypto_webhook_timeout=0.2)
    operator = Operator(client)
    partner = await operator.partner()
    customer = await partner.customer()
    receiver.answer = lambda seen, headers, body: (200, 0.0 if seen else 1.0)
    await subscribe(partner, receiver.url, ["order-closed"])
    await operator.deposit(customer["id"])
    await drain(client)
    (delivery,) = await deliveries(client)
    assert delivery["state"] == "pending" and delivery["attempts"] == 1 and delivery["last_response_code"] is None
    clock.advance(seconds=30)
    await drain(client)
    assert len(receiver.received) == 2
    assert (await deliveries(client))[0]["state"] == "delivered"


async def test_an_unreachable_receiver_is_retried(
    client: httpx.AsyncClient, operator: Operator, partner: Partner, customer: dict[str, Any], receiver: Receiver
) -> None:
    await subscribe(partner, "http://127.0.0.1:9/hooks", ["order-closed"])  # discard port: refused
    await operator.deposit(customer["id"])
    await drain(client)
    (delivery,) = await deliveries(client)
    assert delivery["state"] == "pending" and delivery["attempts"] == 1 and delivery["outbox_state"] == "pending"


async def test_a_deleted_subscription_gets_nothing_more(
    client: httpx.AsyncClient,
    clock: Any,
    operator: Operator,
    partner: Partner,
    customer: dict[str, Any],
    receiver: Receiver,
) -> None:
    receiver.answer = lambda seen, headers, body: 500
    kept = await subscribe(partner, receiver.url + "?kept", ["order-closed"])
    gone = await subscribe(partner, receiver.url, ["incoming-funds", "order-closed"])
    await operator.deposit(customer["id"])
    await drain(client)  # one failed attempt each: a retry is pending for both
    await operator.deposit(customer["id"], amount="7")  # queued, never attempted
    assert len(receiver.received) == 3
    response = await partner.request("DELETE", f"/webhooks/subscriptions/{gone['id']}")
    assert response.status_code == 204
    receiver.answer = lambda seen, headers, body: 200
    await operator.deposit(customer["id"], amount="8")
    clock.advance(seconds=30)
    await drain(client)
    late = receiver.received[3:]
    assert len(late) == 3 and all(r.json["action"] == "order-closed" for r in late)
    rows = await deliveries(client)
    assert {(d["state"], d["outbox_state"]) for d in rows if d["subscription_id"] == gone["id"]} == {
        ("dropped", "dead")
    }
    assert [d["state"] for d in rows if d["subscription_id"] == kept["id"]] == ["delivered"] * 3


async def test_a_delivery_queued_for_a_subscription_deleted_meanwhile_is_dropped(
    client: httpx.AsyncClient, operator: Operator, partner: Partner, customer: dict[str, Any], receiver: Receiver
) -> None:
    """The race of an event committed while its subscription is deleted: the handler finds the
    subscription gone and drops the delivery without an attempt."""
    gone = await subscribe(partner, receiver.url, ["order-closed"])
    await operator.deposit(customer["id"])
    runtime = client.runtime  # type: ignore[attr-defined]
    async with runtime.db.transaction() as conn:  # deleted behind the API's back: no drop_pending
        await conn.execute("DELETE FROM crypto_webhook_subscriptions WHERE id = :id", {"id": gone["id"]})
    await drain(client)
    assert receiver.received == []
    (delivery,) = await deliveries(client)
    assert delivery["state"] == "dropped" and delivery["attempts"] == 0 and delivery["outbox_state"] == "dead"


async def test_concurrent_events_each_reach_the_receiver_once(
    client: httpx.AsyncClient, operator: Operator, partner: Partner, receiver: Receiver
) -> None:
    await subscribe(partner, receiver.url, ["order-closed"])
    customers = [await partner.customer(reference_id=f"c-{i}") for i in range(4)]
    await asyncio.gather(*(operator.deposit(c["id"], amount=str(n + 1)) for n, c in enumerate(customers * 3)))
    await drain(client)
    events = receiver.events()
    assert len(events) == 12 and len({e["id"] for e in events}) == 12
    assert sorted(e["id"] for e in events) == sorted(
        e["id"] for e in await recorded_events(client, partner.id) if e["action"] == "order-closed"
    )


async def test_handler_kind_is_registered(runtime: Any) -> None:
    assert isinstance(runtime.dispatcher.handler(webhooks.KIND), webhooks.Delivery)


async def test_a_partner_order_reaches_the_receiver_created_updated_closed(
    client: httpx.AsyncClient, clock: Any, partner: Partner, customer: dict[str, Any], receiver: Receiver
) -> None:
    """One order's events arrive in the order they happened, each signed (issue 5)."""
    from tests.crypto.ordering import confirm, created

    await subscribe(partner, receiver.url, ["order-created", "order-updated", "order-closed"])
    order = await created(
        partner,
        customer["id"],
        {
            "operation": "buy",
            "asset": {"currency": "BTC"},
            "buy": {"settlement": {"currency": "USD", "amount": "100.00"}},
        },
    )
    expiring = await created(
        partner,
        customer["id"],
        {
            "operation": "buy",
            "asset": {"currency": "BTC"},
            "buy": {"settlement": {"currency": "USD", "amount": "50.00"}},
        },
    )
    response = await confirm(partner, customer["id"], order["id"])
    assert response.status_code == 200, response.text
    clock.advance(seconds=61)  # past the quote's lifetime: the expiry sweep cancels the other order
    await drain(client)
    await assert_all_signed(client, receiver.received)
    timeline = [(e["action"], e["order"]["id"], e["order"]["state"]) for e in receiver.events()]
    assert [t for t in timeline if t[1] == order["id"]] == [
        ("order-created", order["id"], "pending"),
        ("order-updated", order["id"], "completed"),
        ("order-closed", order["id"], "completed"),
    ]
    assert [t for t in timeline if t[1] == expiring["id"]] == [
        ("order-created", expiring["id"], "pending"),
        ("order-updated", expiring["id"], "cancelled"),
        ("order-closed", expiring["id"], "cancelled"),
    ]
    assert receiver.events() == await recorded_events(client, partner.id)
