"""Crypto benchmarks: initiate a buy order, and confirm one (its ledger posting).

wrk's Lua cannot sign RS512 JWTs, so tokens are made here in Python right before each run
(a token may be reused inside its `iat` window of 300 s, far longer than a run). Data: one
partner with its own RSA key, 100 customers; the create run spreads buys of 0.0001 BTC (no
security code, no balance needed) over them. The confirm run then confirms pending buys made
beforehand by the create run and by one more unreported run of it, each exactly once (one
wrk thread walks one list); should it run out, the repeated confirmations answer 400 and
show as non-2xx in the table.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from bench.server import ServerProcess
from orderdesk.platform.db import open_database

OPS = {"Authorization": "Bearer bench-ops-token"}
CUSTOMERS = 100
BUY = {"operation": "buy", "asset": {"currency": "BTC", "amount": "0.0001"}}
# The confirm run needs pending orders whose quotes outlive the create run and itself.
QUOTE_TTL = "3600"


@dataclass(frozen=True)
class CryptoData:
    api_key: str
    private_pem: str
    customers_file: Path

    def token(self) -> str:
        return jwt.encode({"iss": self.api_key, "iat": int(time.time())}, self.private_pem, algorithm="RS512")


def _key_pair() -> tuple[str, str]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    public = (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    return private, public


def _customer(i: int) -> dict[str, object]:
    return {
        "reference_id": f"bench-{i}",
        "profile": {
            "first_name": "Ana",
            "last_name": "Gómez",
            "date_of_birth": "1990-03-14",
            "national_id_country": "MX",
            "national_id_type": "passport",
            "national_id": f"G{i:08d}",
            "citizenship": "MX",
            "address_line1": "Av. Reforma 100",
            "city": "CDMX",
            "state": "CDMX",
            "country": "MX",
            "zip_code": "06600",
            "tax_country": "MX",
            "tax_id": f"T{i:08d}",
        },
        "contact": {"email": f"bench-{i}@example.com"},
    }


async def prepare(server: ServerProcess, workdir: Path) -> CryptoData:
    private, public = _key_pair()
    async with httpx.AsyncClient(base_url=server.base_url, timeout=60) as client:
        created = await client.post(
            "/ops/v1/crypto/partners", headers=OPS, json={"name": "bench-crypto", "public_key_pem": public}
        )
        created.raise_for_status()
        data = CryptoData(created.json()["api_key"], private, workdir / "crypto_customers.txt")
        headers = {"Authorization": f"Bearer {data.token()}"}

        async def one(i: int) -> str:
            response = await client.post("/crypto/v1/customers", json=_customer(i), headers=headers)
            response.raise_for_status()
            return str(response.json()["id"])

        customers = await asyncio.gather(*(one(i) for i in range(CUSTOMERS)))
    data.customers_file.write_text("\n".join(customers) + "\n")
    return data


async def pending_orders(database_url: str, workdir: Path) -> Path:
    """Every pending buy, oldest first (those the create run and the fill run made)."""
    rows = await _pending(database_url)
    path = workdir / "crypto_pending.txt"
    path.write_text("".join(f"{customer} {order}\n" for customer, order in rows))
    return path


async def _pending(database_url: str) -> list[tuple[str, str]]:
    db = open_database(database_url, pool_size=1)
    await db.open()
    try:
        async with db.transaction(write=False) as conn:
            found = await conn.fetch(
                "SELECT customer_id, id FROM crypto_orders WHERE state = 'pending' ORDER BY created_at"
            )
    finally:
        await db.close()
    return [(row["customer_id"], row["id"]) for row in found]
