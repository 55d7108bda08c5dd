"""The console in a real headless Chromium (Debian's package, driven by Playwright), on both
engines: an auction day, a crypto support shift, and the security properties."""

from __future__ import annotations

import re
import uuid
from typing import Any

import jwt
import pytest

from tests.console.conftest import Console, Served
from tests.crypto.conftest import ANA, rsa_key, signing_key

pytestmark = pytest.mark.slow
AUCTION_DATE = "2026-05-12T13:30:00+09:00"  # cutoff 2026-05-11 KST; the clock says 2026-05-06
BECH32 = "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq"


def secret_shown(console: Console, name: str) -> str:
    return str(
        console.page.locator(".secrets dt", has_text=name).locator("xpath=following-sibling::dd[1]").inner_text()
    )


def create_auto_partner(console: Console, name: str, webhook_url: str = "") -> str:
    console.goto("/console/auto/partners")
    console.submit("form[action='/console/auto/partners']", {"Name": name, "Webhook URL": webhook_url})
    assert "Partner created" in console.flash()
    return secret_shown(console, "API key").strip()


def place(served: Served, api_key: str, vehicle_id: str, max_bid: int) -> dict[str, Any]:
    with served.http() as http:
        response = http.post(
            "/auto/v1/orders",
            json={"vehicle_id": vehicle_id, "max_bid_amount_usd": max_bid},
            headers={"x-api-key": api_key, "Idempotency-Key": str(uuid.uuid4())},
        )
    assert response.status_code == 201, response.text
    return response.json()


def test_an_auction_day(console: Console) -> None:
    console.sign_in()
    console.shot("overview", widths=("wide", "narrow"))
    winner_key = create_auto_partner(console, "Harbor Auto Imports", "https://harbor.example/hooks")
    console.shot("auto-partner")
    loser_key = create_auto_partner(console, "Lagos Motors", "https://lagos.example/hooks")

    console.goto("/console/auto/vehicles")
    console.submit(
        "form[action='/console/auto/vehicles']",
        {
            "Vehicle id": "glovis-0418",
            "Make": "Hyundai",
            "Model": "Palisade",
            "Year": "2022",
            "Mileage (km)": "38412",
            "Accident grade": "A",
            "Exterior grade": "B",
            "Auction date (ISO 8601 with offset, e.g. 2026-05-12T13:30:00+09:00)": AUCTION_DATE,
            "Auction count": "1",
            "Auction result": "upcoming",
            "Listing price (USD)": "16000",
        },
    )
    assert "Vehicle saved" in console.flash(), console.flash()
    console.shot("auto-vehicle")

    winner = place(console.served, winner_key, "glovis-0418", 17400)
    loser = place(console.served, loser_key, "glovis-0418", 17000)

    console.goto("/console/auto/vehicles/glovis-0418")
    console.page.get_by_role("button", name="Start the auction").click()
    console.page.wait_for_load_state("load")
    assert "Auction started" in console.flash()
    console.submit(
        "#result-form",
        {"Outcome": "won", "Purchase price (USD, with won)": "17100", "Auction fee (USD, with won)": "350"},
    )
    assert "Result recorded" in console.flash(), console.flash()
    rows = console.page.locator("tr[data-order]")
    statuses = {rows.nth(i).get_attribute("data-order"): rows.nth(i).locator(".badge").inner_text() for i in range(2)}
    assert statuses == {winner["id"]: "secured", loser["id"]: "failed"}

    console.goto(f"/console/auto/orders/{winner['id']}")
    assert console.page.locator("#order-status").inner_text() == "secured"
    history = console.page.locator("#history tbody tr")
    assert history.count() == 3 and "operator" in history.nth(2).inner_text()
    events = console.page.locator("#webhook-events tbody tr")
    assert events.count() == 2 and "order.status_changed" in events.nth(1).inner_text()
    offered = console.page.locator("#transitions h3").all_inner_texts()
    assert offered == ["ship → shipping"]  # the only operator transition from secured
    console.shot("auto-order", widths=("wide", "narrow"))
    console.submit("#transitions form", {"Fulfillment detail": "awaiting_pickup"})
    assert "Order is now shipping" in console.flash()

    console.goto(f"/console/auto/orders/{loser['id']}")
    assert console.page.locator("#order-status").inner_text() == "failed"
    assert "No operator transition from failed" in console.page.locator("#transitions").inner_text()

    console.goto("/console/webhooks")
    auto_rows = console.page.locator("#auto-deliveries tbody tr")
    assert auto_rows.count() == 4  # winner: acquiring, secured, shipping; loser: failed
    assert winner["id"] in console.page.locator("#auto-deliveries").inner_text()
    assert loser["id"] in console.page.locator("#auto-deliveries").inner_text()
    console.shot("webhooks")
    console.goto("/console/")
    assert {"shipping", "failed"} <= set(console.page.locator("table.counts .badge").all_inner_texts())
    console.shot("overview-after-the-auction", widths=("wide", "narrow"))
    assert console.dialogs == []


