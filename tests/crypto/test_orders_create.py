"""Initiating buy, sell and swap orders (spec/crypto.md 8.2-8.7, 8.17) through HTTP: the worked
examples digit for digit, every invalid_parameters message in the order of checks of 8.2,
and every error code creation can answer."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from tests.crypto.conftest import Operator, Partner, assert_error, invalid
from tests.crypto.ordering import buy, create, created, mails, sell
from tests.crypto.test_customers import recorded_events

NOW = "2026-05-06T00:14:27.123456+00:00"
EXPIRES = "2026-05-06T00:15:27.123456+00:00"
REQUIRED = "This field is required but was not found in the request."
OPERATIONS = "Must be one of: buy, sell, swap, send, subscribe_investment, redeem_investment."


# ---------------------------------------------------------------------- worked examples (8.5-8.7)


async def test_buy_example_with_settlement_amount(
    client: httpx.AsyncClient, operator: Operator, partner: Partner, customer: dict[str, Any]
) -> None:
    body = {
        "reference_id": "ord-2026-000117",
        "operation": "buy",
        "asset": {"currency": "BTC"},
        "buy": {
            "settlement": {"currency": "USD", "amount": "10000.00"},
            "commission": {"type": "percentage", "value": "1.5"},
        },
    }
    order = await created(partner, customer["id"], body)
    assert order == {
        "id": order["id"],
        "customer_id": customer["id"],
        "reference_id": "ord-2026-000117",
        "operation": "buy",
        "state": "pending",
        "cancel_reason": None,
        "asset": {"currency": "BTC", "amount": "0.15145595"},
        "customer": None,
        "buy": {
            "settlement": {"currency": "USD", "amount": "10000.00"},
            "expires_at": EXPIRES,
            "requires_confirmation_code": True,
        },
        "created_at": NOW,
        "submitted_at": None,
        "last_updated_at": NOW,
    }
    assert (await partner.get(f"/customers/{customer['id']}/orders/{order['id']}")).json() == order
    [message] = await mails(operator, "ana.gomez@example.com")
    assert message["subject"] == "Your security code"
    first, second = message["body"].split("\n")
    assert first.startswith("Your security code is ") and len(first) == len("Your security code is 123456.")
    assert second == f"It confirms order {order['id']} (buy 0.15145595 BTC) and expires at {EXPIRES}."
    events = await recorded_events(client, partner.id)
    assert [(e["action"], e["order"]) for e in events] == [("order-created", order)]


async def test_buy_example_with_asset_amount(operator: Operator, partner: Partner, customer: dict[str, Any]) -> None:
    order = await created(partner, customer["id"], buy("BTC", "0.015", commission={"type": "percentage", "value": "1"}))
    assert order["asset"] == {"currency": "BTC", "amount": "0.015"}
    assert order["buy"] == {
        "settlement": {"currency": "USD", "amount": "985.51"},
        "expires_at": EXPIRES,
        "requires_confirmation_code": False,
    }
    assert await mails(operator, "ana.gomez@example.com") == []


async def test_buy_node_may_be_omitted_with_asset_amount(partner: Partner, customer: dict[str, Any]) -> None:
    order = await created(partner, customer["id"], {"operation": "buy", "asset": {"currency": "BTC", "amount": "0.01"}})
    assert order["buy"]["settlement"] == {"currency": "USD", "amount": "650.50"}


async def test_sell_examples(operator: Operator, partner: Partner, customer: dict[str, Any]) -> None:
    await operator.deposit(customer["id"], "ETH", "1", network="ethereum")
    order = await created(partner, customer["id"], sell("ETH", "0.5", commission={"type": "fixed", "value": "5.00"}))
    assert order["asset"] == {"currency": "ETH", "amount": "0.5"}
    assert order["sell"] == {
        "settlement": {"currency": "USD", "amount": "1592.50"},
        "expires_at": EXPIRES,
        "requires_confirmation_code": True,
    }
    order = await created(
        partner,
        customer["id"],
        sell("ETH", settlement={"amount": "200.00"}, commission={"type": "percentage", "value": "2"}),
    )
    assert order["asset"] == {"currency": "ETH", "amount": "0.06387793427230047"}
    assert order["sell"]["settlement"] == {"currency": "USD", "amount": "200.00"}


async def test_swap_examples(operator: Operator, partner: Partner, customer: dict[str, Any]) -> None:
    await operator.deposit(customer["id"], "BTC", "0.01")
    await operator.deposit(customer["id"], "ETH", "1", network="ethereum")
    order = await created(
        partner,
        customer["id"],
        {
            "operation": "swap",
            "asset": {"currency": "BTC", "amount": "0.01"},
            "swap": {"currency": "ETH", "commission": {"type": "percentage", "value": "0.5"}},
        },
    )
    assert order["asset"] == {"currency": "BTC", "amount": "0.01"}
    assert order["swap"] == {
        "currency": "ETH",
        "amount": "0.201638845553822152",
        "expires_at": EXPIRES,
        "requires_confirmation_code": False,
    }
    order = await created(
        partner,
        customer["id"],
        {
            "operation": "swap",
            "asset": {"currency": "ETH"},
            "swap": {"currency": "USDC", "amount": "500", "commission": {"type": "percentage", "value": "1"}},
        },
    )
    assert order["asset"] == {"currency": "ETH", "amount": "0.158233350721613634"}
    assert order["swap"]["currency"] == "USDC" and order["swap"]["amount"] == "500"


async def test_code_required_by_partner_operations(operator: Operator, customer: dict[str, Any]) -> None:
    partner = await operator.partner("Code bank", key_index=2, security_code_operations=["buy"])
    own = await partner.customer(reference_id="c-2", contact={"email": "code@example.com"})
    order = await created(partner, own["id"], buy("BTC", "0.0001"))
    assert order["buy"]["requires_confirmation_code"] is True
    assert len(await mails(operator, "code@example.com")) == 1


async def test_other_settlement_currency(operator: Operator, customer: dict[str, Any]) -> None:
    partner = await operator.partner("Banco MX", key_index=2, settlement_currencies=["MXN", "USD"])
    own = await partner.customer(reference_id="mx-1")
    response = await operator.request(
        "PUT", "/crypto/prices/BTC", json={"quote_currency": "MXN", "bid": "1100000", "ask": "1110000"}
    )
    assert response.status_code == 200, response.text
    order = await created(partner, own["id"], buy("BTC", "0.01", settlement={"currency": "MXN"}))
    assert order["buy"]["settlement"] == {"currency": "MXN", "amount": "11100.00"}
    # V is valued at the USD ask (650.50): no code although 11100 MXN > 1000
    assert order["buy"]["requires_confirmation_code"] is False


# ---------------------------------------------------------------------- 8.2 steps 1-6


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"asset": {"currency": "BTC", "amount": "1"}}, f"{{'operation': ['{REQUIRED}']}}"),
        ({"operation": "receive", "asset": {"currency": "BTC"}}, f"{{'operation': ['{OPERATIONS}']}}"),
        ({"operation": 7}, "{'operation': ['Not a valid string.']}"),
        (
            {"operation": "buy", "asset": {"currency": "BTC"}, "buy": {}, "sell": {}},
            "Only one operation node is allowed",
        ),
        (
            {"operation": "buy", "asset": {"currency": "BTC"}, "sell": {}},
            "The operation node name must match the operation value (buy)",
        ),
        ({"operation": "swap", "asset": {"currency": "BTC"}, "swap": None}, "Node 'swap' is required."),
        (
            {"operation": "subscribe_investment", "asset": {"currency": "USDC"}},
            "Node 'subscribe_investment' is required.",
        ),
        ({"operation": "redeem_investment", "asset": {"currency": "USDC"}}, "Node 'redeem_investment' is required."),
        ({"operation": "send", "asset": {"currency": "BTC"}}, "Node 'send' is required."),
        (
            {"operation": "buy", "asset": {"currency": "BTC", "amount": "1"}, "buy": {"commission": {"type": "flat"}}},
            f"{{'buy': {{'commission': {{'type': ['Must be one of: percentage, fixed.'], 'value': ['{REQUIRED}']}}}}}}",
        ),
        (
            {
                "operation": "sell",
                "asset": {"currency": "BTC", "amount": "1"},
                "sell": {"commission": {"type": "earnings_percentage", "value": "1"}},
            },
            "{'sell': {'commission': {'type': ['Must be one of: percentage, fixed.']}}}",
        ),
        (
            {
                "operation": "swap",
                "asset": {"currency": "BTC", "amount": "1"},
                "swap": {"currency": "ETH", "commission": {"type": "x", "value": "1"}},
            },
            "{'swap': {'commission': {'type': ['Must be one of: percentage, fixed.']}}}",
        ),
        (
            {"operation": "swap", "asset": {"currency": "BTC", "amount": "1"}, "swap": {"amount": "1"}},
            f"{{'swap': {{'currency': ['{REQUIRED}']}}}}",
        ),
        ({"operation": "buy"}, f"{{'asset': ['{REQUIRED}']}}"),
        (
            {"operation": "buy", "asset": {"amount": 1, "extra": True}, "memo": "x", "reference_id": ""},
            f"{{'asset': {{'amount': ['Not a valid string.'], 'currency': ['{REQUIRED}'], 'extra': ['Unknown field.']}}, "  # noqa: E501
            "'memo': ['Unknown field.'], 'reference_id': ['Length must be between 1 and 191.']}",
        ),
        (
            {"operation": "buy", "asset": {"currency": "BTC", "amount": "1."}},
            "{'asset': {'amount': ['Not a valid decimal.']}}",
        ),
        (
            {"operation": "buy", "asset": {"currency": "BTC", "amount": "0.0"}},
            "{'asset': {'amount': ['Must be greater than 0.']}}",
        ),
        (
            {"operation": "buy", "asset": {"currency": "BTC"}, "reference_id": "caf\u00e9"},
            "{'reference_id': ['Must contain printable ASCII characters only.']}",
        ),
        (
            {
                "operation": "buy",
                "asset": {"currency": "BTC"},
                "buy": {"settlement": {"currency": "usd", "amount": "1"}, "payment": {}},
            },
            "{'buy': {'payment': ['Unknown field.'], 'settlement': {'currency': ['Not a valid currency code.']}}}",
        ),
        ({"operation": "buy", "asset": {"currency": "BTC"}}, "asset.amount or settlement.amount is required"),
        (
            {"operation": "buy", "asset": {"currency": "BTC", "amount": "1"}, "buy": {"settlement": {"amount": "10"}}},
            "Either asset.amount or settlement.amount can be sent, but not both",
        ),
        (
            {
                "operation": "sell",
                "asset": {"currency": "BTC"},
                "sell": {"commission": {"type": "fixed", "value": "1"}},
            },
            "asset.amount or settlement.amount is required",
        ),
        (
            {
                "operation": "sell",
                "asset": {"currency": "BTC", "amount": "1"},
                "sell": {"settlement": {"amount": "10"}},
            },
            "Either asset.amount or settlement.amount can be sent, but not both",
        ),
        (
            {"operation": "swap", "asset": {"currency": "BTC"}, "swap": {"currency": "ETH"}},
            "asset.amount or swap.amount is required",
        ),
        (
            {
                "operation": "swap",
                "asset": {"currency": "BTC", "amount": "1"},
                "swap": {"currency": "ETH", "amount": "1"},
            },
            "Either asset.amount or swap.amount can be sent, but not both",
        ),
    ],
)
async def test_schema_and_amount_sentences(
    partner: Partner, customer: dict[str, Any], body: dict[str, Any], message: str
) -> None:
    invalid(await create(partner, customer["id"], body), message)


async def test_send_destination_type_is_an_enum(partner: Partner, customer: dict[str, Any]) -> None:
    response = await create(
        partner,
        customer["id"],
        {"operation": "send", "asset": {"currency": "BTC"}, "send": {"destination": {"type": "x", "value": "y"}}},
    )
    invalid(
        response,
        "{'send': {'destination': {'type': ['Must be one of: crypto_currency_address, address_book,"
        " lirium_customer.']}}}",
    )


# ---------------------------------------------------------------------- 8.2 step 7


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (buy("XYZ", "1"), "{'asset': {'currency': ['Unknown currency XYZ.']}}"),
        (buy("btc", "1"), "{'asset': {'currency': ['Unknown currency btc.']}}"),
        (buy("BTC", "0.123456789"), "{'asset': {'amount': ['Too many decimal places for BTC (maximum 8).']}}"),
        (
            buy("BTC", settlement={"amount": "10.000"}),
            "{'buy': {'settlement': {'amount': ['Too many decimal places for USD (maximum 2).']}}}",
        ),
        (
            sell("BTC", "0.1", commission={"type": "fixed", "value": "1.001"}),
            "{'sell': {'commission': {'value': ['Too many decimal places for USD (maximum 2).']}}}",
        ),
        (
            buy("BTC", "0.1", commission={"type": "percentage", "value": "100"}),
            "{'buy': {'commission': {'value': ['Must be greater than or equal to 0 and less than 100.']}}}",
        ),
        (
            buy("BTC", "0.1", commission={"type": "percentage", "value": "1.00001"}),
            "{'buy': {'commission': {'value': ['Too many decimal places (maximum 4).']}}}",
        ),
        (
            {"operation": "swap", "asset": {"currency": "BTC", "amount": "1"}, "swap": {"currency": "XYZ"}},
            "{'swap': {'currency': ['Unknown currency XYZ.']}}",
        ),
        (
            {"operation": "swap", "asset": {"currency": "BTC", "amount": "1"}, "swap": {"currency": "BTC"}},
            "{'swap': {'currency': ['Must be different from asset.currency.']}}",
        ),
        (
            {"operation": "swap", "asset": {"currency": "BTC"}, "swap": {"currency": "USDC", "amount": "1.0000001"}},
            "{'swap': {'amount': ['Too many decimal places for USDC (maximum 6).']}}",
        ),
        (
            {
                "operation": "swap",
                "asset": {"currency": "BTC", "amount": "0.1"},
                "swap": {"currency": "ETH", "commission": {"type": "fixed", "value": "0.000000001"}},
            },
            "{'swap': {'commission': {'value': ['Too many decimal places for BTC (maximum 8).']}}}",
        ),
    ],
)
async def test_catalogue_references(
    partner: Partner, customer: dict[str, Any], body: dict[str, Any], message: str
) -> None:
    invalid(await create(partner, customer["id"], body), message)


async def test_settlement_currency_rules(operator: Operator) -> None:
    partner = await operator.partner("Two currencies", key_index=2, settlement_currencies=["USD", "MXN"])
    own = await partner.customer(reference_id="two-1")
    assert_error(
        await create(partner, own["id"], buy("BTC", "0.1")),
        400,
        "invalid_settlement_currency",
        "settlement.currency is required when more than one settlement currency is configured",
    )
    assert_error(
        await create(partner, own["id"], buy("BTC", "0.1", settlement={"currency": "EUR"})),
        400,
        "invalid_settlement_currency",
        "Settlement currency EUR is not configured for this partner",
    )
    assert_error(
        await create(partner, own["id"], sell("BTC", "0.1", settlement={"currency": "MXN"})),
        400,
        "operation_forbidden",
        "No BTC price is available in MXN",
    )


# ---------------------------------------------------------------------- 8.2 steps 8-12


async def test_reference_id_reuse(partner: Partner, customer: dict[str, Any]) -> None:
    other = await partner.customer(reference_id="cust-2")
    await created(partner, customer["id"], {**buy("BTC", "0.001"), "reference_id": "ord-1"})
    assert_error(
        await create(partner, other["id"], {**buy("BTC", "0.001"), "reference_id": "ord-1"}),
        409,
        "reference_id_already_used",
        "reference_id 'ord-1' has already been used",
    )
    # case-sensitive: another value
    await created(partner, other["id"], {**buy("BTC", "0.001"), "reference_id": "ORD-1"})


async def test_reference_id_is_per_partner(partner: Partner, rival: Partner, customer: dict[str, Any]) -> None:
    theirs = await rival.customer()
    await created(partner, customer["id"], {**buy("BTC", "0.001"), "reference_id": "same"})
    await created(rival, theirs["id"], {**buy("BTC", "0.001"), "reference_id": "same"})


async def test_concurrent_creates_with_one_reference_id(partner: Partner, customer: dict[str, Any]) -> None:
    body = {**buy("BTC", "0.001"), "reference_id": "race-1"}
    responses = await asyncio.gather(*(create(partner, customer["id"], body) for _ in range(10)))
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [201] + [409] * 9, [r.text for r in responses]
    for response in responses:
        if response.status_code == 409:
            assert_error(response, 409, "reference_id_already_used", "reference_id 'race-1' has already been used")
    listed = (await partner.get(f"/customers/{customer['id']}/orders", params={"reference_id": "race-1"})).json()
    assert listed["total"] == 1


async def test_customer_state_rules(operator: Operator, partner: Partner, customer: dict[str, Any]) -> None:
    cid = customer["id"]
    await operator.deposit(cid, "BTC", "1")
    await operator.request("PATCH", f"/crypto/customers/{cid}", json={"state": "closing"})
    assert_error(
        await create(partner, cid, buy("BTC", "0.001")),
        400,
        "operation_forbidden",
        "Customer state closing does not allow buy orders",
    )
    await created(partner, cid, sell("BTC", "0.001"))  # closing may still sell
    await operator.request("PATCH", f"/crypto/customers/{cid}", json={"state": "banned"})
    assert_error(
        await create(partner, cid, sell("BTC", "0.001")),
        400,
        "operation_forbidden",
        "Customer state banned does not allow sell orders",
    )


async def test_product_must_be_active(operator: Operator) -> None:
    partner = await operator.partner("No swaps", key_index=2, products=["crypto_buy_sell"])
    own = await partner.customer(reference_id="ns-1")
    assert_error(
        await create(
            partner,
            own["id"],
            {"operation": "swap", "asset": {"currency": "BTC", "amount": "0.1"}, "swap": {"currency": "ETH"}},
        ),
        400,
        "operation_forbidden",
        "Product crypto_swap is not active for this customer",
    )


async def test_product_waits_for_kyc(make_client: Any) -> None:
    client = await make_client(crypto_require_kyc=True)
    partner = await Operator(client).partner()
    own = await partner.customer()
    assert_error(
        await create(partner, own["id"], buy("BTC", "0.1")),
        400,
        "operation_forbidden",
        "Product crypto_buy_sell is not active for this customer",
    )


async def test_asset_must_allow_the_operation(operator: Operator, partner: Partner, customer: dict[str, Any]) -> None:
    response = await operator.request(
        "PUT",
        "/crypto/assets/USDT",
        json={
            "decimal_places": 6,
            "allowed_operations": ["sell", "receive"],
            "networks": [{"network": "polygon", "send_fee": "0.1"}],
        },
    )
    assert response.status_code == 200, response.text
    assert_error(
        await create(partner, customer["id"], buy("USDT", "10")),
        400,
        "operation_forbidden",
        "Asset USDT does not allow the buy operation",
    )
    assert_error(
        await create(
            partner,
            customer["id"],
            {"operation": "swap", "asset": {"currency": "BTC", "amount": "1"}, "swap": {"currency": "USDT"}},
        ),
        400,
        "operation_forbidden",
        "Asset USDT does not allow the buy operation",
    )
    assert_error(
        await create(
            partner,
            customer["id"],
            {"operation": "swap", "asset": {"currency": "USDC", "amount": "1"}, "swap": {"currency": "USDT"}},
        ),
        400,
        "operation_forbidden",
        "Asset USDT does not allow the buy operation",
    )
    await operator.request(
        "PUT",
        "/crypto/assets/USDT",
        json={
            "decimal_places": 6,
            "allowed_operations": ["buy"],
            "networks": [{"network": "polygon", "send_fee": "0.1"}],
        },
    )
    assert_error(
        await create(
            partner,
            customer["id"],
            {"operation": "swap", "asset": {"currency": "USDT", "amount": "1"}, "swap": {"currency": "BTC"}},
        ),
        400,
        "operation_forbidden",
        "Asset USDT does not allow the sell operation",
    )
    response = await operator.request(
        "PUT",
        "/crypto/assets/DOGE",
        json={
            "decimal_places": 8,
            "allowed_operations": ["buy", "sell"],
            "networks": [{"network": "dogecoin", "send_fee": "1"}],
        },
    )
    assert response.status_code == 201, response.text
    assert_error(
        await create(partner, customer["id"], buy("DOGE", "10")),
        400,
        "operation_forbidden",
        "No DOGE price is available in USD",
    )


async def test_order_limit_in_asset_and_in_settlement(partner: Partner, customer: dict[str, Any]) -> None:
    assert_error(
        await create(partner, customer["id"], buy("BTC", "2")),
        400,
        "quote_amount_too_high",
        "The requested amount exceeds the maximum allowed for one order",
        max_amount="1.53727901",
        requested_amount="2",
    )
    assert_error(
        await create(partner, customer["id"], buy("BTC", settlement={"amount": "150000.00"})),
        400,
        "quote_amount_too_high",
        max_amount="100000.00",
        requested_amount="150000.00",
    )


async def test_amount_sanity_sentences(operator: Operator, partner: Partner, customer: dict[str, Any]) -> None:
    await operator.deposit(customer["id"], "BTC", "1")
    response = await operator.request(
        "PUT",
        "/crypto/assets/WHOLE",
        json={
            "decimal_places": 0,
            "allowed_operations": ["buy", "sell"],
            "networks": [{"network": "whole", "send_fee": "0"}],
        },
    )
    assert response.status_code == 201, response.text
    await operator.request("PUT", "/crypto/prices/WHOLE", json={"quote_currency": "USD", "bid": "100", "ask": "100"})
    invalid(
        await create(partner, customer["id"], buy("WHOLE", settlement={"amount": "99.99"})),
        "The order amount is too small",
    )
    invalid(
        await create(
            partner,
            customer["id"],
            buy("BTC", settlement={"amount": "5.00"}, commission={"type": "fixed", "value": "5.00"}),
        ),
        "The commission must be lower than the order amount",
    )
    invalid(await create(partner, customer["id"], sell("BTC", "0.00000001")), "The order amount is too small")


async def test_sell_and_swap_need_the_balance(operator: Operator, partner: Partner, customer: dict[str, Any]) -> None:
    assert_error(
        await create(partner, customer["id"], sell("BTC", "0.1")),
        400,
        "insufficient_funds",
        "The customer's BTC balance is insufficient for this order",
    )
    await operator.deposit(customer["id"], "ETH", "0.1", network="ethereum")
    assert_error(
        await create(
            partner,
            customer["id"],
            {"operation": "swap", "asset": {"currency": "ETH", "amount": "0.2"}, "swap": {"currency": "BTC"}},
        ),
        400,
        "insufficient_funds",
        "The customer's ETH balance is insufficient for this order",
    )


async def test_scope_is_checked_after_the_operation(operator: Operator, customer: dict[str, Any]) -> None:
    partner = await operator.partner("Buy only", key_index=2, scopes=["operation_buy"])
    own = await partner.customer(reference_id="b-1")
    assert_error(
        await create(partner, own["id"], {"operation": "sell", "sell": {}, "buy": {}}),
        403,
        "forbidden",
        "API key lacks the required scope: operation_sell",
    )
    invalid(await create(partner, own["id"], {"asset": {}}), f"{{'operation': ['{REQUIRED}']}}")


async def test_foreign_customer_is_not_found(partner: Partner, rival: Partner, customer: dict[str, Any]) -> None:
    for customer_id in (customer["id"], "f" * 32, "not-an-id"):
        assert_error(await create(rival, customer_id, buy("BTC", "0.1")), 404, "not_found", "Customer not found")
    assert_error(await create(rival, customer["id"], {"operation": "nope"}), 404, "not_found")


async def test_body_must_be_a_json_object(partner: Partner, customer: dict[str, Any]) -> None:
    response = await partner.post(f"/customers/{customer['id']}/orders", content=b"[1]")
    assert_error(response, 400, "body_parse_error", "Request body is not a valid JSON object")
    response = await partner.post(f"/customers/{customer['id']}/orders", content=b"")
    assert_error(response, 400, "body_parse_error")


async def test_generic_checks_come_first(client: httpx.AsyncClient, partner: Partner, customer: dict[str, Any]) -> None:
    path = f"/crypto/v1/customers/{customer['id']}/orders"
    assert_error(
        await client.post(path, json=buy("BTC", "0.1")),
        401,
        "auth_required",
        "Authorization header with a Bearer token is required",
    )
    too_big = b'{"operation": "buy", "pad": "' + b"x" * 1048576 + b'"}'
    assert_error(
        await partner.post(f"/customers/{customer['id']}/orders", content=too_big),
        413,
        "payload_too_large",
        "Request body exceeds 1048576 bytes",
    )
    response = await partner.request("PUT", f"/customers/{customer['id']}/orders/{'0' * 32}/confirm")
    assert_error(response, 405, "method_not_allowed", "Method not allowed")
    assert_error(
        await partner.post(f"/customers/{customer['id']}/orders/{'0' * 32}/cancel"),
        404,
        "not_found",
        "Resource not found",
    )
