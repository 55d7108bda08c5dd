"""Partner authorizations of sends above ORDERDESK_CRYPTO_SEND_AUTH_THRESHOLD_USD (spec/crypto.md
8.15, 8.16, 12) through HTTP: approve, reject, expiry by the dispatcher and at the PATCH,
scope, lookups and body; every refusal leaves the balances as they were."""

from __future__ import annotations

from typing import Any

import httpx

from orderdesk.platform.clock import ManualClock
from tests.crypto.conftest import Operator, Partner, assert_error, invalid
from tests.crypto.ordering import confirm, created
from tests.crypto.test_customers import recorded_events
from tests.crypto.test_orders_send import BECH32, TX, balanced, balances, confirmed, send, shown

CONFIRMED_AT = "2026-05-06T00:14:37.123456+00:00"
AUTH_EXPIRES = "2026-05-07T00:14:37.123456+00:00"  # confirmation + 86400 s


def path(customer_id: str, order_id: str, authorization_id: str) -> str:
    return f"/customers/{customer_id}/orders/{order_id}/authorizations/{authorization_id}"


async def decide(
    partner: Partner, customer_id: str, order: dict[str, Any], state: Any = "approved", **kwargs: Any
) -> httpx.Response:
    authorization_id = order["send"]["authorizations"][0]["id"]
    if "json" not in kwargs and "content" not in kwargs:
        kwargs["json"] = {"state": state}
    return await partner.patch(path(customer_id, order["id"], authorization_id), **kwargs)


async def big_send(
    clock: ManualClock, operator: Operator, partner: Partner, customer_id: str, body: dict[str, Any] | None = None
) -> dict[str, Any]:
    """0.2 BTC to an address (V = 12990.00 > 10000), confirmed 10 s after initiation."""
    await operator.deposit(customer_id, "BTC", "1")
    order = await created(partner, customer_id, body or send("BTC", "0.2", value=BECH32))
    clock.advance(seconds=10)
    return await confirmed(operator, partner, customer_id, order)


async def test_authorization_created_at_confirmation_then_approved_and_delivered(
    client: httpx.AsyncClient, clock: ManualClock, operator: Operator, partner: Partner, customer: dict[str, Any]
) -> None:
    cid = customer["id"]
    order = await big_send(clock, operator, partner, cid)
    assert order["state"] == "processing"
    [authorization] = order["send"]["authorizations"]
    assert authorization == {
        "id": authorization["id"],
        "type": "partner",
        "state": "pending",
        "expires_at": AUTH_EXPIRES,
        "signed_at": None,
    }
    assert await balances(partner, cid) == {"BTC": "0.8"}
    runtime = client.runtime  # type: ignore[attr-defined]
    clock.advance(seconds=60)
    await runtime.dispatcher.drain()  # no delivery while the authorization is pending
    assert (await shown(partner, cid, order["id"]))["state"] == "processing"
    response = await decide(partner, cid, order, "approved")
    assert response.status_code == 200, response.text
    approved_at = "2026-05-06T00:15:37.123456+00:00"
    approved = response.json()
    assert approved == {
        **order,
        "last_updated_at": approved_at,
        "send": {**order["send"], "authorizations": [{**authorization, "state": "approved", "signed_at": approved_at}]},
    }
    assert_error(await decide(partner, cid, order, "rejected"), 400, "invalid_state", "Authorization is not pending")
    clock.advance(seconds=4)
    await runtime.dispatcher.drain()
    assert (await shown(partner, cid, order["id"]))["state"] == "processing"
    clock.advance(seconds=1)  # approval + ORDERDESK_CRYPTO_SEND_DELAY
    await runtime.dispatcher.drain()
    done = await shown(partner, cid, order["id"])
    assert done["state"] == "completed"
    assert TX.fullmatch(done["send"]["destination"]["crypto_currency_transaction"]["transaction_id"])
    assert done["send"]["authorizations"] == approved["send"]["authorizations"]
    assert await balances(partner, cid) == {"BTC": "0.8"}
    await balanced(operator)
    actions = [
        (e["action"], e["order"]["state"])
        for e in await recorded_events(client, partner.id)
        if e.get("order", {}).get("id") == order["id"]
    ]
    assert actions == [
        ("order-created", "pending"),
        ("order-updated", "processing"),
        ("order-updated", "processing"),
        ("order-updated", "completed"),
        ("order-closed", "completed"),
    ]


async def test_rejected_authorization_refunds(
    client: httpx.AsyncClient, clock: ManualClock, operator: Operator, partner: Partner, customer: dict[str, Any]
) -> None:
    cid = customer["id"]
    order = await big_send(clock, operator, partner, cid)
    response = await decide(partner, cid, order, "rejected")
    assert response.status_code == 200, response.text
    rejected = response.json()
    assert (rejected["state"], rejected["cancel_reason"]) == ("cancelled", "authorization_rejected")
    assert rejected["send"]["authorizations"][0]["state"] == "rejected"
    assert rejected["send"]["authorizations"][0]["signed_at"] == CONFIRMED_AT
    assert await balances(partner, cid) == {"BTC": "1"}
    clock.advance(seconds=86400)
    await client.runtime.dispatcher.drain()  # type: ignore[attr-defined]
    assert await shown(partner, cid, order["id"]) == rejected
    assert_error(await decide(partner, cid, order, "approved"), 400, "invalid_state", "Authorization is not pending")
    await balanced(operator)


