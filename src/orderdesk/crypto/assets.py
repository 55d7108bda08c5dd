"""Operator changes to the catalogue: assets (spec/crypto.md 11.3) and prices (11.4)."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

import orjson
from pydantic import TypeAdapter

from orderdesk.crypto import catalogue, contract_errors, errors, formats
from orderdesk.crypto.models.operator import MAX_PLACES, AssetDefinition, PriceInput
from orderdesk.crypto.models.types import too_many_places
from orderdesk.crypto.repositories import catalogue as repo
from orderdesk.crypto.vocabulary import ASSET_OPERATIONS as OPERATIONS
from orderdesk.platform.runtime import Runtime

ASSET_CODE = re.compile(r"^[A-Z0-9]{2,16}$")
PRICE = TypeAdapter(PriceInput)
ASSET = TypeAdapter(AssetDefinition)


def asset_input(data: dict[str, Any], currency: str, default_max_order_value: Decimal) -> dict[str, Any]:
    """The body by its model, then what depends on the whole list: unique network names and
    each `send_fee` within the asset's decimals (18 while `decimal_places` is refused)."""
    tree: dict[Any, Any] = {}
    body = contract_errors.collect(ASSET, data, tree)
    places = data["decimal_places"] if "decimal_places" not in tree else MAX_PLACES
    seen: set[str] = set()
    for position, item in enumerate(data.get("networks") or [] if isinstance(data.get("networks"), list) else []):
        if not isinstance(item, dict) or contract_errors.has_errors_under(tree, ("networks", position)):
            continue
        name, fee = str(item.get("network")), str(item.get("send_fee"))  # strings when not refused
        if not contract_errors.has_errors_under(tree, ("networks", position, "network")):
            if name in seen:
                contract_errors.add(tree, ("networks", position, "network"), "Must be unique.")
            seen.add(name)
        if (
            not contract_errors.has_errors_under(tree, ("networks", position, "send_fee"))
            and formats.places_of(fee) > places
        ):
            contract_errors.add(tree, ("networks", position, "send_fee"), too_many_places(currency, places))
    if tree:
        raise errors.field_errors(tree)
    assert body is not None
    return {
        "decimal_places": body.decimal_places,
        "allowed_operations": [op for op in OPERATIONS if op in body.allowed_operations],  # catalogue order
        "networks": [{"network": n.network, "send_fee": format(Decimal(n.send_fee), "f")} for n in body.networks],
        "max_order_value": Decimal(body.max_order_value) if body.max_order_value else default_max_order_value,
    }


async def put_asset(runtime: Runtime, currency: str, values: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    if not ASSET_CODE.fullmatch(currency):
        raise errors.not_found()
    now = runtime.clock.now()
    row = {
        "id": currency,
        "decimal_places": values["decimal_places"],
        "allowed_operations": orjson.dumps(values["allowed_operations"]).decode(),
        "networks": orjson.dumps(values["networks"]).decode(),
        "max_order_value": values["max_order_value"],
        "now": now,
    }
    async with runtime.db.transaction() as conn:
        if await catalogue.investment(conn, currency) is not None:
            raise errors.not_found()
        existing = await repo.lock_asset_places(conn, currency)
        if existing is None:
            await repo.insert_asset(conn, row)
        else:
            if existing["decimal_places"] != values["decimal_places"]:
                raise errors.field_error(("decimal_places",), "Cannot be changed once the asset exists.")
            await repo.update_asset(conn, row)
        asset = await catalogue.asset(conn, currency)
    assert asset is not None
    return (201 if existing is None else 200), asset.view()


def price_input(data: dict[str, Any]) -> tuple[str, Decimal, Decimal]:
    """(quote currency, bid, ask); `bid > ask` is refused with the other field errors."""
    tree: dict[Any, Any] = {}
    body = contract_errors.collect(PRICE, data, tree)
    valid = ("bid" not in tree and "ask" not in tree) and isinstance(data.get("bid"), str)
    if valid and Decimal(data["bid"]) > Decimal(data["ask"]):
        contract_errors.add(tree, ("bid",), "Must be less than or equal to ask.")
    if tree:
        raise errors.field_errors(tree)
    assert body is not None
    return body.quote_currency, Decimal(body.bid), Decimal(body.ask)


async def names_an_investment(runtime: Runtime, currency: str) -> bool:
    async with runtime.db.transaction(write=False) as conn:
        return await catalogue.investment(conn, currency) is not None


async def asset_exists(runtime: Runtime, currency: str) -> bool:
    async with runtime.db.transaction(write=False) as conn:
        return await catalogue.asset(conn, currency) is not None


async def put_price(runtime: Runtime, currency: str, quote: str, bid: Decimal, ask: Decimal) -> dict[str, Any]:
    now = runtime.clock.now()
    params = {"currency": currency, "quote": quote, "bid": bid, "ask": ask, "now": now}
    async with runtime.db.transaction() as conn:
        if await catalogue.asset(conn, currency) is None:
            raise errors.not_found("Asset not found")
        updated = await repo.update_price(conn, params)
        if not updated:
            await repo.insert_price(conn, params)
        price = await catalogue.price(conn, currency, quote)
    assert price is not None
    return price.view()
