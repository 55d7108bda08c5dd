"""subscribe_investment and redeem_investment (spec/crypto.md 8.9, 8.10) through HTTP with
the worked examples digit for digit, their refusals, and the operator's investments (11.8)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import httpx
import pytest

from orderdesk.platform.clock import ManualClock
from tests.crypto.conftest import Operator, Partner, assert_error, invalid
from tests.crypto.ordering import confirm, create, created, latest_code

REQUIRED = "This field is required but was not found in the request."
EXPIRES = "2026-05-06T00:15:27.123456+00:00"
NOW = "2026-05-06T00:14:27.123456+00:00"


async def set_token_price(client: httpx.AsyncClient, price: str, investment: str = "aEthUSDC") -> None:
    """Arrange a token price: anchor it at `price` now with a zero APY, so P(t) = price."""
    runtime = client.runtime  # type: ignore[attr-defined]
    async with runtime.db.transaction() as conn:
        await conn.execute(
            "UPDATE crypto_investments SET anchor_price = :price, anchor_at = :now, apy = :zero WHERE id = :id",
            {"price": Decimal(price), "now": runtime.clock.now(), "zero": Decimal(0), "id": investment},
        )


async def principal(client: httpx.AsyncClient, customer_id: str) -> Decimal:
    runtime = client.runtime  # type: ignore[attr-defined]
    row = await runtime.db.fetchrow(
        "SELECT principal FROM crypto_positions WHERE customer_id = :id", {"id": customer_id}
    )
    return row["principal"]


async def accounts(partner: Partner, customer_id: str) -> dict[str, str]:
    listed = (await partner.get(f"/customers/{customer_id}/accounts")).json()["accounts"]
    return {a["currency"]: a["amount"] for a in listed}


def subscribe(
    amount: str | None = "1000", investment: str = "aEthUSDC", currency: str = "USDC", **node: Any
) -> dict[str, Any]:
    asset: dict[str, Any] = {"currency": currency}
    if amount is not None:
        asset["amount"] = amount
    return {
        "operation": "subscribe_investment",
        "asset": asset,
        "subscribe_investment": {"investment": {"id": investment}, **node},
    }


def redeem(amount: str | None = None, full: bool | None = None, **node: Any) -> dict[str, Any]:
    asset: dict[str, Any] = {"currency": "USDC"}
    if amount is not None:
        asset["amount"] = amount
    investment: dict[str, Any] = {"id": "aEthUSDC"}
    if full is not None:
        investment["full_amount"] = full
    return {"operation": "redeem_investment", "asset": asset, "redeem_investment": {"investment": investment, **node}}


async def subscribed(client: httpx.AsyncClient, operator: Operator, partner: Partner, customer_id: str) -> None:
    """The position of the 8.10 example: H = 975.490196, W = 995 (8.9's example confirmed)."""
    await operator.deposit(customer_id, "USDC", "1000")
    await set_token_price(client, "1.02")
    order = await created(partner, customer_id, subscribe(commission={"type": "percentage", "value": "0.5"}))
    assert (await confirm(partner, customer_id, order["id"])).status_code == 200


# ---------------------------------------------------------------------- worked examples


async def test_subscribe_example(
    client: httpx.AsyncClient, operator: Operator, partner: Partner, customer: dict[str, Any]
) -> None:
    cid = customer["id"]
    await operator.deposit(cid, "USDC", "1000")
    await set_token_price(client, "1.02")
    order = await created(partner, cid, subscribe(commission={"type": "percentage", "value": "0.5"}))
    assert order["asset"] == {"currency": "USDC", "amount": "1000"}
    assert order["subscribe_investment"] == {
        "investment": {"id": "aEthUSDC", "amount": "975.490196"},
        "fees": [
            {
                "source": "partner_commission",
                "type": "percentage",
                "value": "0.5",
                "mode": "deducted",
                "base_amount": "1000",
                "base_operation": "subscription",
                "amount": "5",
            }
        ],
        "expires_at": EXPIRES,
        "requires_confirmation_code": False,
    }
    done = (await confirm(partner, cid, order["id"])).json()
    assert done["state"] == "completed"
    assert await accounts(partner, cid) == {"USDC": "0", "aEthUSDC": "975.490196"}
    assert await principal(client, cid) == Decimal("995")
    ops_partner = (await operator.request("GET", f"/crypto/partners/{partner.id}")).json()
    assert ops_partner["balances"]["commission"] == [{"currency": "USDC", "amount": "5"}]
    assert (await operator.ledger_check())["balanced"]


async def test_subscribe_without_commission_has_no_fees(
    client: httpx.AsyncClient, operator: Operator, partner: Partner, customer: dict[str, Any]
) -> None:
    await operator.deposit(customer["id"], "USDC", "10")
    await set_token_price(client, "1.02")
    order = await created(partner, customer["id"], subscribe("10"))
    assert order["subscribe_investment"]["investment"] == {"id": "aEthUSDC", "amount": "9.803921"}
    assert "fees" not in order["subscribe_investment"]


async def test_redeem_partial_example(
    client: httpx.AsyncClient, operator: Operator, partner: Partner, customer: dict[str, Any]
) -> None:
    cid = customer["id"]
    await subscribed(client, operator, partner, cid)
    await set_token_price(client, "1.05")
    order = await created(partner, cid, redeem("500", commission={"type": "percentage", "value": "0.5"}))
    assert order["asset"] == {"currency": "USDC", "amount": "500"}
    assert order["redeem_investment"] == {
        "investment": {"id": "aEthUSDC", "amount": "479.961604", "full_amount": False},
        "fees": [
            {
                "source": "lirium_commission",
                "type": "earnings_percentage",
                "value": "10",
                "mode": "deducted",
                "base_amount": "14.398848",
                "base_operation": "earnings",
                "amount": "1.439885",
            },
            {
                "source": "partner_commission",
                "type": "percentage",
                "value": "0.5",
                "mode": "deducted",
                "base_amount": "503.959684",
                "base_operation": "redemption",
                "amount": "2.519799",
            },
        ],
        "expires_at": EXPIRES,
        "requires_confirmation_code": False,
    }
    assert (await confirm(partner, cid, order["id"])).json()["state"] == "completed"
    assert await accounts(partner, cid) == {"USDC": "500", "aEthUSDC": "495.528592"}
    assert await principal(client, cid) == Decimal("505.439164")
    assert (await operator.ledger_check())["balanced"]


async def test_redeem_full_example(
    client: httpx.AsyncClient, operator: Operator, partner: Partner, customer: dict[str, Any]
) -> None:
    cid = customer["id"]
    await subscribed(client, operator, partner, cid)
    await set_token_price(client, "1.05")
    body = {
        "operation": "redeem_investment",
        "asset": {"currency": "USDC"},
        "redeem_investment": {
            "investment": {"id": "aEthUSDC", "full_amount": True},
            "commission": {"type": "earnings_percentage", "value": "5"},
        },
    }
    order = await created(partner, cid, body)
    assert order == {
        "id": order["id"],
        "customer_id": cid,
        "reference_id": None,
        "operation": "redeem_investment",
        "state": "pending",
        "cancel_reason": None,
        "customer": None,
        "asset": {"currency": "USDC", "amount": "1019.874998"},
        "redeem_investment": {
            "investment": {"id": "aEthUSDC", "amount": "975.490196", "full_amount": True},
            "fees": [
                {
                    "source": "lirium_commission",
                    "type": "earnings_percentage",
                    "value": "10",
                    "mode": "deducted",
                    "base_amount": "29.264705",
                    "base_operation": "earnings",
                    "amount": "2.926471",
                },
                {
                    "source": "partner_commission",
                    "type": "earnings_percentage",
                    "value": "5",
                    "mode": "deducted",
                    "base_amount": "29.264705",
                    "base_operation": "earnings",
                    "amount": "1.463236",
                },
            ],
            "expires_at": EXPIRES,
            "requires_confirmation_code": True,
        },
        "created_at": NOW,
        "submitted_at": None,
        "last_updated_at": NOW,
    }
    code = await latest_code(operator, "ana.gomez@example.com", order["id"])
    assert (await confirm(partner, cid, order["id"], {"confirmation_code": code})).json()["state"] == "completed"
    assert await accounts(partner, cid) == {"USDC": "1019.874998", "aEthUSDC": "0"}
    assert await principal(client, cid) == Decimal(0)
    assert (await operator.ledger_check())["balanced"]


async def test_token_price_accrues_with_the_apy(
    client: httpx.AsyncClient, clock: ManualClock, operator: Operator, partner: Partner, customer: dict[str, Any]
) -> None:
    runtime = client.runtime  # type: ignore[attr-defined]
    async with runtime.db.transaction() as conn:
        await conn.execute(
            "UPDATE crypto_investments SET anchor_price = :one, anchor_at = :now, apy = :apy",
            {"one": Decimal(1), "now": clock.now(), "apy": Decimal("4.00")},
        )
    clock.advance(days=365)
    await operator.deposit(customer["id"], "USDC", "104")
    order = await created(partner, customer["id"], subscribe("104"))
    assert order["subscribe_investment"]["investment"]["amount"] == "100"  # P = 1.04 after one year


# ---------------------------------------------------------------------- refusals


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (subscribe(investment="XYZ"), "{'subscribe_investment': {'investment': {'id': ['Unknown investment XYZ.']}}}"),
        (subscribe(currency="USDT"), "{'asset': {'currency': ['Must be USDC for investment aEthUSDC.']}}"),
        (subscribe(amount=None), f"{{'asset': {{'amount': ['{REQUIRED}']}}}}"),
        (subscribe("1.0000001"), "{'asset': {'amount': ['Too many decimal places for USDC (maximum 6).']}}"),
        (
            subscribe(commission={"type": "earnings_percentage", "value": "1"}),
            "{'subscribe_investment': {'commission': {'type': ['Must be one of: percentage, fixed.']}}}",
        ),
        (
            {
                "operation": "subscribe_investment",
                "asset": {"currency": "USDC", "amount": "5"},
                "subscribe_investment": {"investment": {}},
            },
            f"{{'subscribe_investment': {{'investment': {{'id': ['{REQUIRED}']}}}}}}",
        ),
        (subscribe("0.5"), "asset.amount is below the minimum subscription amount (1 USDC)"),
        (
            subscribe("5", commission={"type": "fixed", "value": "5"}),
            "The commission must be lower than the order amount",
        ),
        (
            {"operation": "redeem_investment", "asset": {"currency": "USDC", "amount": "5"}, "redeem_investment": {}},
            f"{{'redeem_investment': {{'investment': ['{REQUIRED}']}}}}",
        ),
        (
            redeem("5", commission={"type": "flat", "value": "1"}),
            "{'redeem_investment': {'commission': {'type': ['Must be one of: earnings_percentage, percentage, fixed.']}}}",  # noqa: E501
        ),
        (
            redeem(full=True, commission={"type": "percentage", "value": "1.00001"}),
            "{'redeem_investment': {'commission': {'value': ['Too many decimal places (maximum 4).']}}}",
        ),
        (redeem(full="yes"), "{'redeem_investment': {'investment': {'full_amount': ['Not a valid boolean.']}}}"),
        (redeem(), "asset.amount or investment.full_amount is required"),
        (redeem(full=False), "asset.amount or investment.full_amount is required"),
        (redeem("5", full=True), "Either asset.amount or investment.full_amount can be sent, but not both"),
        (redeem("0.5"), "asset.amount is below the minimum redemption amount (1 USDC)"),
    ],
)
async def test_investment_messages(
    partner: Partner, customer: dict[str, Any], body: dict[str, Any], message: str
) -> None:
    invalid(await create(partner, customer["id"], body), message)


