"""Hostile input to the crypto API, through HTTP as an attacker would send it: one table for
bodies, headers and paths and one for forged tokens, each row naming the status, code and
message the contract implies. Never a 5xx, always the crypto envelope, nothing written."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import jwt
import orjson
import pytest

from tests.crypto.conftest import ANA, BASE, Operator, Partner, assert_error, rsa_key, unix

LIMIT = 1_048_576
KIB64 = 65_536
PARSE_ERROR = "Request body is not a valid JSON object"
INVALID_TOKEN = "Invalid token"
BAD_IAT = "Token iat is missing or outside the accepted window"
NOT_STRING = "{'reference_id': ['Not a valid string.']}"
WRITTEN_TABLES = (
    "crypto_customers",
    "crypto_orders",
    "crypto_postings",
    "crypto_accounts",
    "idempotency_records",
    "outbox",
    "mail_messages",
)


@dataclass(frozen=True)
class Row:
    name: str
    status: int
    code: str
    message: str | None = None
    body: bytes | None = None
    chunked: bool = False
    method: str = "POST"
    path: str = "/customers"
    headers: dict[str, str] = field(default_factory=dict)


def customer(**fields: str) -> bytes:
    """ANA's body with raw JSON text replacing some fields (to hold what json.dumps cannot)."""
    body = {**ANA, **{name: f"@@{name}@@" for name in fields}}
    text = orjson.dumps(body).decode()
    for name, raw in fields.items():
        text = text.replace(f'"@@{name}@@"', raw)
    return text.encode()


def deep(levels: int) -> str:
    return "[" * levels + "]" * levels


BIG_ARRAY = "[" + ",".join(["1"] * 100_000) + "]"
CUSTOMER_HEX = "ab1e7f3e8bf44259b6c293e0f00bdac7"

ROWS = [
    Row(
        "over limit, Content-Length",
        413,
        "payload_too_large",
        f"Request body exceeds {LIMIT} bytes",
        customer(note=f'"{"x" * LIMIT}"'),
    ),
    Row(
        "over limit, chunked",
        413,
        "payload_too_large",
        f"Request body exceeds {LIMIT} bytes",
        customer(note=f'"{"x" * LIMIT}"'),
        True,
    ),
    Row("nesting 10,000 deep", 400, "body_parse_error", PARSE_ERROR, customer(reference_id=deep(10_000))),
    Row(
        "nesting 10,000 deep, chunked", 400, "body_parse_error", PARSE_ERROR, customer(reference_id=deep(10_000)), True
    ),
    Row("invalid UTF-8", 400, "body_parse_error", PARSE_ERROR, customer().replace(b"G\xc3\xb3mez", b"G\xf3mez")),
    Row("lone surrogate escape", 400, "body_parse_error", PARSE_ERROR, customer(reference_id='"\\ud800"')),
    Row("NUL escape in a string", 400, "body_parse_error", PARSE_ERROR, customer(reference_id='"cust\\u0000"')),
    Row(
        "duplicate keys: the last one wins",
        400,
        "invalid_parameters",
        NOT_STRING,
        customer(reference_id='"cust-1", "reference_id": 7'),
    ),
    Row("NaN", 400, "body_parse_error", PARSE_ERROR, customer(reference_id="NaN")),
    Row("Infinity", 400, "body_parse_error", PARSE_ERROR, customer(reference_id="Infinity")),
    Row("1e400", 400, "invalid_parameters", NOT_STRING, customer(reference_id="1e400")),
    Row("integer of 400 digits", 400, "invalid_parameters", NOT_STRING, customer(reference_id="9" * 400)),
    Row("array of 100,000 as a field", 400, "invalid_parameters", NOT_STRING, customer(reference_id=BIG_ARRAY)),
    Row("array of 100,000 at the top", 400, "body_parse_error", PARSE_ERROR, BIG_ARRAY.encode()),
    Row(
        "64 KiB Authorization",
        401,
        "auth_required",
        INVALID_TOKEN,
        customer(),
        headers={"Authorization": "Bearer " + "a" * KIB64},
    ),
    Row("64 KiB unknown header is ignored", 201, "", body=customer(), headers={"X-Filler": "a" * KIB64}),
    Row("64 KiB X-Request-Id is ignored", 200, "", method="GET", headers={"X-Request-Id": "a" * KIB64}),
    Row(
        "customer id of 10 KiB", 404, "not_found", "Customer not found", method="GET", path="/customers/" + "a" * 10_240
    ),
    Row(
        "customer id percent-encoded NUL",
        404,
        "not_found",
        "Customer not found",
        method="GET",
        path=f"/customers/{CUSTOMER_HEX[:-1]}%00",
    ),
    Row(
        "customer id non-ASCII",
        404,
        "not_found",
        "Customer not found",
        method="GET",
        path="/customers/ａｂ１ｅ７ｆ３ｅ８ｂｆ４４２５９ｂ６ｃ２９３ｅ０ｆ００ｂｄａｃ７",
    ),
    Row(
        "customer id percent-encoded quote",
        404,
        "not_found",
        "Customer not found",
        method="GET",
        path="/customers/%27%20OR%201=1--",
    ),
    Row(
        "order id of 10 KiB",
        404,
        "not_found",
        "Customer not found",
        method="GET",
        path=f"/customers/{CUSTOMER_HEX}/orders/" + "a" * 10_240,
    ),
    Row("query reference_id with NUL", 200, "", method="GET", path="/customers?reference_id=cust%00"),
    Row(
        "query limit of 400 digits",
        400,
        "invalid_parameters",
        "{'limit': ['Not a valid integer.']}",
        method="GET",
        path="/customers?limit=" + "9" * 400,
    ),
]


