"""Demo data for `orderdesk demo` (crypto): a partner with a freshly generated RSA key (written
to a file of the database's own, `demo-keys/<database>/crypto-partner.pem`, or `--key-file`), a
funded customer, and a copy-paste Python snippet that signs a token and calls the API.

One key file per database: the demo replaces the partner's key pair in the database it loads, so
two databases sharing one file would leave the other one's partner with a key it no longer has.

The catalogue (BTC, ETH, USDC, USDT with USD prices, aEthUSDC) is seeded by the migration.
Safe to run again: the partner keeps its id and customers, but gets a new key pair and API key
each time (an API key is stored only as a hash, so it cannot be shown twice)."""

from __future__ import annotations

import hashlib
import os
import re
import secrets
from pathlib import Path
from urllib.parse import urlsplit

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from orderdesk.crypto import customers, partners
from orderdesk.crypto.auth import api_key_hash
from orderdesk.crypto.orders import deposits
from orderdesk.crypto.repositories import customers as customers_repo
from orderdesk.crypto.repositories import partners as partners_repo
from orderdesk.platform.runtime import Runtime

PARTNER_NAME = "Demo Bank"
KEY_DIR = Path("demo-keys")
KEY_NAME = "crypto-partner.pem"
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


def default_key_file(database_url: str) -> Path:
    """`demo-keys/<name>-<hash>/crypto-partner.pem`: the database's name (SQLite file stem or
    PostgreSQL database) for the reader, a hash of where it lives so that two never share a file."""
    if database_url.startswith("sqlite:///"):
        path = Path(database_url.removeprefix("sqlite:///")).resolve()
        name, where = path.stem, str(path)
    else:
        parts = urlsplit(database_url)
        name = parts.path.lstrip("/") or "postgres"
        where = f"{parts.hostname}:{parts.port or 5432}/{name}"
    digest = hashlib.sha256(where.encode()).hexdigest()[:8]
    return KEY_DIR / f"{re.sub(r'[^A-Za-z0-9_.-]', '_', name)}-{digest}" / KEY_NAME


def write_private_key(path: Path, private_pem: str) -> Path:
    path = path.resolve()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch(mode=0o600)
    os.chmod(path, 0o600)
    path.write_text(private_pem)
    return path


async def load(runtime: Runtime, base_url: str, key_file: Path | None = None) -> str:
    private_pem, public_pem = new_key_pair()
    partner_id, api_key = await _ensure_partner(runtime, public_pem)
    key_path = write_private_key(key_file or default_key_file(runtime.settings.database_url), private_pem)
    customer_id = await _ensure_customer(runtime, partner_id)
    return _instructions(base_url.rstrip("/"), partner_id, api_key, key_path, customer_id)


async def _ensure_partner(runtime: Runtime, public_pem: str) -> tuple[str, str]:
    async with runtime.db.transaction(write=False) as conn:
        existing = await partners_repo.first_partner_named(conn, PARTNER_NAME)
    if existing is None:
        created = await partners.create_partner(runtime, {"name": PARTNER_NAME, "public_key_pem": public_pem})
        return created["id"], created["api_key"]
    api_key = secrets.token_hex(16)
    async with runtime.db.transaction() as conn:
        await partners_repo.reactivate_with_credentials(
            conn, existing, api_key_hash(api_key), public_pem, runtime.clock.now()
        )
    return existing, api_key


async def _ensure_customer(runtime: Runtime, partner_id: str) -> str:
    async with runtime.db.transaction(write=False) as conn:
        existing = await customers_repo.customer_id_by_reference(conn, partner_id, CUSTOMER["reference_id"])
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
  private key (RS512 signing), written to: {key_path}
  demo customer {customer_id} holds 1500 USDC and 0.05 BTC

Try it from this directory (.venv/bin/python has PyJWT and httpx):

.venv/bin/python - <<'PY'
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
