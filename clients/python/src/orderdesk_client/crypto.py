"""Lirium crypto partner API (`/crypto/v1`): `CryptoClient` and `AsyncCryptoClient`.

Every request carries a fresh RS512 token (`iss` = the partner's API key, `iat` = now), signed
with the partner's private key; scopes belong to the API key on the server, so a call whose
scope is missing raises `Forbidden`.

Retries (see `_transport`) are made safe by the contract's own keys:
- order creation always carries a `reference_id` (the caller's, or `sdk-<uuid>` made here); a
  retry after a try that may have gone through and now answers 409 `reference_id_already_used`
  returns the order the first try made (found with `GET …/orders?reference_id=`), as 8.17 says;
- customer creation with a `reference_id` likewise answers the existing customer on 409 `conflict`;
- a retried confirm that finds the order no longer `pending` returns the order; a retried
  authorization decision that finds it already decided that way returns the order;
- resend_code and subscribe are not repeatable, so they are retried only when the first try
  cannot have been processed."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator, Mapping, Sequence
from typing import Any

import httpx
import jwt
from cryptography.hazmat.primitives.serialization import load_pem_private_key

from orderdesk_client._model import M
from orderdesk_client._transport import (
    DEFAULT_TIMEOUT,
    AsyncTransport,
    Call,
    NoRecovery,
    Page,
    RetryPolicy,
    Safety,
    SyncTransport,
)
from orderdesk_client.errors import APIError
from orderdesk_client.models import (
    AddressBookEntry,
    CryptoOrder,
    Customer,
    ExchangeRates,
    Money,
    Partner,
    Subscription,
    WebhookPublicKey,
)

PREFIX = "/crypto/v1"
ALGORITHM = "RS512"
KEY_REFETCH_SECONDS = 60.0


def token_signer(api_key: str, private_key_pem: str | bytes) -> Callable[[], Mapping[str, str]]:
    """A function answering the Authorization header of one request: a new token each call."""
    pem = private_key_pem.encode() if isinstance(private_key_pem, str) else private_key_pem
    key = load_pem_private_key(pem, password=None)

    def headers() -> Mapping[str, str]:
        token = jwt.encode({"iss": api_key, "iat": int(time.time())}, key, algorithm=ALGORITHM)  # type: ignore[arg-type]
        return {"Authorization": f"Bearer {token}"}

    return headers


def _listing(key: str, model: type[M], offset: int) -> Callable[[Any], Page[M]]:
    def parse(body: Any) -> Page[M]:
        items = [model.from_dict(item) for item in body[key]]
        after = offset + len(items)
        return Page(items, after if items and after < body["total"] else None, body["total"])

    return parse


def _first_of(key: str, model: type[M]) -> Callable[[Any], M]:
    def parse(body: Any) -> M:
        if not body[key]:
            raise NoRecovery
        return model.from_dict(body[key][0])

    return parse


def _money(value: Money | Mapping[str, str] | None) -> dict[str, str] | None:
    if value is None:
        return None
    return {"currency": value.currency, "amount": value.amount} if isinstance(value, Money) else dict(value)


def _customer_path(customer_id: str) -> str:
    return f"{PREFIX}/customers/{customer_id}"


def _orders_path(customer_id: str) -> str:
    return f"{_customer_path(customer_id)}/orders"


class CryptoCalls:
    """The requests of the crypto API, shared by the sync and the async client."""

    @staticmethod
    def partner() -> Call[Partner]:
        return Call("GET", f"{PREFIX}/partner", Partner.from_dict)

    @staticmethod
    def exchange_rates(quote_currency: str | None) -> Call[ExchangeRates]:
        params = {"quote_currency": quote_currency}
        return Call("GET", f"{PREFIX}/exchange_rates", ExchangeRates.from_dict, params=params)

    # ----------------------------------------------------------------------- customers

    @staticmethod
    def customers_page(
        offset: str | int | None, limit: int | None, reference_id: str | None, state: str | None
    ) -> Call[Page[Customer]]:
        start = int(offset or 0)
        params = {"offset": start, "limit": limit, "reference_id": reference_id, "state": state}
        return Call("GET", f"{PREFIX}/customers", _listing("customers", Customer, start), params=params)

    @staticmethod
    def create_customer(body: Mapping[str, Any]) -> Call[Customer]:
        reference_id = body.get("reference_id")

        def recover(error: APIError) -> Call[Customer] | None:
            if error.code != "conflict" or reference_id is None:
                return None
            params = {"reference_id": reference_id}
            return Call("GET", f"{PREFIX}/customers", _first_of("customers", Customer), params=params)

        safety = Safety.ALWAYS if reference_id is not None else Safety.UNSENT_ONLY
        return Call("POST", f"{PREFIX}/customers", Customer.from_dict, json=dict(body), safety=safety, recover=recover)

    @staticmethod
    def customer(customer_id: str) -> Call[Customer]:
        return Call("GET", _customer_path(customer_id), Customer.from_dict)

    @staticmethod
    def update_customer(customer_id: str, changes: Mapping[str, Any]) -> Call[Customer]:
        return Call("PATCH", _customer_path(customer_id), Customer.from_dict, json=dict(changes))

    @staticmethod
    def upload_document(
        customer_id: str, document_type: str, content: bytes, file_type: str, filename: str
    ) -> Call[Customer]:
        data = {"document_type": document_type, "file_type": file_type, "file_length": str(len(content))}
        files = {"file": (filename, content, file_type)}
        path = f"{_customer_path(customer_id)}/documents"
        return Call("POST", path, Customer.from_dict, files=files, data=data)

    @staticmethod
    def accounts(customer_id: str) -> Call[list[Money]]:
        def parse(body: Any) -> list[Money]:
            return [Money.from_dict(a) for a in body["accounts"]]

        return Call("GET", f"{_customer_path(customer_id)}/accounts", parse)

    # ----------------------------------------------------------------------- address book

    @staticmethod
    def add_address(customer_id: str, body: Mapping[str, Any]) -> Call[AddressBookEntry]:
        path = f"{_customer_path(customer_id)}/address_book"
        return Call("POST", path, AddressBookEntry.from_dict, json=dict(body), safety=Safety.UNSENT_ONLY)

    @staticmethod
    def addresses_page(customer_id: str, offset: str | int | None, limit: int | None) -> Call[Page[AddressBookEntry]]:
        start = int(offset or 0)
        path = f"{_customer_path(customer_id)}/address_book"
        parse = _listing("address_book", AddressBookEntry, start)
        return Call("GET", path, parse, params={"offset": start, "limit": limit})

    @staticmethod
    def address(customer_id: str, entry_id: str) -> Call[AddressBookEntry]:
        return Call("GET", f"{_customer_path(customer_id)}/address_book/{entry_id}", AddressBookEntry.from_dict)

    @staticmethod
    def delete_address(customer_id: str, entry_id: str) -> Call[None]:
        return _delete(f"{_customer_path(customer_id)}/address_book/{entry_id}")

    # ----------------------------------------------------------------------- orders

    @staticmethod
    def create_order(
        customer_id: str,
        operation: str,
        asset: Mapping[str, Any],
        node: Mapping[str, Any] | None,
        reference_id: str | None,
    ) -> Call[CryptoOrder]:
        reference = reference_id or f"sdk-{uuid.uuid4().hex}"
        body: dict[str, Any] = {"reference_id": reference, "operation": operation, "asset": dict(asset)}
        if node is not None:
            body[operation] = dict(node)

        def recover(error: APIError) -> Call[CryptoOrder] | None:
            if error.code != "reference_id_already_used":
                return None
            parse = _first_of("orders", CryptoOrder)
            return Call("GET", _orders_path(customer_id), parse, params={"reference_id": reference})

        return Call("POST", _orders_path(customer_id), CryptoOrder.from_dict, json=body, recover=recover)

    @staticmethod
    def order(customer_id: str, order_id: str) -> Call[CryptoOrder]:
        return Call("GET", f"{_orders_path(customer_id)}/{order_id}", CryptoOrder.from_dict)

    @staticmethod
    def orders_page(
        customer_id: str, offset: str | int | None, limit: int | None, filters: Mapping[str, Any]
    ) -> Call[Page[CryptoOrder]]:
        start = int(offset or 0)
        params = {**filters, "offset": start, "limit": limit}
        return Call("GET", _orders_path(customer_id), _listing("orders", CryptoOrder, start), params=params)

    @staticmethod
    def confirm(customer_id: str, order_id: str, body: Mapping[str, Any]) -> Call[CryptoOrder]:
        def recover(error: APIError) -> Call[CryptoOrder] | None:
            if error.code != "invalid_order_state":
                return None

            def executed(raw: Any) -> CryptoOrder:
                order = CryptoOrder.from_dict(raw)
                if order.state not in ("processing", "completed"):
                    raise NoRecovery
                return order

            return Call("GET", f"{_orders_path(customer_id)}/{order_id}", executed)

        path = f"{_orders_path(customer_id)}/{order_id}/confirm"
        return Call("POST", path, CryptoOrder.from_dict, json=dict(body), recover=recover)

    @staticmethod
    def resend_code(customer_id: str, order_id: str) -> Call[CryptoOrder]:
        path = f"{_orders_path(customer_id)}/{order_id}/resend_code"
        return Call("POST", path, CryptoOrder.from_dict, json={}, safety=Safety.UNSENT_ONLY)

    @staticmethod
    def decide_authorization(customer_id: str, order_id: str, authorization_id: str, state: str) -> Call[CryptoOrder]:
        def recover(error: APIError) -> Call[CryptoOrder] | None:
            if error.code != "invalid_state":
                return None

            def decided(raw: Any) -> CryptoOrder:
                order = CryptoOrder.from_dict(raw)
                if not any(a.id == authorization_id and a.state == state for a in order.authorizations):
                    raise NoRecovery
                return order

            return Call("GET", f"{_orders_path(customer_id)}/{order_id}", decided)

        path = f"{_orders_path(customer_id)}/{order_id}/authorizations/{authorization_id}"
        return Call("PATCH", path, CryptoOrder.from_dict, json={"state": state}, recover=recover)

    # ----------------------------------------------------------------------- webhooks

    @staticmethod
    def subscribe(url: str, events: Sequence[str] | None) -> Call[Subscription]:
        body: dict[str, Any] = {"url": url}
        if events is not None:
            body["events"] = list(events)
        path = f"{PREFIX}/webhooks/subscriptions"
        return Call("POST", path, Subscription.from_dict, json=body, safety=Safety.UNSENT_ONLY)

    @staticmethod
    def subscriptions() -> Call[list[Subscription]]:
        def parse(body: Any) -> list[Subscription]:
            return [Subscription.from_dict(s) for s in body["subscriptions"]]

        return Call("GET", f"{PREFIX}/webhooks/subscriptions", parse)

    @staticmethod
    def subscription(subscription_id: str) -> Call[Subscription]:
        return Call("GET", f"{PREFIX}/webhooks/subscriptions/{subscription_id}", Subscription.from_dict)

    @staticmethod
    def delete_subscription(subscription_id: str) -> Call[None]:
        return _delete(f"{PREFIX}/webhooks/subscriptions/{subscription_id}")

    @staticmethod
    def public_key() -> Call[WebhookPublicKey]:
        path = f"{PREFIX}/webhooks/public_key"
        return Call("GET", path, WebhookPublicKey.from_dict, authenticated=False)


def _nothing(_body: Any) -> None:
    return None


def _delete(path: str) -> Call[None]:
    """A DELETE retried after a try that may have gone through reads `not_found` as done, once
    the parent resource is known to exist (else its own 404 is raised)."""
    parent = path.rsplit("/", 1)[0]

    def recover(error: APIError) -> Call[None] | None:
        return Call("GET", parent, _nothing) if error.code == "not_found" else None

    return Call("DELETE", path, _nothing, recover=recover)


def _customer_body(
    type: str, profile: Mapping[str, Any], contact: Mapping[str, Any], reference_id: str | None
) -> dict[str, Any]:
    body: dict[str, Any] = {"type": type, "profile": dict(profile), "contact": dict(contact)}
    if reference_id is not None:
        body["reference_id"] = reference_id
    return body


def _confirm_body(
    confirmation_code: str | None, customer: Money | Mapping[str, str] | None, reference_id: str | None
) -> dict[str, Any]:
    body: dict[str, Any] = {}
    if confirmation_code is not None:
        body["confirmation_code"] = confirmation_code
    if customer is not None:
        body["customer"] = _money(customer)
    if reference_id is not None:
        body["reference_id"] = reference_id
    return body


def _asset(currency: str, amount: str | None) -> dict[str, str]:
    return {"currency": currency} if amount is None else {"currency": currency, "amount": amount}


def _address_body(
    address: str, network: str, label: str | None, ownership_type: str, beneficiary_full_name: str | None
) -> dict[str, Any]:
    body: dict[str, Any] = {"address": address, "network": network, "ownership_type": ownership_type}
    if label is not None:
        body["label"] = label
    if beneficiary_full_name is not None:
        body["beneficiary_full_name"] = beneficiary_full_name
    return body


class _KeyCache:
    """The webhook public key, fetched once per client (refreshed on demand after a rotation)."""

    def __init__(self) -> None:
        self.value: WebhookPublicKey | None = None
        self.fetched_at = 0.0
        self.lock = threading.Lock()

    def stale(self) -> bool:
        """Whether a failed signature may trigger a new fetch: at most once a minute, so forged
        requests cannot make the receiver hammer the key endpoint."""
        return time.monotonic() - self.fetched_at > KEY_REFETCH_SECONDS


class CryptoClient:
    """`CryptoClient(partner_id, private_key_pem, base_url)`.

    `partner_id` is the credential the operator issued at registration: the API key that the
    token's `iss` carries (32 hex characters). `base_url` is the server root."""

    def __init__(
        self,
        partner_id: str,
        private_key_pem: str | bytes,
        base_url: str = "http://127.0.0.1:8000",
        *,
        timeout: float = DEFAULT_TIMEOUT,
        retry: RetryPolicy | None = None,
        http_client: httpx.Client | None = None,
    ) -> None:
        signer = token_signer(partner_id, private_key_pem)
        self._t = SyncTransport(base_url, signer, timeout=timeout, retry=retry, http_client=http_client)
        self._key = _KeyCache()

    def __enter__(self) -> CryptoClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._t.close()

    # partner and catalogue
    def get_partner(self) -> Partner:
        return self._t.send(CryptoCalls.partner())

    def exchange_rates(self, quote_currency: str | None = None) -> ExchangeRates:
        return self._t.send(CryptoCalls.exchange_rates(quote_currency))

    # customers
    def create_customer(
        self,
        *,
        type: str,
        profile: Mapping[str, Any],
        contact: Mapping[str, Any],
        reference_id: str | None = None,
    ) -> Customer:
        return self._t.send(CryptoCalls.create_customer(_customer_body(type, profile, contact, reference_id)))

    def list_customers(
        self, *, reference_id: str | None = None, state: str | None = None, page_size: int | None = None
    ) -> Iterator[Customer]:
        return self._t.pages(lambda offset: CryptoCalls.customers_page(offset, page_size, reference_id, state))

    def get_customer(self, customer_id: str) -> Customer:
        return self._t.send(CryptoCalls.customer(customer_id))

    def update_customer(
        self, customer_id: str, *, profile: Mapping[str, Any] | None = None, contact: Mapping[str, Any] | None = None
    ) -> Customer:
        changes = {k: dict(v) for k, v in (("profile", profile), ("contact", contact)) if v is not None}
        return self._t.send(CryptoCalls.update_customer(customer_id, changes))

    def upload_document(
        self, customer_id: str, document_type: str, content: bytes, file_type: str, filename: str = "document"
    ) -> Customer:
        return self._t.send(CryptoCalls.upload_document(customer_id, document_type, content, file_type, filename))

    def get_accounts(self, customer_id: str) -> list[Money]:
        return self._t.send(CryptoCalls.accounts(customer_id))

    # address book
    def add_address(
        self,
        customer_id: str,
        address: str,
        network: str,
        *,
        label: str | None = None,
        ownership_type: str = "self",
        beneficiary_full_name: str | None = None,
    ) -> AddressBookEntry:
        body = _address_body(address, network, label, ownership_type, beneficiary_full_name)
        return self._t.send(CryptoCalls.add_address(customer_id, body))

    def list_addresses(self, customer_id: str, *, page_size: int | None = None) -> Iterator[AddressBookEntry]:
        return self._t.pages(lambda offset: CryptoCalls.addresses_page(customer_id, offset, page_size))

    def get_address(self, customer_id: str, entry_id: str) -> AddressBookEntry:
        return self._t.send(CryptoCalls.address(customer_id, entry_id))

    def delete_address(self, customer_id: str, entry_id: str) -> None:
        self._t.send(CryptoCalls.delete_address(customer_id, entry_id))

    # orders
    def create_order(
        self,
        customer_id: str,
        operation: str,
        currency: str,
        amount: str | None = None,
        *,
        reference_id: str | None = None,
        **node: Any,
    ) -> CryptoOrder:
        """Initiate any operation: `operation` is `buy`, `sell`, `swap`, `send`,
        `subscribe_investment` or `redeem_investment`; `currency`/`amount` form `asset`; the
        keyword arguments form the operation node, e.g.
        `create_order(cid, "buy", "BTC", settlement={"currency": "USD", "amount": "100.00"})` or
        `create_order(cid, "send", "BTC", "0.01", destination={"type": "crypto_currency_address", "value": addr})`."""
        call = CryptoCalls.create_order(customer_id, operation, _asset(currency, amount), node or None, reference_id)
        return self._t.send(call)

    def confirm_order(
        self,
        customer_id: str,
        order_id: str,
        *,
        confirmation_code: str | None = None,
        customer: Money | Mapping[str, str] | None = None,
        reference_id: str | None = None,
    ) -> CryptoOrder:
        body = _confirm_body(confirmation_code, customer, reference_id)
        return self._t.send(CryptoCalls.confirm(customer_id, order_id, body))

    def resend_code(self, customer_id: str, order_id: str) -> CryptoOrder:
        return self._t.send(CryptoCalls.resend_code(customer_id, order_id))

    def get_order(self, customer_id: str, order_id: str) -> CryptoOrder:
        return self._t.send(CryptoCalls.order(customer_id, order_id))

    def list_orders(
        self,
        customer_id: str,
        *,
        state: str | None = None,
        operation: str | None = None,
        reference_id: str | None = None,
        page_size: int | None = None,
    ) -> Iterator[CryptoOrder]:
        filters = {"state": state, "operation": operation, "reference_id": reference_id}
        return self._t.pages(lambda offset: CryptoCalls.orders_page(customer_id, offset, page_size, filters))

    def decide_authorization(self, customer_id: str, order_id: str, authorization_id: str, state: str) -> CryptoOrder:
        """`state` is `approved` or `rejected`."""
        return self._t.send(CryptoCalls.decide_authorization(customer_id, order_id, authorization_id, state))

    # webhooks
    def subscribe(self, url: str, events: Sequence[str] | None = None) -> Subscription:
        return self._t.send(CryptoCalls.subscribe(url, events))

    def list_subscriptions(self) -> list[Subscription]:
        return self._t.send(CryptoCalls.subscriptions())

    def get_subscription(self, subscription_id: str) -> Subscription:
        return self._t.send(CryptoCalls.subscription(subscription_id))

    def delete_subscription(self, subscription_id: str) -> None:
        self._t.send(CryptoCalls.delete_subscription(subscription_id))

    def webhook_public_key(self, *, refresh: bool = False) -> WebhookPublicKey:
        """`GET /webhooks/public_key`, cached for the life of the client."""
        with self._key.lock:
            if self._key.value is None or refresh:
                self._key.value = self._t.send(CryptoCalls.public_key())
                self._key.fetched_at = time.monotonic()
            return self._key.value

    def webhook_key_may_refresh(self) -> bool:
        return self._key.stale()


