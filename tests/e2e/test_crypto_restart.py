"""A confirmed crypto order, its postings and the balances they made survive SIGKILL of the
real server process (spec/crypto.md 6.4: the posting commits with the order change)."""

from __future__ import annotations

import re
import time
from typing import Any

import httpx
import jwt
import pytest

from tests.conftest import OPS_HEADERS
from tests.crypto.conftest import ANA, rsa_key, signing_key
from tests.e2e.conftest import ServerFactory

pytestmark = pytest.mark.slow


class PartnerClient:
    def __init__(self, base_url: str, api_key: str, private_pem: str) -> None:
        self.base_url = base_url + "/crypto/v1"
        self.api_key = api_key
        self.private_pem = private_pem

    def headers(self) -> dict[str, str]:
        token = jwt.encode(
            {"iss": self.api_key, "iat": int(time.time())}, signing_key(self.private_pem), algorithm="RS512"
        )
        return {"Authorization": f"Bearer {token}"}

    def call(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        return httpx.request(method, self.base_url + path, headers=self.headers(), timeout=30, **kwargs)


def test_confirmed_orders_and_postings_survive_sigkill(serve: ServerFactory) -> None:
    server = serve()
    ops = httpx.Client(base_url=server.base_url + "/ops/v1", headers=OPS_HEADERS, timeout=30)
    private, public = rsa_key(0)
    created = ops.post("/crypto/partners", json={"name": "Banco Ejemplo", "public_key_pem": public})
    assert created.status_code == 201, created.text
    partner = PartnerClient(server.base_url, created.json()["api_key"], private)
    customer = partner.call("POST", "/customers", json=ANA).json()
    cid = customer["id"]
    assert (
        ops.post(
            f"/crypto/customers/{cid}/deposits", json={"currency": "ETH", "amount": "1", "network": "ethereum"}
        ).status_code
        == 201
    )

    bought = partner.call(
        "POST",
        f"/customers/{cid}/orders",
        json={
            "operation": "buy",
            "asset": {"currency": "BTC"},
            "buy": {"settlement": {"amount": "10000.00"}, "commission": {"type": "percentage", "value": "1.5"}},
        },
    )
    assert bought.status_code == 201, bought.text
    mail = ops.get("/mail", params={"to": ANA["contact"]["email"]}).json()["messages"][0]
    code = re.match(r"Your security code is ([0-9]{6})\.", mail["body"]).group(1)  # type: ignore[union-attr]
    confirmed = partner.call(
        "POST", f"/customers/{cid}/orders/{bought.json()['id']}/confirm", json={"confirmation_code": code}
    )
    assert confirmed.status_code == 200 and confirmed.json()["state"] == "completed", confirmed.text
    sold = partner.call(
        "POST", f"/customers/{cid}/orders", json={"operation": "sell", "asset": {"currency": "ETH", "amount": "0.25"}}
    )
    sold_confirmed = partner.call("POST", f"/customers/{cid}/orders/{sold.json()['id']}/confirm")
    assert sold_confirmed.status_code == 200, sold_confirmed.text
    accounts = partner.call("GET", f"/customers/{cid}/accounts").json()
    assert accounts == {
        "accounts": [{"currency": "BTC", "amount": "0.15145595"}, {"currency": "ETH", "amount": "0.75"}]
    }
    balances = ops.get(f"/crypto/partners/{partner_id(created)}").json()["balances"]

    server.kill()  # SIGKILL: no shutdown hook runs
    restarted = serve(port=server.port)

    partner.base_url = restarted.base_url + "/crypto/v1"
    ops = httpx.Client(base_url=restarted.base_url + "/ops/v1", headers=OPS_HEADERS, timeout=30)
    assert partner.call("GET", f"/customers/{cid}/orders/{bought.json()['id']}").json() == confirmed.json()
    assert partner.call("GET", f"/customers/{cid}/orders/{sold.json()['id']}").json() == sold_confirmed.json()
    assert partner.call("GET", f"/customers/{cid}/accounts").json() == accounts
    assert ops.get(f"/crypto/partners/{partner_id(created)}").json()["balances"] == balances
    assert ops.get("/crypto/ledger/check").json() == {"balanced": True, "postings": 3, "mismatches": []}


def partner_id(created: httpx.Response) -> str:
    return str(created.json()["id"])