class CryptoPartner:
    def __init__(self, served: Served, api_key: str, private_pem: str) -> None:
        self.served, self.api_key, self.private_pem = served, api_key, private_pem

    def call(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        token = jwt.encode(
            {"iss": self.api_key, "iat": int(self.served.clock.now().timestamp())},
            signing_key(self.private_pem),
            algorithm="RS512",
        )
        with self.served.http() as http:
            response = http.request(method, "/crypto/v1" + path, headers={"Authorization": f"Bearer {token}"}, **kwargs)
        assert response.status_code in (200, 201), response.text
        return response.json()

    def order(self, customer_id: str, body: dict[str, Any]) -> dict[str, Any]:
        order = self.call("POST", f"/customers/{customer_id}/orders", json=body)
        return self.call("POST", f"/customers/{customer_id}/orders/{order['id']}/confirm", json={})


def balance(console: Console, currency: str) -> str:
    return str(console.page.locator(f"#accounts tr[data-currency='{currency}'] td.num").inner_text())


def test_a_crypto_support_shift(console: Console) -> None:
    private_pem, public_pem = rsa_key(0)
    console.sign_in()
    console.goto("/console/crypto/partners")
    console.submit(
        "form[action='/console/crypto/partners']",
        {
            "Name": "Banco Ejemplo",
            "RSA public key (PEM)": public_pem,
            "Security-code operations (comma separated; blank = none)": "",
        },
    )
    assert "Partner created" in console.flash(), console.flash()
    partner = CryptoPartner(console.served, secret_shown(console, "API key").strip(), private_pem)

    console.goto("/console/crypto/assets")
    console.submit("#price-form", {"Asset": "BTC", "Quote currency": "USD", "Bid": "60000.00", "Ask": "60100.00"})
    assert "Price of BTC in USD saved" in console.flash(), console.flash()
    assert "60100.00" in console.page.locator("tr[data-price='BTC-USD']").inner_text()
    console.submit("#price-form", {"Asset": "BTC", "Bid": "70000", "Ask": "60000"})
    assert "Must be less than or equal to ask." in console.flash()  # the contract's own words
    console.shot("crypto-assets")

    customer = partner.call("POST", "/customers", json=ANA)
    partner.call(
        "POST",
        f"/customers/{customer['id']}/documents",
        data={"document_type": "id_front", "file_type": "application/pdf"},
        files={"file": ("front.pdf", b"%PDF-1.7 scan", "application/pdf")},
    )
    console.goto(f"/console/crypto/customers/{customer['id']}")
    console.submit("#deposit-form", {"Currency": "BTC", "Amount": "1"})
    assert "Deposit posted" in console.flash(), console.flash()
    assert balance(console, "BTC") == "1"
    front = console.page.locator("tr[data-requirement='document_id_front']")
    assert front.locator(".badge").inner_text() == "pending_review"
    front.get_by_role("button", name="Approve").click()
    console.page.wait_for_load_state("load")
    assert "reviewed" in console.flash()
    front = console.page.locator("tr[data-requirement='document_id_front']")
    assert front.locator(".badge").inner_text() == "approved"
    console.shot("crypto-customer", widths=("wide", "narrow"))

    bought = partner.order(customer["id"], {"operation": "buy", "asset": {"currency": "BTC", "amount": "0.01"}})
    assert bought["state"] == "completed"
    console.goto(f"/console/crypto/customers/{customer['id']}")
    assert balance(console, "BTC") == "1.01"
    console.page.locator(f"tr[data-order='{bought['id']}'] a").click()
    console.page.wait_for_load_state("load")
    effect = console.page.locator("#ledger-effect").inner_text()
    assert f"customer:{customer['id']}:BTC" in effect and "0.01" in effect, effect
    console.shot("crypto-order", widths=("wide", "narrow"))

    sent = partner.order(
        customer["id"],
        {
            "operation": "send",
            "asset": {"currency": "BTC", "amount": "0.01"},
            "send": {"destination": {"type": "crypto_currency_address", "value": BECH32}},
        },
    )
    assert sent["state"] == "processing"
    console.goto(f"/console/crypto/customers/{customer['id']}")
    assert balance(console, "BTC") in ("1", "0.99995")  # 0.01 sent (the network fee on top or inside)
    console.goto(f"/console/crypto/orders/{sent['id']}")
    console.submit("#fail-form", {"Reason (optional, up to 255 characters)": "node rejected the transaction"})
    assert "funds refunded" in console.flash(), console.flash()
    assert console.page.locator("#order-state").inner_text() == "cancelled"
    assert "send_failed" in console.page.locator("pre.json").inner_text()
    console.goto(f"/console/crypto/customers/{customer['id']}")
    assert balance(console, "BTC") == "1.01"

    console.goto("/console/crypto/ledger")
    console.page.get_by_role("button", name="Run the ledger check").click()
    console.page.wait_for_load_state("load")
    assert "Balanced" in console.flash()
    console.goto("/console/")
    assert "balanced" in console.page.locator("main").inner_text()


def test_security(console: Console, browser: Any) -> None:
    console.goto("/console/auto/orders")
    assert console.page.url.endswith("/console/signin")  # no page without a session
    console.sign_in()
    assert console.page.evaluate("document.cookie") == ""  # the session cookie is HttpOnly
    cookie = next(c for c in console.context.cookies() if c["name"] == "od_console")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict"

    status = console.page.evaluate(
        "fetch('/console/auto/partners', {method: 'POST', body: new URLSearchParams({name: 'Forged'}),"
        " redirect: 'manual'}).then(r => r.status)"
    )
    assert status == 403  # no CSRF token
    console.goto("/console/auto/partners")
    assert "Forged" not in console.page.locator("main").inner_text()

    create_auto_partner(console, "<script>alert(1)</script>", "https://evil.example/<script>alert(2)</script>")
    console.goto("/console/auto/partners")
    assert "<script>alert(1)</script>" in console.page.locator("main").inner_text()  # shown as text
    console.page.get_by_role("link", name="<script>alert(1)</script>").click()
    console.page.wait_for_load_state("load")
    assert console.page.locator("h1").inner_text() == "<script>alert(1)</script>"
    console.shot("escaped-partner")
    assert console.dialogs == []  # no script ran

    console.page.get_by_role("button", name="Sign out").click()
    console.page.wait_for_url("**/console/signin")
    console.goto("/console/")
    assert console.page.url.endswith("/console/signin")


PAGES = {
    "overview": "/console/",
    "auto-partners": "/console/auto/partners",
    "auto-vehicles": "/console/auto/vehicles",
    "auto-orders": "/console/auto/orders",
    "crypto-partners": "/console/crypto/partners",
    "crypto-assets": "/console/crypto/assets",
    "crypto-customers": "/console/crypto/customers",
    "crypto-orders": "/console/crypto/orders",
    "crypto-authorizations": "/console/crypto/authorizations",
    "crypto-investments": "/console/crypto/investments",
    "crypto-mail": "/console/crypto/mail",
    "crypto-ledger": "/console/crypto/ledger",
    "webhooks": "/console/webhooks",
}


def test_every_page_at_both_widths(console: Console) -> None:
    """Each list page renders without horizontal overflow of the page body at 1280 and 390 px."""
    console.sign_in()
    for name, path in PAGES.items():
        console.goto(path)
        for label, width in (("wide", 1280), ("narrow", 390)):
            console.page.set_viewport_size({"width": width, "height": 900})
            overflow = console.page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
            assert overflow <= 0, (name, label, overflow)
        console.shot(f"page-{name}", widths=("wide", "narrow"))
        assert re.search(r"\S", console.page.locator("h1").inner_text())
    assert console.dialogs == []
