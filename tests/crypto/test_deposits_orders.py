"""Operator deposits (spec 11.5) creating completed receive orders (8.11), the accounts they
fund (6.1), order reads (8.14) and the ledger check (11.10)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest

from orderdesk.crypto import ledger, postings
from orderdesk.crypto.orders.view import effective_state
from tests.crypto.conftest import Operator, Partner, assert_error, invalid
from tests.crypto.test_customers import recorded_events

TX = "c3e123bca686f904a1d9b16a9d4c692141d749ec4e04a6dcc78e3b0f5a9b9e8f"
NOW = "2026-05-06T00:14:27.123456+00:00"


async def deposit(operator: Operator, customer_id: str, body: dict[str, Any]) -> httpx.Response:
    return await operator.request("POST", f"/crypto/customers/{customer_id}/deposits", json=body)


async def test_deposit_creates_a_completed_receive_order(
    client: httpx.AsyncClient, operator: Operator, partner: Partner, customer: dict[str, Any]
) -> None:
    response = await deposit(
        operator,
        customer["id"],
        {"currency": "USDC", "amount": "1500", "network": "polygon", "tx_hash": TX, "fee": "0"},
    )
    assert response.status_code == 201, response.text
    order = response.json()
    assert re.fullmatch(r"[0-9a-f]{32}", order["id"])
    assert order == {
        "id": order["id"],
        "customer_id": customer["id"],
        "reference_id": None,
        "operation": "receive",
        "state": "completed",
        "cancel_reason": None,
        "customer": None,
        "asset": {"currency": "USDC", "amount": "1500"},
        "receive": {"origin": {"type": "blockchain_transaction", "value": TX, "amount": "1500", "network": "polygon"}},
        "created_at": NOW,
        "submitted_at": NOW,
        "last_updated_at": NOW,
    }
    assert (await partner.get(f"/customers/{customer['id']}/orders/{order['id']}")).json() == order
    accounts = (await partner.get(f"/customers/{customer['id']}/accounts")).json()
    assert accounts == {"accounts": [{"currency": "USDC", "amount": "1500"}]}
    events = await recorded_events(client, partner.id)
    assert [e["action"] for e in events] == ["order-created", "incoming-funds", "order-closed"]
    assert all(e["order"] == order for e in events)


async def test_deposit_fee_goes_to_house_fees(operator: Operator, partner: Partner, customer: dict[str, Any]) -> None:
    order = (await deposit(operator, customer["id"], {"currency": "BTC", "amount": "0.5", "fee": "0.0001"})).json()
    assert order["asset"] == {"currency": "BTC", "amount": "0.4999"}
    assert order["receive"]["origin"]["amount"] == "0.5" and order["receive"]["origin"]["network"] == "bitcoin"
    assert re.fullmatch(r"[0-9a-f]{64}", order["receive"]["origin"]["value"])
    check = await operator.ledger_check()
    assert check == {"balanced": True, "postings": 1, "mismatches": []}


async def test_accounts_sorted_and_zero_balances_stay(
    client: httpx.AsyncClient, operator: Operator, partner: Partner, customer: dict[str, Any]
) -> None:
    assert (await partner.get(f"/customers/{customer['id']}/accounts")).json() == {"accounts": []}
    await operator.deposit(customer["id"], "USDT", "20")
    await operator.deposit(customer["id"], "ETH", "1.000000000000000001", network="ethereum")
    await operator.deposit(customer["id"], "BTC", "0.15145595")
    runtime = client.runtime  # type: ignore[attr-defined]
    async with runtime.db.transaction() as conn:  # empty the USDT account the way a sell would
        await ledger.post(
            conn,
            [
                postings.customer(customer["id"], "USDT", Decimal("-20")),
                postings.house(postings.HOUSE_TRADING, "USDT", Decimal("20")),
            ],
            kind="test",
            order_id=None,
            now=runtime.clock.now(),
        )
    accounts = (await partner.get(f"/customers/{customer['id']}/accounts")).json()["accounts"]
    assert accounts == [
        {"currency": "BTC", "amount": "0.15145595"},
        {"currency": "ETH", "amount": "1.000000000000000001"},
        {"currency": "USDT", "amount": "0"},
    ]


async def test_deposit_errors(operator: Operator, customer: dict[str, Any]) -> None:
    cid = customer["id"]
    cases = [
        (
            {},
            "{'amount': ['This field is required but was not found in the request.'], "
            "'currency': ['This field is required but was not found in the request.']}",
        ),
        (
            {"currency": "USDC", "amount": 5, "memo": "x", "tx_hash": ""},
            "{'amount': ['Not a valid string.'], 'memo': ['Unknown field.'], "
            "'tx_hash': ['Length must be between 1 and 128.']}",
        ),
        ({"currency": "XYZ", "amount": "1"}, "{'currency': ['Unknown currency XYZ.']}"),
        ({"currency": "btc", "amount": "1"}, "{'currency': ['Unknown currency btc.']}"),
        (
            {"currency": "USDC", "amount": "1"},
            "{'network': ['This field is required but was not found in the request.']}",
        ),
        (
            {"currency": "USDC", "amount": "1", "network": "bitcoin"},
            "{'network': ['Must be one of: ethereum, polygon.']}",
        ),
        (
            {"currency": "BTC", "amount": "0.123456789", "fee": "0.000000001"},
            "{'amount': ['Too many decimal places for BTC (maximum 8).'], "
            "'fee': ['Too many decimal places for BTC (maximum 8).']}",
        ),
        ({"currency": "BTC", "amount": "1", "fee": "1"}, "{'fee': ['Must be less than amount.']}"),
        (
            {"currency": "BTC", "amount": "0", "fee": "-1"},
            "{'amount': ['Must be greater than 0.'], 'fee': ['Not a valid decimal.']}",
        ),
        (
            {"currency": "BTC", "amount": "1", "tx_hash": "tx\u00e9"},
            "{'tx_hash': ['Must contain printable ASCII characters only.']}",
        ),
    ]
    for body, message in cases:
        invalid(await deposit(operator, cid, body), message)


async def test_duplicate_tx_hash_is_a_conflict(operator: Operator, customer: dict[str, Any], partner: Partner) -> None:
    body = {"currency": "USDC", "amount": "10", "network": "polygon", "tx_hash": TX}
    assert (await deposit(operator, customer["id"], body)).status_code == 201
    other = await partner.customer(reference_id="other")
    assert_error(
        await deposit(operator, other["id"], body), 409, "conflict", f"tx_hash '{TX}' has already been deposited"
    )
    # the same hash on another network or currency is another transaction
    assert (await deposit(operator, customer["id"], {**body, "network": "ethereum"})).status_code == 201
    assert (await deposit(operator, customer["id"], {**body, "currency": "USDT"})).status_code == 201
    assert (await operator.ledger_check())["postings"] == 3


async def test_deposit_forbidden_for_closed_customers_and_assets_without_receive(
    operator: Operator, customer: dict[str, Any]
) -> None:
    path = f"/crypto/customers/{customer['id']}"
    await operator.request("PATCH", path, json={"state": "banned"})
    assert (await deposit(operator, customer["id"], {"currency": "BTC", "amount": "1"})).status_code == 201
    await operator.request(
        "PUT",
        "/crypto/assets/BTC",
        json={
            "decimal_places": 8,
            "allowed_operations": ["buy", "sell"],
            "networks": [{"network": "bitcoin", "send_fee": "0.00005"}],
        },
    )
    assert_error(
        await deposit(operator, customer["id"], {"currency": "BTC", "amount": "1"}),
        400,
        "operation_forbidden",
        "Asset BTC does not allow the receive operation",
    )
    empty = await operator.request("GET", "/crypto/ledger/check")
    assert empty.json()["balanced"] is True


async def test_deposit_to_a_closed_customer(operator: Operator, customer: dict[str, Any]) -> None:
    path = f"/crypto/customers/{customer['id']}"
    await operator.request("PATCH", path, json={"state": "closing"})
    await operator.request("PATCH", path, json={"state": "closed"})
    assert_error(
        await deposit(operator, customer["id"], {"currency": "BTC", "amount": "1"}),
        400,
        "operation_forbidden",
        "Customer state closed does not allow receive orders",
    )
    assert_error(
        await deposit(operator, "0" * 32, {"currency": "BTC", "amount": "1"}), 404, "not_found", "Customer not found"
    )


# --------------------------------------------------------------------------- order reads


async def test_order_list_filters_and_pages(
    client: httpx.AsyncClient, operator: Operator, partner: Partner, customer: dict[str, Any]
) -> None:
    clock = client.runtime.clock  # type: ignore[attr-defined]
    made = []
    for amount in ("1", "2", "3"):
        made.append(await operator.deposit(customer["id"], "BTC", amount))
        clock.advance(seconds=1)
    path = f"/customers/{customer['id']}/orders"
    listed = (await partner.get(path)).json()
    assert listed["total"] == 3 and listed["orders"] == list(reversed(made))
    assert (await partner.get(path, params={"limit": 1, "offset": 1})).json() == {"orders": [made[1]], "total": 3}
    assert (await partner.get(path, params={"state": "completed", "operation": "receive"})).json()["total"] == 3
    for params in ({"state": "pending"}, {"state": "cancelled"}, {"operation": "buy"}, {"reference_id": "x"}):
        assert (await partner.get(path, params=params)).json() == {"orders": [], "total": 0}


async def test_order_list_query_errors(partner: Partner, customer: dict[str, Any]) -> None:
    path = f"/customers/{customer['id']}/orders"
    invalid(
        await partner.get(path, params={"state": "done", "operation": "mint", "limit": "0"}),
        "{'limit': ['Must be between 1 and 100.'], "
        "'operation': ['Must be one of: buy, sell, swap, send, subscribe_investment, redeem_investment, "
        "receive.'], "
        "'state': ['Must be one of: pending, processing, completed, cancelled.']}",
    )


async def test_orders_of_other_customers_are_not_found(
    operator: Operator, partner: Partner, rival: Partner, customer: dict[str, Any]
) -> None:
    mine = await operator.deposit(customer["id"], "BTC", "1")
    sibling = await partner.customer(reference_id="sibling")
    theirs_customer = await rival.customer()
    theirs = await operator.deposit(theirs_customer["id"], "BTC", "1")
    for customer_id, order_id in (
        (sibling["id"], mine["id"]),
        (customer["id"], theirs["id"]),
        (customer["id"], "0" * 32),
        (customer["id"], "xyz"),
    ):
        assert_error(
            await partner.get(f"/customers/{customer_id}/orders/{order_id}"), 404, "not_found", "Order not found"
        )
    assert_error(
        await partner.get(f"/customers/{theirs_customer['id']}/orders/{theirs['id']}"),
        404,
        "not_found",
        "Customer not found",
    )
    assert (await partner.get(f"/customers/{sibling['id']}/orders")).json() == {"orders": [], "total": 0}


def test_effective_state_of_an_expired_pending_order() -> None:
    expires = datetime(2026, 3, 2, 10, 16, 30, tzinfo=UTC)
    row = {
        "state": "pending",
        "expires_at": expires,
        "cancel_reason": None,
        "last_updated_at": expires - timedelta(seconds=60),
    }
    assert effective_state(row, expires - timedelta(microseconds=1)) == ("pending", None, row["last_updated_at"])
    assert effective_state(row, expires) == ("cancelled", "expired", expires)
    done = {**row, "state": "completed"}
    assert effective_state(done, expires + timedelta(days=1)) == ("completed", None, row["last_updated_at"])


# --------------------------------------------------------------------------- the ledger in the database


async def test_post_refuses_a_negative_customer_balance_and_rolls_back(
    client: httpx.AsyncClient, operator: Operator, customer: dict[str, Any]
) -> None:
    await operator.deposit(customer["id"], "BTC", "1")
    runtime = client.runtime  # type: ignore[attr-defined]
    entries = [
        postings.customer(customer["id"], "BTC", Decimal("-1.00000001")),
        postings.house(postings.HOUSE_TRADING, "BTC", Decimal("1.00000001")),
    ]
    with pytest.raises(ledger.InsufficientFunds) as caught:
        async with runtime.db.transaction() as conn:
            await ledger.post(conn, entries, kind="test", order_id=None, now=runtime.clock.now())
    assert caught.value.currency == "BTC" and caught.value.account == f"customer:{customer['id']}:BTC"
    check = await operator.ledger_check()
    assert check == {"balanced": True, "postings": 1, "mismatches": []}
    async with runtime.db.transaction() as conn:
        posted = await ledger.post(
            conn,
            [
                postings.customer(customer["id"], "BTC", Decimal("-1")),
                postings.house(postings.HOUSE_TRADING, "BTC", Decimal("1")),
            ],
            kind="test",
            order_id=None,
            now=runtime.clock.now(),
        )
        house = await ledger.balance(conn, "house:trading:BTC")  # unlocked on PostgreSQL: not in `balances`
    assert posted.balances[f"customer:{customer['id']}:BTC"] == 0
    assert house == 1


async def test_post_refuses_unbalanced_entries(client: httpx.AsyncClient, customer: dict[str, Any]) -> None:
    runtime = client.runtime  # type: ignore[attr-defined]
    with pytest.raises(ledger.UnbalancedPosting):
        async with runtime.db.transaction() as conn:
            await ledger.post(
                conn,
                [postings.customer(customer["id"], "BTC", Decimal("1"))],
                kind="test",
                order_id=None,
                now=runtime.clock.now(),
            )


async def test_house_and_settlement_accounts_may_go_negative(
    client: httpx.AsyncClient, operator: Operator, partner: Partner, customer: dict[str, Any]
) -> None:
    runtime = client.runtime  # type: ignore[attr-defined]
    entries = [
        postings.Entry(postings.SETTLEMENT, partner.id, "USD", Decimal("-985.51")),
        postings.house(postings.HOUSE_TRADING, "USD", Decimal("975.75")),
        postings.Entry(postings.COMMISSION, partner.id, "USD", Decimal("9.76")),
        postings.house(postings.HOUSE_TRADING, "BTC", Decimal("-0.015")),
        postings.customer(customer["id"], "BTC", Decimal("0.015")),
    ]
    async with runtime.db.transaction() as conn:
        await ledger.post(conn, entries, kind="buy", order_id=None, now=runtime.clock.now())
    shown = (await operator.request("GET", f"/crypto/partners/{partner.id}")).json()
    assert shown["balances"] == {
        "settlement": [{"currency": "USD", "amount": "-985.51"}],
        "commission": [{"currency": "USD", "amount": "9.76"}],
    }
    assert (await operator.ledger_check())["balanced"] is True


@pytest.mark.unbalances_ledger
async def test_ledger_check_reports_each_kind_of_mismatch(
    client: httpx.AsyncClient, operator: Operator, customer: dict[str, Any]
) -> None:
    order = await operator.deposit(customer["id"], "BTC", "1")
    runtime = client.runtime  # type: ignore[attr-defined]
    label = f"customer:{customer['id']}:BTC"
    async with runtime.db.transaction() as conn:  # corrupt the ledger behind its back
        posting_id = await conn.fetchval("SELECT id FROM crypto_postings WHERE order_id = :id", {"id": order["id"]})
        await conn.execute("UPDATE crypto_accounts SET balance = :b WHERE id = :id", {"b": Decimal("-2"), "id": label})
        await conn.execute(
            "INSERT INTO crypto_entries (posting_id, account_id, currency, amount)"
            " VALUES (:p, 'external:BTC', 'BTC', :a)",
            {"p": posting_id, "a": Decimal("0.5")},
        )
    check = await operator.ledger_check()
    assert check["balanced"] is False and check["postings"] == 1
    assert {"type": "posting_unbalanced", "posting_id": posting_id, "currency": "BTC", "sum": "0.5"} in check[
        "mismatches"
    ]
    assert {"type": "negative_balance", "account": label, "balance": "-2"} in check["mismatches"]
    assert {"type": "balance_drift", "account": label, "balance": "-2", "entries_sum": "1"} in check["mismatches"]
    assert {"type": "balance_drift", "account": "external:BTC", "balance": "-1", "entries_sum": "-0.5"} in check[
        "mismatches"
    ]


async def test_balances_with_more_digits_than_a_decimal_context_stay_exact(
    operator: Operator, partner: Partner, customer: dict[str, Any]
) -> None:
    big = "123456789012345678901.123456789012345678"  # 40 characters, 39 significant digits
    first = await operator.deposit(customer["id"], "ETH", big, network="ethereum", fee="0.000000000000000001")
    assert first["asset"]["amount"] == "123456789012345678901.123456789012345677"
    await operator.deposit(customer["id"], "ETH", big, network="ethereum")
    accounts = (await partner.get(f"/customers/{customer['id']}/accounts")).json()["accounts"]
    assert accounts == [{"currency": "ETH", "amount": "246913578024691357802.246913578024691355"}]
    assert (await operator.ledger_check()) == {"balanced": True, "postings": 2, "mismatches": []}


async def test_order_list_mixes_operations_and_filters_reference_ids_case_sensitively(
    client: httpx.AsyncClient, operator: Operator, partner: Partner, rival: Partner, customer: dict[str, Any]
) -> None:
    from tests.crypto.ordering import buy, created

    clock = client.runtime.clock  # type: ignore[attr-defined]
    received = await operator.deposit(customer["id"], "BTC", "1")
    clock.advance(seconds=1)
    bought = await created(partner, customer["id"], {**buy("BTC", "0.001"), "reference_id": "Ord-1"})
    path = f"/customers/{customer['id']}/orders"
    assert [o["id"] for o in (await partner.get(path)).json()["orders"]] == [bought["id"], received["id"]]
    assert (await partner.get(path, params={"reference_id": "Ord-1"})).json() == {"orders": [bought], "total": 1}
    assert (await partner.get(path, params={"reference_id": "ord-1"})).json() == {"orders": [], "total": 0}
    assert (await partner.get(path, params={"operation": "buy"})).json()["orders"] == [bought]
    assert (await partner.get(path, params={"operation": "receive", "state": "completed"})).json()["orders"] == [
        received
    ]
    other = await rival.customer()
    assert_error(
        await rival.get(f"/customers/{other['id']}/orders/{bought['id']}"), 404, "not_found", "Order not found"
    )
