"""The shared mail outbox (spec 11.11), operator routing answers, unexpected failures (3.7)
and the event records (9.2)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
import pytest

from orderdesk.crypto import events
from orderdesk.platform import mail
from tests.conftest import OPS_HEADERS
from tests.crypto.conftest import BASE, Operator, Partner, assert_error, invalid


async def _send(client: httpx.AsyncClient, to: str, subject: str, seconds: int) -> str:
    runtime = client.runtime  # type: ignore[attr-defined]
    async with runtime.db.transaction() as conn:
        return await mail.send(
            conn,
            to=to,
            subject=subject,
            body=f"{subject} body",
            now=runtime.clock.now() + timedelta(seconds=seconds),
            deliver=False,
        )


async def test_mail_outbox_newest_first_filtered_by_address(client: httpx.AsyncClient, operator: Operator) -> None:
    first = await _send(client, "Ana.Gomez@example.com", "one", 0)
    second = await _send(client, "bob@example.com", "two", 1)
    third = await _send(client, "ana.gomez@example.com", "three", 2)
    everything = (await operator.request("GET", "/mail")).json()["messages"]
    assert [m["id"] for m in everything] == [third, second, first]
    assert everything[0] == {
        "id": third,
        "to": "ana.gomez@example.com",
        "subject": "three",
        "body": "three body",
        "sent_at": "2026-05-06T00:14:29.123456+00:00",
    }
    ana = (await operator.request("GET", "/mail", params={"to": "ANA.GOMEZ@example.com"})).json()["messages"]
    assert [m["id"] for m in ana] == [third, first] and ana[1]["to"] == "Ana.Gomez@example.com"
    limited = (await operator.request("GET", "/mail", params={"limit": 1})).json()["messages"]
    assert [m["id"] for m in limited] == [third]
    assert (await operator.request("GET", "/mail", params={"to": "nobody@example.com"})).json() == {"messages": []}


async def test_mail_outbox_errors(client: httpx.AsyncClient, operator: Operator) -> None:
    for limit in ("0", "101", "-1"):
        invalid(
            await operator.request("GET", "/mail", params={"limit": limit}), "{'limit': ['Must be between 1 and 100.']}"
        )
    invalid(await operator.request("GET", "/mail", params={"limit": "x"}), "{'limit': ['Not a valid integer.']}")
    assert_error(await client.get("/ops/v1/mail"), 401, "unauthorized", "Missing or invalid operator token")


async def test_operator_routing_answers_in_the_crypto_envelope(client: httpx.AsyncClient) -> None:
    assert_error(
        await client.get("/ops/v1/crypto/nowhere", headers=OPS_HEADERS), 404, "not_found", "Resource not found"
    )
    response = await client.delete("/ops/v1/crypto/ledger/check", headers=OPS_HEADERS)
    assert_error(response, 405, "method_not_allowed", "Method not allowed")
    assert response.headers["allow"] == "GET"
    assert_error(
        await client.post("/ops/v1/crypto/partners", content=b"{", headers=OPS_HEADERS),
        400,
        "body_parse_error",
        "Request body is not a valid JSON object",
    )


async def test_an_unexpected_failure_is_a_500_envelope_and_rolls_back(
    client: httpx.AsyncClient, partner: Partner, monkeypatch: pytest.MonkeyPatch
) -> None:
    from orderdesk.crypto import customers

    async def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("boom")

    monkeypatch.setattr(customers, "snapshot", broken)
    response = await partner.post(
        "/customers",
        json={
            "reference_id": "r1",
            "profile": {
                "first_name": "A",
                "last_name": "B",
                "date_of_birth": "1990-01-01",
                "national_id_country": "MX",
                "national_id_type": "other",
                "national_id": "1",
                "citizenship": "MX",
                "address_line1": "x",
                "city": "x",
                "state": "x",
                "country": "MX",
                "zip_code": "1",
                "tax_country": "MX",
                "tax_id": "1",
            },
            "contact": {"email": "a@b.co"},
        },
    )
    assert_error(response, 500, "internal_error", "Internal server error")
    monkeypatch.undo()
    assert (await partner.get("/customers")).json() == {"customers": [], "total": 0}


async def test_events_keep_creation_order_and_fixed_bodies(client: httpx.AsyncClient, partner: Partner) -> None:
    runtime = client.runtime  # type: ignore[attr-defined]
    async with runtime.db.transaction() as conn:
        first = await events.emit(conn, partner.id, "order-created", {"order": {"id": "x"}}, runtime.clock.now())
        second = await events.emit(conn, partner.id, "order-closed", {"order": {"id": "x"}}, runtime.clock.now())
        with pytest.raises(ValueError):
            await events.emit(conn, partner.id, "order-exploded", {}, runtime.clock.now())
        recorded = await events.recorded(conn, partner.id)
        raw = await conn.fetchval("SELECT body FROM crypto_events WHERE id = :id", {"id": first})
    assert [e["id"] for e in recorded] == [first, second]
    assert recorded[0] == {
        "id": first,
        "action": "order-created",
        "created_at": "2026-05-06T00:14:27.123456+00:00",
        "order": {"id": "x"},
    }
    assert (
        bytes(raw) == b'{"id":"' + first.encode() + b'","action":"order-created","created_at":'
        b'"2026-05-06T00:14:27.123456+00:00","order":{"id":"x"}}'
    )


async def test_partner_balances_format_each_currency(
    client: httpx.AsyncClient, operator: Operator, partner: Partner
) -> None:
    from decimal import Decimal

    from orderdesk.crypto import ledger, postings

    runtime = client.runtime  # type: ignore[attr-defined]
    async with runtime.db.transaction() as conn:
        await ledger.post(
            conn,
            [
                postings.Entry(postings.COMMISSION, partner.id, "BTC", Decimal("0.00005000")),
                postings.house(postings.HOUSE_TRADING, "BTC", Decimal("-0.00005")),
            ],
            kind="swap",
            order_id=None,
            now=runtime.clock.now(),
        )
    shown = (await operator.request("GET", f"/crypto/partners/{partner.id}")).json()
    assert shown["balances"]["commission"] == [{"currency": "BTC", "amount": "0.00005"}]


async def test_public_docs_need_no_token(client: httpx.AsyncClient) -> None:
    assert (await client.get(BASE + "/openapi.json")).status_code == 200


async def test_remaining_field_messages(operator: Operator, partner: Partner) -> None:
    from tests.crypto.conftest import customer_body, rsa_key
    from tests.crypto.test_documents_kyc import form

    invalid(
        await partner.post(
            "/customers", json=customer_body(contact={"email": "a@b.co", "cellphone": "+12345678901234567"})
        ),
        "{'contact': {'cellphone': ['Length must be between 1 and 16.']}}",
    )
    customer = await partner.customer()
    upload = form(extra_part="x")
    invalid(
        await partner.post(f"/customers/{customer['id']}/documents", **upload), "{'extra_part': ['Unknown field.']}"
    )
    invalid(
        await operator.request(
            "POST",
            "/crypto/partners",
            json={"name": "x", "public_key_pem": rsa_key(0)[1], "scopes": [7], "settlement_currencies": "USD"},
        ),
        "{'scopes': {0: ['Not a valid string.']}, 'settlement_currencies': ['Not a valid list.']}",
    )
    invalid(
        await operator.request(
            "PUT",
            "/crypto/assets/XYZ",
            json={"decimal_places": "8", "allowed_operations": "buy", "networks": ["bitcoin"]},
        ),
        "{'allowed_operations': ['Not a valid list.'], 'decimal_places': ['Not a valid integer.'], "
        "'networks': {0: ['Not a valid object.']}}",
    )
    invalid(
        await operator.request(
            "PUT",
            "/crypto/assets/XYZ",
            json={"decimal_places": 2, "allowed_operations": [], "networks": [{"send_fee": "1", "fee": "2"}]},
        ),
        "{'networks': {0: {'fee': ['Unknown field.'], "
        "'network': ['This field is required but was not found in the request.']}}}",
    )
