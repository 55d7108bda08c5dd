"""GET /partner and GET /exchange_rates (spec 4), and the operator's partners, assets and
prices (11.2-11.4)."""

from __future__ import annotations

import re

import httpx

from tests.conftest import OPS_HEADERS
from tests.crypto.conftest import BASE, Operator, Partner, assert_error, invalid, rsa_key

ALL_SCOPES = [
    "operation_buy",
    "operation_sell",
    "operation_swap",
    "operation_send",
    "operation_subscribe_investment",
    "operation_redeem_investment",
    "partner_order_authorization",
]
ALL_PRODUCTS = ["crypto_buy_sell", "crypto_swap", "crypto_send", "crypto_transfer", "crypto_receive", "investments"]
TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}\+00:00$")


async def test_registration_answers_the_api_key_once(operator: Operator, partner: Partner) -> None:
    created = partner.created
    assert re.fullmatch(r"[0-9a-f]{32}", created["api_key"]) and re.fullmatch(r"[0-9a-f]{32}", created["id"])
    assert created["scopes"] == ALL_SCOPES
    assert created["settlement_currencies"] == ["USD"]
    assert created["products"] == ALL_PRODUCTS
    assert created["security_code_operations"] == ["send"]
    assert created["redemption_commission_enabled"] is True and created["active"] is True
    assert TIMESTAMP.match(created["created_at"])
    shown = (await operator.request("GET", f"/crypto/partners/{partner.id}")).json()
    assert "api_key" not in shown
    assert shown["balances"] == {"settlement": [], "commission": []}


async def test_get_partner_lists_the_catalogue(partner: Partner) -> None:
    body = (await partner.get("/partner")).json()
    assert body["id"] == partner.id and body["name"] == "Banco Ejemplo"
    assert body["scopes"] == ALL_SCOPES
    assert body["products"] == [{"id": p, "enabled": True, "active": True} for p in ALL_PRODUCTS]
    assert [a["id"] for a in body["available_assets"]] == ["BTC", "ETH", "USDC", "USDT"]
    btc = body["available_assets"][0]
    assert btc == {
        "id": "BTC",
        "decimal_places": 8,
        "allowed_operations": ["buy", "sell", "send", "receive", "transfer"],
        "networks": [{"network": "bitcoin", "send_fee": "0.00005"}],
        "max_order_value": "100000.00",
    }
    usdc = body["available_assets"][2]
    assert usdc["networks"] == [{"network": "ethereum", "send_fee": "1.5"}, {"network": "polygon", "send_fee": "0.1"}]
    [investment] = body["available_investments"]
    rate = investment.pop("rate")
    assert investment == {
        "id": "aEthUSDC",
        "name": "Aave Ethereum USDC",
        "quote_asset": "USDC",
        "network": "ethereum",
        "provider_id": "aave",
        "enabled": True,
        "decimal_places": 6,
        "subscription": {"min_amount": "1", "max_amount": "200000"},
        "redemption": {"min_amount": "1", "max_amount": "0"},
        "fee": {"type": "earnings_percentage", "value": "10"},
    }
    assert rate["apy"] == "4.00" and TIMESTAMP.match(rate["updated_at"])
    assert re.fullmatch(r"\d+\.\d{2,18}", rate["token_price"])


async def test_partner_without_investments_sees_none(operator: Operator) -> None:
    partner = await operator.partner(products=["crypto_send", "crypto_buy_sell"], scopes=["operation_buy"])
    body = (await partner.get("/partner")).json()
    assert body["available_investments"] == []
    assert [p["id"] for p in body["products"]] == ["crypto_buy_sell", "crypto_send"]
    assert body["scopes"] == ["operation_buy"]


async def test_exchange_rates(client: httpx.AsyncClient, partner: Partner) -> None:
    body = (await partner.get("/exchange_rates")).json()
    assert body["quote_currency"] == "USD" and TIMESTAMP.match(body["timestamp"])
    assert body["rates"] == [
        {"currency": "BTC", "bid": "64950.00", "ask": "65050.00"},
        {"currency": "ETH", "bid": "3195.00", "ask": "3205.00"},
        {"currency": "USDC", "bid": "0.999", "ask": "1.001"},
        {"currency": "USDT", "bid": "0.9985", "ask": "1.0015"},
    ]
    alias = await partner.get("/exchange-rates", params={"quote_currency": "USD"})
    assert alias.json()["rates"] == body["rates"]
    openapi = (await client.get(BASE + "/openapi.json")).json()
    assert "/v1/exchange_rates" in openapi["paths"] and "/v1/exchange-rates" not in openapi["paths"]


