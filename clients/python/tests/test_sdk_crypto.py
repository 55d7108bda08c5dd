"""The crypto SDK against a real `orderdesk serve`: a partner registered by the operator (plain
HTTP) signs every call with its own RSA key through `CryptoClient`; buy → confirm → send →
delivery, and the `order-closed` webhook of the send verified by `verify_crypto_webhook`."""

from __future__ import annotations

import asyncio
import json
import re
import uuid
from decimal import Decimal
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from orderdesk_client import (
    AsyncCryptoClient,
    CryptoClient,
    CryptoOrder,
    Forbidden,
    InsufficientFunds,
    InvalidCryptoCurrencyAddress,
    InvalidSignature,
    NotFound,
    ReferenceIdAlreadyUsed,
    RetryPolicy,
    averify_crypto_webhook,
    verify_crypto_webhook,
)

from conftest import Receiver, Server, wait_for

pytestmark = pytest.mark.slow
BECH32 = "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq"
EMAIL = "ana.gomez@example.com"
PROFILE = {
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
}
FAST_RETRY = RetryPolicy(base_delay=0.05)


def key_pair() -> tuple[str, str]:
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


def register(ops: httpx.Client, **fields: Any) -> tuple[str, str]:
    """(API key, private key PEM) of a new partner."""
    private, public = key_pair()
    response = ops.post("/ops/v1/crypto/partners", json={"name": "SDK Bank", "public_key_pem": public, **fields})
    assert response.status_code == 201, response.text
    return response.json()["api_key"], private


def mailed_code(ops: httpx.Client, order_id: str) -> str:
    def find() -> str | None:
        response = ops.get("/ops/v1/mail", params={"to": EMAIL, "limit": 100})
        assert response.status_code == 200, response.text
        for message in response.json()["messages"]:
            found = re.match(r"Your security code is ([0-9]{6})\.", message["body"])
            if order_id in message["body"] and found:
                return found.group(1)
        return None

    code: str = wait_for(find)
    return code


def confirmed(client: CryptoClient, ops: httpx.Client, order: CryptoOrder, **fields: Any) -> CryptoOrder:
    code = mailed_code(ops, order.id) if order.requires_confirmation_code else None
    return client.confirm_order(order.customer_id, order.id, confirmation_code=code, **fields)