async def test_investment_limits_and_funds(
    client: httpx.AsyncClient, operator: Operator, partner: Partner, customer: dict[str, Any]
) -> None:
    cid = customer["id"]
    assert_error(
        await create(partner, cid, subscribe("200000.5")),
        400,
        "quote_amount_too_high",
        max_amount="200000",
        requested_amount="200000.5",
    )
    assert_error(
        await create(partner, cid, subscribe("100")),
        400,
        "insufficient_funds",
        "The customer's USDC balance is insufficient for this order",
    )
    assert_error(
        await create(partner, cid, redeem("5")),
        400,
        "insufficient_funds",
        "The customer's aEthUSDC balance is insufficient for this order",
    )
    assert_error(await create(partner, cid, redeem(full=True)), 400, "insufficient_funds")
    await subscribed(client, operator, partner, cid)
    await set_token_price(client, "1.05")
    assert_error(await create(partner, cid, redeem("1025")), 400, "insufficient_funds")
    assert_error(
        await create(partner, cid, redeem("1021")),
        400,
        "full_amount_required",
        "The remaining position would be below the minimum redemption amount (1 USDC); redeem the full amount",
    )
    invalid(
        await create(partner, cid, redeem(full=True, commission={"type": "fixed", "value": "1100"})),
        "The order amount is too small",
    )
    await put_investment(operator, "aEthUSDC", redemption={"min_amount": "1", "max_amount": "100"})
    assert_error(
        await create(partner, cid, redeem("500")),
        400,
        "quote_amount_too_high",
        max_amount="100",
        requested_amount="500",
    )


