"""LMN Auto partner API (`/auto/v1`): `AutoClient` and `AsyncAutoClient`.

Every write (place, cancel, status push) carries an `Idempotency-Key`: the caller's, or a
fresh UUID the SDK makes. Retries reuse that key, so a retried write that had already
succeeded comes back as the server's replay of the original answer, never as a second order."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable, Iterator, Mapping, Sequence
from typing import Any

import httpx

from orderdesk_client._model import M
from orderdesk_client._transport import DEFAULT_TIMEOUT, AsyncTransport, Call, Page, RetryPolicy, SyncTransport
from orderdesk_client.models import Facets, Order, OrderEvent, Vehicle, VehicleSummary

PREFIX = "/auto/v1"


def _csv(value: str | Sequence[str] | None) -> str | None:
    if value is None or isinstance(value, str):
        return value
    return ",".join(value)


def _query(filters: Mapping[str, Any]) -> dict[str, Any]:
    """Query parameters: lists become CSV, None is left out, `from_` is sent as `from`."""
    out: dict[str, Any] = {}
    for name, value in filters.items():
        if value is None:
            continue
        key = name.rstrip("_")
        out[key] = _csv(value) if isinstance(value, list | tuple) else value
    return out


def _page_of(model: type[M]) -> Callable[[Any], Page[M]]:
    def parse(body: Any) -> Page[M]:
        return Page([model.from_dict(item) for item in body["data"]], body.get("next_cursor"))

    return parse


def _key(idempotency_key: str | None) -> dict[str, str]:
    return {"Idempotency-Key": idempotency_key or str(uuid.uuid4())}


class AutoCalls:
    """The requests of the auto API, shared by the sync and the async client."""

    @staticmethod
    def facets(source: str | Sequence[str] | None = None) -> Call[Facets]:
        return Call("GET", f"{PREFIX}/vehicles/facets", Facets.from_dict, params=_query({"source": source}))

    @staticmethod
    def vehicles_page(
        cursor: str | int | None, limit: int | None, filters: Mapping[str, Any]
    ) -> Call[Page[VehicleSummary]]:
        params = _query({**filters, "cursor": cursor, "limit": limit})
        return Call("GET", f"{PREFIX}/vehicles", _page_of(VehicleSummary), params=params)

    @staticmethod
    def vehicle(vehicle_id: str) -> Call[Vehicle]:
        return Call("GET", f"{PREFIX}/vehicles/{vehicle_id}", Vehicle.from_dict)

    @staticmethod
    def place_order(vehicle_id: str, max_bid_amount_usd: int | None, idempotency_key: str | None) -> Call[Order]:
        body: dict[str, Any] = {"vehicle_id": vehicle_id}
        if max_bid_amount_usd is not None:
            body["max_bid_amount_usd"] = max_bid_amount_usd
        return Call("POST", f"{PREFIX}/orders", Order.from_dict, json=body, headers=_key(idempotency_key))

    @staticmethod
    def orders_page(cursor: str | int | None, limit: int | None, filters: Mapping[str, Any]) -> Call[Page[Order]]:
        params = _query({**filters, "cursor": cursor, "limit": limit})
        return Call("GET", f"{PREFIX}/orders", _page_of(Order), params=params)

    @staticmethod
    def order(order_id: str) -> Call[Order]:
        return Call("GET", f"{PREFIX}/orders/{order_id}", Order.from_dict)

    @staticmethod
    def cancel_order(order_id: str, idempotency_key: str | None) -> Call[Order]:
        return Call("DELETE", f"{PREFIX}/orders/{order_id}", Order.from_dict, headers=_key(idempotency_key))

    @staticmethod
    def push_status(
        order_id: str,
        occurred_at: str,
        status: str | None,
        fulfillment_detail: str | None,
        notes: str | None,
        idempotency_key: str | None,
    ) -> Call[Order]:
        body: dict[str, Any] = {"occurred_at": occurred_at}
        if status is not None:
            body["status"] = status
        if fulfillment_detail is not None:
            body["fulfillment_detail"] = fulfillment_detail
        if notes is not None:
            body["notes"] = notes
        path = f"{PREFIX}/orders/{order_id}/status"
        return Call("POST", path, Order.from_dict, json=body, headers=_key(idempotency_key))

    @staticmethod
    def events_page(order_id: str, cursor: str | int | None, limit: int | None) -> Call[Page[OrderEvent]]:
        params = _query({"cursor": cursor, "limit": limit})
        return Call("GET", f"{PREFIX}/orders/{order_id}/events", _page_of(OrderEvent), params=params)


def _auth(api_key: str) -> Callable[[], Mapping[str, str]]:
    headers = {"x-api-key": api_key}
    return lambda: headers


class AutoClient:
    """`AutoClient(api_key, base_url)`; `base_url` is the server root (`http://host:port`).

    Filters of `search_vehicles` and `list_orders` are the query parameters of the contract
    (`make=["Hyundai", "Kia"]`, `year_min=2020`, `sort="price_asc"`, `from_=...`, `to=...`);
    lists are sent as CSV. Iterators fetch pages of `page_size` as they are consumed."""

    def __init__(
        self,
        api_key: str,
        base_url: str = "http://127.0.0.1:8000",
        *,
        timeout: float = DEFAULT_TIMEOUT,
        retry: RetryPolicy | None = None,
        http_client: httpx.Client | None = None,
    ) -> None:
        self._t = SyncTransport(base_url, _auth(api_key), timeout=timeout, retry=retry, http_client=http_client)

    def __enter__(self) -> AutoClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._t.close()

    def facets(self, source: str | Sequence[str] | None = None) -> Facets:
        return self._t.send(AutoCalls.facets(source))

    def search_vehicles(self, *, page_size: int | None = None, **filters: Any) -> Iterator[VehicleSummary]:
        return self._t.pages(lambda cursor: AutoCalls.vehicles_page(cursor, page_size, filters))

    def get_vehicle(self, vehicle_id: str) -> Vehicle:
        return self._t.send(AutoCalls.vehicle(vehicle_id))

    def place_order(
        self, vehicle_id: str, max_bid_amount_usd: int | None = None, *, idempotency_key: str | None = None
    ) -> Order:
        return self._t.send(AutoCalls.place_order(vehicle_id, max_bid_amount_usd, idempotency_key))

    def list_orders(self, *, page_size: int | None = None, **filters: Any) -> Iterator[Order]:
        return self._t.pages(lambda cursor: AutoCalls.orders_page(cursor, page_size, filters))

    def get_order(self, order_id: str) -> Order:
        return self._t.send(AutoCalls.order(order_id))

    def cancel_order(self, order_id: str, *, idempotency_key: str | None = None) -> Order:
        return self._t.send(AutoCalls.cancel_order(order_id, idempotency_key))

    def push_status(
        self,
        order_id: str,
        *,
        occurred_at: str,
        status: str | None = None,
        fulfillment_detail: str | None = None,
        notes: str | None = None,
        idempotency_key: str | None = None,
    ) -> Order:
        """Report `fulfillment_detail` `in_transit`/`customs`, or `status="delivered"`."""
        call = AutoCalls.push_status(order_id, occurred_at, status, fulfillment_detail, notes, idempotency_key)
        return self._t.send(call)

    def list_events(self, order_id: str, *, page_size: int | None = None) -> Iterator[OrderEvent]:
        return self._t.pages(lambda cursor: AutoCalls.events_page(order_id, cursor, page_size))


class AsyncAutoClient:
    """The async twin of `AutoClient`: the same methods, awaited; iterators are async."""

    def __init__(
        self,
        api_key: str,
        base_url: str = "http://127.0.0.1:8000",
        *,
        timeout: float = DEFAULT_TIMEOUT,
        retry: RetryPolicy | None = None,
        http_client: httpx.AsyncClient | None = None,
    ) -> None:
        self._t = AsyncTransport(base_url, _auth(api_key), timeout=timeout, retry=retry, http_client=http_client)

    async def __aenter__(self) -> AsyncAutoClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def close(self) -> None:
        await self._t.close()

    async def facets(self, source: str | Sequence[str] | None = None) -> Facets:
        return await self._t.send(AutoCalls.facets(source))

    def search_vehicles(self, *, page_size: int | None = None, **filters: Any) -> AsyncIterator[VehicleSummary]:
        return self._t.pages(lambda cursor: AutoCalls.vehicles_page(cursor, page_size, filters))

    async def get_vehicle(self, vehicle_id: str) -> Vehicle:
        return await self._t.send(AutoCalls.vehicle(vehicle_id))

    async def place_order(
        self, vehicle_id: str, max_bid_amount_usd: int | None = None, *, idempotency_key: str | None = None
    ) -> Order:
        return await self._t.send(AutoCalls.place_order(vehicle_id, max_bid_amount_usd, idempotency_key))

    def list_orders(self, *, page_size: int | None = None, **filters: Any) -> AsyncIterator[Order]:
        return self._t.pages(lambda cursor: AutoCalls.orders_page(cursor, page_size, filters))

    async def get_order(self, order_id: str) -> Order:
        return await self._t.send(AutoCalls.order(order_id))

    async def cancel_order(self, order_id: str, *, idempotency_key: str | None = None) -> Order:
        return await self._t.send(AutoCalls.cancel_order(order_id, idempotency_key))

    async def push_status(
        self,
        order_id: str,
        *,
        occurred_at: str,
        status: str | None = None,
        fulfillment_detail: str | None = None,
        notes: str | None = None,
        idempotency_key: str | None = None,
    ) -> Order:
        call = AutoCalls.push_status(order_id, occurred_at, status, fulfillment_detail, notes, idempotency_key)
        return await self._t.send(call)

    def list_events(self, order_id: str, *, page_size: int | None = None) -> AsyncIterator[OrderEvent]:
        return self._t.pages(lambda cursor: AutoCalls.events_page(order_id, cursor, page_size))