async def chunks(body: bytes, size: int = 65_536) -> AsyncIterator[bytes]:
    for start in range(0, len(body), size):
        yield body[start : start + size]


async def written(client: httpx.AsyncClient) -> dict[str, int]:
    runtime = client.runtime  # type: ignore[attr-defined]
    async with runtime.db.transaction(write=False) as conn:
        return {table: await conn.fetchval(f"SELECT count(*) FROM {table}") for table in WRITTEN_TABLES}


@pytest.fixture
async def partner(client: httpx.AsyncClient) -> Partner:
    return await Operator(client).partner()


@pytest.mark.parametrize("row", ROWS, ids=[row.name for row in ROWS])
async def test_hostile_request(client: httpx.AsyncClient, partner: Partner, row: Row) -> None:
    before = await written(client)
    headers = {**({"Content-Type": "application/json"} if row.body is not None else {}), **row.headers}
    content: Any = chunks(row.body) if row.chunked and row.body is not None else row.body
    response = await partner.request(row.method, row.path, content=content, headers=headers)
    if row.status < 400:
        assert response.status_code == row.status, response.text
    else:
        assert_error(response, row.status, row.code, row.message)
    if row.status != 201:
        assert await written(client) == before


def test_rows_never_expect_a_server_error() -> None:
    assert all(row.status < 500 for row in ROWS + TOKEN_ROWS)


