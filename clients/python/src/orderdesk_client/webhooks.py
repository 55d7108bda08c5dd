"""Webhook verification for both products. Pass the headers as received (any mapping; names
are compared case-insensitively) and the raw body bytes, before any JSON parsing.

auto: `X-LMN-Signature: t=<unix>,v1=<hex HMAC-SHA256(secret, t + "." + body)>` (spec auto 6.2).
crypto: `X-JWT-SIGNATURE`, an RS512 JWT by the server's webhook key with `iss`, `iat` and
`digest` = SHA-256 of the body (spec crypto 9.3). Only RS512 is accepted, so `alg: none` and
HS256 tokens "signed" with the public key are refused."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Iterable
from typing import Any, Protocol

import jwt

from orderdesk_client.crypto import AsyncCryptoClient, CryptoClient
from orderdesk_client.errors import InvalidSignature
from orderdesk_client.models import AutoEventPayload, CryptoEvent, WebhookPublicKey

AUTO_SIGNATURE = "x-lmn-signature"
AUTO_TIMESTAMP = "x-lmn-timestamp"
CRYPTO_SIGNATURE = "x-jwt-signature"
ALGORITHM = "RS512"
ISSUERS = ("lirium-sandbox", "lirium-production")


class Headers(Protocol):
    """A dict, httpx/Starlette headers, or `http.server`'s `self.headers`."""

    def items(self) -> Iterable[tuple[str, Any]]: ...


def _find(headers: Headers, name: str) -> str | None:
    for key, value in headers.items():
        if key.lower() == name:
            return str(value)
    return None


def _header(headers: Headers, name: str) -> str:
    found = _find(headers, name)
    if found is None:
        raise InvalidSignature(f"missing header {name}")
    return found


def _json_object(body: bytes) -> dict[str, Any]:
    try:
        parsed = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidSignature("body is not JSON") from exc
    if not isinstance(parsed, dict):
        raise InvalidSignature("body is not a JSON object")
    return parsed


def _auto_signature_parts(value: str) -> tuple[int, list[str]]:
    timestamp: int | None = None
    digests: list[str] = []
    for part in value.split(","):
        name, _, item = part.strip().partition("=")
        if name == "t" and item.isdigit():
            timestamp = int(item)
        elif name == "v1" and item:
            digests.append(item)
    if timestamp is None or not digests:
        raise InvalidSignature("malformed X-LMN-Signature")
    return timestamp, digests


def verify_auto_webhook(
    secret: str, headers: Headers, body: bytes, tolerance: int = 300, *, now: float | None = None
) -> AutoEventPayload:
    """The parsed auto event, or `InvalidSignature` when the signature does not match `secret`
    (the partner's `whsec_…`), the timestamp is more than `tolerance` seconds off, or
    `X-LMN-Timestamp` disagrees with the signed one. De-duplicate on the event `id`."""
    timestamp, digests = _auto_signature_parts(_header(headers, AUTO_SIGNATURE))
    stated = _find(headers, AUTO_TIMESTAMP)
    if stated is not None and stated.strip() != str(timestamp):
        raise InvalidSignature("X-LMN-Timestamp differs from the signed timestamp")
    if abs((time.time() if now is None else now) - timestamp) > tolerance:
        raise InvalidSignature("timestamp outside the tolerance")
    expected = hmac.new(secret.encode(), str(timestamp).encode() + b"." + body, hashlib.sha256).hexdigest()
    if not any(hmac.compare_digest(expected, digest) for digest in digests):
        raise InvalidSignature("signature does not match")
    return AutoEventPayload.from_dict(_json_object(body))


def _crypto_claims(
    token: str, public_key_pem: str, issuers: tuple[str, ...], body: bytes, tolerance: int | None, now: float | None
) -> None:
    try:
        if jwt.get_unverified_header(token).get("alg") != ALGORITHM:
            raise InvalidSignature("signature algorithm is not RS512")
        claims = jwt.decode(
            token,
            public_key_pem,
            algorithms=[ALGORITHM],
            options={"require": ["iss", "iat", "digest"], "verify_iat": False},
        )
    except jwt.PyJWTError as exc:
        raise InvalidSignature(f"signature does not verify: {exc}") from exc
    if claims["iss"] not in issuers:
        raise InvalidSignature(f"unexpected issuer {claims['iss']!r}")
    if tolerance is not None:
        iat = claims["iat"]
        if type(iat) is not int or abs((time.time() if now is None else now) - iat) > tolerance:
            raise InvalidSignature("iat outside the tolerance")
    if not isinstance(claims["digest"], str) or not hmac.compare_digest(
        claims["digest"], hashlib.sha256(body).hexdigest()
    ):
        raise InvalidSignature("digest does not match the body")


def _issuers(issuer: str | None, key: WebhookPublicKey | None) -> tuple[str, ...]:
    if issuer is not None:
        return (issuer,)
    return (key.issuer,) if key is not None else ISSUERS


def verify_crypto_webhook(
    public_key_or_client: str | WebhookPublicKey | CryptoClient,
    headers: Headers,
    body: bytes,
    *,
    issuer: str | None = None,
    tolerance: int | None = 300,
    now: float | None = None,
) -> CryptoEvent:
    """The parsed crypto event, or `InvalidSignature`. `public_key_or_client` is the PEM from
    `GET /webhooks/public_key`, that document, or a `CryptoClient` (which fetches and caches it,
    and fetches it again, at most once a minute, when a signature fails: the key may have been
    rotated). The issuer is
    the key document's, else `issuer`, else either Lirium environment. `tolerance` bounds the
    age of `iat` (every delivery attempt is signed afresh); None skips that check."""
    token = _header(headers, CRYPTO_SIGNATURE)
    if isinstance(public_key_or_client, CryptoClient):
        key = public_key_or_client.webhook_public_key()
        try:
            _crypto_claims(token, key.public_key_pem, _issuers(issuer, key), body, tolerance, now)
        except InvalidSignature:
            if not public_key_or_client.webhook_key_may_refresh():
                raise
            fresh = public_key_or_client.webhook_public_key(refresh=True)
            if fresh.public_key_pem == key.public_key_pem:
                raise
            _crypto_claims(token, fresh.public_key_pem, _issuers(issuer, fresh), body, tolerance, now)
    else:
        document = public_key_or_client if isinstance(public_key_or_client, WebhookPublicKey) else None
        pem = document.public_key_pem if document is not None else str(public_key_or_client)
        _crypto_claims(token, pem, _issuers(issuer, document), body, tolerance, now)
    return CryptoEvent.from_dict(_json_object(body))


async def averify_crypto_webhook(
    public_key_or_client: str | WebhookPublicKey | AsyncCryptoClient,
    headers: Headers,
    body: bytes,
    *,
    issuer: str | None = None,
    tolerance: int | None = 300,
    now: float | None = None,
) -> CryptoEvent:
    """`verify_crypto_webhook` for async receivers holding an `AsyncCryptoClient`."""
    if not isinstance(public_key_or_client, AsyncCryptoClient):
        return verify_crypto_webhook(public_key_or_client, headers, body, issuer=issuer, tolerance=tolerance, now=now)
    key = await public_key_or_client.webhook_public_key()
    try:
        return verify_crypto_webhook(key, headers, body, issuer=issuer, tolerance=tolerance, now=now)
    except InvalidSignature:
        if not public_key_or_client.webhook_key_may_refresh():
            raise
        fresh = await public_key_or_client.webhook_public_key(refresh=True)
        if fresh.public_key_pem == key.public_key_pem:
            raise
        return verify_crypto_webhook(fresh, headers, body, issuer=issuer, tolerance=tolerance, now=now)
