"""Crypto fixtures: partners are registered by the operator with their own RSA key and then
call the partner API with RS512 tokens they sign themselves, like a real integration."""

from __future__ import annotations

import copy
import functools
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.conftest import OPS_HEADERS

BASE = "/crypto/v1"

ANA: dict[str, Any] = {
    "type": "individual",
    "reference_id": "cust-000042",
    "profile": {
        "first_name": "Ana",
        "last_name": "Gómez",
        "date_of_birth": "1990-03-14",
        "national_id_country": "MX",
        "national_id_type": "passport",
        "national_id": "G12345678",
        "citizenship": "MX",
        "address_line1": "Av. Reforma 100",
        "city": "Ciudad de México",
        "state": "CDMX",
        "country": "MX",
        "zip_code": "06600",
        "tax_country": "MX",
        "tax_id": "GOAA900314QX1",
    },
    "contact": {"email": "ana.gomez@example.com", "cellphone": "+525512345678"},
}
ACME: dict[str, Any] = {
    "type": "business",
    "reference_id": "biz-1",
    "profile": {
        "name": "Acme SA",
        "first_name": "Rosa",
        "last_name": "Díaz",
        "tax_country": "AR",
        "tax_id": "30-71234567-8",
    },
    "contact": {"email": "treasury@acme.example"},
}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every crypto test that runs the app also gets `ledger_stays_balanced`."""
    crypto_dir = Path(__file__).parent
    for item in items:
        names = getattr(item, "fixturenames", None)
        if (
            names is not None
            and "client" in names
            and crypto_dir in item.path.parents
            and not item.get_closest_marker("unbalances_ledger")
        ):
            names.append("ledger_stays_balanced")


@pytest.fixture
async def ledger_stays_balanced(client: httpx.AsyncClient) -> Any:
    """After the test, the operator's ledger check (spec 11.10) must still say balanced: no flow
    may leave a posting unbalanced or a balance out of step with its entries. Tests that corrupt
    the ledger on purpose carry `@pytest.mark.unbalances_ledger`."""
    yield
    response = await client.get("/ops/v1/crypto/ledger/check", headers=OPS_HEADERS)
    assert response.status_code == 200, response.text
    assert response.json()["balanced"] is True, response.text


def customer_body(**changes: Any) -> dict[str, Any]:
    body = copy.deepcopy(ANA)
    body.update(changes)
    return body


@functools.lru_cache(maxsize=4)
def rsa_key(index: int = 0, bits: int = 2048) -> tuple[str, str]:
    """(private PEM, public PEM); generated once per test session."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=bits)
    private = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    public = (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    return private, public


@functools.lru_cache(maxsize=16)
def signing_key(private_pem: str) -> rsa.RSAPrivateKey:
    """The key object behind a PEM, loaded once: PyJWT given the PEM itself loads it on every
    token, and loading checks the key (~35 ms, against ~1 ms to sign). Same tokens either way."""
    key = serialization.load_pem_private_key(private_pem.encode(), password=None)
    assert isinstance(key, rsa.RSAPrivateKey)
    return key


def error_of(response: httpx.Response) -> dict[str, Any]:
    body = response.json()
    assert response.headers["content-type"] == "application/json"
    assert {"error_code", "error_msg", "request_id"} <= set(body), body
    assert body["request_id"] == response.headers["x-request-id"]
    return body


def assert_error(
    response: httpx.Response, status: int, code: str, message: str | None = None, **extra: Any
) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body = error_of(response)
    assert body["error_code"] == code, body
    if message is not None:
        assert body["error_msg"] == message, body
    assert set(body) == {"error_code", "error_msg", "request_id", *extra}, body
    for key, value in extra.items():
        assert body[key] == value, body
    return body


def invalid(response: httpx.Response, message: str) -> None:
    assert_error(response, 400, "invalid_parameters", message)


class Partner:
    def __init__(self, client: httpx.AsyncClient, created: dict[str, Any], private_pem: str) -> None:
        self.client = client
        self.created = created
        self.id: str = created["id"]
        self.api_key: str = created["api_key"]
        self.private_pem = private_pem

    def token(self, **claims: Any) -> str:
        now = int(self.client.runtime.clock.now().timestamp())  # type: ignore[attr-defined]
        payload = {"iss": self.api_key, "iat": now, **claims}
        payload = {k: v for k, v in payload.items() if v is not None}
        return jwt.encode(payload, signing_key(self.private_pem), algorithm="RS512")

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token()}"}

    async def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        headers = {**self.headers, **kwargs.pop("headers", {})}
        return await self.client.request(method, BASE + path, headers=headers, **kwargs)

    async def get(self, path: str, **kwargs: Any) -> httpx.Response:
        return await self.request("GET", path, **kwargs)

    async def post(self, path: str, **kwargs: Any) -> httpx.Response:
        return await self.request("POST", path, **kwargs)

    async def patch(self, path: str, **kwargs: Any) -> httpx.Response:
        return await self.request("PATCH", path, **kwargs)

    async def customer(self, body: dict[str, Any] | None = None, **changes: Any) -> dict[str, Any]:
        response = await self.post("/customers", json=body or customer_body(**changes))
        assert response.status_code == 201, response.text
        return response.json()


class Operator:
    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client

    async def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        return await self.client.request(
            method, "/ops/v1" + path, headers={**OPS_HEADERS, **kwargs.pop("headers", {})}, **kwargs
        )

    async def partner(self, name: str = "Banco Ejemplo", key_index: int = 0, **fields: Any) -> Partner:
        private, public = rsa_key(key_index)
        response = await self.request(
            "POST", "/crypto/partners", json={"name": name, "public_key_pem": public, **fields}
        )
        assert response.status_code == 201, response.text
        return Partner(self.client, response.json(), private)

    async def deposit(
        self, customer_id: str, currency: str = "USDC", amount: str = "1500", **fields: Any
    ) -> dict[str, Any]:
        body = {"currency": currency, "amount": amount, **fields}
        if currency in ("USDC", "USDT") and "network" not in fields:
            body["network"] = "polygon"
        response = await self.request("POST", f"/crypto/customers/{customer_id}/deposits", json=body)
        assert response.status_code == 201, response.text
        return response.json()

    async def ledger_check(self) -> dict[str, Any]:
        response = await self.request("GET", "/crypto/ledger/check")
        assert response.status_code == 200, response.text
        return response.json()


@pytest.fixture
def operator(client: httpx.AsyncClient) -> Operator:
    return Operator(client)


@pytest.fixture
async def partner(operator: Operator) -> Partner:
    return await operator.partner()


@pytest.fixture
async def rival(operator: Operator) -> Partner:
    return await operator.partner("Banco Rival", key_index=1)


@pytest.fixture
async def customer(partner: Partner) -> dict[str, Any]:
    return await partner.customer()


def unix(client: httpx.AsyncClient) -> int:
    return int(client.runtime.clock.now().timestamp())  # type: ignore[attr-defined]
