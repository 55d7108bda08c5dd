"""Operator changes to investments (spec/crypto.md 11.8): PUT creates or replaces one.

`quote_asset` and `decimal_places` are fixed once the investment exists (positions and
tokens are denominated in them). An APY change re-anchors the token price at
`(P(now), now)` so the price never jumps (4.1); `rate.updated_at` then moves too."""

from __future__ import annotations

import re
from datetime import datetime
from decimal import Decimal
from typing import Any

from pydantic import TypeAdapter

from orderdesk.crypto import catalogue, contract_errors, errors
from orderdesk.crypto.amounts import PERCENT_PLACES, PERCENT_RANGE
from orderdesk.crypto.formats import places_of
from orderdesk.crypto.models.operator import InvestmentDefinition
from orderdesk.crypto.models.types import one_of, too_many_places
from orderdesk.crypto.repositories import catalogue as repo
from orderdesk.crypto.validation import Fields
from orderdesk.platform.db import Connection
from orderdesk.platform.runtime import Runtime

INVESTMENT_ID = re.compile(r"^[A-Za-z0-9]{2,32}$")
INVESTMENT = TypeAdapter(InvestmentDefinition)
FIXED_LATER = "Cannot be changed once the investment exists."


async def investment_input(conn: Connection, data: dict[str, Any]) -> dict[str, Any]:
    """The body by its model, then what needs the catalogue (the quote asset, its network
    and decimals) and the ranges, reported together."""
    tree: dict[Any, Any] = {}
    body = contract_errors.collect(INVESTMENT, data, tree)
    code = data.get("quote_asset") if not contract_errors.has_errors_under(tree, ("quote_asset",)) else None
    quote_asset = await catalogue.asset(conn, code) if code is not None else None
    if code is not None and quote_asset is None:
        contract_errors.add(tree, ("quote_asset",), f"Unknown currency {code}.")
    network = data.get("network")
    if (
        quote_asset is not None
        and not contract_errors.has_errors_under(tree, ("network",))
        and quote_asset.network(str(network)) is None
    ):
        contract_errors.add(tree, ("network",), one_of(n.network for n in quote_asset.networks))
    for key in ("subscription", "redemption"):
        _check_limits(tree, data.get(key), key, quote_asset)
    _check_percent(tree, data.get("fee"), ("fee", "value"), PERCENT_RANGE, inclusive=False)
    _check_percent(tree, data, ("apy",), "Must be between 0 and 100.", inclusive=True)
    if tree:
        raise errors.field_errors(tree)
    assert body is not None and quote_asset is not None
    return {
        "name": body.name,
        "provider_id": body.provider_id,
        "enabled": body.enabled if body.enabled is not None else True,
        "decimal_places": body.decimal_places if body.decimal_places is not None else quote_asset.decimal_places,
        "quote_asset": quote_asset,
        "network": body.network,
        "subscription": {"min": Decimal(body.subscription.min_amount), "max": Decimal(body.subscription.max_amount)},
        "redemption": {"min": Decimal(body.redemption.min_amount), "max": Decimal(body.redemption.max_amount)},
        "fee_type": body.fee.type,
        "fee_value": Decimal(body.fee.value),
        "apy": Decimal(body.apy),
    }


def _check_limits(tree: dict[Any, Any], limits: Any, key: str, quote_asset: catalogue.Asset | None) -> None:
    """Both amounts within the quote asset's decimals; a non-zero maximum not below the minimum."""
    if not isinstance(limits, dict):
        return
    names = ("min_amount", "max_amount")
    if quote_asset is not None:
        for name in names:
            if (
                not contract_errors.has_errors_under(tree, (key, name))
                and places_of(limits[name]) > quote_asset.decimal_places
            ):
                contract_errors.add(tree, (key, name), too_many_places(quote_asset.id, quote_asset.decimal_places))
    if not any(contract_errors.has_errors_under(tree, (key, name)) for name in names):
        minimum, maximum = Decimal(limits["min_amount"]), Decimal(limits["max_amount"])
        if maximum != 0 and maximum < minimum:
            contract_errors.add(tree, (key, "max_amount"), "Must be 0 or greater than or equal to min_amount.")


def _check_percent(tree: dict[Any, Any], parent: Any, path: tuple[str, ...], message: str, *, inclusive: bool) -> None:
    if not isinstance(parent, dict) or contract_errors.has_errors_under(tree, path):
        return
    raw = parent[path[-1]]
    if places_of(raw) > PERCENT_PLACES:
        contract_errors.add(tree, path, f"Too many decimal places (maximum {PERCENT_PLACES}).")
    elif Decimal(raw) > 100 or (Decimal(raw) == 100 and not inclusive):
        contract_errors.add(tree, path, message)


async def put_investment(runtime: Runtime, investment_id: str, data: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    if not INVESTMENT_ID.match(investment_id):
        raise errors.not_found()
    now = runtime.clock.now()
    async with runtime.db.transaction() as conn:
        if await catalogue.asset(conn, investment_id) is not None:
            raise errors.not_found()
        values = await investment_input(conn, data)
        existing = await repo.lock_investment(conn, investment_id)
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
    await repo.insert_investment(conn, {**_row(investment_id, values, now), "one": Decimal(1)})


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
    await repo.update_investment(conn, {**_row(current.id, values, now), **anchor})
