"""Auto fixtures: partners, keys and vehicles are made the way an operator makes them, through
the operator API; partners then act through the partner API."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

from tests.conftest import OPS_HEADERS

AUCTION_DATE = "2026-05-12T13:30:00+09:00"  # cutoff 2026-05-11T00:00:00+09:00; "now" is 2026-05-06

PALISADE: dict[str, Any] = {
    "source": "glovis",
    "make": "Hyundai",
    "model": "Palisade",
    "trim": "Calligraphy 2.2 AWD",
    "year": 2022,
    "mileage_km": 38412,
    "fuel": "diesel",
    "transmission": "auto",
    "color": "white",
    "engine_cc": 2199,
    "drivetrain": "AWD",
    "options": ["sunroof", "leather_seats", "navigation", "rear_view_camera"],
    "accident_grade": "A",
    "exterior_grade": "B",
    "auction_date": AUCTION_DATE,
    "auction_count": 1,
    "auction_result": "upcoming",
    "pricing": {"listing_usd": 17400},
    "vin": "KMHR381ABNU123456",
    "license_plate": "123가4567",
    "images": ["https://img.example.com/glovis/0418/front.jpg"],
    "inspection_report": {"grade": "A/B"},
    "body_condition": None,
}
DEALER_CAR: dict[str, Any] = {
    "source": "dealer",
    "make": "Kia",
    "model": "Sorento",
    "year": 2021,
    "mileage_km": 51000,
    "fuel": "hybrid",
    "transmission": "auto",
    "pricing": {"listing_usd": 21900},
}
NO_BID_CAR: dict[str, Any] = {
    "source": "sk",
    "make": "Kia",
    "model": "Carnival",
    "year": 2020,
    "mileage_km": 72000,
    "fuel": "diesel",
    "transmission": "auto",
    "accident_grade": "B",
    "exterior_grade": "B",
    "auction_date": "2026-04-28T10:00:00+09:00",
    "auction_count": 2,
    "auction_result": "no_bid",
    "pricing": {"listing_usd": 15800},
}


def idem() -> dict[str, str]:
    return {"Idempotency-Key": str(uuid.uuid4())}


def error_of(response: httpx.Response) -> dict[str, Any]:
    body = response.json()
    assert set(body) == {"error"}, body
    assert set(body["error"]) == {"code", "message", "request_id", "details"}, body
    assert body["error"]["request_id"] == response.headers["x-request-id"]
    return body["error"]


def assert_error(
    response: httpx.Response, status: int, code: str, details: dict[str, Any] | None = None, message: str | None = None
) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    error = error_of(response)
    assert error["code"] == code, error
    if details is not None:
        assert error["details"] == details, error
    if message is not None:
        assert error["message"] == message, error
    return error


def issue_paths(response: httpx.Response) -> list[tuple[str, str]]:
    error = assert_error(response, 400, "validation_error", message="Request validation failed")
    assert set(error["details"]) == {"issues"}
    for issue in error["details"]["issues"]:
        assert set(issue) == {"location", "path", "message"} and issue["message"], issue
    return [(issue["location"], issue["path"]) for issue in error["details"]["issues"]]


async def stored_events(client: httpx.AsyncClient, order_id: str) -> list[dict[str, Any]]:
    """The auto_events rows of an order, oldest first, with their outbox rows' kind and FIFO key."""
    runtime = client.runtime  # type: ignore[attr-defined]
    async with runtime.db.transaction(write=False) as conn:
        rows = await conn.fetch(
            "SELECT e.id, e.order_id, e.partner_id, e.type, e.payload, e.delivery_status, e.attempts,"
            " e.last_response_code, e.last_attempt_at, e.created_at, o.kind AS outbox_kind, o.fifo_key,"
            " o.due_at AS outbox_due_at"
            " FROM auto_events e LEFT JOIN outbox o ON o.ref = e.id"
            " WHERE e.order_id = :order_id ORDER BY e.seq",
            {"order_id": order_id},
        )
    return [dict(zip(row.keys(), row, strict=True)) for row in rows]


