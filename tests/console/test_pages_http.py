"""The console over HTTP without a browser: the session guard, CSRF, and every page rendering
after a day's worth of data made through the operator and partner APIs (both engines)."""

from __future__ import annotations

import re
from typing import Any

import httpx

from tests.auto.conftest import PALISADE
from tests.auto.conftest import Operator as AutoOperator
from tests.conftest import OPS_TOKEN
from tests.crypto.conftest import Operator as CryptoOperator

PAGES = (
    "/console/",
    "/console/auto/partners",
    "/console/auto/vehicles",
    "/console/auto/orders",
    "/console/crypto/partners",
    "/console/crypto/assets",
    "/console/crypto/customers",
    "/console/crypto/orders",
    "/console/crypto/authorizations",
    "/console/crypto/investments",
    "/console/crypto/mail",
    "/console/crypto/ledger",
    "/console/webhooks",
)


async def signed_in(client: httpx.AsyncClient) -> str:
    """Sign in; returns the CSRF token of the session."""
    response = await client.post("/console/signin", data={"token": OPS_TOKEN})
    assert response.status_code == 303, response.text
    cookie = response.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/console" in cookie
    assert "Secure" not in cookie  # sandbox; production sets it
    page = await client.get("/console/")
    assert page.status_code == 200
    found = re.search(r'name="csrf_token" value="([0-9a-f]+)"', page.text)
    assert found
    return found.group(1)


async def test_every_page_needs_a_session(client: httpx.AsyncClient) -> None:
    for path in (*PAGES, "/console/auto/orders/01HZZZZZZZZZZZZZZZZZZZZZZZ"):
        response = await client.get(path)
        assert response.status_code == 303 and response.headers["location"] == "/console/signin", path
    response = await client.post("/console/auto/partners", data={"name": "x"})
    assert response.status_code == 303 and response.headers["location"] == "/console/signin"
    assert (await client.get("/console/signin")).status_code == 200


async def test_wrong_token_and_forged_cookie_are_refused(client: httpx.AsyncClient) -> None:
    response = await client.post("/console/signin", data={"token": "wrong"})
    assert response.status_code == 401 and "Missing or invalid operator token" in response.text
    client.cookies.set("od_console", "eyJleHAiOjk5OTk5OTk5OTksImNzcmYiOiJ4In0.forged", path="/console")
    assert (await client.get("/console/")).status_code == 303


async def test_post_without_csrf_token_is_refused(client: httpx.AsyncClient) -> None:
    csrf = await signed_in(client)
    response = await client.post("/console/auto/partners", data={"name": "No Token Motors"})
    assert response.status_code == 403
    response = await client.post("/console/auto/partners", data={"name": "No Token Motors", "csrf_token": "0" * 32})
    assert response.status_code == 403
    listed = await AutoOperator(client).request("GET", "/partners")
    assert listed.json()["data"] == []
    response = await client.post("/console/auto/partners", data={"name": "Token Motors", "csrf_token": csrf})
    assert response.status_code == 303
    assert [p["name"] for p in (await AutoOperator(client).request("GET", "/partners")).json()["data"]] == [
        "Token Motors"
    ]


async def test_errors_are_shown_in_the_contracts_words(client: httpx.AsyncClient) -> None:
    csrf = await signed_in(client)
    auto = AutoOperator(client)
    await auto.vehicle("V-1")
    partner = await auto.partner("Harbor")
    placed = await partner.place("V-1", 17400)
    assert placed.status_code == 201, placed.text
    order_id = placed.json()["id"]
    response = await client.post(
        f"/console/auto/orders/{order_id}/transition", data={"status": "secured", "csrf_token": csrf}
    )
    assert response.status_code == 303
    page = await client.get(response.headers["location"])
    assert "409 invalid_status_transition" in page.text or "invalid_status_transition" in page.text, page.text
    response = await client.post(
        "/console/auto/vehicles/V-1/auction/result",
        data={"outcome": "won", "purchase_price_usd": "x", "csrf_token": csrf},
    )
    page = await client.get(response.headers["location"])
    assert "invalid_status_transition" in page.text


async def test_every_page_renders_with_data(client: httpx.AsyncClient) -> None:
    csrf = await signed_in(client)
    auto = AutoOperator(client)
    await auto.vehicle("V-1", {**PALISADE})
    partner = await auto.partner("<script>alert(1)</script>", webhook_url="https://example.com/hook")
    placed = await partner.place("V-1", 17400)
    assert placed.status_code == 201, placed.text
    order_id = placed.json()["id"]
    crypto = CryptoOperator(client)
    cpartner = await crypto.partner("<b>Banco</b>")
    customer = await cpartner.customer()
    deposit = await crypto.deposit(customer["id"], "USDC", "100")
    pages: list[str] = [
        *PAGES,
        f"/console/auto/partners/{partner.id}",
        "/console/auto/vehicles/V-1",
        f"/console/auto/orders/{order_id}",
        f"/console/crypto/partners/{cpartner.id}",
        f"/console/crypto/customers/{customer['id']}",
        f"/console/crypto/orders/{deposit['id']}",
    ]
    for path in pages:
        response = await client.get(path)
        assert response.status_code == 200, (path, response.text[:2000])
        assert "<script>alert(1)</script>" not in response.text and "<b>Banco</b>" not in response.text, path
        assert "script-src 'self'" in response.headers["content-security-policy"]
        assert response.headers["cache-control"] == "no-store"
    order_page = await client.get(f"/console/auto/orders/{order_id}")
    assert 'value="acquiring"' in order_page.text and 'value="secured"' not in order_page.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in (await client.get("/console/auto/partners")).text
    ledger = await client.post("/console/crypto/ledger", data={"csrf_token": csrf})
    assert "Balanced" in (await client.get(ledger.headers["location"])).text
    static = await client.get("/console/static/console.css")
    assert static.status_code == 200 and "max-age" in static.headers["cache-control"]


