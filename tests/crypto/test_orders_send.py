"""send (spec/crypto.md 8.8), its staged confirmation (8.12 step 10, 8.16), delivery and
authorization expiry (12) through HTTP, with the ManualClock and the dispatcher."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

import httpx
import pytest

from orderdesk.platform.clock import ManualClock
from tests.crypto.conftest import Operator, Partner, assert_error, customer_body, invalid
from tests.crypto.ordering import confirm, create, created, latest_code
from tests.crypto.test_customers import recorded_events

EMAIL = "ana.gomez@example.com"
EVM = "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"
BECH32 = "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq"
NOW = "2026-05-06T00:14:27.123456+00:00"
EXPIRES = "2026-05-06T00:15:27.123456+00:00"
TX = re.compile(r"[0-9a-f]{64}")


def send(
    currency: str,
    amount: str | None = None,
    *,
    kind: str = "crypto_currency_address",
    value: str = EVM,
    destination_amount: str | None = None,
    **node: Any,
) -> dict[str, Any]:
    destination: dict[str, Any] = {"type": kind, "value": value}
    if destination_amount is not None:
        destination["amount"] = destination_amount
    body: dict[str, Any] = {
        "operation": "send",
        "asset": {"currency": currency},
        "send": {**node, "destination": destination},
    }
    if amount is not None:
        body["asset"]["amount"] = amount
    return body


async def balances(partner: Partner, customer_id: str) -> dict[str, str]:
    listed = (await partner.get(f"/customers/{customer_id}/accounts")).json()["accounts"]
    return {a["currency"]: a["amount"] for a in listed}


async def shown(partner: Partner, customer_id: str, order_id: str) -> dict[str, Any]:
    response = await partner.get(f"/customers/{customer_id}/orders/{order_id}")
    assert response.status_code == 200, response.text
    return response.json()


async def confirmed(
    operator: Operator, partner: Partner, customer_id: str, order: dict[str, Any], email: str = EMAIL
) -> dict[str, Any]:
    body = {}
    if order["send"]["requires_confirmation_code"]:
        body["confirmation_code"] = await latest_code(operator, email, order["id"])
    response = await confirm(partner, customer_id, order["id"], body)
    assert response.status_code == 200, response.text
    return response.json()


async def commission(operator: Operator, partner: Partner) -> list[dict[str, str]]:
    return (await operator.request("GET", f"/crypto/partners/{partner.id}")).json()["balances"]["commission"]


async def balanced(operator: Operator) -> None:
    check = await operator.ledger_check()
    assert check["balanced"] is True and check["mismatches"] == [], check


@pytest.fixture
async def receiver(rival: Partner) -> dict[str, Any]:
    return await rival.customer(customer_body(reference_id="rcv-1", contact={"email": "rx@example.com"}))


# ---------------------------------------------------------------------- worked examples (8.8)


async def test_usdc_to_an_address_by_destination_amount(
    client: httpx.AsyncClient, clock: ManualClock, operator: Operator, partner: Partner, customer: dict[str, Any]
) -> None:
    cid = customer["id"]
    await operator.deposit(cid, "USDC", "1000")
    body = {
        "reference_id": "wd-88121",
        **send("USDC", network="polygon", destination_amount="250", commission={"type": "percentage", "value": "1"}),
    }
    order = await created(partner, cid, body)
    assert order["asset"] == {"currency": "USDC", "amount": "252.6"}
    assert order["send"] == {
        "network": "polygon",
        "fees": "0.1",
        "destination": {
            "type": "crypto_currency_address",
            "value": EVM,
            "amount": "250",
            "crypto_currency_transaction": None,
        },
        "authorizations": [],
        "expires_at": EXPIRES,
        "requires_confirmation_code": True,
    }
    assert (order["state"], order["reference_id"], order["customer"]) == ("pending", "wd-88121", None)
    row = await client.runtime.db.fetchrow(  # type: ignore[attr-defined]
        "SELECT usd_value FROM crypto_orders WHERE id = :id", {"id": order["id"]}
    )
    assert Decimal(row["usd_value"]) == Decimal("252.3474")  # V = T × USD bid (8.3)
    assert await balances(partner, cid) == {"USDC": "1000"}  # nothing reserved at initiation
    clock.advance(seconds=10)
    processing = await confirmed(operator, partner, cid, order)
    at = "2026-05-06T00:14:37.123456+00:00"
    assert processing == {**order, "state": "processing", "submitted_at": at, "last_updated_at": at}
    assert await balances(partner, cid) == {"USDC": "747.4"}
    runtime = client.runtime  # type: ignore[attr-defined]
    clock.advance(seconds=4.9)
    await runtime.dispatcher.drain()
    assert (await shown(partner, cid, order["id"]))["state"] == "processing"
    clock.advance(seconds=0.1)  # confirmation + ORDERDESK_CRYPTO_SEND_DELAY (5 s)
    await runtime.dispatcher.drain()
    done = await shown(partner, cid, order["id"])
    tx = done["send"]["destination"]["crypto_currency_transaction"]
    assert TX.fullmatch(tx["transaction_id"]), tx
    delivered_at = "2026-05-06T00:14:42.123456+00:00"
    assert done == {
        **processing,
        "state": "completed",
        "last_updated_at": delivered_at,
        "send": {
            **processing["send"],
            "destination": {**processing["send"]["destination"], "crypto_currency_transaction": tx},
        },
    }
    assert {"currency": "USDC", "amount": "2.5"} in await commission(operator, partner)
    await balanced(operator)
    actions = [
        (e["action"], e["order"]["state"])
        for e in await recorded_events(client, partner.id)
        if e.get("order", {}).get("id") == order["id"]
    ]
    assert actions == [
        ("order-created", "pending"),
        ("order-updated", "processing"),
        ("order-updated", "completed"),
        ("order-closed", "completed"),
    ]
    await runtime.dispatcher.drain()  # the timer ran once: nothing more happens
    assert await shown(partner, cid, order["id"]) == done


@pytest.mark.parametrize(
    ("body", "total", "destination", "fees"),
    [
        (
            send("BTC", "0.01", value=BECH32, commission={"type": "fixed", "value": "0.0001"}),
            "0.01",
            "0.00985",
            "0.00005",
        ),
        (
            send("USDC", "300", network="ethereum", commission={"type": "percentage", "value": "1"}),
            "300",
            "295.544554",
            "1.5",
        ),
        (send("BTC", "0.2", value=BECH32), "0.2", "0.19995", "0.00005"),
    ],
)
async def test_total_given(
    operator: Operator,
    partner: Partner,
    customer: dict[str, Any],
    body: dict[str, Any],
    total: str,
    destination: str,
    fees: str,
) -> None:
    cid = customer["id"]
    await operator.deposit(cid, body["asset"]["currency"], "1000" if body["asset"]["currency"] == "USDC" else "1")
    order = await created(partner, cid, body)
    assert order["asset"]["amount"] == total
    assert order["send"]["destination"]["amount"] == destination
    assert order["send"]["fees"] == fees


async def test_usdc_commission_when_total_given(operator: Operator, partner: Partner, customer: dict[str, Any]) -> None:
    cid = customer["id"]
    await operator.deposit(cid, "USDC", "1000")
    order = await created(
        partner, cid, send("USDC", "300", network="ethereum", commission={"type": "percentage", "value": "1"})
    )
    await confirmed(operator, partner, cid, order)
    assert await balances(partner, cid) == {"USDC": "700"}


async def test_internal_send_completes_at_confirmation(
    client: httpx.AsyncClient,
    operator: Operator,
    partner: Partner,
    rival: Partner,
    customer: dict[str, Any],
    receiver: dict[str, Any],
) -> None:
    cid, rid = customer["id"], receiver["id"]
    await operator.deposit(cid, "ETH", "1")
    order = await created(partner, cid, send("ETH", "0.2", kind="lirium_customer", value=rid))
    assert order["send"] == {
        "network": "ethereum",
        "fees": "0",
        "destination": {"type": "lirium_customer", "value": rid, "amount": "0.2", "lirium_transfer": None},
        "authorizations": [],
        "expires_at": EXPIRES,
        "requires_confirmation_code": False,
    }
    done = await confirmed(operator, partner, cid, order)
    transfer = done["send"]["destination"]["lirium_transfer"]
    assert done["state"] == "completed" and transfer["customer_id"] == rid
    assert await balances(partner, cid) == {"ETH": "0.8"}
    assert await balances(rival, rid) == {"ETH": "0.2"}
    received = await shown(rival, rid, transfer["order_id"])
    assert received == {
        "id": transfer["order_id"],
        "customer_id": rid,
        "reference_id": None,
        "operation": "receive",
        "state": "completed",
        "cancel_reason": None,
        "asset": {"currency": "ETH", "amount": "0.2"},
        "customer": None,
        "receive": {"origin": {"type": "lirium_transfer", "value": order["id"], "amount": "0.2", "network": None}},
        "created_at": NOW,
        "submitted_at": NOW,
        "last_updated_at": NOW,
    }
    assert [e["action"] for e in await recorded_events(client, rival.id) if "order" in e] == [
        "order-created",
        "incoming-funds",
        "order-closed",
    ]
    assert (await partner.get(f"/customers/{rid}/orders/{transfer['order_id']}")).status_code == 404
    await balanced(operator)


async def test_internal_send_within_one_partner_with_commission(
    operator: Operator, partner: Partner, customer: dict[str, Any]
) -> None:
    cid = customer["id"]
    other = await partner.customer(customer_body(reference_id="cust-2"))
    await operator.deposit(cid, "USDC", "100")
    order = await created(
        partner,
        cid,
        send(
            "USDC",
            kind="lirium_customer",
            value=other["id"],
            network="polygon",
            destination_amount="10",
            commission={"type": "fixed", "value": "0.5"},
        ),
    )
    assert (order["asset"]["amount"], order["send"]["fees"]) == ("10.5", "0")
    await confirmed(operator, partner, cid, order)
    assert await balances(partner, cid) == {"USDC": "89.5"}
    assert await balances(partner, other["id"]) == {"USDC": "10"}
    assert {"currency": "USDC", "amount": "0.5"} in await commission(operator, partner)
    await balanced(operator)


# ---------------------------------------------------------------------- initiation errors


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (send("USDC", "10"), "{'send': {'network': ['This field is required but was not found in the request.']}}"),
        (send("USDC", "10", network="bitcoin"), "{'send': {'network': ['Must be one of: ethereum, polygon.']}}"),
        (send("BTC", "0.1", value=BECH32, network="ethereum"), "{'send': {'network': ['Must be one of: bitcoin.']}}"),
        (send("BTC", value=BECH32), "asset.amount or destination.amount is required"),
        (
            send("BTC", "0.1", value=BECH32, destination_amount="0.1"),
            "Either asset.amount or destination.amount can be sent, but not both",
        ),
        (
            {
                "operation": "send",
                "asset": {"currency": "BTC", "amount": "1"},
                "send": {"destination": {"type": "lirium_customer"}},
            },
            "{'send': {'destination': {'value': ['This field is required but was not found in the request.']}}}",
        ),
        (
            {"operation": "send", "asset": {"currency": "BTC", "amount": "1"}, "send": {}},
            "{'send': {'destination': ['This field is required but was not found in the request.']}}",
        ),
        (
            send("BTC", "0.123456789", value=BECH32),
            "{'asset': {'amount': ['Too many decimal places for BTC (maximum 8).']}}",
        ),
        (
            send("BTC", value=BECH32, destination_amount="0.1", commission={"type": "fixed", "value": "0.000000001"}),
            "{'send': {'commission': {'value': ['Too many decimal places for BTC (maximum 8).']}}}",
        ),
        (send("BTC", "0.00005", value=BECH32), "asset.amount must be greater than the network fee plus the commission"),
        (
            send("BTC", "0.0001", value=BECH32, commission={"type": "fixed", "value": "0.00005"}),
            "asset.amount must be greater than the network fee plus the commission",
        ),
    ],
)
async def test_field_errors_and_sentences(
    operator: Operator, partner: Partner, customer: dict[str, Any], body: dict[str, Any], message: str
) -> None:
    await operator.deposit(customer["id"], "BTC", "1")
    invalid(await create(partner, customer["id"], body), message)


@pytest.mark.parametrize(
    ("currency", "network", "address"),
    [
        ("BTC", "bitcoin", EVM),
        ("BTC", "bitcoin", "bc1short"),
        ("USDC", "polygon", BECH32),
        ("USDC", "ethereum", EVM + "0"),
        ("ETH", "ethereum", EVM + "\n"),
    ],
)
async def test_invalid_addresses_change_nothing(
    operator: Operator, partner: Partner, customer: dict[str, Any], currency: str, network: str, address: str
) -> None:
    cid = customer["id"]
    await operator.deposit(cid, currency, "10", network=network)
    response = await create(partner, cid, send(currency, "1", value=address, network=network))
    assert_error(response, 400, "invalid_crypto_currency_address", f"Invalid address for network {network}")
    assert (await partner.get(f"/customers/{cid}/orders", params={"operation": "send"})).json()["total"] == 0
    assert await balances(partner, cid) == {currency: "10"}


async def test_destination_customer_errors(
    operator: Operator, partner: Partner, rival: Partner, customer: dict[str, Any], receiver: dict[str, Any]
) -> None:
    cid = customer["id"]
    await operator.deposit(cid, "ETH", "1")
    unknown = "0" * 32
    assert_error(
        await create(partner, cid, send("ETH", "0.1", kind="lirium_customer", value=unknown)),
        400,
        "invalid_destination",
        f"Customer {unknown} not found",
    )
    assert_error(
        await create(partner, cid, send("ETH", "0.1", kind="lirium_customer", value="nope")),
        400,
        "invalid_destination",
        "Customer nope not found",
    )
    assert_error(
        await create(partner, cid, send("ETH", "0.1", kind="lirium_customer", value=cid)),
        400,
        "invalid_destination",
        "The destination customer cannot be the sender",
    )
    for state in ("banned", "active", "closing"):
        response = await operator.request("PATCH", f"/crypto/customers/{receiver['id']}", json={"state": state})
        assert response.status_code == 200, response.text
    assert_error(
        await create(partner, cid, send("ETH", "0.1", kind="lirium_customer", value=receiver["id"])),
        400,
        "destination_unable_to_receive",
        "The destination customer cannot receive funds",
    )


async def test_receiver_whose_partner_lacks_receive(
    operator: Operator, partner: Partner, customer: dict[str, Any]
) -> None:
    narrow = await operator.partner(
        "Sin recepción", key_index=2, products=["crypto_buy_sell", "crypto_send", "crypto_transfer"]
    )
    stranger = await narrow.customer()
    await operator.deposit(customer["id"], "ETH", "1")
    assert_error(
        await create(partner, customer["id"], send("ETH", "0.1", kind="lirium_customer", value=stranger["id"])),
        400,
        "destination_unable_to_receive",
        "The destination customer cannot receive funds",
    )


async def test_permissions(operator: Operator, customer: dict[str, Any], partner: Partner) -> None:
    cid = customer["id"]
    await operator.deposit(cid, "ETH", "1")
    response = await operator.request(
        "PUT",
        "/crypto/assets/ETH",
        json={
            "decimal_places": 18,
            "allowed_operations": ["buy", "sell", "receive", "transfer"],
            "networks": [{"network": "ethereum", "send_fee": "0.0005"}],
        },
    )
    assert response.status_code == 200, response.text
    assert_error(
        await create(partner, cid, send("ETH", "0.1")),
        400,
        "operation_forbidden",
        "Asset ETH does not allow the send operation",
    )
    response = await operator.request(
        "PATCH",
        f"/crypto/partners/{partner.id}",
        json={"products": ["crypto_buy_sell", "crypto_send", "crypto_receive"]},
    )
    assert response.status_code == 200, response.text
    other = await partner.customer(customer_body(reference_id="cust-2"))
    assert_error(
        await create(partner, cid, send("ETH", "0.1", kind="lirium_customer", value=other["id"])),
        400,
        "operation_forbidden",
        "Product crypto_transfer is not active for this customer",
    )


async def test_closing_customers_may_send_and_insufficient_funds(
    operator: Operator, partner: Partner, customer: dict[str, Any]
) -> None:
    cid = customer["id"]
    await operator.deposit(cid, "BTC", "0.01")
    await operator.request("PATCH", f"/crypto/customers/{cid}", json={"state": "closing"})
    assert_error(
        await create(partner, cid, send("BTC", "0.02", value=BECH32)),
        400,
        "insufficient_funds",
        "The customer's BTC balance is insufficient for this order",
    )
    order = await created(partner, cid, send("BTC", "0.01", value=BECH32))
    assert (await confirmed(operator, partner, cid, order))["state"] == "processing"
    assert await balances(partner, cid) == {"BTC": "0"}


async def test_order_limit(operator: Operator, partner: Partner, customer: dict[str, Any]) -> None:
    response = await create(partner, customer["id"], send("BTC", "2", value=BECH32))
    assert_error(
        response,
        400,
        "quote_amount_too_high",
        "The requested amount exceeds the maximum allowed for one order",
        max_amount="1.53964588",
        requested_amount="2",
    )


# ---------------------------------------------------------------------- security code (8.3) and confirmation


async def test_security_code_rules(
    operator: Operator, partner: Partner, customer: dict[str, Any], receiver: dict[str, Any]
) -> None:
    cid = customer["id"]
    await operator.deposit(cid, "USDC", "5000")
    to_address = await created(partner, cid, send("USDC", "10", network="polygon"))
    internal = await created(
        partner, cid, send("USDC", "10", network="polygon", kind="lirium_customer", value=receiver["id"])
    )
    big_internal = await created(
        partner, cid, send("USDC", "1500", network="polygon", kind="lirium_customer", value=receiver["id"])
    )
    assert [o["send"]["requires_confirmation_code"] for o in (to_address, internal, big_internal)] == [
        True,
        False,
        True,
    ]
    no_send_codes = await operator.partner("Sin códigos", key_index=2, security_code_operations=["buy"])
    theirs = await no_send_codes.customer()
    await operator.deposit(theirs["id"], "USDC", "100")
    assert not (await created(no_send_codes, theirs["id"], send("USDC", "10", network="polygon")))["send"][
        "requires_confirmation_code"
    ]


async def test_wrong_and_missing_codes_change_no_balance(
    operator: Operator, partner: Partner, customer: dict[str, Any]
) -> None:
    cid = customer["id"]
    await operator.deposit(cid, "USDC", "100")
    order = await created(partner, cid, send("USDC", "10", network="polygon"))
    assert_error(
        await confirm(partner, cid, order["id"]),
        400,
        "invalid_security_code",
        "confirmation_code is required for this order",
    )
    code = await latest_code(operator, EMAIL, order["id"])
    wrong = "000000" if code != "000000" else "111111"
    for attempt in range(5):
        message = "Invalid security code" + ("; the order has been cancelled" if attempt == 4 else "")
        assert_error(
            await confirm(partner, cid, order["id"], {"confirmation_code": wrong}),
            400,
            "invalid_security_code",
            message,
        )
    assert await balances(partner, cid) == {"USDC": "100"}
    assert (await shown(partner, cid, order["id"]))["cancel_reason"] == "security_code_attempts"
    await balanced(operator)


async def test_receiver_checked_again_at_confirmation(
    operator: Operator, partner: Partner, customer: dict[str, Any], receiver: dict[str, Any]
) -> None:
    cid = customer["id"]
    await operator.deposit(cid, "ETH", "1")
    order = await created(partner, cid, send("ETH", "0.2", kind="lirium_customer", value=receiver["id"]))
    await operator.request("PATCH", f"/crypto/customers/{receiver['id']}", json={"state": "banned"})
    assert_error(
        await confirm(partner, cid, order["id"]),
        400,
        "destination_unable_to_receive",
        "The destination customer cannot receive funds",
    )
    assert (await shown(partner, cid, order["id"]))["state"] == "pending"
    await operator.request("PATCH", f"/crypto/customers/{receiver['id']}", json={"state": "active"})
    assert (await confirmed(operator, partner, cid, order))["state"] == "completed"


async def test_expired_send_cannot_be_confirmed(
    clock: ManualClock, operator: Operator, partner: Partner, customer: dict[str, Any]
) -> None:
    cid = customer["id"]
    await operator.deposit(cid, "BTC", "1")
    order = await created(partner, cid, send("BTC", "0.1", value=BECH32))
    code = await latest_code(operator, EMAIL, order["id"])
    clock.advance(seconds=60)
    assert_error(
        await confirm(partner, cid, order["id"], {"confirmation_code": code}),
        400,
        "expired_order",
        "The order quote has expired",
    )
    assert await balances(partner, cid) == {"BTC": "1"}


# ---------------------------------------------------------------------- operator fails a send (11.9)


async def test_operator_fails_a_send(
    client: httpx.AsyncClient, clock: ManualClock, operator: Operator, partner: Partner, customer: dict[str, Any]
) -> None:
    cid = customer["id"]
    await operator.deposit(cid, "BTC", "1")
    order = await confirmed(operator, partner, cid, await created(partner, cid, send("BTC", "0.1", value=BECH32)))
    assert await balances(partner, cid) == {"BTC": "0.9"}
    clock.advance(seconds=2)
    response = await operator.request("POST", f"/crypto/orders/{order['id']}/fail", json={"reason": "x" * 256})
    assert_error(response, 400, "invalid_parameters", "{'reason': ['Length must be between 1 and 255.']}")
    response = await operator.request(
        "POST", f"/crypto/orders/{order['id']}/fail", json={"reason": "node rejected the transaction"}
    )
    assert response.status_code == 200, response.text
    at = "2026-05-06T00:14:29.123456+00:00"
    assert response.json() == {**order, "state": "cancelled", "cancel_reason": "send_failed", "last_updated_at": at}
    assert await balances(partner, cid) == {"BTC": "1"}
    clock.advance(seconds=10)
    await client.runtime.dispatcher.drain()  # type: ignore[attr-defined]  # the delivery timer finds it cancelled
    assert (await shown(partner, cid, order["id"]))["state"] == "cancelled"
    assert_error(
        await operator.request("POST", f"/crypto/orders/{order['id']}/fail"),
        400,
        "invalid_order_state",
        "Order is cancelled",
    )
    await balanced(operator)


async def test_what_the_operator_cannot_fail(
    client: httpx.AsyncClient, clock: ManualClock, operator: Operator, partner: Partner, customer: dict[str, Any]
) -> None:
    cid = customer["id"]
    await operator.deposit(cid, "BTC", "1")
    assert_error(await operator.request("POST", f"/crypto/orders/{'0' * 32}/fail"), 404, "not_found", "Order not found")
    assert_error(await operator.request("POST", "/crypto/orders/zz/fail"), 404, "not_found", "Order not found")
    pending = await created(partner, cid, send("BTC", "0.1", value=BECH32))
    assert_error(
        await operator.request("POST", f"/crypto/orders/{pending['id']}/fail", json={}),
        400,
        "invalid_order_state",
        "Order is pending",
    )
    sell = await created(partner, cid, {"operation": "sell", "asset": {"currency": "BTC", "amount": "0.01"}})
    assert_error(
        await operator.request("POST", f"/crypto/orders/{sell['id']}/fail"),
        400,
        "invalid_order_state",
        "Only send orders can be failed",
    )
    delivered = await confirmed(operator, partner, cid, pending)
    clock.advance(seconds=5)
    await client.runtime.dispatcher.drain()  # type: ignore[attr-defined]
    assert_error(
        await operator.request("POST", f"/crypto/orders/{delivered['id']}/fail"),
        400,
        "invalid_order_state",
        "Order is completed",
    )
    assert await balances(partner, cid) == {"BTC": "0.9"}


# ---------------------------------------------------------------------- address-book destinations (7, 8.8)


async def entry(partner: Partner, customer_id: str, address: str, network: str) -> dict[str, Any]:
    response = await partner.post(
        f"/customers/{customer_id}/address_book", json={"address": address, "network": network, "label": "Cold wallet"}
    )
    assert response.status_code == 201, response.text
    return response.json()


async def test_send_to_an_address_book_entry(
    client: httpx.AsyncClient, clock: ManualClock, operator: Operator, partner: Partner, customer: dict[str, Any]
) -> None:
    cid = customer["id"]
    await operator.deposit(cid, "USDC", "1000")
    saved = await entry(partner, cid, EVM, "polygon")
    order = await created(
        partner,
        cid,
        send(
            "USDC",
            kind="address_book",
            value=saved["id"],
            network="polygon",
            destination_amount="250",
            commission={"type": "percentage", "value": "1"},
        ),
    )
    assert order["asset"]["amount"] == "252.6"
    assert order["send"]["destination"] == {
        "type": "address_book",
        "value": saved["id"],
        "amount": "250",
        "address": EVM,
        "crypto_currency_transaction": None,
    }
    assert order["send"]["requires_confirmation_code"] is True
    deleted = await partner.request("DELETE", f"/customers/{cid}/address_book/{saved['id']}")
    assert deleted.status_code == 204  # the order keeps its copy of the address
    again = await entry(partner, cid, EVM, "polygon")
    second = await created(partner, cid, send("USDC", "10", kind="address_book", value=again["id"], network="polygon"))
    clock.advance(seconds=3)
    await confirmed(operator, partner, cid, order)
    await confirmed(operator, partner, cid, second)
    stamped = (await partner.get(f"/customers/{cid}/address_book/{again['id']}")).json()
    assert stamped["last_used"] == "2026-05-06T00:14:30.123456+00:00"
    clock.advance(seconds=5)
    await client.runtime.dispatcher.drain()  # type: ignore[attr-defined]
    done = await shown(partner, cid, order["id"])
    assert done["state"] == "completed" and done["send"]["destination"]["address"] == EVM
    assert await balances(partner, cid) == {"USDC": "737.4"}
    await balanced(operator)


async def test_address_book_destination_errors(operator: Operator, partner: Partner, customer: dict[str, Any]) -> None:
    cid = customer["id"]
    await operator.deposit(cid, "USDC", "100")
    on_ethereum = await entry(partner, cid, EVM, "ethereum")
    other = await partner.customer(customer_body(reference_id="cust-2"))
    theirs = await entry(partner, other["id"], EVM, "polygon")
    assert_error(
        await create(partner, cid, send("USDC", "10", kind="address_book", value=on_ethereum["id"], network="polygon")),
        400,
        "invalid_destination",
        "Address book entry network ethereum does not match polygon",
    )
    assert_error(
        await create(partner, cid, send("USDC", "10", kind="address_book", value=theirs["id"], network="polygon")),
        400,
        "invalid_destination",
        f"Address book entry {theirs['id']} not found",
    )
    assert_error(
        await create(partner, cid, send("USDC", "10", kind="address_book", value="nope", network="polygon")),
        400,
        "invalid_destination",
        "Address book entry nope not found",
    )
    assert await balances(partner, cid) == {"USDC": "100"}
    assert (await partner.get(f"/customers/{cid}/address_book/{on_ethereum['id']}")).json()["last_used"] is None
