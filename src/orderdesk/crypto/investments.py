"""Operator changes to investments (spec/crypto.md 11.8): PUT creates or replaces one.

`quote_asset` and `decimal_places` are fixed once the investment exists (positions and
tokens are denominated in them). An APY change re-anchors the token price at
`(P(now), now)` so the price never jumps (4.1); `rate.updated_at` then moves too."""

from __future__ import annotations

import re
from datetime import datetime
from decimal import Decimal
from typing import Any

from orderdesk.crypto import catalogue, errors
from orderdesk.crypto.amounts import PERCENT_PLACES, PERCENT_RANGE
from orderdesk.crypto.formats import places_of
from orderdesk.crypto.validation import Fields, Node, one_of
from orderdesk.platform.db import Connection
from orderdesk.platform.runtime import Runtime

INVESTMENT_ID = re.compile(r"^[A-Za-z0-9]{2,32}$")
FEE_TYPES = ("earnings_percentage",)
MAX_PLACES = 18
FIELDS = (
    "name",
    "quote_asset",
    "network",
    "provider_id",
    "enabled",
    "decimal_places",
    "subscription",
    "redemption",
    "fee",
    "apy",
)
FIXED_LATER = "Cannot be changed once the investment exists."


def _limits(fields: Fields, root: Node, key: str, currency: str, places: int | None) -> dict[str, Decimal] | None:
    node = fields.object(root, key, required=True, allowed=("min_amount", "max_amount"))
    if node is None:
        return None
    minimum = fields.amount(node, "min_amount", required=True, currency=currency, places=places)
    maximum = fields.amount(node, "max_amount", required=True, positive=False, currency=currency, places=places)
    if minimum is None or maximum is None:
        return None
    if maximum != 0 and maximum < minimum:
        fields.add((key, "max_amount"), "Must be 0 or greater than or equal to min_amount.")
        return None
    return {"min": minimum, "max": maximum}


def _percent(
    fields: Fields, parent: Node, key: str, path: tuple[str, ...], *, upper: Decimal, message: str, inclusive: bool
) -> Decimal | None:
    value = fields.amount(parent, key, required=True, positive=False)
    if value is None:
        return None
    if places_of(parent.raw(key)) > PERCENT_PLACES:
        fields.add(path, f"Too many decimal places (maximum {PERCENT_PLACES}).")
        return None
    if value > upper or (value == upper and not inclusive):
        fields.add(path, message)
        return None
    return value


async def investment_input(conn: Connection, data: dict[str, Any]) -> dict[str, Any]:
    fields = Fields()
    root = fields.root(data, FIELDS)
    values: dict[str, Any] = {
        "name": fields.string(root, "name", required=True),
        "provider_id": fields.string(root, "provider_id", required=True),
        "enabled": fields.boolean(root, "enabled"),
        "decimal_places": fields.integer(root, "decimal_places"),
    }
    places = values["decimal_places"]
    if places is not None and not 0 <= places <= MAX_PLACES:
        fields.add(("decimal_places",), f"Must be between 0 and {MAX_PLACES}.")
    code = fields.string(root, "quote_asset", required=True, max_length=64)
    quote_asset = await catalogue.asset(conn, code) if code is not None else None
    if code is not None and quote_asset is None:
        fields.add(("quote_asset",), f"Unknown currency {code}.")
    network = fields.string(root, "network", required=True, max_length=32)
    if network is not None and quote_asset is not None and quote_asset.network(network) is None:
        fields.add(("network",), one_of(n.network for n in quote_asset.networks))
    label = quote_asset.id if quote_asset else code or ""
    quote_places = quote_asset.decimal_places if quote_asset else None
    values["subscription"] = _limits(fields, root, "subscription", label, quote_places)
    values["redemption"] = _limits(fields, root, "redemption", label, quote_places)
    fee = fields.object(root, "fee", required=True, allowed=("type", "value"))
    if fee is not None:
        values["fee_type"] = fields.choice(fee, "type", FEE_TYPES, required=True)
        values["fee_value"] = _percent(
            fields, fee, "value", ("fee", "value"), upper=Decimal(100), message=PERCENT_RANGE, inclusive=False
        )
    values["apy"] = _percent(
        fields, root, "apy", ("apy",), upper=Decimal(100), message="Must be between 0 and 100.", inclusive=True
    )
    fields.raise_if_any()
    assert quote_asset is not None
    values.update(quote_asset=quote_asset, network=network)
    if values["enabled"] is None:
        values["enabled"] = True
    if values["decimal_places"] is None:
        values["decimal_places"] = quote_asset.decimal_places
    return values


