"""Demo data for `orderdesk demo` (crypto): a partner with a freshly generated RSA key (written
to `demo-crypto-partner.pem` in the current directory), a funded customer, and a
copy-paste Python snippet that signs a token and calls the API.

The catalogue (BTC, ETH, USDC, USDT with USD prices, aEthUSDC) is seeded by the migration.
Safe to run again: the partner keeps its id and customers, but gets a new key pair and API key
each time (an API key is stored only as a hash, so it cannot be shown twice)."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from orderdesk.crypto import customers, partners
from orderdesk.crypto.auth import api_key_hash
from orderdesk.crypto.orders import deposits
from orderdesk.platform.runtime import Runtime

PARTNER_NAME = "Demo Bank"
KEY_FILE = "demo-crypto-partner.pem"
CUSTOMER = {
    "type": "individual",
    "reference_id": "demo-customer-1",
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
    "contact": {"email": "ana.gomez@example.com"},
}
FUNDS = ({"currency": "USDC", "amount": "1500", "network": "polygon"}, {"currency": "BTC", "amount": "0.05"})


def new_key_pair() -> tuple[str, str]:
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


async def load(runtime: Runtime, base_url: str) -> str:
    private_pem, public_pem = new_key_pair()
    partner_id, api_key = await _ensure_partner(runtime, public_pem)
    key_path = Path(KEY_FILE).resolve()
    key_path.write_text(private_pem)
    os.chmod(key_path, 0o600)
    customer_id = await _ensure_customer(runtime, partner_id)
    return _instructions(base_url.rstrip("/"), partner_id, api_key, key_path, customer_id)


async def _ensure_partner(runtime: Runtime, public_pem: str) -> tuple[str, str]:
    async with runtime.db.transaction(write=False) as conn:
        existing = await conn.fetchval(
            "SELECT id FROM crypto_partners WHERE name = :name ORDER BY created_at LIMIT 1", {"name": PARTNER_NAME}
        )
    if existing is None:
        created = await partners.create_partner(runtime, {"name": PARTNER_NAME, "public_key_pem": public_pem})
        return created["id"], created["api_key"]
    api_key = secrets.token_hex(16)
    async with runtime.db.transaction() as conn:
        await conn.execute(
            "UPDATE crypto_partners SET api_key_hash = :hash, public_key_pem = :pem, active = TRUE,"
            " updated_at = :now WHERE id = :id",
            {"hash": api_key_hash(api_key), "pem": public_pem, "now": runtime.clock.now(), "id": existing},
        )
    return existing, api_key


async def _ensure_customer(runtime: Runtime, partner_id: str) -> str:
    async with runtime.db.transaction(write=False) as conn:
        existing = await conn.fetchval(
            "SELECT id FROM crypto_customers WHERE partner_id = :partner_id AND reference_id_ci = :ref",
            {"partner_id": partner_id, "ref": CUSTOMER["reference_id"]},
        )
        stored = await partners.load(conn, partner_id)
    if existing is not None:
        return str(existing)
    assert stored is not None
    new = customers.new_customer_input(CUSTOMER, runtime.clock.now().date())
    created = await customers.create_customer(runtime, stored.partner, new)
    for funds in FUNDS:
        await deposits.deposit(runtime, created["id"], dict(funds))
    return str(created["id"])


def _instructions(base_url: str, partner_id: str, api_key: str, key_path: Path, customer_id: str) -> str:
    return f"""
crypto partner API: {base_url}/crypto/v1   (docs: {base_url}/crypto/docs)
  partner "{PARTNER_NAME}" id {partner_id}
  API key (new, shown once): {api_key}
  private key (RS512 signing): {key_path}
  demo customer {customer_id} holds 1500 USDC and 0.05 BTC

Try it (pip install pyjwt[crypto] httpx):

python3 - <<'PY'
import time, jwt, httpx
API_KEY = "{api_key}"
PRIVATE_KEY = open("{key_path}").read()
def headers():
    token = jwt.encode({{"iss": API_KEY, "iat": int(time.time())}}, PRIVATE_KEY, algorithm="RS512")
    return {{"Authorization": f"Bearer {{token}}"}}
base = "{base_url}/crypto/v1"
print(httpx.get(base + "/partner", headers=headers()).json()["name"])
print(httpx.get(base + "/exchange_rates", headers=headers()).json()["rates"])
print(httpx.get(base + "/customers/{customer_id}/accounts", headers=headers()).json())
PY
"""