class AsyncCryptoClient:
    """The async twin of `CryptoClient`: the same methods, awaited; iterators are async."""

    def __init__(
        self,
        partner_id: str,
        private_key_pem: str | bytes,
        base_url: str = "http://127.0.0.1:8000",
        *,
        timeout: float = DEFAULT_TIMEOUT,
        retry: RetryPolicy | None = None,
        http_client: httpx.AsyncClient | None = None,
    ) -> None:
        signer = token_signer(partner_id, private_key_pem)
        self._t = AsyncTransport(base_url, signer, timeout=timeout, retry=retry, http_client=http_client)
        self._key = _KeyCache()

    async def __aenter__(self) -> AsyncCryptoClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def close(self) -> None:
        await self._t.close()

    async def get_partner(self) -> Partner:
        return await self._t.send(CryptoCalls.partner())

    async def exchange_rates(self, quote_currency: str | None = None) -> ExchangeRates:
        return await self._t.send(CryptoCalls.exchange_rates(quote_currency))

    async def create_customer(
        self,
        *,
        type: str,
        profile: Mapping[str, Any],
        contact: Mapping[str, Any],
        reference_id: str | None = None,
    ) -> Customer:
        return await self._t.send(CryptoCalls.create_customer(_customer_body(type, profile, contact, reference_id)))

    def list_customers(
        self, *, reference_id: str | None = None, state: str | None = None, page_size: int | None = None
    ) -> AsyncIterator[Customer]:
        return self._t.pages(lambda offset: CryptoCalls.customers_page(offset, page_size, reference_id, state))

    async def get_customer(self, customer_id: str) -> Customer:
        return await self._t.send(CryptoCalls.customer(customer_id))

    async def update_customer(
        self, customer_id: str, *, profile: Mapping[str, Any] | None = None, contact: Mapping[str, Any] | None = None
    ) -> Customer:
        changes = {k: dict(v) for k, v in (("profile", profile), ("contact", contact)) if v is not None}
        return await self._t.send(CryptoCalls.update_customer(customer_id, changes))

    async def upload_document(
        self, customer_id: str, document_type: str, content: bytes, file_type: str, filename: str = "document"
    ) -> Customer:
        call = CryptoCalls.upload_document(customer_id, document_type, content, file_type, filename)
        return await self._t.send(call)

    async def get_accounts(self, customer_id: str) -> list[Money]:
        return await self._t.send(CryptoCalls.accounts(customer_id))

    async def add_address(
        self,
        customer_id: str,
        address: str,
        network: str,
        *,
        label: str | None = None,
        ownership_type: str = "self",
        beneficiary_full_name: str | None = None,
    ) -> AddressBookEntry:
        body = _address_body(address, network, label, ownership_type, beneficiary_full_name)
        return await self._t.send(CryptoCalls.add_address(customer_id, body))

    def list_addresses(self, customer_id: str, *, page_size: int | None = None) -> AsyncIterator[AddressBookEntry]:
        return self._t.pages(lambda offset: CryptoCalls.addresses_page(customer_id, offset, page_size))

    async def get_address(self, customer_id: str, entry_id: str) -> AddressBookEntry:
        return await self._t.send(CryptoCalls.address(customer_id, entry_id))

    async def delete_address(self, customer_id: str, entry_id: str) -> None:
        await self._t.send(CryptoCalls.delete_address(customer_id, entry_id))

    async def create_order(
        self,
        customer_id: str,
        operation: str,
        currency: str,
        amount: str | None = None,
        *,
        reference_id: str | None = None,
        **node: Any,
    ) -> CryptoOrder:
        call = CryptoCalls.create_order(customer_id, operation, _asset(currency, amount), node or None, reference_id)
        return await self._t.send(call)

    async def confirm_order(
        self,
        customer_id: str,
        order_id: str,
        *,
        confirmation_code: str | None = None,
        customer: Money | Mapping[str, str] | None = None,
        reference_id: str | None = None,
    ) -> CryptoOrder:
        body = _confirm_body(confirmation_code, customer, reference_id)
        return await self._t.send(CryptoCalls.confirm(customer_id, order_id, body))

    async def resend_code(self, customer_id: str, order_id: str) -> CryptoOrder:
        return await self._t.send(CryptoCalls.resend_code(customer_id, order_id))

    async def get_order(self, customer_id: str, order_id: str) -> CryptoOrder:
        return await self._t.send(CryptoCalls.order(customer_id, order_id))

    def list_orders(
        self,
        customer_id: str,
        *,
        state: str | None = None,
        operation: str | None = None,
        reference_id: str | None = None,
        page_size: int | None = None,
    ) -> AsyncIterator[CryptoOrder]:
        filters = {"state": state, "operation": operation, "reference_id": reference_id}
        return self._t.pages(lambda offset: CryptoCalls.orders_page(customer_id, offset, page_size, filters))

    async def decide_authorization(
        self, customer_id: str, order_id: str, authorization_id: str, state: str
    ) -> CryptoOrder:
        return await self._t.send(CryptoCalls.decide_authorization(customer_id, order_id, authorization_id, state))

    async def subscribe(self, url: str, events: Sequence[str] | None = None) -> Subscription:
        return await self._t.send(CryptoCalls.subscribe(url, events))

    async def list_subscriptions(self) -> list[Subscription]:
        return await self._t.send(CryptoCalls.subscriptions())

    async def get_subscription(self, subscription_id: str) -> Subscription:
        return await self._t.send(CryptoCalls.subscription(subscription_id))

    async def delete_subscription(self, subscription_id: str) -> None:
        await self._t.send(CryptoCalls.delete_subscription(subscription_id))

    async def webhook_public_key(self, *, refresh: bool = False) -> WebhookPublicKey:
        if self._key.value is None or refresh:
            self._key.value = await self._t.send(CryptoCalls.public_key())
            self._key.fetched_at = time.monotonic()
        return self._key.value

    def webhook_key_may_refresh(self) -> bool:
        return self._key.stale()
