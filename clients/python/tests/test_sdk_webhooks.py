"""Webhook verification against the server's own signing code (`orderdesk.auto.webhooks`,
`orderdesk.crypto.signing`): what the server signs verifies; every forgery is refused."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from typing import Any

import jwt
import pytest
from orderdesk_client import (
    InvalidSignature,
    WebhookPublicKey,
    verify_auto_webhook,
    verify_crypto_webhook,
)

from orderdesk.auto.webhooks import signed_headers
from orderdesk.crypto.signing import WebhookSigner, generate_private_key_pem

SECRET = "whsec_lO_NpnC4vaWc7_l0VYKwq0ZhC4JgSH8mC-apDpHUbgE"
AUTO_BODY = json.dumps(
    {
        "id": "evt_01KQXQ8F2HV6N3C9D1E5G7J4KB",
        "type": "order.status_changed",
        "occurred_at": "2026-05-12T15:02:10+09:00",
        "data": {"previous_status": "acquiring", "order": {"id": "01KQXA5KNRPQNMCMYXC47R2PCT", "status": "secured"}},
    },
    separators=(",", ":"),
).encode()
CRYPTO_BODY = json.dumps(
    {
        "id": "a33727bb2d0346dfa10835958ea14bb2",
        "action": "customer-state-changed",
        "created_at": "2026-03-02T10:15:52.880310+00:00",
    },
    separators=(",", ":"),
).encode()
KEY_PEM = generate_private_key_pem()
OTHER_KEY_PEM = generate_private_key_pem()


def auto_headers(body: bytes = AUTO_BODY, secret: str = SECRET, at: int | None = None) -> dict[str, str]:
    return signed_headers("evt_01KQXQ8F2HV6N3C9D1E5G7J4KB", secret, int(time.time()) if at is None else at, body)


# --------------------------------------------------------------------------- auto


def test_auto_signature_verifies_and_parses() -> None:
    event = verify_auto_webhook(SECRET, auto_headers(), AUTO_BODY)
    assert (event.id, event.type, event.data["previous_status"]) == (
        "evt_01KQXQ8F2HV6N3C9D1E5G7J4KB",
        "order.status_changed",
        "acquiring",
    )
    lower = {k.lower(): v for k, v in auto_headers().items()}
    assert verify_auto_webhook(SECRET, lower, AUTO_BODY).id == event.id


AUTO_FORGERIES: dict[str, Any] = {  # built when the test runs, so timestamps are relative to then
    "tampered body": lambda: (auto_headers(), AUTO_BODY.replace(b"secured", b"shipping")),
    "wrong secret": lambda: (auto_headers(secret="whsec_" + "A" * 43), AUTO_BODY),
    "stale timestamp": lambda: (auto_headers(at=int(time.time()) - 310), AUTO_BODY),
    "timestamp from the future": lambda: (auto_headers(at=int(time.time()) + 310), AUTO_BODY),
    "timestamp header disagrees": lambda: ({**auto_headers(), "X-LMN-Timestamp": "1"}, AUTO_BODY),
    "no signature": lambda: ({"X-LMN-Event-Id": "evt_1"}, AUTO_BODY),
    "no t=": lambda: ({"X-LMN-Signature": "v1=abc"}, AUTO_BODY),
}


@pytest.mark.parametrize("case", AUTO_FORGERIES)
def test_auto_forgeries_are_refused(case: str) -> None:
    headers, body = AUTO_FORGERIES[case]()
    with pytest.raises(InvalidSignature):
        verify_auto_webhook(SECRET, headers, body)


def test_auto_tolerance_is_the_callers() -> None:
    old = auto_headers(at=int(time.time()) - 1000)
    assert verify_auto_webhook(SECRET, old, AUTO_BODY, tolerance=3600).id.startswith("evt_")


# --------------------------------------------------------------------------- crypto


def public_pem(private_pem: str) -> str:
    return WebhookSigner(private_pem, "sandbox").public_key_pem


def crypto_headers(body: bytes = CRYPTO_BODY, key: str = KEY_PEM, at: int | None = None) -> dict[str, str]:
    return WebhookSigner(key, "sandbox").headers(body, now=int(time.time()) if at is None else at)


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def forged(header: dict[str, Any], claims: dict[str, Any], sign: Any) -> dict[str, str]:
    signing_input = f"{b64(json.dumps(header).encode())}.{b64(json.dumps(claims).encode())}"
    return {"X-JWT-SIGNATURE": f"{signing_input}.{b64(sign(signing_input.encode()))}"}


def honest_claims(body: bytes = CRYPTO_BODY) -> dict[str, Any]:
    return {"iss": "lirium-sandbox", "iat": int(time.time()), "digest": hashlib.sha256(body).hexdigest()}


def test_crypto_signature_verifies_and_parses() -> None:
    event = verify_crypto_webhook(public_pem(KEY_PEM), crypto_headers(), CRYPTO_BODY)
    assert (event.id, event.action, event.order) == ("a33727bb2d0346dfa10835958ea14bb2", "customer-state-changed", None)
    document = WebhookPublicKey(algorithm="RS512", issuer="lirium-sandbox", public_key_pem=public_pem(KEY_PEM))
    assert verify_crypto_webhook(document, crypto_headers(), CRYPTO_BODY).id == event.id


def hs256_with_the_public_key() -> dict[str, str]:
    secret = public_pem(KEY_PEM).encode()
    return forged(
        {"alg": "HS256", "typ": "JWT"}, honest_claims(), lambda data: hmac.new(secret, data, hashlib.sha256).digest()
    )


def rs512(claims: dict[str, Any], algorithm: str = "RS512") -> dict[str, str]:
    return {"X-JWT-SIGNATURE": jwt.encode(claims, KEY_PEM, algorithm=algorithm)}


CRYPTO_FORGERIES: dict[str, Any] = {
    "tampered body": lambda: (crypto_headers(), CRYPTO_BODY.replace(b"customer-state", b"order")),
    "wrong key": lambda: (crypto_headers(key=OTHER_KEY_PEM), CRYPTO_BODY),
    "stale iat": lambda: (crypto_headers(at=int(time.time()) - 310), CRYPTO_BODY),
    "alg none": lambda: (forged({"alg": "none", "typ": "JWT"}, honest_claims(), lambda _: b""), CRYPTO_BODY),
    "HS256 with the public key as secret": lambda: (hs256_with_the_public_key(), CRYPTO_BODY),
    "wrong issuer": lambda: (rs512({**honest_claims(), "iss": "someone"}), CRYPTO_BODY),
    "no digest": lambda: (rs512({"iss": "lirium-sandbox", "iat": int(time.time())}), CRYPTO_BODY),
    "RS256": lambda: (rs512(honest_claims(), "RS256"), CRYPTO_BODY),
    "no header": lambda: ({}, CRYPTO_BODY),
}


@pytest.mark.parametrize("case", CRYPTO_FORGERIES)
def test_crypto_forgeries_are_refused(case: str) -> None:
    headers, body = CRYPTO_FORGERIES[case]()
    with pytest.raises(InvalidSignature):
        verify_crypto_webhook(public_pem(KEY_PEM), headers, body)


def test_crypto_production_issuer_only_when_asked() -> None:
    headers = WebhookSigner(KEY_PEM, "production").headers(CRYPTO_BODY, now=int(time.time()))
    assert verify_crypto_webhook(public_pem(KEY_PEM), headers, CRYPTO_BODY).id  # either environment by default
    with pytest.raises(InvalidSignature):
        verify_crypto_webhook(public_pem(KEY_PEM), headers, CRYPTO_BODY, issuer="lirium-sandbox")