async def test_investment_permissions(
    client: httpx.AsyncClient, operator: Operator, partner: Partner, customer: dict[str, Any]
) -> None:
    cid = customer["id"]
    await subscribed(client, operator, partner, cid)
    no_commission = await operator.partner("No commission", key_index=2, redemption_commission_enabled=False)
    own = await no_commission.customer(reference_id="nc")
    assert_error(
        await create(no_commission, own["id"], redeem(full=True, commission={"type": "fixed", "value": "1"})),
        400,
        "operation_forbidden",
        "Partner commission on redemptions is not enabled for this partner",
    )
    no_product = await operator.partner("No investments", key_index=3, products=["crypto_buy_sell"])
    other = await no_product.customer(reference_id="np")
    assert_error(
        await create(no_product, other["id"], subscribe()),
        400,
        "operation_forbidden",
        "Product investments is not active for this customer",
    )
    await operator.request("PATCH", f"/crypto/customers/{cid}", json={"state": "closing"})
    assert_error(
        await create(partner, cid, subscribe("5")),
        400,
        "operation_forbidden",
        "Customer state closing does not allow subscribe_investment orders",
    )
    await created(partner, cid, redeem(full=True))  # closing customers may redeem
    await put_investment(operator, "aEthUSDC", enabled=False)
    assert_error(
        await create(partner, cid, redeem(full=True)), 400, "operation_forbidden", "Investment aEthUSDC is not enabled"
    )