async def put_investment(runtime: Runtime, investment_id: str, data: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    if not INVESTMENT_ID.match(investment_id):
        raise errors.not_found()
    now = runtime.clock.now()
    async with runtime.db.transaction() as conn:
        if await catalogue.asset(conn, investment_id) is not None:
            raise errors.not_found()
        values = await investment_input(conn, data)
        existing = await conn.fetchrow(
            f"SELECT {catalogue.INVESTMENT_COLUMNS} FROM crypto_investments WHERE id = :id" + conn.for_update,
            {"id": investment_id},
        )
        if existing is None:
            await _insert(conn, investment_id, values, now)
        else:
            await _replace(conn, catalogue.Investment.from_row(existing), values, now)
        investment = await catalogue.investment(conn, investment_id)
    assert investment is not None
    return (201 if existing is None else 200), investment.view(now, values["quote_asset"].decimal_places)


def _row(investment_id: str, values: dict[str, Any], now: datetime) -> dict[str, Any]:
    return {
        "id": investment_id,
        "name": values["name"],
        "quote_asset": values["quote_asset"].id,
        "network": values["network"],
        "provider_id": values["provider_id"],
        "enabled": values["enabled"],
        "decimal_places": values["decimal_places"],
        "subscription_min": values["subscription"]["min"],
        "subscription_max": values["subscription"]["max"],
        "redemption_min": values["redemption"]["min"],
        "redemption_max": values["redemption"]["max"],
        "fee_type": values["fee_type"],
        "fee_value": values["fee_value"],
        "apy": values["apy"],
        "now": now,
    }


async def _insert(conn: Connection, investment_id: str, values: dict[str, Any], now: datetime) -> None:
    await conn.execute(
        "INSERT INTO crypto_investments (id, name, quote_asset, network, provider_id, enabled, decimal_places,"
        " subscription_min, subscription_max, redemption_min, redemption_max, fee_type, fee_value, apy,"
        " anchor_price, anchor_at, rate_updated_at, created_at, updated_at) VALUES (:id, :name, :quote_asset,"
        " :network, :provider_id, :enabled, :decimal_places, :subscription_min, :subscription_max,"
        " :redemption_min, :redemption_max, :fee_type, :fee_value, :apy, :one, :now, :now, :now, :now)",
        {**_row(investment_id, values, now), "one": Decimal(1)},
    )


async def _replace(conn: Connection, current: catalogue.Investment, values: dict[str, Any], now: datetime) -> None:
    fields = Fields()
    if values["quote_asset"].id != current.quote_asset:
        fields.add(("quote_asset",), FIXED_LATER)
    if values["decimal_places"] != current.decimal_places:
        fields.add(("decimal_places",), FIXED_LATER)
    fields.raise_if_any()
    anchor = {
        "anchor_price": current.anchor_price,
        "anchor_at": current.anchor_at,
        "rate_updated_at": current.rate_updated_at,
    }
    if values["apy"] != current.apy:
        anchor = {"anchor_price": current.token_price(now), "anchor_at": now, "rate_updated_at": now}
    await conn.execute(
        "UPDATE crypto_investments SET name = :name, network = :network, provider_id = :provider_id,"
        " enabled = :enabled, subscription_min = :subscription_min, subscription_max = :subscription_max,"
        " redemption_min = :redemption_min, redemption_max = :redemption_max, fee_type = :fee_type,"
        " fee_value = :fee_value, apy = :apy, anchor_price = :anchor_price, anchor_at = :anchor_at,"
        " rate_updated_at = :rate_updated_at, updated_at = :now WHERE id = :id",
        {**_row(current.id, values, now), **anchor},
    )