def test_buy_confirm_send_and_the_verified_webhook(server: Server, ops: httpx.Client, receiver: Receiver) -> None:
    api_key, private_pem = register(ops, security_code_operations=["buy", "send"])
    with CryptoClient(api_key, private_pem, server.base_url, retry=FAST_RETRY) as client:
        partner = client.get_partner()
        assert "BTC" in {asset.id for asset in partner.available_assets}
        rates = client.exchange_rates("USD")
        assert "BTC" in {rate.currency for rate in rates.rates}
        subscription = client.subscribe(receiver.url, ["order-updated", "order-closed"])
        assert [s.id for s in client.list_subscriptions()] == [subscription.id]

        customer = client.create_customer(
            type="individual", reference_id="sdk-cust-1", profile=PROFILE, contact={"email": EMAIL}
        )
        assert [c.id for c in client.list_customers(reference_id="sdk-cust-1")] == [customer.id]
        cid = customer.id

        buy = client.create_order(cid, "buy", "BTC", settlement={"currency": "USD", "amount": "200.00"})
        assert (buy.state, buy.operation, buy.requires_confirmation_code) == ("pending", "buy", True)
        assert buy.reference_id is not None and buy.reference_id.startswith("sdk-")
        bought = confirmed(client, ops, buy, customer={"currency": "MXN", "amount": "3400.00"})
        assert bought.state == "completed" and bought.customer is not None
        assert bought.customer.amount == "3400.00"
        balances = {a.currency: Decimal(a.amount) for a in client.get_accounts(cid)}
        assert balances["BTC"] == Decimal(bought.asset.amount) > 0

        entry = client.add_address(cid, BECH32, "bitcoin", label="Cold wallet")
        assert [e.id for e in client.list_addresses(cid)] == [entry.id]
        with pytest.raises(InvalidCryptoCurrencyAddress):
            client.add_address(cid, "not-an-address", "bitcoin")
        with pytest.raises(InsufficientFunds):
            client.create_order(
                cid, "send", "BTC", "0.05", destination={"type": "crypto_currency_address", "value": BECH32}
            )

        send = client.create_order(
            cid,
            "send",
            "BTC",
            "0.001",
            reference_id="wd-sdk-1",
            destination={"type": "crypto_currency_address", "value": BECH32},
        )
        with pytest.raises(ReferenceIdAlreadyUsed) as reused:
            client.create_order(
                cid,
                "send",
                "BTC",
                "0.002",
                reference_id="wd-sdk-1",
                destination={"type": "crypto_currency_address", "value": BECH32},
            )
        assert reused.value.status == 409 and reused.value.request_id is not None
        assert [o.id for o in client.list_orders(cid, reference_id="wd-sdk-1")] == [send.id]
        sending = confirmed(client, ops, send)
        assert sending.state in ("processing", "completed")
        done = wait_for(lambda: (o := client.get_order(cid, send.id)).state == "completed" and o)
        assert done.send is not None and done.send["destination"]["crypto_currency_transaction"] is not None

        def closed_send() -> Any:
            for delivery in receiver.received():
                body = json.loads(delivery.body)
                if body["action"] == "order-closed" and body["order"]["id"] == send.id:
                    return delivery
            return None

        delivery = wait_for(closed_send)
        event = verify_crypto_webhook(client, delivery.headers, delivery.body)
        assert (event.action, event.order) == ("order-closed", done)
        key = client.webhook_public_key()
        assert verify_crypto_webhook(key.public_key_pem, delivery.headers, delivery.body).id == event.id
        with pytest.raises(InvalidSignature):
            verify_crypto_webhook(client, delivery.headers, delivery.body.replace(b"completed", b"cancelled"))
        every = [verify_crypto_webhook(key, d.headers, d.body) for d in receiver.received()]
        assert {(e.action, e.order.id) for e in every if e.order} >= {
            ("order-closed", buy.id),
            ("order-closed", send.id),
        }

        assert {o.id for o in client.list_orders(cid, page_size=1)} == {buy.id, send.id}
        client.delete_address(cid, entry.id)
        with pytest.raises(NotFound):
            client.get_address(cid, entry.id)
        client.delete_subscription(subscription.id)
        assert client.list_subscriptions() == []


def test_scopes_and_the_async_client(server: Server, ops: httpx.Client, receiver: Receiver) -> None:
    api_key, private_pem = register(ops, scopes=["operation_sell"])

    async def scenario() -> None:
        async with AsyncCryptoClient(api_key, private_pem, server.base_url, retry=FAST_RETRY) as client:
            assert (await client.get_partner()).scopes == ["operation_sell"]
            customer = await client.create_customer(
                type="individual", reference_id=f"c-{uuid.uuid4().hex[:8]}", profile=PROFILE, contact={"email": EMAIL}
            )
            with pytest.raises(Forbidden) as refused:
                await client.create_order(customer.id, "buy", "BTC", settlement={"currency": "USD", "amount": "10.00"})
            assert refused.value.message == "API key lacks the required scope: operation_buy"
            assert [c.id async for c in client.list_customers()] == [customer.id]
            updated = await client.update_customer(customer.id, contact={"email": "ana.g@example.com"})
            assert updated.contact["email"] == "ana.g@example.com"
            uploaded = await client.upload_document(customer.id, "id_front", b"%PDF-1.4 sdk", "application/pdf")
            front = [r for r in uploaded.data_requirements if r.id == "document_id_front"]
            assert front and front[0].status != "pending_submission"
            assert all(Decimal(a.amount) == 0 for a in await client.get_accounts(customer.id))
            assert [o async for o in client.list_orders(customer.id)] == []
            key = await client.webhook_public_key()
            assert key.algorithm == "RS512"

            await client.subscribe(receiver.url)
            deposit = {"currency": "USDC", "amount": "10", "network": "polygon"}
            response = ops.post(f"/ops/v1/crypto/customers/{customer.id}/deposits", json=deposit)
            assert response.status_code == 201, response.text
            deliveries = wait_for(lambda: len(receiver.received()) >= 3 and receiver.received())
            events = [await averify_crypto_webhook(client, d.headers, d.body) for d in deliveries]
            assert {e.action for e in events} >= {"order-created", "incoming-funds", "order-closed"}
            assert {e.order.operation for e in events if e.order} == {"receive"}
            assert [a.amount for a in await client.get_accounts(customer.id) if a.currency == "USDC"] == ["10"]

    asyncio.run(scenario())