async def test_exchange_rates_other_settlement_currency(operator: Operator) -> None:
    partner = await operator.partner(settlement_currencies=["MXN", "USD"])
    assert (await partner.get("/exchange_rates")).json() == {
        "quote_currency": "MXN",
        "timestamp": (await partner.get("/exchange_rates")).json()["timestamp"],
        "rates": [],
    }
    response = await operator.request(
        "PUT", "/crypto/prices/BTC", json={"quote_currency": "MXN", "bid": "1100000", "ask": "1110000.5"}
    )
    assert response.status_code == 200, response.text
    assert response.json()["bid"] == "1100000.00" and response.json()["ask"] == "1110000.50"
    rates = (await partner.get("/exchange_rates")).json()["rates"]
    assert rates == [{"currency": "BTC", "bid": "1100000.00", "ask": "1110000.50"}]


async def test_exchange_rates_unconfigured_currency(partner: Partner) -> None:
    for quote in ("EUR", "usd"):
        response = await partner.get("/exchange_rates", params={"quote_currency": quote})
        assert_error(
            response,
            400,
            "invalid_settlement_currency",
            f"Settlement currency {quote} is not configured for this partner",
        )


async def test_exchange_rates_skip_assets_without_buy_or_sell(operator: Operator, partner: Partner) -> None:
    response = await operator.request(
        "PUT",
        "/crypto/assets/DOGE",
        json={
            "decimal_places": 8,
            "allowed_operations": ["send", "receive"],
            "networks": [{"network": "dogecoin", "send_fee": "1"}],
        },
    )
    assert response.status_code == 201
    await operator.request("PUT", "/crypto/prices/DOGE", json={"quote_currency": "USD", "bid": "0.1", "ask": "0.2"})
    rates = (await partner.get("/exchange_rates")).json()["rates"]
    assert "DOGE" not in [r["currency"] for r in rates]


# --------------------------------------------------------------------------- operator partners


async def test_operator_token_required(client: httpx.AsyncClient) -> None:
    for headers in ({}, {"Authorization": "Bearer wrong"}):
        response = await client.post("/ops/v1/crypto/partners", json={}, headers=headers)
        assert_error(response, 401, "unauthorized", "Missing or invalid operator token")


async def test_partner_registration_field_errors(operator: Operator) -> None:
    _, small_public = rsa_key(2, bits=1024)
    cases = [
        (
            {},
            "{'name': ['This field is required but was not found in the request.'], "
            "'public_key_pem': ['This field is required but was not found in the request.']}",
        ),
        (
            {"name": "", "public_key_pem": small_public},
            "{'name': ['Length must be between 1 and 200.'], 'public_key_pem': ['Not a valid RSA public key.']}",
        ),
        (
            {"name": "x", "public_key_pem": "-----BEGIN PUBLIC KEY-----\nnope\n-----END PUBLIC KEY-----"},
            "{'public_key_pem': ['Not a valid RSA public key.']}",
        ),
        (
            {"name": "x", "public_key_pem": rsa_key(0)[1], "scopes": ["operation_buy", "admin"]},
            "{'scopes': {1: ['Must be one of: " + ", ".join(ALL_SCOPES) + ".']}}",
        ),
        (
            {"name": "x", "public_key_pem": rsa_key(0)[1], "settlement_currencies": ["usd"], "extra": 1},
            "{'extra': ['Unknown field.'], 'settlement_currencies': {0: ['Not a valid currency code.']}}",
        ),
        (
            {"name": "x", "public_key_pem": rsa_key(0)[1], "settlement_currencies": []},
            "{'settlement_currencies': ['Must contain at least one item.']}",
        ),
        (
            {
                "name": "x",
                "public_key_pem": rsa_key(0)[1],
                "products": "crypto_send",
                "security_code_operations": ["receive"],
                "redemption_commission_enabled": "yes",
            },
            "{'products': ['Not a valid list.'], 'redemption_commission_enabled': ['Not a valid boolean.'], "
            "'security_code_operations': {0: ['Must be one of: buy, sell, swap, send, subscribe_investment, "
            "redeem_investment.']}}",
        ),
    ]
    for body, message in cases:
        invalid(await operator.request("POST", "/crypto/partners", json=body), message)


