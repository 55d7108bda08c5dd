"""`orderdesk demo` for crypto: repeatable; the printed key and API key work."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import jwt
import pytest

from orderdesk.crypto.product import load_demo
from tests.crypto.conftest import BASE, unix


async def test_demo_prints_a_working_key_and_is_repeatable(
    client: httpx.AsyncClient, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    runtime = client.runtime  # type: ignore[attr-defined]
    first = await load_demo(runtime, "http://127.0.0.1:8000/")
    api_key = re.search(r"API key \(new, shown once\): ([0-9a-f]{32})", first)
    customer = re.search(r"demo customer ([0-9a-f]{32})", first)
    assert api_key and customer, first
    assert "http://127.0.0.1:8000/crypto/v1" in first
    private = (tmp_path / "demo-crypto-partner.pem").read_text()
    assert (tmp_path / "demo-crypto-partner.pem").stat().st_mode & 0o077 == 0

    def headers(key: str, pem: str) -> dict[str, str]:
        token = jwt.encode({"iss": key, "iat": unix(client)}, pem, algorithm="RS512")
        return {"Authorization": f"Bearer {token}"}

    me = await client.get(BASE + "/partner", headers=headers(api_key.group(1), private))
    assert me.status_code == 200 and me.json()["name"] == "Demo Bank"
    accounts = await client.get(
        f"{BASE}/customers/{customer.group(1)}/accounts", headers=headers(api_key.group(1), private)
    )
    assert accounts.json() == {
        "accounts": [{"currency": "BTC", "amount": "0.05"}, {"currency": "USDC", "amount": "1500"}]
    }

    second = await load_demo(runtime, "http://127.0.0.1:8000")
    second_key = re.search(r"API key \(new, shown once\): ([0-9a-f]{32})", second)
    assert second_key and second_key.group(1) != api_key.group(1)
    assert f"demo customer {customer.group(1)}" in second
    second_private = (tmp_path / "demo-crypto-partner.pem").read_text()
    assert (
        await client.get(BASE + "/partner", headers=headers(second_key.group(1), second_private))
    ).status_code == 200
    old = await client.get(BASE + "/partner", headers=headers(api_key.group(1), private))
    assert old.status_code == 401
    accounts = await client.get(
        f"{BASE}/customers/{customer.group(1)}/accounts", headers=headers(second_key.group(1), second_private)
    )
    assert accounts.json()["accounts"][1] == {"currency": "USDC", "amount": "1500"}  # funded once