async def test_expiry_by_the_dispatcher(
    client: httpx.AsyncClient, clock: ManualClock, operator: Operator, partner: Partner, customer: dict[str, Any]
) -> None:
    cid = customer["id"]
    order = await big_send(clock, operator, partner, cid)
    runtime = client.runtime  # type: ignore[attr-defined]
    clock.advance(seconds=86399)
    await runtime.dispatcher.drain()
    assert (await shown(partner, cid, order["id"]))["state"] == "processing"
    clock.advance(seconds=5)
    await runtime.dispatcher.drain()
    await runtime.dispatcher.drain()  # a second run changes nothing
    expired = await shown(partner, cid, order["id"])
    assert (expired["state"], expired["cancel_reason"]) == ("cancelled", "authorization_expired")
    assert expired["last_updated_at"] == AUTH_EXPIRES
    assert expired["send"]["authorizations"][0] == {**order["send"]["authorizations"][0], "state": "expired"}
    assert await balances(partner, cid) == {"BTC": "1"}
    assert_error(await decide(partner, cid, order, "approved"), 400, "invalid_state", "Authorization is not pending")
    closed = [
        e
        for e in await recorded_events(client, partner.id)
        if e["action"] == "order-closed" and e["order"]["id"] == order["id"]
    ]
    assert len(closed) == 1
    await balanced(operator)


async def test_expiry_found_by_the_patch(
    clock: ManualClock, operator: Operator, partner: Partner, customer: dict[str, Any]
) -> None:
    cid = customer["id"]
    order = await big_send(clock, operator, partner, cid)
    clock.advance(seconds=86400)
    assert_error(await decide(partner, cid, order, "approved"), 400, "invalid_state", "Authorization has expired")
    expired = await shown(partner, cid, order["id"])  # the expiry was committed with the refusal
    assert (expired["state"], expired["cancel_reason"]) == ("cancelled", "authorization_expired")
    assert await balances(partner, cid) == {"BTC": "1"}
    assert_error(await decide(partner, cid, order, "approved"), 400, "invalid_state", "Authorization is not pending")
    await balanced(operator)


async def test_operator_fail_leaves_the_authorization_unusable(
    clock: ManualClock, operator: Operator, partner: Partner, customer: dict[str, Any]
) -> None:
    cid = customer["id"]
    order = await big_send(clock, operator, partner, cid)
    response = await operator.request("POST", f"/crypto/orders/{order['id']}/fail", json={})
    assert response.status_code == 200, response.text
    assert response.json()["cancel_reason"] == "send_failed"
    assert_error(await decide(partner, cid, order, "approved"), 400, "invalid_state", "Authorization is not pending")
    assert await balances(partner, cid) == {"BTC": "1"}
    await balanced(operator)


# ---------------------------------------------------------------------- internal sends above the threshold


async def test_internal_send_approved_completes(
    client: httpx.AsyncClient,
    clock: ManualClock,
    operator: Operator,
    partner: Partner,
    rival: Partner,
    customer: dict[str, Any],
) -> None:
    cid = customer["id"]
    receiver = await rival.customer()
    await operator.deposit(cid, "ETH", "5")
    order = await created(partner, cid, send("ETH", "4", kind="lirium_customer", value=receiver["id"]))
    assert order["send"]["requires_confirmation_code"] is True  # V = 12780.00 > 1000
    clock.advance(seconds=10)
    processing = await confirmed(operator, partner, cid, order)
    assert processing["state"] == "processing"
    assert processing["send"]["destination"]["lirium_transfer"] is None
    assert await balances(partner, cid) == {"ETH": "1"}
    assert await balances(rival, receiver["id"]) == {}
    response = await decide(partner, cid, processing, "approved")
    assert response.status_code == 200, response.text
    done = response.json()
    transfer = done["send"]["destination"]["lirium_transfer"]
    assert (done["state"], transfer["customer_id"]) == ("completed", receiver["id"])
    assert await balances(rival, receiver["id"]) == {"ETH": "4"}
    received = await shown(rival, receiver["id"], transfer["order_id"])
    assert received["receive"]["origin"] == {
        "type": "lirium_transfer",
        "value": order["id"],
        "amount": "4",
        "network": None,
    }
    await balanced(operator)