# ---------------------------------------------------------------------- operator (11.8)

INVESTMENT = {
    "name": "Aave Ethereum USDC",
    "quote_asset": "USDC",
    "network": "ethereum",
    "provider_id": "aave",
    "subscription": {"min_amount": "1", "max_amount": "200000"},
    "redemption": {"min_amount": "1", "max_amount": "0"},
    "fee": {"type": "earnings_percentage", "value": "10"},
    "apy": "4.00",
}


async def put_investment(operator: Operator, investment_id: str, **changes: Any) -> dict[str, Any]:
    response = await operator.request("PUT", f"/crypto/investments/{investment_id}", json={**INVESTMENT, **changes})
    assert response.status_code in (200, 201), response.text
    return response.json()


async def test_operator_creates_and_replaces_an_investment(
    clock: ManualClock, operator: Operator, partner: Partner
) -> None:
    response = await operator.request(
        "PUT",
        "/crypto/investments/aPolUSDT",
        json={**INVESTMENT, "name": "Aave Polygon USDT", "quote_asset": "USDT", "network": "polygon", "apy": "5"},
    )
    assert response.status_code == 201, response.text
    created_view = response.json()
    assert created_view == {
        "id": "aPolUSDT",
        "name": "Aave Polygon USDT",
        "quote_asset": "USDT",
        "network": "polygon",
        "provider_id": "aave",
        "enabled": True,
        "decimal_places": 6,
        "subscription": {"min_amount": "1", "max_amount": "200000"},
        "redemption": {"min_amount": "1", "max_amount": "0"},
        "fee": {"type": "earnings_percentage", "value": "10"},
        "rate": {"apy": "5.00", "token_price": "1.00", "updated_at": NOW},
    }
    listed = (await partner.get("/partner")).json()["available_investments"]
    assert [i["id"] for i in listed] == ["aEthUSDC", "aPolUSDT"]
    clock.advance(days=365)
    same_apy = await put_investment(
        operator, "aPolUSDT", quote_asset="USDT", network="polygon", apy="5", name="Renamed"
    )
    assert same_apy["name"] == "Renamed" and same_apy["rate"]["token_price"] == "1.05"
    assert same_apy["rate"]["updated_at"] == NOW
    clock.advance(days=365)
    changed = await put_investment(operator, "aPolUSDT", quote_asset="USDT", network="polygon", apy="10")
    assert changed["rate"] == {
        "apy": "10.00",
        "token_price": "1.1025",
        "updated_at": "2028-05-05T00:14:27.123456+00:00",
    }
    clock.advance(days=365)
    later = await put_investment(operator, "aPolUSDT", quote_asset="USDT", network="polygon", apy="10")
    assert later["rate"]["token_price"] == "1.21275"  # re-anchored: 1.1025 × 1.10, no jump


