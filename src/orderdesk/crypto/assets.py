"""Operator changes to the catalogue: assets (spec/crypto.md 11.3) and prices (11.4)."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

import orjson
from pydantic import TypeAdapter

from orderdesk.crypto import catalogue, contract_errors, errors
from orderdesk.crypto.models.operator import PriceInput
from orderdesk.crypto.validation import Fields, Node, one_of
from orderdesk.crypto.vocabulary import ASSET_OPERATIONS as OPERATIONS
from orderdesk.platform.runtime import Runtime

ASSET_CODE = re.compile(r"^[A-Z0-9]{2,16}$")
NETWORK_NAME = re.compile(r"^[a-z][a-z0-9_]{1,31}$")
MAX_PLACES = 18
PRICE = TypeAdapter(PriceInput)


def asset_input(data: dict[str, Any], currency: str, default_max_order_value: Decimal) -> dict[str, Any]:
    fields = Fields()
    node = fields.root(data, ("decimal_places", "allowed_operations", "networks", "max_order_value"))
    places = fields.integer(node, "decimal_places", required=True)
    if places is not None and not 0 <= places <= MAX_PLACES:
        fields.add(("decimal_places",), f"Must be between 0 and {MAX_PLACES}.")
        places = None
    operations = _operations(fields, node)
    networks = _networks(fields, node, currency, places)
    max_value = fields.amount(node, "max_order_value", currency="USD", places=2)
    fields.raise_if_any()
    return {
        "decimal_places": places,
        "allowed_operations": operations,
        "networks": networks,
        "max_order_value": max_value if max_value is not None else default_max_order_value,
    }


def _operations(fields: Fields, node: Node) -> list[str] | None:
    items = fields.list(node, "allowed_operations", required=True)
    if items is None:
        return None
    chosen: set[str] = set()
    for position, item in enumerate(items):
        if not isinstance(item, str):
            fields.add(("allowed_operations", position), "Not a valid string.")
        elif item not in OPERATIONS:
            fields.add(("allowed_operations", position), one_of(OPERATIONS))
        else:
            chosen.add(item)
    return [operation for operation in OPERATIONS if operation in chosen]  # catalogue order


def _networks(fields: Fields, node: Node, currency: str, places: int | None) -> list[dict[str, str]] | None:
    items = fields.list(node, "networks", required=True)
    if items is None:
        return None
    if not items:
        fields.add(("networks",), "Must contain at least one item.")
        return None
    networks: list[dict[str, str]] = []
    seen: set[str] = set()
    for position, item in enumerate(items):
        if not isinstance(item, dict):
            fields.add(("networks", position), "Not a valid object.")
            continue
        entry = Node(item, ("networks", position))
        fields.unknown(entry, ("network", "send_fee"))
        name = fields.string(
            entry,
            "network",
            required=True,
            max_length=32,
            pattern=NETWORK_NAME,
            pattern_message="Not a valid network name.",
        )
        fee = fields.amount(
            entry,
            "send_fee",
            required=True,
            positive=False,
            currency=currency,
            places=places if places is not None else MAX_PLACES,
        )
        if name is not None and name in seen:
            fields.add(("networks", position, "network"), "Must be unique.")
        elif name is not None:
            seen.add(name)
        if name is not None and fee is not None and not fields.has_errors_under(("networks", position)):
            networks.append({"network": name, "send_fee": format(fee, "f")})
    return networks


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
        existing = await conn.fetchrow(
            "SELECT decimal_places FROM crypto_assets WHERE id = :id" + conn.for_update, {"id": currency}
        )
        if existing is None:
            await conn.execute(
                "INSERT INTO crypto_assets (id, decimal_places, allowed_operations, networks, max_order_value,"
                " created_at, updated_at) VALUES (:id, :decimal_places, :allowed_operations, :networks,"
                " :max_order_value, :now, :now)",
                row,
            )
        else:
            if existing["decimal_places"] != values["decimal_places"]:
                raise errors.field_error(("decimal_places",), "Cannot be changed once the asset exists.")
            await conn.execute(
                "UPDATE crypto_assets SET allowed_operations = :allowed_operations, networks = :networks,"
                " max_order_value = :max_order_value, updated_at = :now WHERE id = :id",
                row,
            )
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
        updated = await conn.execute(
            "UPDATE crypto_prices SET bid = :bid, ask = :ask, updated_at = :now"
            " WHERE currency = :currency AND quote_currency = :quote",
            params,
        )
        if not updated:
            await conn.execute(
                "INSERT INTO crypto_prices (currency, quote_currency, bid, ask, updated_at)"
                " VALUES (:currency, :quote, :bid, :ask, :now)",
                params,
            )
        price = await catalogue.price(conn, currency, quote)
    assert price is not None
    return price.view()