class Partner:
    """A partner as its integration sees it: an API key and a way to call."""

    def __init__(self, client: httpx.AsyncClient, created: dict[str, Any]) -> None:
        self.client = client
        self.created = created
        self.id: str = created["id"]
        self.key: str = created["api_key"]

    @property
    def headers(self) -> dict[str, str]:
        return {"x-api-key": self.key}

    async def get(self, path: str, **kwargs: Any) -> httpx.Response:
        return await self.client.get("/auto" + path, headers={**self.headers, **kwargs.pop("headers", {})}, **kwargs)

    async def place(
        self,
        vehicle_id: str,
        max_bid: int | None = None,
        *,
        key: str | None = None,
        body: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> httpx.Response:
        payload = body if body is not None else {"vehicle_id": vehicle_id, "max_bid_amount_usd": max_bid}
        return await self.client.post(
            "/auto/v1/orders",
            json=payload,
            headers={**self.headers, "Idempotency-Key": key or str(uuid.uuid4()), **(headers or {})},
        )

    async def cancel(self, order_id: str, *, key: str | None = None) -> httpx.Response:
        return await self.client.delete(
            f"/auto/v1/orders/{order_id}", headers={**self.headers, "Idempotency-Key": key or str(uuid.uuid4())}
        )

    async def push(self, order_id: str, body: dict[str, Any], *, key: str | None = None) -> httpx.Response:
        """POST /v1/orders/{id}/status (spec 4.8)."""
        return await self.client.post(
            f"/auto/v1/orders/{order_id}/status",
            json=body,
            headers={**self.headers, "Idempotency-Key": key or str(uuid.uuid4())},
        )

    async def order(self, order_id: str) -> dict[str, Any]:
        response = await self.get(f"/v1/orders/{order_id}")
        assert response.status_code == 200, response.text
        return response.json()

    async def events(self, order_id: str, **params: Any) -> list[dict[str, Any]]:
        response = await self.get(f"/v1/orders/{order_id}/events", params={"limit": 200, **params})
        assert response.status_code == 200, response.text
        return response.json()["data"]


class Operator:
    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client

    async def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        return await self.client.request(
            method, "/ops/v1/auto" + path, headers={**OPS_HEADERS, **kwargs.pop("headers", {})}, **kwargs
        )

    async def partner(self, name: str = "Harbor Auto Imports", **fields: Any) -> Partner:
        response = await self.request("POST", "/partners", json={"name": name, **fields})
        assert response.status_code == 201, response.text
        return Partner(self.client, response.json())

    async def vehicle(self, vehicle_id: str, base: dict[str, Any] | None = None, **fields: Any) -> dict[str, Any]:
        response = await self.request("PUT", f"/vehicles/{vehicle_id}", json={**(base or PALISADE), **fields})
        assert response.status_code in (200, 201), response.text
        return response.json()

    async def order(self, order_id: str) -> dict[str, Any]:
        response = await self.request("GET", f"/orders/{order_id}")
        assert response.status_code == 200, response.text
        return response.json()

    async def start(self, vehicle_id: str) -> dict[str, Any]:
        response = await self.request("POST", f"/vehicles/{vehicle_id}/auction/start")
        assert response.status_code == 200, response.text
        return response.json()

    async def result(self, vehicle_id: str, outcome: str, **amounts: Any) -> httpx.Response:
        return await self.request(
            "POST", f"/vehicles/{vehicle_id}/auction/result", json={"outcome": outcome, **amounts}
        )

    async def transition(self, order_id: str, **body: Any) -> httpx.Response:
        return await self.request("POST", f"/orders/{order_id}/transition", json=body)

    async def move(self, order_id: str, **body: Any) -> dict[str, Any]:
        response = await self.transition(order_id, **body)
        assert response.status_code == 200, response.text
        return response.json()

    async def orders(self, **params: Any) -> list[dict[str, Any]]:
        response = await self.request("GET", "/orders", params={"limit": 200, **params})
        assert response.status_code == 200, response.text
        return response.json()["data"]


@pytest.fixture
def operator(client: httpx.AsyncClient) -> Operator:
    return Operator(client)


@pytest.fixture
async def partner(operator: Operator) -> Partner:
    return await operator.partner()


@pytest.fixture
async def rival(operator: Operator) -> Partner:
    return await operator.partner("Lagos Motors")


@pytest.fixture
async def auction_car(operator: Operator) -> dict[str, Any]:
    return await operator.vehicle("glovis-20260512-0418")


@pytest.fixture
async def dealer_car(operator: Operator) -> dict[str, Any]:
    return await operator.vehicle("dealer-88120457", DEALER_CAR)


@pytest.fixture
async def no_bid_car(operator: Operator) -> dict[str, Any]:
    return await operator.vehicle("sk-20260428-0077", NO_BID_CAR)
