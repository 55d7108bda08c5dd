"""Crypto deposits (a receive order and its ledger posting) survive SIGKILL of the real server
process, and the partner's signed tokens keep working after the restart."""

from __future__ import annotations

import time

import httpx
import jwt
import pytest

from tests.conftest import OPS_HEADERS
from tests.crypto.conftest import ANA, rsa_key
from tests.e2e.conftest import ServerFactory

pytestmark = pytest.mark.slow


def test_deposits_and_postings_survive_sigkill(serve: ServerFactory) -> None:
    server = serve()
    private, public = rsa_key(0)
    ops = httpx.Client(base_url=server.base_url + "/ops/v1", headers=OPS_HEADERS)
    partner = ops.post("/crypto/partners", json={"name": "Banco Ejemplo", "public_key_pem": public}).json()

    def signed() -> dict[str, str]:
        token = jwt.encode({"iss": partner["api_key"], "iat": int(time.time())}, private, algorithm="RS512")
        return {"Authorization": f"Bearer {token}"}

    customer = httpx.post(server.base_url + "/crypto/v1/customers", json=ANA, headers=signed())
    assert customer.status_code == 201, customer.text
    customer_id = customer.json()["id"]
    made = [ops.post(f"/crypto/customers/{customer_id}/deposits",
                     json={"currency": "BTC", "amount": f"0.{i}", "fee": "0.001"}) for i in range(1, 4)]
    assert [r.status_code for r in made] == [201, 201, 201]

    server.kill()  # SIGKILL: no shutdown hook runs
    restarted = serve(port=server.port)
    base = f"{restarted.base_url}/crypto/v1/customers/{customer_id}"
    ops = httpx.Client(base_url=restarted.base_url + "/ops/v1", headers=OPS_HEADERS)

    for response in made:
        found = httpx.get(f"{base}/orders/{response.json()['id']}", headers=signed())
        assert found.status_code == 200 and found.json() == response.json()
    assert httpx.get(f"{base}/accounts", headers=signed()).json() == {
        "accounts": [{"currency": "BTC", "amount": "0.597"}]}
    assert ops.get("/crypto/ledger/check").json() == {"balanced": True, "postings": 3, "mismatches": []}