async def test_internal_send_approved_after_the_receiver_was_banned(
    clock: ManualClock, operator: Operator, partner: Partner, rival: Partner, customer: dict[str, Any]
) -> None:
    cid = customer["id"]
    receiver = await rival.customer()
    order = await big_send(
        clock, operator, partner, cid, send("BTC", "0.2", kind="lirium_customer", value=receiver["id"])
    )
    await operator.request("PATCH", f"/crypto/customers/{receiver['id']}", json={"state": "banned"})
    response = await decide(partner, cid, order, "approved")
    assert response.status_code == 200, response.text
    cancelled = response.json()
    assert (cancelled["state"], cancelled["cancel_reason"]) == ("cancelled", "destination_unable_to_receive")
    assert cancelled["send"]["authorizations"][0]["state"] == "approved"
    assert await balances(partner, cid) == {"BTC": "1"}
    assert await balances(rival, receiver["id"]) == {}
    await balanced(operator)


# ---------------------------------------------------------------------- refusals of the PATCH


async def test_scope_is_checked_before_lookups_and_body(operator: Operator, customer: dict[str, Any]) -> None:
    narrow = await operator.partner("Sin autorizaciones", key_index=2, scopes=["operation_send"])
    theirs = await narrow.customer()
    response = await narrow.patch(path(theirs["id"], "0" * 32, "0" * 32), content=b"{not json")
    assert_error(response, 403, "forbidden", "API key lacks the required scope: partner_order_authorization")


async def test_lookups_then_body(
    clock: ManualClock, operator: Operator, partner: Partner, rival: Partner, customer: dict[str, Any]
) -> None:
    cid = customer["id"]
    order = await big_send(clock, operator, partner, cid)
    auth_id = order["send"]["authorizations"][0]["id"]
    unknown = "0" * 32
    assert_error(
        await partner.patch(path(unknown, order["id"], auth_id), json={"state": "approved"}),
        404,
        "not_found",
        "Customer not found",
    )
    assert_error(
        await rival.patch(path(cid, order["id"], auth_id), json={"state": "approved"}),
        404,
        "not_found",
        "Customer not found",
    )
    assert_error(
        await partner.patch(path(cid, unknown, auth_id), json={"state": "approved"}),
        404,
        "not_found",
        "Order not found",
    )
    assert_error(
        await partner.patch(path(cid, order["id"], unknown), json={"state": "x"}),
        404,
        "not_found",
        "Authorization not found",
    )
    assert_error(
        await partner.patch(path(cid, order["id"], "bad"), json={}), 404, "not_found", "Authorization not found"
    )
    assert_error(await partner.patch(path(cid, order["id"], auth_id), content=b"[1]"), 400, "body_parse_error")
    for body, message in [
        ({"state": "expired"}, "{'state': ['Must be one of: approved, rejected.']}"),
        ({"state": "pending"}, "{'state': ['Must be one of: approved, rejected.']}"),
        ({}, "{'state': ['This field is required but was not found in the request.']}"),
        ({"state": "approved", "note": 1}, "{'note': ['Unknown field.']}"),
        ({"state": 1}, "{'state': ['Not a valid string.']}"),
    ]:
        invalid(await partner.patch(path(cid, order["id"], auth_id), json=body), message)
    assert (await shown(partner, cid, order["id"]))["send"]["authorizations"][0]["state"] == "pending"
    assert await balances(partner, cid) == {"BTC": "0.8"}


async def test_authorization_of_another_order_is_not_found(
    clock: ManualClock, operator: Operator, partner: Partner, customer: dict[str, Any]
) -> None:
    cid = customer["id"]
    first = await big_send(clock, operator, partner, cid)
    second = await big_send(clock, operator, partner, cid)
    response = await partner.patch(
        path(cid, second["id"], first["send"]["authorizations"][0]["id"]), json={"state": "approved"}
    )
    assert_error(response, 404, "not_found", "Authorization not found")


async def test_below_the_threshold_no_authorization(
    clock: ManualClock, operator: Operator, partner: Partner, customer: dict[str, Any]
) -> None:
    cid = customer["id"]
    await operator.deposit(cid, "BTC", "1")
    order = await created(partner, cid, send("BTC", "0.15", value=BECH32))  # V = 9742.50
    done = await confirmed(operator, partner, cid, order)
    assert (done["state"], done["send"]["authorizations"]) == ("processing", [])


async def test_threshold_and_lifetime_settings(make_client: Any) -> None:
    client = await make_client(crypto_send_auth_threshold_usd="100", crypto_send_auth_ttl=30)
    operator = Operator(client)
    partner = await operator.partner()
    cid = (await partner.customer())["id"]
    await operator.deposit(cid, "USDC", "1000")
    order = await created(partner, cid, send("USDC", "200", network="polygon"))
    done = await confirmed(operator, partner, cid, order)
    [authorization] = done["send"]["authorizations"]
    assert authorization["expires_at"] == "2026-05-06T00:14:57.123456+00:00"  # ORDERDESK_CRYPTO_SEND_AUTH_TTL=30
    response = await confirm(partner, cid, order["id"], {})
    assert_error(response, 400, "invalid_order_state", "Order is processing")
