"""Webhook signatures (spec/crypto.md 9.3)."""

from __future__ import annotations

import base64
import hashlib
import json
from datetime import UTC, datetime

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from orderdesk.crypto.signing import (
    WebhookSigner,
    body_digest,
    decode_signature,
    generate_private_key_pem,
    issuer_for,
    load_private_key,
    verify_webhook,
)

BODY = b'{"id":"a33727bb2d0346dfa10835958ea14bb2","action":"order-closed","order":{"id":"9dde6192"}}'
AT = datetime(2026, 3, 2, 10, 15, 52, 880310, tzinfo=UTC)


@pytest.fixture(scope="module")
def private_pem() -> str:
    return generate_private_key_pem()


@pytest.fixture(scope="module")
def signer(private_pem: str) -> WebhookSigner:
    return WebhookSigner(private_pem, "sandbox")


def spec_verify(body: bytes, header: str, public_pem: str, issuer: str = "lirium-sandbox") -> bool:
    """The receiver snippet of 9.3, verbatim."""
    claims = jwt.decode(header, public_pem, algorithms=["RS512"], issuer=issuer)
    return claims["digest"] == hashlib.sha256(body).hexdigest()


def test_generated_key_is_rsa_2048_pkcs8(private_pem: str) -> None:
    assert private_pem.startswith("-----BEGIN PRIVATE KEY-----\n")
    key = load_private_key(private_pem)
    assert key.key_size == 2048 and key.public_key().public_numbers().e == 65537


def test_signature_claims_and_header(signer: WebhookSigner) -> None:
    token = signer.sign(BODY, now=AT)
    assert jwt.get_unverified_header(token) == {"alg": "RS512", "typ": "JWT"}
    claims = json.loads(base64.urlsafe_b64decode(token.split(".")[1] + "=="))
    assert claims == {"iss": "lirium-sandbox", "iat": int(AT.timestamp()), "digest": hashlib.sha256(BODY).hexdigest()}
    assert isinstance(claims["iat"], int) and claims["iat"] == 1772446552  # floor of the attempt time
    assert claims["digest"] == body_digest(BODY) and claims["digest"] == claims["digest"].lower()


def test_the_spec_receiver_verifies_it(signer: WebhookSigner) -> None:
    token = signer.headers(BODY, now=AT)["X-JWT-SIGNATURE"]
    assert spec_verify(BODY, token, signer.public_key_pem)
    assert verify_webhook(BODY, token, signer.public_key_pem)
    assert decode_signature(token, signer.public_key_pem)["iss"] == "lirium-sandbox"


def test_each_attempt_gets_its_own_token(signer: WebhookSigner) -> None:
    first, retry = signer.sign(BODY, now=AT), signer.sign(BODY, now=int(AT.timestamp()) + 30)
    assert first != retry
    assert jwt.decode(retry, signer.public_key_pem, algorithms=["RS512"], issuer="lirium-sandbox")["iat"] == (
        int(AT.timestamp()) + 30
    )


def test_delivery_headers(signer: WebhookSigner) -> None:
    headers = signer.headers(BODY, now=AT)
    assert headers["Content-Type"] == "application/json"
    assert headers["User-Agent"] == "orderdesk-webhooks/1"
    assert set(headers) == {"Content-Type", "User-Agent", "X-JWT-SIGNATURE"}


def test_tampered_body_or_other_key_fails(signer: WebhookSigner) -> None:
    token = signer.sign(BODY, now=AT)
    assert not verify_webhook(BODY + b" ", token, signer.public_key_pem)
    assert not verify_webhook(BODY.replace(b"closed", b"opened"), token, signer.public_key_pem)
    other = WebhookSigner(generate_private_key_pem(), "sandbox")
    assert not verify_webhook(BODY, token, other.public_key_pem)
    header, payload, signature = token.split(".")
    forged = json.loads(base64.urlsafe_b64decode(payload + "=="))
    forged["digest"] = body_digest(b"{}")
    forged_payload = base64.urlsafe_b64encode(json.dumps(forged).encode()).rstrip(b"=").decode()
    assert not verify_webhook(b"{}", f"{header}.{forged_payload}.{signature}", signer.public_key_pem)


def test_other_algorithms_and_issuers_fail(signer: WebhookSigner) -> None:
    claims = {"iss": "lirium-sandbox", "iat": int(AT.timestamp()), "digest": body_digest(BODY)}
    unsigned = jwt.encode(claims, None, algorithm="none")  # type: ignore[arg-type]
    assert not verify_webhook(BODY, unsigned, signer.public_key_pem)
    hmac = jwt.encode(claims, "x" * 64, algorithm="HS512")
    assert not verify_webhook(BODY, hmac, signer.public_key_pem)
    assert not verify_webhook(BODY, signer.sign(BODY, now=AT), signer.public_key_pem, issuer="lirium-production")
    assert not verify_webhook(BODY, "not a jwt", signer.public_key_pem)


def test_production_issuer(private_pem: str) -> None:
    signer = WebhookSigner(private_pem, "production")
    token = signer.sign(BODY, now=AT)
    assert spec_verify(BODY, token, signer.public_key_pem, issuer="lirium-production")
    assert signer.public_key_document()["issuer"] == "lirium-production"


def test_public_key_document(signer: WebhookSigner, private_pem: str) -> None:
    document = signer.public_key_document()
    assert set(document) == {"algorithm", "issuer", "public_key_pem"}
    assert document["algorithm"] == "RS512" and document["issuer"] == "lirium-sandbox"
    assert document["public_key_pem"].startswith("-----BEGIN PUBLIC KEY-----\n")
    assert document["public_key_pem"].endswith("-----END PUBLIC KEY-----\n")
    assert "PRIVATE" not in document["public_key_pem"]
    public = serialization.load_pem_public_key(document["public_key_pem"].encode())
    assert isinstance(public, rsa.RSAPublicKey)
    assert public.public_numbers() == load_private_key(private_pem).public_key().public_numbers()


def test_issuer_per_environment() -> None:
    assert issuer_for("sandbox") == "lirium-sandbox"
    assert issuer_for("production") == "lirium-production"
    with pytest.raises(ValueError):
        issuer_for("staging")


def test_pkcs1_keys_are_accepted() -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL, serialization.NoEncryption()
    ).decode()
    assert pem.startswith("-----BEGIN RSA PRIVATE KEY-----")
    signer = WebhookSigner(pem, "sandbox")
    assert verify_webhook(BODY, signer.sign(BODY, now=AT), signer.public_key_pem)


def _pem(
    key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey,
    encryption: serialization.KeySerializationEncryption | None = None,
) -> str:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption or serialization.NoEncryption()
    ).decode()


@pytest.mark.parametrize(
    "make",
    [
        lambda: _pem(rsa.generate_private_key(public_exponent=65537, key_size=1024)),
        lambda: _pem(ec.generate_private_key(ec.SECP256R1())),
        lambda: _pem(
            rsa.generate_private_key(public_exponent=65537, key_size=2048),
            serialization.BestAvailableEncryption(b"secret"),
        ),
        lambda: "-----BEGIN PRIVATE KEY-----\nnot base64\n-----END PRIVATE KEY-----\n",
        lambda: "",
        lambda: "ключ",
    ],
)
def test_unusable_keys_are_refused(make) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValueError):
        load_private_key(make())


def test_naive_attempt_time_is_refused(signer: WebhookSigner) -> None:
    with pytest.raises(ValueError):
        signer.sign(BODY, now=datetime(2026, 3, 2, 10, 15, 52))
