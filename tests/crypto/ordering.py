"""Helpers for the order tests: create, confirm and read the mailed security code like a
partner and an operator would."""

from __future__ import annotations

import re
from typing import Any

import httpx

from tests.crypto.conftest import Operator, Partner


def orders_path(customer_id: str) -> str:
    return f"/customers/{customer_id}/orders"


async def create(partner: Partner, customer_id: str, body: dict[str, Any]) -> httpx.Response:
    return await partner.post(orders_path(customer_id), json=body)


async def created(partner: Partner, customer_id: str, body: dict[str, Any]) -> dict[str, Any]:
    response = await create(partner, customer_id, body)
    assert response.status_code == 201, response.text
    return response.json()


async def confirm(
    partner: Partner, customer_id: str, order_id: str, body: dict[str, Any] | None = None, **kwargs: Any
) -> httpx.Response:
    if body is None and "content" not in kwargs:
        body = {}
    if body is not None:
        kwargs["json"] = body
    return await partner.post(f"{orders_path(customer_id)}/{order_id}/confirm", **kwargs)


async def resend(partner: Partner, customer_id: str, order_id: str, body: Any = None) -> httpx.Response:
    kwargs: dict[str, Any] = {} if body is None else {"json": body}
    return await partner.post(f"{orders_path(customer_id)}/{order_id}/resend_code", **kwargs)


async def mails(operator: Operator, to: str) -> list[dict[str, Any]]:
    response = await operator.request("GET", "/mail", params={"to": to, "limit": 100})
    assert response.status_code == 200, response.text
    return response.json()["messages"]


async def latest_code(operator: Operator, to: str, order_id: str) -> str:
    for message in await mails(operator, to):
        if order_id in message["body"]:
            found = re.match(r"Your security code is ([0-9]{6})\.", message["body"])
            assert found, message
            return found.group(1)
    raise AssertionError(f"no code mailed for {order_id}")


def buy(currency: str = "BTC", amount: str | None = None, **node: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"operation": "buy", "asset": {"currency": currency}}
    if amount is not None:
        body["asset"]["amount"] = amount
    if node:
        body["buy"] = node
    return body


def sell(currency: str = "BTC", amount: str | None = None, **node: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"operation": "sell", "asset": {"currency": currency}}
    if amount is not None:
        body["asset"]["amount"] = amount
    if node:
        body["sell"] = node
    return body