async def test_sign_out_ends_the_session(client: httpx.AsyncClient) -> None:
    csrf = await signed_in(client)
    response = await client.post("/console/signout", data={"csrf_token": csrf})
    assert response.status_code == 303
    assert (await client.get("/console/")).status_code == 303


async def test_production_cookie_is_secure(make_client: Any) -> None:
    client = await make_client(environment="production")
    response = await client.post("/console/signin", data={"token": OPS_TOKEN})
    assert "Secure" in response.headers["set-cookie"]


async def test_session_lasts_the_ttl_setting(make_client: Any) -> None:
    client = await make_client(console_session_ttl="15m")
    response = await client.post("/console/signin", data={"token": OPS_TOKEN})
    assert "Max-Age=900" in response.headers["set-cookie"]
    client.runtime.clock.advance(seconds=899)  # type: ignore[attr-defined]
    assert (await client.get("/console/")).status_code == 200
    client.runtime.clock.advance(seconds=2)  # type: ignore[attr-defined]
    assert (await client.get("/console/")).status_code == 303  # expired


async def flash_after(client: httpx.AsyncClient, response: httpx.Response) -> str:
    assert response.status_code == 303, response.text
    page = await client.get(response.headers["location"])
    found = re.search(r'<div class="flash[^"]*"[^>]*id="flash">(.*?)</div>', page.text, re.S)
    assert found, page.text[:500]
    return " ".join(found.group(1).split())


async def test_catalogue_and_reschedule_forms(client: httpx.AsyncClient) -> None:
    csrf = await signed_in(client)
    asset = {
        "csrf_token": csrf,
        "currency": "SOL",
        "decimal_places": "9",
        "allowed_operations": "buy, sell, send",
        "networks": "solana 0.000005\n",
        "max_order_value": "50000",
    }
    assert "Asset SOL created" in await flash_after(client, await client.post("/console/crypto/assets", data=asset))
    changed = {**asset, "decimal_places": "8"}
    words = await flash_after(client, await client.post("/console/crypto/assets", data=changed))
    assert "Cannot be changed once the asset exists." in words  # the contract's own message
    partner_view = (await client.get("/console/crypto/assets")).text
    assert "solana" in partner_view

    investment = {
        "csrf_token": csrf,
        "id": "solStake",
        "name": "SOL staking",
        "quote_asset": "SOL",
        "network": "solana",
        "provider_id": "prov-1",
        "subscription_min": "1",
        "subscription_max": "0",
        "redemption_min": "1",
        "redemption_max": "0",
        "fee_value": "10",
        "apy": "6.5",
    }
    words = await flash_after(client, await client.post("/console/crypto/investments", data=investment))
    assert "Investment solStake created" in words, words
    words = await flash_after(
        client, await client.post("/console/crypto/investments", data={**investment, "apy": "101"})
    )
    assert "Must be between 0 and 100." in words

    auto = AutoOperator(client)
    await auto.vehicle("V-1")
    partner = await auto.partner("Harbor")
    order_id = (await partner.place("V-1", 17400)).json()["id"]
    later = "2026-05-20T13:30:00+09:00"
    words = await flash_after(
        client,
        await client.post("/console/auto/vehicles/V-1/reschedule", data={"csrf_token": csrf, "auction_date": later}),
    )
    assert "Rescheduled" in words
    vehicle = (await auto.request("GET", "/vehicles/V-1")).json()
    assert vehicle["auction_date"] == later and vehicle["make"] == "Hyundai"  # other fields kept
    order = await auto.order(order_id)
    assert order["auction_date"] == later
    assert [h["actor"] for h in order["history"]] == ["partner"]  # a reschedule is no status change


async def test_crypto_partner_settings_and_waiting_documents(client: httpx.AsyncClient) -> None:
    csrf = await signed_in(client)
    crypto = CryptoOperator(client)
    partner = await crypto.partner()
    before = (await crypto.request("GET", f"/crypto/partners/{partner.id}")).json()
    form = {
        "csrf_token": csrf,
        "settlement_currencies": "EUR, USD",
        "scopes": ", ".join(before["scopes"]),
        "products": ", ".join(before["products"]),
        "security_code_operations": "",
        "redemption_commission_enabled": "false",
        "active": "false",
    }
    words = await flash_after(client, await client.post(f"/console/crypto/partners/{partner.id}/settings", data=form))
    assert "Partner saved" in words
    after = (await crypto.request("GET", f"/crypto/partners/{partner.id}")).json()
    assert after["settlement_currencies"] == ["EUR", "USD"] and after["active"] is False
    assert after["security_code_operations"] == [] and after["redemption_commission_enabled"] is False
    words = await flash_after(
        client,
        await client.post(
            f"/console/crypto/partners/{partner.id}/settings", data={**form, "settlement_currencies": "euro"}
        ),
    )
    assert "400 invalid_parameters" in words and "settlement_currencies" in words

    await crypto.request("PATCH", f"/crypto/partners/{partner.id}", json={"active": True})
    customer = await partner.customer()
    assert customer["id"] not in (await client.get("/console/crypto/customers?waiting=1")).text
    upload = await partner.post(
        f"/customers/{customer['id']}/documents",
        data={"document_type": "id_front", "file_type": "application/pdf"},
        files={"file": ("front.pdf", b"%PDF-1.7 scan", "application/pdf")},
    )
    assert upload.status_code == 201, upload.text
    assert customer["id"][:12] in (await client.get("/console/crypto/customers?waiting=1")).text
