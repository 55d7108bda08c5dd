"""Manual redelivery from the console: a failed webhook goes back to the dispatcher (both
products, both engines)."""

from __future__ import annotations

from typing import Any

from tests.auto.conftest import Operator as AutoOperator
from tests.console.test_pages_http import signed_in
from tests.crypto.conftest import Operator as CryptoOperator

DEAD_END = "http://127.0.0.1:9/hooks"  # nothing listens: every attempt fails


async def test_redeliver_a_failed_auto_webhook(make_client: Any) -> None:
    client = await make_client(webhook_retry_schedule="")  # the first failure is final
    csrf = await signed_in(client)
    auto = AutoOperator(client)
    await auto.vehicle("V-1")
    partner = await auto.partner("Harbor", webhook_url=DEAD_END)
    order_id = (await partner.place("V-1", 17400)).json()["id"]
    await auto.start("V-1")
    await client.runtime.dispatcher.drain()
    [event] = await partner.events(order_id)
    assert event["delivery_status"] == "failed" and event["attempts"] == 1

    page = await client.get(f"/console/auto/orders/{order_id}")
    assert f'action="/console/webhooks/auto/{event["id"]}/redeliver"' in page.text
    response = await client.post(
        f"/console/webhooks/auto/{event['id']}/redeliver",
        data={"csrf_token": csrf, "back": f"/console/auto/orders/{order_id}"},
    )
    assert response.headers["location"] == f"/console/auto/orders/{order_id}"
    assert "queued for delivery" in (await client.get(response.headers["location"])).text
    assert (await partner.events(order_id))[0]["delivery_status"] == "pending"
    again = await client.post(f"/console/webhooks/auto/{event['id']}/redeliver", data={"csrf_token": csrf})
    assert again.headers["location"] == "/console/webhooks"
    assert "409 conflict" in (await client.get("/console/webhooks")).text  # pending: not redelivered twice
    await client.runtime.dispatcher.drain()
    [event] = await partner.events(order_id)
    assert event["delivery_status"] == "failed" and event["attempts"] == 2  # attempted once more


async def test_redeliver_a_failed_crypto_webhook(make_client: Any) -> None:
    client = await make_client(crypto_webhook_retry_schedule="")
    csrf = await signed_in(client)
    crypto = CryptoOperator(client)
    partner = await crypto.partner()
    response = await partner.post("/webhooks/subscriptions", json={"url": DEAD_END, "events": ["order-created"]})
    assert response.status_code == 201, response.text
    customer = await partner.customer()
    order = await crypto.deposit(customer["id"], "BTC", "0.5")
    await client.runtime.dispatcher.drain()

    async def delivery() -> dict[str, Any]:
        async with client.runtime.db.transaction(write=False) as conn:
            row = await conn.fetchrow("SELECT id, state, attempts FROM crypto_webhook_deliveries")
        return {"id": row["id"], "state": row["state"], "attempts": row["attempts"]}

    failed = await delivery()
    assert failed["state"] == "failed" and failed["attempts"] == 1
    page = await client.get(f"/console/crypto/orders/{order['id']}")
    assert f'action="/console/webhooks/crypto/{failed["id"]}/redeliver"' in page.text
    response = await client.post(f"/console/webhooks/crypto/{failed['id']}/redeliver", data={"csrf_token": csrf})
    assert "queued for delivery" in (await client.get(response.headers["location"])).text
    assert (await delivery())["state"] == "pending"
    await client.post(f"/console/webhooks/crypto/{failed['id']}/redeliver", data={"csrf_token": csrf})
    assert "invalid_state" in (await client.get("/console/webhooks")).text
    await client.runtime.dispatcher.drain()
    assert await delivery() == {**failed, "attempts": 2}
    forged = await client.post(
        f"/console/webhooks/crypto/{failed['id']}/redeliver", data={"csrf_token": csrf, "back": "//evil.example/"}
    )
    assert forged.headers["location"] == "/console/webhooks"  # no open redirect