async def test_duplicate_keys_last_one_wins(partner: Partner) -> None:
    response = await partner.post(
        "/customers",
        content=customer(reference_id='7, "reference_id": "cust-last"'),
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 201, response.text
    assert response.json()["reference_id"] == "cust-last"


# --------------------------------------------------------------------------- forged tokens


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def hand_signed(header: dict[str, Any], claims: dict[str, Any], sign: Callable[[bytes], bytes]) -> str:
    signing_input = f"{b64(json.dumps(header).encode())}.{b64(json.dumps(claims).encode())}"
    return f"{signing_input}.{b64(sign(signing_input.encode()))}"


def hmac_with_public_key(alg: str, digest: Any) -> Callable[[Partner, int], str]:
    def make(partner: Partner, now: int) -> str:
        public_pem = rsa_key(0)[1].encode()
        return hand_signed(
            {"alg": alg, "typ": "JWT"},
            {"iss": partner.api_key, "iat": now},
            lambda data: hmac.new(public_pem, data, digest).digest(),
        )

    return make


def signed(algorithm: str = "RS512", key_index: int = 0, **claims: Any) -> Callable[[Partner, int], str]:
    def make(partner: Partner, now: int) -> str:
        payload = {"iss": partner.api_key, "iat": now, **claims}
        return jwt.encode({k: v for k, v in payload.items() if v is not None}, rsa_key(key_index)[0], algorithm)

    return make


def unsigned(partner: Partner, now: int) -> str:
    return hand_signed({"alg": "none", "typ": "JWT"}, {"iss": partner.api_key, "iat": now}, lambda _: b"")


def shifted_iat(seconds: int) -> Callable[[Partner, int], str]:
    def make(partner: Partner, now: int) -> str:
        return signed()(partner, now + seconds) if seconds else signed()(partner, now)

    return make


def with_iat(value: Any) -> Callable[[Partner, int], str]:
    def make(partner: Partner, now: int) -> str:
        return jwt.encode({"iss": partner.api_key, "iat": value}, rsa_key(0)[0], "RS512")

    return make


def rs512_by_hand(claims: dict[str, Any]) -> str:
    """An RS512 token PyJWT would not make (it checks claim types when encoding)."""
    algorithm = jwt.algorithms.RSAAlgorithm(jwt.algorithms.RSAAlgorithm.SHA512)
    key = algorithm.prepare_key(rsa_key(0)[0])
    return hand_signed({"alg": "RS512", "typ": "JWT"}, claims, lambda data: algorithm.sign(data, key))


@dataclass(frozen=True)
class TokenRow:
    name: str
    make: Callable[[Partner, int], str]
    message: str
    status: int = 401


TOKEN_ROWS = [
    TokenRow("alg none, no signature", unsigned, INVALID_TOKEN),
    TokenRow("HS256 signed with the public key", hmac_with_public_key("HS256", hashlib.sha256), INVALID_TOKEN),
    TokenRow("HS512 signed with the public key", hmac_with_public_key("HS512", hashlib.sha512), INVALID_TOKEN),
    TokenRow("RS256 with the partner's own key", signed("RS256"), INVALID_TOKEN),
    TokenRow("PS512 with the partner's own key", signed("PS512"), INVALID_TOKEN),
    TokenRow("another partner's key", signed(key_index=1), INVALID_TOKEN),
    TokenRow("iat a day ago", shifted_iat(-86_400), BAD_IAT),
    TokenRow("iat a day ahead", shifted_iat(86_400), BAD_IAT),
    TokenRow("iat 301 s ago", shifted_iat(-301), BAD_IAT),
    TokenRow("iat of 30 digits", with_iat(10**30), BAD_IAT),
    TokenRow("iat negative", with_iat(-(10**12)), BAD_IAT),
    TokenRow("iat as a string", with_iat("1778000000"), BAD_IAT),
    TokenRow("iat as a float", with_iat(1778000000.0), BAD_IAT),
    TokenRow("exp in the past", signed(exp=1), INVALID_TOKEN),
    TokenRow("iss not a string", lambda p, now: rs512_by_hand({"iss": 7, "iat": now}), INVALID_TOKEN),
    TokenRow("no iss", signed(iss=None), INVALID_TOKEN),
    TokenRow("three dots of garbage", lambda p, now: "a.b.c", INVALID_TOKEN),
    TokenRow("signature cut off", lambda p, now: signed()(p, now).rsplit(".", 1)[0] + ".", INVALID_TOKEN),
    TokenRow("the right token, accepted", signed(), "", 201),
]


@pytest.mark.parametrize("row", TOKEN_ROWS, ids=[row.name for row in TOKEN_ROWS])
async def test_forged_token(client: httpx.AsyncClient, partner: Partner, row: TokenRow) -> None:
    await Operator(client).partner("Banco Rival", key_index=1)
    before = await written(client)
    token = row.make(partner, unix(client))
    response = await client.post(BASE + "/customers", json=ANA, headers={"Authorization": f"Bearer {token}"})
    if row.status == 401:
        assert_error(response, 401, "auth_required", row.message)
        assert response.headers["www-authenticate"] == "Bearer"
        assert await written(client) == before
    else:
        assert response.status_code == row.status, response.text


async def test_partner_deactivated_or_rekeyed_mid_traffic(client: httpx.AsyncClient, partner: Partner) -> None:
    """Turning a partner off, or replacing its key, refuses its very next request (no cached
    verdict outlives the change); requests racing the change answer as before or 401."""
    operator = Operator(client)
    assert (await partner.get("/customers")).status_code == 200

    async def patch(body: dict[str, Any]) -> int:
        return (await operator.request("PATCH", f"/crypto/partners/{partner.id}", json=body)).status_code

    token_headers = partner.headers  # one token, reused by every racing request
    racing = [partner.client.get(BASE + "/customers", headers=token_headers) for _ in range(20)]
    results = await asyncio.gather(*racing[:10], patch({"active": False}), *racing[10:])
    assert results[10] == 200
    responses = [r for r in results if isinstance(r, httpx.Response)]
    assert {r.status_code for r in responses} <= {200, 401}
    assert_error(
        await partner.client.get(BASE + "/customers", headers=token_headers), 401, "auth_required", INVALID_TOKEN
    )
    assert_error(await partner.get("/customers"), 401, "auth_required", INVALID_TOKEN)

    assert await patch({"active": True}) == 200
    assert (await partner.client.get(BASE + "/customers", headers=token_headers)).status_code == 200
    assert await patch({"public_key_pem": rsa_key(1)[1]}) == 200
    assert_error(
        await partner.client.get(BASE + "/customers", headers=token_headers), 401, "auth_required", INVALID_TOKEN
    )
    assert_error(await partner.get("/customers"), 401, "auth_required", INVALID_TOKEN)
    partner.private_pem = rsa_key(1)[0]
    assert (await partner.get("/customers")).status_code == 200
