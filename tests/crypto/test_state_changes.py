"""A state change and its webhook events (spec/crypto.md 8.16, 9.2): on PostgreSQL the
update, the events' insert and the subscriptions' read are one statement, the events' bodies
made from the locked row as the change leaves it. They must show the order exactly as the
answer and GET do, and each event must be queued for the subscriptions listening to it."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from orderdesk.crypto.orders import states
from orderdesk.crypto.repositories import events as events_repo
from orderdesk.crypto.repositories import orders as orders_repo
from tests.crypto.conftest import Partner
from tests.crypto.ordering import buy, confirm, created
from tests.crypto.test_customers import recorded_events

URL = "https://hooks.example.com/crypto"


async def _subscribe(partner: Partner, events: list[str] | None) -> str:
    response = await partner.post("/webhooks/subscriptions", json={"url": URL, "events": events})
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


async def _deliveries(client: httpx.AsyncClient) -> list[tuple[str, str]]:
    """(event action, subscription id) of every queued delivery."""
    rows = await client.runtime.db.fetch(  # type: ignore[attr-defined]
        "SELECT e.action, d.subscription_id FROM crypto_webhook_deliveries d"
        " JOIN crypto_events e ON e.id = d.event_id ORDER BY e.seq, d.subscription_id"
    )
    return [(row["action"], row["subscription_id"]) for row in rows]


async def test_a_confirm_records_its_events_as_the_answer_shows_the_order(
    client: httpx.AsyncClient, partner: Partner, customer: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    async def no_rewrite(*args: Any) -> None:
        raise AssertionError("the bodies made from the locked row were wrong")

    monkeypatch.setattr(events_repo, "rewrite_bodies", no_rewrite)
    every = await _subscribe(partner, None)
    closing = await _subscribe(partner, ["order-closed"])
    order = await created(partner, customer["id"], buy("BTC", "0.0001"))
    response = await confirm(
        partner,
        customer["id"],
        order["id"],
        {"reference_id": "ref-77", "customer": {"currency": "MXN", "amount": "171250.10"}},
    )
    assert response.status_code == 200, response.text
    done = response.json()
    assert done["reference_id"] == "ref-77" and done["customer"] == {"currency": "MXN", "amount": "171250.10"}
    assert (await partner.get(f"/customers/{customer['id']}/orders/{order['id']}")).json() == done
    events = await recorded_events(client, partner.id)
    assert [e["action"] for e in events] == ["order-created", "order-updated", "order-closed"]
    assert events[1]["order"] == events[2]["order"] == done
    assert sorted(await _deliveries(client)) == sorted(
        [("order-created", every), ("order-updated", every), ("order-closed", every), ("order-closed", closing)]
    )


async def test_events_show_the_order_as_updated_when_the_row_changed_after_it_was_read(
    client: httpx.AsyncClient, partner: Partner, customer: dict[str, Any]
) -> None:
    """A caller that changed the locked row itself before the state change: the events show
    the row the update returned, not the one read."""
    runtime = client.runtime  # type: ignore[attr-defined]
    order = await created(partner, customer["id"], buy("BTC", "0.0001"))
    now = runtime.clock.now()
    async with runtime.db.transaction() as conn:
        row = await orders_repo.find_customer_order(conn, customer["id"], order["id"], lock=True)
        read = {**dict(row), "asset_places": 8}
        await conn.execute(
            "UPDATE crypto_orders SET reference_id = 'set-meanwhile' WHERE id = :id", {"id": order["id"]}
        )
        shown = await states.apply(conn, read, "execute", now, submitted_at=now)
    assert shown["reference_id"] == "set-meanwhile" and shown["state"] == "completed"
    events = await recorded_events(client, partner.id)
    assert [e["action"] for e in events] == ["order-created", "order-updated", "order-closed"]
    assert events[1]["order"] == events[2]["order"] == shown


async def test_a_state_change_that_finds_the_order_moved_records_nothing(
    client: httpx.AsyncClient, partner: Partner, customer: dict[str, Any]
) -> None:
    runtime = client.runtime  # type: ignore[attr-defined]
    order = await created(partner, customer["id"], buy("BTC", "0.0001"))
    now = runtime.clock.now()
    async with runtime.db.transaction() as conn:
        row = await orders_repo.find_customer_order(conn, customer["id"], order["id"], lock=True)
        read = {**dict(row), "asset_places": 8}
        await conn.execute("UPDATE crypto_orders SET state = 'processing' WHERE id = :id", {"id": order["id"]})
        with pytest.raises(states.IllegalTransition):
            await states.apply(conn, read, "execute", now, submitted_at=now)
        written = await conn.fetch("SELECT action FROM crypto_events WHERE partner_id = :p", {"p": partner.id})
    assert [r["action"] for r in written] == ["order-created"]