async def test_patch_partner(operator: Operator, partner: Partner) -> None:
    response = await operator.request(
        "PATCH",
        f"/crypto/partners/{partner.id}",
        json={
            "name": "Banco Nuevo",
            "settlement_currencies": ["MXN", "USD"],
            "products": ["investments", "crypto_swap"],
        },
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["name"] == "Banco Nuevo" and body["settlement_currencies"] == ["MXN", "USD"]
    assert body["products"] == ["crypto_swap", "investments"] and "api_key" not in body
    invalid(
        await operator.request("PATCH", f"/crypto/partners/{partner.id}", json={"api_key": "x", "active": 1}),
        "{'active': ['Not a valid boolean.'], 'api_key': ['This field cannot be changed.']}",
    )
    for missing in ("0" * 32, "nope"):
        assert_error(await operator.request("PATCH", f"/crypto/partners/{missing}", json={}), 404, "not_found")
        assert_error(await operator.request("GET", f"/crypto/partners/{missing}"), 404, "not_found")


# --------------------------------------------------------------------------- assets and prices


async def test_put_asset_creates_then_replaces(operator: Operator, partner: Partner) -> None:
    body = {
        "decimal_places": 9,
        "allowed_operations": ["receive", "buy"],
        "networks": [{"network": "solana", "send_fee": "0.000005"}],
    }
    created = await operator.request("PUT", "/crypto/assets/SOL", json=body)
    assert created.status_code == 201, created.text
    assert created.json() == {
        "id": "SOL",
        "decimal_places": 9,
        "allowed_operations": ["buy", "receive"],
        "networks": [{"network": "solana", "send_fee": "0.000005"}],
        "max_order_value": "100000.00",
    }
    replaced = await operator.request("PUT", "/crypto/assets/SOL", json={**body, "max_order_value": "5000"})
    assert replaced.status_code == 200 and replaced.json()["max_order_value"] == "5000.00"
    assets = (await partner.get("/partner")).json()["available_assets"]
    assert [a["id"] for a in assets] == ["BTC", "ETH", "SOL", "USDC", "USDT"]
    invalid(
        await operator.request("PUT", "/crypto/assets/SOL", json={**body, "decimal_places": 8}),
        "{'decimal_places': ['Cannot be changed once the asset exists.']}",
    )


async def test_put_asset_field_errors(operator: Operator) -> None:
    cases = [
        (
            {},
            "{'allowed_operations': ['This field is required but was not found in the request.'], "
            "'decimal_places': ['This field is required but was not found in the request.'], "
            "'networks': ['This field is required but was not found in the request.']}",
        ),
        (
            {"decimal_places": 19, "allowed_operations": ["mint"], "networks": []},
            "{'allowed_operations': {0: ['Must be one of: buy, sell, send, receive, transfer.']}, "
            "'decimal_places': ['Must be between 0 and 18.'], 'networks': ['Must contain at least one item.']}",
        ),
        (
            {
                "decimal_places": 2,
                "allowed_operations": [],
                "networks": [
                    {"network": "Bad Name", "send_fee": "1"},
                    {"network": "ok", "send_fee": "0.001"},
                    {"network": "ok", "send_fee": "1"},
                ],
            },
            "{'networks': {0: {'network': ['Not a valid network name.']}, "
            "1: {'send_fee': ['Too many decimal places for XYZ (maximum 2).']}, 2: {'network': ['Must be unique.']}}}",
        ),
        (
            {
                "decimal_places": 2,
                "allowed_operations": [],
                "networks": [{"network": "ok", "send_fee": 1}],
                "max_order_value": "0",
            },
            "{'max_order_value': ['Must be greater than 0.'], 'networks': {0: {'send_fee': ['Not a valid string.']}}}",
        ),
    ]
    for body, message in cases:
        invalid(await operator.request("PUT", "/crypto/assets/XYZ", json=body), message)
    valid = {"decimal_places": 2, "allowed_operations": [], "networks": [{"network": "ok", "send_fee": "0"}]}
    for code in ("x", "btc", "aEthUSDC", "A" * 17):
        assert_error(await operator.request("PUT", f"/crypto/assets/{code}", json=valid), 404, "not_found")


async def test_put_price(operator: Operator, partner: Partner) -> None:
    response = await operator.request(
        "PUT", "/crypto/prices/BTC", json={"quote_currency": "USD", "bid": "70000.5", "ask": "70100"}
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert {k: body[k] for k in ("currency", "quote_currency", "bid", "ask")} == {
        "currency": "BTC",
        "quote_currency": "USD",
        "bid": "70000.50",
        "ask": "70100.00",
    }
    assert TIMESTAMP.match(body["updated_at"])
    rates = (await partner.get("/exchange_rates")).json()["rates"]
    assert rates[0] == {"currency": "BTC", "bid": "70000.50", "ask": "70100.00"}


async def test_put_price_errors(client: httpx.AsyncClient, operator: Operator) -> None:
    assert_error(await operator.request("PUT", "/crypto/prices/NOPE", json={}), 404, "not_found")
    cases = [
        (
            {"quote_currency": "usd", "bid": "0", "ask": 5},
            "{'ask': ['Not a valid string.'], 'bid': ['Must be greater than 0.'], "
            "'quote_currency': ['Not a valid currency code.']}",
        ),
        ({"quote_currency": "USD", "bid": "2", "ask": "1"}, "{'bid': ['Must be less than or equal to ask.']}"),
        (
            {"quote_currency": "USD", "bid": "1.123456789", "ask": "2"},
            "{'bid': ['Too many decimal places for USD (maximum 8).']}",
        ),
        (
            {"bid": "1e3", "ask": "1.", "rate": "x"},
            "{'ask': ['Not a valid decimal.'], 'bid': ['Not a valid decimal.'], 'quote_currency': "
            "['This field is required but was not found in the request.'], 'rate': ['Unknown field.']}",
        ),
    ]
    for body, message in cases:
        invalid(await operator.request("PUT", "/crypto/prices/BTC", json=body), message)
    response = await client.put("/ops/v1/crypto/prices/BTC", content=b"[]", headers=OPS_HEADERS)
    assert_error(response, 400, "body_parse_error")


async def test_openapi_lists_every_partner_endpoint_with_its_errors(client: httpx.AsyncClient) -> None:
    response = await client.get(BASE + "/openapi.json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    expected = {
        "/v1/partner": ["get"],
        "/v1/exchange_rates": ["get"],
        "/v1/customers": ["get", "post"],
        "/v1/customers/{customer_id}": ["get", "patch"],
        "/v1/customers/{customer_id}/documents": ["post"],
        "/v1/customers/{customer_id}/accounts": ["get"],
        "/v1/customers/{customer_id}/orders": ["get"],
        "/v1/customers/{customer_id}/orders/{order_id}": ["get"],
    }
    for route, methods in expected.items():
        for method in methods:
            operation = paths[route][method]
            assert "401" in operation["responses"] and "429" in operation["responses"], route
            assert "requestBody" not in operation or method != "get"
    created = paths["/v1/customers"]["post"]["responses"]
    assert set(created["409"]["content"]["application/json"]["examples"]) == {"conflict"}
    assert (await client.get("/crypto/docs")).status_code == 200


async def test_an_investment_id_is_not_an_asset_path_even_with_a_bad_body(
    client: httpx.AsyncClient, operator: Operator
) -> None:
    runtime = client.runtime  # type: ignore[attr-defined]
    async with runtime.db.transaction() as conn:  # an investment whose id looks like an asset code
        await conn.execute(
            "INSERT INTO crypto_investments SELECT 'AUSDC2', name, quote_asset, network, provider_id, enabled,"
            " decimal_places, subscription_min, subscription_max, redemption_min, redemption_max, fee_type,"
            " fee_value, apy, anchor_price, anchor_at, rate_updated_at, created_at, updated_at"
            " FROM crypto_investments WHERE id = 'aEthUSDC'"
        )
    for code in ("AUSDC2", "aEthUSDC"):
        assert_error(await operator.request("PUT", f"/crypto/assets/{code}", json={"x": 1}), 404, "not_found")
        assert_error(await operator.request("PUT", f"/crypto/prices/{code}", json={"x": 1}), 404, "not_found")
