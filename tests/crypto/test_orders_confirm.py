"""Confirming orders and resending codes (spec/crypto.md 8.12, 8.13), the state machine and
expiry (8.16, 12), reference_id at confirmation (8.17), through HTTP."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx

from orderdesk.platform.clock import ManualClock
from tests.crypto.conftest import Operator, Partner, assert_error, invalid
from tests.crypto.ordering import buy, confirm, create, created, latest_code, mails, resend, sell
from tests.crypto.test_customers import recorded_events

EMAIL = "ana.gomez@example.com"
NOW = "2026-05-06T00:14:27.123456+00:00"
EXPIRES = "2026-05-06T00:15:27.123456+00:00"
BIG_BUY = {
    "reference_id": "ord-2026-000117",
    "operation": "buy",
    "asset": {"currency": "BTC"},
    "buy": {
        "settlement": {"currency": "USD", "amount": "10000.00"},
        "commission": {"type": "percentage", "value": "1.5"},
    },
}


async def accounts(partner: Partner, customer_id: str) -> dict[str, str]:
    listed = (await partner.get(f"/customers/{customer_id}/accounts")).json()["accounts"]
    return {a["currency"]: a["amount"] for a in listed}


async def get_order(partner: Partner, customer_id: str, order_id: str) -> dict[str, Any]:
    response = await partner.get(f"/customers/{customer_id}/orders/{order_id}")
    assert response.status_code == 200, response.text
    return response.json()


async def stored_state(client: httpx.AsyncClient, order_id: str) -> tuple[str, str | None, Any, int]:
    runtime = client.runtime  # type: ignore[attr-defined]
    row = await runtime.db.fetchrow(
        "SELECT state, cancel_reason, last_updated_at, code_attempts FROM crypto_orders WHERE id = :id",
        {"id": order_id},
    )
    return row["state"], row["cancel_reason"], row["last_updated_at"], row["code_attempts"]


# ---------------------------------------------------------------------- executing


async def test_confirm_buy_with_code_and_customer(
    client: httpx.AsyncClient, clock: ManualClock, operator: Operator, partner: Partner, customer: dict[str, Any]
) -> None:
    cid = customer["id"]
    order = await created(partner, cid, BIG_BUY)
    code = await latest_code(operator, EMAIL, order["id"])
    clock.advance(seconds=22)
    response = await confirm(
        partner, cid, order["id"], {"confirmation_code": code, "customer": {"currency": "MXN", "amount": "171250.00"}}
    )
    assert response.status_code == 200, response.text
    done = response.json()
    at = "2026-05-06T00:14:49.123456+00:00"
    assert done == {
        **order,
        "state": "completed",
        "customer": {"currency": "MXN", "amount": "171250.00"},
        "submitted_at": at,
        "last_updated_at": at,
    }
    assert await get_order(partner, cid, order["id"]) == done
    assert await accounts(partner, cid) == {"BTC": "0.15145595"}
    ops_partner = (await operator.request("GET", f"/crypto/partners/{partner.id}")).json()
    assert ops_partner["balances"] == {
        "settlement": [{"currency": "USD", "amount": "-10000.00"}],
        "commission": [{"currency": "USD", "amount": "147.79"}],
    }
    events = await recorded_events(client, partner.id)
    assert [e["action"] for e in events] == ["order-created", "order-updated", "order-closed"]
    assert events[1]["order"] == events[2]["order"] == done
    assert await operator.ledger_check() == {"balanced": True, "postings": 1, "mismatches": []}
    assert_error(
        await confirm(partner, cid, order["id"], {"confirmation_code": code}),
        400,
        "invalid_order_state",
        "Order is completed",
    )


async def test_confirm_sell_and_swap_move_balances(
    operator: Operator, partner: Partner, customer: dict[str, Any]
) -> None:
    cid = customer["id"]
    await operator.deposit(cid, "ETH", "1", network="ethereum")
    await operator.deposit(cid, "BTC", "0.01")
    order = await created(
        partner, cid, sell("ETH", settlement={"amount": "200.00"}, commission={"type": "percentage", "value": "2"})
    )
    assert (await confirm(partner, cid, order["id"])).json()["state"] == "completed"
    swap = await created(
        partner,
        cid,
        {
            "operation": "swap",
            "asset": {"currency": "BTC", "amount": "0.01"},
            "swap": {"currency": "ETH", "commission": {"type": "percentage", "value": "0.5"}},
        },
    )
    assert (await confirm(partner, cid, swap["id"], content=b"")).json()["state"] == "completed"
    assert await accounts(partner, cid) == {"BTC": "0", "ETH": "1.137760911281521682"}
    ops_partner = (await operator.request("GET", f"/crypto/partners/{partner.id}")).json()
    assert ops_partner["balances"]["settlement"] == [{"currency": "USD", "amount": "200.00"}]
    assert {"currency": "BTC", "amount": "0.00005"} in ops_partner["balances"]["commission"]
    check = await operator.ledger_check()
    assert check["balanced"] and check["postings"] == 4


async def test_code_for_an_order_without_one_is_ignored(partner: Partner, customer: dict[str, Any]) -> None:
    order = await created(partner, customer["id"], buy("BTC", "0.001"))
    response = await confirm(partner, customer["id"], order["id"], {"confirmation_code": "000000"})
    assert response.status_code == 200 and response.json()["state"] == "completed"


# ---------------------------------------------------------------------- security codes


async def test_wrong_codes_count_and_the_fifth_cancels(
    client: httpx.AsyncClient, operator: Operator, partner: Partner, customer: dict[str, Any]
) -> None:
    cid = customer["id"]
    order = await created(partner, cid, BIG_BUY)
    code = await latest_code(operator, EMAIL, order["id"])
    wrong = "000000" if code != "000000" else "111111"
    assert_error(
        await confirm(partner, cid, order["id"]),
        400,
        "invalid_security_code",
        "confirmation_code is required for this order",
    )
    assert (await stored_state(client, order["id"]))[3] == 0  # a missing code is not an attempt
    for attempt in range(1, 5):
        assert_error(
            await confirm(partner, cid, order["id"], {"confirmation_code": wrong}),
            400,
            "invalid_security_code",
            "Invalid security code",
        )
        assert await stored_state(client, order["id"]) == ("pending", None, order_time(order), attempt)
    assert_error(
        await confirm(partner, cid, order["id"], {"confirmation_code": wrong}),
        400,
        "invalid_security_code",
        "Invalid security code; the order has been cancelled",
    )
    cancelled = await get_order(partner, cid, order["id"])
    assert (cancelled["state"], cancelled["cancel_reason"]) == ("cancelled", "security_code_attempts")
    assert_error(
        await confirm(partner, cid, order["id"], {"confirmation_code": code}),
        400,
        "invalid_order_state",
        "Order is cancelled",
    )
    assert [e["action"] for e in await recorded_events(client, partner.id)] == [
        "order-created",
        "order-updated",
        "order-closed",
    ]
    assert await accounts(partner, cid) == {}


def order_time(order: dict[str, Any]) -> Any:
    from datetime import datetime

    return datetime.fromisoformat(order["last_updated_at"])


async def test_resend_code(
    client: httpx.AsyncClient, operator: Operator, partner: Partner, customer: dict[str, Any]
) -> None:
    cid = customer["id"]
    order = await created(partner, cid, BIG_BUY)
    first = await latest_code(operator, EMAIL, order["id"])
    wrong = "000000" if first != "000000" else "111111"
    await confirm(partner, cid, order["id"], {"confirmation_code": wrong})
    invalid(await resend(partner, cid, order["id"], {"code": "1"}), "{'code': ['Unknown field.']}")
    response = await resend(partner, cid, order["id"])
    assert response.status_code == 200 and response.json() == order
    assert len(await mails(operator, EMAIL)) == 2
    second = await latest_code(operator, EMAIL, order["id"])
    if first != second:
        assert_error(
            await confirm(partner, cid, order["id"], {"confirmation_code": first}),
            400,
            "invalid_security_code",
            "Invalid security code",
        )
    assert (await stored_state(client, order["id"]))[3] == (2 if first != second else 1)  # attempts are kept
    for _ in range(4):
        assert (await resend(partner, cid, order["id"], {})).status_code == 200
    assert_error(
        await resend(partner, cid, order["id"]), 400, "invalid_order_state", "Security code resend limit reached"
    )
    latest = await latest_code(operator, EMAIL, order["id"])
    response = await confirm(partner, cid, order["id"], {"confirmation_code": latest})
    assert response.status_code == 200, response.text
    assert_error(await resend(partner, cid, order["id"]), 400, "invalid_order_state", "Order is completed")


async def test_resend_without_a_code(partner: Partner, customer: dict[str, Any]) -> None:
    order = await created(partner, customer["id"], buy("BTC", "0.001"))
    assert_error(
        await resend(partner, customer["id"], order["id"]),
        400,
        "invalid_order_state",
        "Order does not require a security code",
    )


async def test_receive_orders_cannot_be_confirmed(
    operator: Operator, partner: Partner, customer: dict[str, Any]
) -> None:
    receive = await operator.deposit(customer["id"], "BTC", "0.1")
    assert_error(
        await confirm(partner, customer["id"], receive["id"]), 400, "invalid_order_state", "Order is completed"
    )
    assert_error(await resend(partner, customer["id"], receive["id"]), 400, "invalid_order_state")


# ---------------------------------------------------------------------- expiry


async def test_confirm_after_expiry_persists_the_cancellation(
    client: httpx.AsyncClient, clock: ManualClock, operator: Operator, partner: Partner, customer: dict[str, Any]
) -> None:
    cid = customer["id"]
    order = await created(partner, cid, BIG_BUY)
    code = await latest_code(operator, EMAIL, order["id"])
    clock.advance(seconds=60)
    assert_error(
        await confirm(partner, cid, order["id"], {"confirmation_code": code}),
        400,
        "expired_order",
        "The order quote has expired",
    )
    state, reason, updated, _ = await stored_state(client, order["id"])
    assert (state, reason, updated.isoformat()) == ("cancelled", "expired", EXPIRES)
    shown = await get_order(partner, cid, order["id"])
    assert shown == {**order, "state": "cancelled", "cancel_reason": "expired", "last_updated_at": EXPIRES}
    events = await recorded_events(client, partner.id)
    assert [e["action"] for e in events] == ["order-created", "order-updated", "order-closed"]
    assert events[2]["order"] == shown
    assert_error(await confirm(partner, cid, order["id"], {"confirmation_code": code}), 400, "expired_order")
    assert_error(await resend(partner, cid, order["id"]), 400, "expired_order")
    assert len(await recorded_events(client, partner.id)) == 3
    assert await accounts(partner, cid) == {}


async def test_resend_after_expiry(
    client: httpx.AsyncClient, clock: ManualClock, partner: Partner, customer: dict[str, Any]
) -> None:
    order = await created(partner, customer["id"], BIG_BUY)
    clock.advance(seconds=61)
    assert_error(
        await resend(partner, customer["id"], order["id"]), 400, "expired_order", "The order quote has expired"
    )
    assert (await stored_state(client, order["id"]))[:2] == ("cancelled", "expired")


async def test_sweep_expires_pending_orders(
    client: httpx.AsyncClient, clock: ManualClock, partner: Partner, customer: dict[str, Any]
) -> None:
    cid = customer["id"]
    first = await created(partner, cid, buy("BTC", "0.001"))
    clock.advance(seconds=30)
    second = await created(partner, cid, buy("BTC", "0.002"))
    confirmed = await created(partner, cid, buy("BTC", "0.003"))
    assert (await confirm(partner, cid, confirmed["id"])).status_code == 200
    runtime = client.runtime  # type: ignore[attr-defined]
    clock.advance(seconds=40)  # first expired, second not yet
    await runtime.dispatcher.drain()
    assert (await stored_state(client, first["id"]))[:3] == (
        "cancelled",
        "expired",
        order_time(first) + timedelta(seconds=60),
    )
    assert (await stored_state(client, second["id"]))[0] == "pending"
    listed = (await partner.get(f"/customers/{cid}/orders", params={"state": "pending"})).json()
    assert [o["id"] for o in listed["orders"]] == [second["id"]]
    clock.advance(seconds=60)
    listed = (await partner.get(f"/customers/{cid}/orders", params={"state": "cancelled"})).json()
    assert {o["id"] for o in listed["orders"]} == {first["id"], second["id"]}  # effective state before the sweep
    await runtime.dispatcher.drain()
    await runtime.dispatcher.drain()  # a second run changes nothing
    assert (await stored_state(client, second["id"]))[:2] == ("cancelled", "expired")
    actions = [(e["action"], e["order"]["id"]) for e in await recorded_events(client, partner.id)]
    assert actions.count(("order-closed", first["id"])) == 1
    assert actions.count(("order-closed", second["id"])) == 1
    assert actions.count(("order-closed", confirmed["id"])) == 1


# ---------------------------------------------------------------------- reference_id at confirmation (8.17)


async def test_reference_id_given_at_creation(partner: Partner, customer: dict[str, Any]) -> None:
    cid = customer["id"]
    order = await created(partner, cid, {**buy("BTC", "0.001"), "reference_id": "r-1"})
    invalid(
        await confirm(partner, cid, order["id"], {"reference_id": "r-1"}),
        "reference_id was set when the order was created and must not be sent on confirmation",
    )
    assert_error(
        await confirm(partner, cid, order["id"], {"reference_id": "r-2"}),
        400,
        "invalid_reference_id",
        "reference_id does not match the order's reference_id",
    )


async def test_reference_id_given_at_confirmation(
    operator: Operator, partner: Partner, customer: dict[str, Any]
) -> None:
    cid = customer["id"]
    await created(partner, cid, {**buy("BTC", "0.001"), "reference_id": "taken"})
    await operator.deposit(cid, "BTC", "0.001")
    order = await created(partner, cid, sell("BTC", "0.001"))
    drain = await created(partner, cid, sell("BTC", "0.001"))
    assert (await confirm(partner, cid, drain["id"])).status_code == 200
    assert_error(await confirm(partner, cid, order["id"], {"reference_id": "late"}), 400, "insufficient_funds")
    assert (await get_order(partner, cid, order["id"]))["reference_id"] is None  # stored only on success
    assert_error(
        await confirm(partner, cid, order["id"], {"reference_id": "taken"}),
        409,
        "reference_id_already_used",
        "reference_id 'taken' has already been used",
    )
    await operator.deposit(cid, "BTC", "0.001")
    done = (await confirm(partner, cid, order["id"], {"reference_id": "late"})).json()
    assert (done["state"], done["reference_id"]) == ("completed", "late")
    assert_error(
        await create(partner, cid, {**buy("BTC", "0.001"), "reference_id": "late"}), 409, "reference_id_already_used"
    )


# ---------------------------------------------------------------------- refusals that leave the order pending


async def test_body_schema(partner: Partner, customer: dict[str, Any]) -> None:
    cid = customer["id"]
    order = await created(partner, cid, buy("BTC", "0.001"))
    path = f"/customers/{cid}/orders/{order['id']}/confirm"
    invalid(
        await confirm(
            partner, cid, order["id"], {"customer": {"currency": "MXN", "amount": "1.123456789"}, "code": "1"}
        ),
        "{'code': ['Unknown field.'], 'customer': {'amount': ['Too many decimal places for MXN (maximum 8).']}}",
    )
    invalid(
        await confirm(partner, cid, order["id"], {"customer": {"currency": "mxn"}, "confirmation_code": 5}),
        "{'confirmation_code': ['Not a valid string.'], "
        "'customer': {'amount': ['This field is required but was not found in the request.'], "
        "'currency': ['Not a valid currency code.']}}",
    )
    assert_error(await partner.post(path, content=b"{"), 400, "body_parse_error")
    assert (await get_order(partner, cid, order["id"]))["state"] == "pending"


async def test_state_and_product_are_checked_again(
    operator: Operator, partner: Partner, customer: dict[str, Any]
) -> None:
    cid = customer["id"]
    order = await created(partner, cid, buy("BTC", "0.001"))
    await operator.request("PATCH", f"/crypto/customers/{cid}", json={"state": "closing"})
    assert_error(
        await confirm(partner, cid, order["id"]),
        400,
        "operation_forbidden",
        "Customer state closing does not allow buy orders",
    )
    await operator.request("PATCH", f"/crypto/customers/{cid}", json={"state": "active"})
    await operator.request("PATCH", f"/crypto/partners/{partner.id}", json={"products": ["crypto_swap"]})
    assert_error(
        await confirm(partner, cid, order["id"]),
        400,
        "operation_forbidden",
        "Product crypto_buy_sell is not active for this customer",
    )
    assert (await get_order(partner, cid, order["id"]))["state"] == "pending"


async def test_scope_of_the_orders_operation(operator: Operator, partner: Partner, customer: dict[str, Any]) -> None:
    cid = customer["id"]
    order = await created(partner, cid, buy("BTC", "0.001"))
    await operator.request("PATCH", f"/crypto/partners/{partner.id}", json={"scopes": ["operation_sell"]})
    assert_error(
        await confirm(partner, cid, order["id"]), 403, "forbidden", "API key lacks the required scope: operation_buy"
    )
    assert_error(await resend(partner, cid, order["id"]), 403, "forbidden")


async def test_foreign_orders_are_not_found(partner: Partner, rival: Partner, customer: dict[str, Any]) -> None:
    cid = customer["id"]
    order = await created(partner, cid, buy("BTC", "0.001"))
    other = await partner.customer(reference_id="other")
    theirs = await rival.customer()
    for who, customer_id, order_id, message in [
        (rival, cid, order["id"], "Customer not found"),
        (rival, theirs["id"], order["id"], "Order not found"),
        (partner, other["id"], order["id"], "Order not found"),
        (partner, cid, "0" * 32, "Order not found"),
        (partner, cid, "zz", "Order not found"),
    ]:
        assert_error(await confirm(who, customer_id, order_id), 404, "not_found", message)
        assert_error(await resend(who, customer_id, order_id), 404, "not_found", message)
        assert_error(await who.get(f"/customers/{customer_id}/orders/{order_id}"), 404, "not_found", message)
    assert (await get_order(partner, cid, order["id"]))["state"] == "pending"
