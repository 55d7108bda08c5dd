"""`orderdesk demo` for crypto: repeatable; the printed key and API key work."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import jwt
import pytest

from orderdesk.crypto.demo import default_key_file
from orderdesk.crypto.product import load_demo
from tests.crypto.conftest import BASE, unix


def written_key_file(printed: str) -> Path:
    found = re.search(r"private key \(RS512 signing\), written to: (\S+)", printed)
    assert found, printed
    return Path(found.group(1))


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
    key_file = written_key_file(first)
    assert key_file == default_key_file(runtime.settings.database_url).resolve()
    assert key_file.is_relative_to(tmp_path / "demo-keys")  # relative to the working directory
    private = key_file.read_text()
    assert key_file.stat().st_mode & 0o077 == 0

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
    assert written_key_file(second) == key_file
    second_private = key_file.read_text()
    assert (
        await client.get(BASE + "/partner", headers=headers(second_key.group(1), second_private))
    ).status_code == 200
    old = await client.get(BASE + "/partner", headers=headers(api_key.group(1), private))
    assert old.status_code == 401
    accounts = await client.get(
        f"{BASE}/customers/{customer.group(1)}/accounts", headers=headers(second_key.group(1), second_private)
    )
    assert accounts.json()["accounts"][1] == {"currency": "USDC", "amount": "1500"}  # funded once