@pytest.mark.parametrize(
    ("path", "body", "status", "message"),
    [
        ("a", INVESTMENT, 404, "Resource not found"),
        ("BTC", INVESTMENT, 404, "Resource not found"),
        (
            "aEthUSDC",
            {**INVESTMENT, "quote_asset": "USDT"},
            400,
            "{'quote_asset': ['Cannot be changed once the investment exists.']}",
        ),
        (
            "aEthUSDC",
            {**INVESTMENT, "decimal_places": 8},
            400,
            "{'decimal_places': ['Cannot be changed once the investment exists.']}",
        ),
        ("newInv", {**INVESTMENT, "quote_asset": "XYZ"}, 400, "{'quote_asset': ['Unknown currency XYZ.']}"),
        ("newInv", {**INVESTMENT, "network": "bitcoin"}, 400, "{'network': ['Must be one of: ethereum, polygon.']}"),
        (
            "newInv",
            {**INVESTMENT, "apy": "100.5", "fee": {"type": "flat", "value": "100"}, "extra": 1},
            400,
            "{'apy': ['Must be between 0 and 100.'], 'extra': ['Unknown field.'], "
            "'fee': {'type': ['Must be one of: earnings_percentage.'], "
            "'value': ['Must be greater than or equal to 0 and less than 100.']}}",
        ),
        (
            "newInv",
            {
                **INVESTMENT,
                "subscription": {"min_amount": "0", "max_amount": "1.0000001"},
                "redemption": {"min_amount": "5", "max_amount": "2"},
            },
            400,
            "{'redemption': {'max_amount': ['Must be 0 or greater than or equal to min_amount.']}, "
            "'subscription': {'max_amount': ['Too many decimal places for USDC (maximum 6).'], "
            "'min_amount': ['Must be greater than 0.']}}",
        ),
        (
            "newInv",
            {"name": "x"},
            400,
            f"{{'apy': ['{REQUIRED}'], 'fee': ['{REQUIRED}'], 'network': ['{REQUIRED}'], 'provider_id': ['{REQUIRED}'], "  # noqa: E501
            f"'quote_asset': ['{REQUIRED}'], 'redemption': ['{REQUIRED}'], 'subscription': ['{REQUIRED}']}}",
        ),
    ],
)
async def test_operator_investment_errors(
    operator: Operator, path: str, body: dict[str, Any], status: int, message: str
) -> None:
    response = await operator.request("PUT", f"/crypto/investments/{path}", json=body)
    assert_error(response, status, "not_found" if status == 404 else "invalid_parameters", message)
