"""Webhook signatures (spec/crypto.md 9.3): RS512 JWTs in `X-JWT-SIGNATURE`.

Every delivery attempt carries a fresh JWT signed with the server's webhook key, with claims
`iss` (`lirium-sandbox` / `lirium-production`), `iat` (the attempt time, integer seconds)
and `digest` (lowercase hex SHA-256 of the exact body bytes). Receivers verify it with the
key `GET /webhooks/public_key` publishes. Pure: key material in, strings out; where the key
is kept (setting or database) is the caller's business.
"""

from __future__ import annotations

import hashlib
import math
from datetime import datetime
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

ALGORITHM = "RS512"
SIGNATURE_HEADER = "X-JWT-SIGNATURE"
USER_AGENT = "orderdesk-webhooks/1"
KEY_BITS = 2048
ENVIRONMENTS = ("sandbox", "production")


def issuer_for(environment: str) -> str:
    """The `iss` claim: `lirium-sandbox` or `lirium-production`."""
    if environment not in ENVIRONMENTS:
        raise ValueError(f"unknown environment {environment!r}")
    return f"lirium-{environment}"


def body_digest(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


def generate_private_key_pem() -> str:
    """A new RSA-2048 key as unencrypted PKCS#8 PEM (what the first process stores)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=KEY_BITS)
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode("ascii")


def load_private_key(pem: str) -> rsa.RSAPrivateKey:
    """An unencrypted RSA private key of at least 2048 bits (PKCS#1 or PKCS#8 PEM), else
    ValueError (a bad `ORDERDESK_CRYPTO_WEBHOOK_PRIVATE_KEY` must stop the start-up)."""
    try:
        key = serialization.load_pem_private_key(pem.encode("ascii"), password=None)
    except (TypeError, ValueError, UnicodeEncodeError) as exc:
        raise ValueError("webhook private key is not an unencrypted PEM private key") from exc
    if not isinstance(key, rsa.RSAPrivateKey):
        raise ValueError("webhook private key is not an RSA key")
    if key.key_size < KEY_BITS:
        raise ValueError(f"webhook private key has {key.key_size} bits; at least {KEY_BITS} are required")
    return key


def public_key_pem(private_key: rsa.RSAPrivateKey) -> str:
    """The public half as SubjectPublicKeyInfo PEM (`-----BEGIN PUBLIC KEY-----`)."""
    return (
        private_key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode("ascii")
    )


def _epoch_seconds(now: datetime | int) -> int:
    if isinstance(now, datetime):
        if now.tzinfo is None:
            raise ValueError("the attempt time must be timezone-aware")
        return math.floor(now.timestamp())
    return int(now)


class WebhookSigner:
    """Signs webhook bodies with one loaded key (load once, sign every attempt)."""

    def __init__(self, private_key_pem: str, environment: str) -> None:
        self._key = load_private_key(private_key_pem)
        self.issuer = issuer_for(environment)
        self.public_key_pem = public_key_pem(self._key)

    def sign(self, body: bytes, *, now: datetime | int) -> str:
        """The `X-JWT-SIGNATURE` value for one attempt at `now` of POSTing `body`."""
        claims = {"iss": self.issuer, "iat": _epoch_seconds(now), "digest": body_digest(body)}
        return jwt.encode(claims, self._key, algorithm=ALGORITHM)

    def headers(self, body: bytes, *, now: datetime | int) -> dict[str, str]:
        """Every header of one delivery attempt."""
        return {
            "Content-Type": "application/json",
            "User-Agent": USER_AGENT,
            SIGNATURE_HEADER: self.sign(body, now=now),
        }

    def public_key_document(self) -> dict[str, str]:
        """The body of `GET /webhooks/public_key`."""
        return {"algorithm": ALGORITHM, "issuer": self.issuer, "public_key_pem": self.public_key_pem}


def decode_signature(header: str, public_pem: str, *, issuer: str = "lirium-sandbox") -> dict[str, Any]:
    """The claims of a signature header, verified (RS512 only, signature, `iss`); raises
    `jwt.InvalidTokenError` otherwise."""
    claims: dict[str, Any] = jwt.decode(
        header, public_pem, algorithms=[ALGORITHM], issuer=issuer, options={"require": ["iss", "iat", "digest"]}
    )
    return claims


def verify_webhook(body: bytes, header: str, public_pem: str, *, issuer: str = "lirium-sandbox") -> bool:
    """What a receiver does (9.3): the signature verifies and its digest is the body's."""
    try:
        claims = decode_signature(header, public_pem, issuer=issuer)
    except jwt.InvalidTokenError:
        return False
    return claims["digest"] == body_digest(body)
