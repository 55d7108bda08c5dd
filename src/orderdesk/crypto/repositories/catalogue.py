"""SQL reading the catalogue: crypto_assets, crypto_prices, crypto_investments."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from orderdesk.platform.db import Connection, Row

ASSET_COLUMNS = "id, decimal_places, allowed_operations, networks, max_order_value"
# The fields of catalogue.Investment, in its order (catalogue checks they agree).
INVESTMENT_COLUMNS = (
    "id, name, quote_asset, network, provider_id, enabled, decimal_places, subscription_min, subscription_max,"
    " redemption_min, redemption_max, fee_type, fee_value, apy, anchor_price, anchor_at, rate_updated_at"
)


async def all_assets(conn: Connection) -> list[Row]:
    return await conn.fetch(f"SELECT {ASSET_COLUMNS} FROM crypto_assets")


async def find_asset(conn: Connection, currency: str) -> Row | None:
    return await conn.fetchrow(f"SELECT {ASSET_COLUMNS} FROM crypto_assets WHERE id = :id", {"id": currency})


async def all_prices(conn: Connection, quote_currency: str | None = None) -> list[Row]:
    where = " WHERE quote_currency = :quote" if quote_currency else ""
    return await conn.fetch(
        f"SELECT currency, quote_currency, bid, ask, updated_at FROM crypto_prices{where}",
        {"quote": quote_currency} if quote_currency else None,
    )


async def find_price(conn: Connection, currency: str, quote_currency: str) -> Row | None:
    return await conn.fetchrow(
        "SELECT currency, quote_currency, bid, ask, updated_at FROM crypto_prices"
        " WHERE currency = :currency AND quote_currency = :quote",
        {"currency": currency, "quote": quote_currency},
    )


async def find_prices(conn: Connection, currency: str, first_quote: str, second_quote: str) -> list[Row]:
    """The prices of `currency` in two quote currencies (one statement; either may be missing)."""
    return await conn.fetch(
        "SELECT currency, quote_currency, bid, ask, updated_at FROM crypto_prices"
        " WHERE currency = :currency AND quote_currency IN (:first, :second)",
        {"currency": currency, "first": first_quote, "second": second_quote},
    )


async def all_investments(conn: Connection) -> list[Row]:
    return await conn.fetch(f"SELECT {INVESTMENT_COLUMNS} FROM crypto_investments")


async def find_investment(conn: Connection, investment_id: str) -> Row | None:
    return await conn.fetchrow(
        f"SELECT {INVESTMENT_COLUMNS} FROM crypto_investments WHERE id = :id", {"id": investment_id}
    )


# --------------------------------------------------------------------------- operator writes


async def lock_asset_places(conn: Connection, currency: str) -> Row | None:
    return await conn.fetchrow(
        "SELECT decimal_places FROM crypto_assets WHERE id = :id" + conn.for_update, {"id": currency}
    )


async def insert_asset(conn: Connection, row: Mapping[str, Any]) -> None:
    """`row`: id, decimal_places, allowed_operations, networks (JSON text), max_order_value, now."""
    await conn.execute(
        "INSERT INTO crypto_assets (id, decimal_places, allowed_operations, networks, max_order_value,"
        " created_at, updated_at) VALUES (:id, :decimal_places, :allowed_operations, :networks,"
        " :max_order_value, :now, :now)",
        row,
    )


async def update_asset(conn: Connection, row: Mapping[str, Any]) -> None:
    await conn.execute(
        "UPDATE crypto_assets SET allowed_operations = :allowed_operations, networks = :networks,"
        " max_order_value = :max_order_value, updated_at = :now WHERE id = :id",
        row,
    )


async def update_price(conn: Connection, params: Mapping[str, Any]) -> int:
    """Rows updated (0 when the pair has no price yet). `params`: currency, quote, bid, ask, now."""
    return await conn.execute(
        "UPDATE crypto_prices SET bid = :bid, ask = :ask, updated_at = :now"
        " WHERE currency = :currency AND quote_currency = :quote",
        params,
    )


async def insert_price(conn: Connection, params: Mapping[str, Any]) -> None:
    await conn.execute(
        "INSERT INTO crypto_prices (currency, quote_currency, bid, ask, updated_at)"
        " VALUES (:currency, :quote, :bid, :ask, :now)",
        params,
    )


async def lock_investment(conn: Connection, investment_id: str) -> Row | None:
    return await conn.fetchrow(
        f"SELECT {INVESTMENT_COLUMNS} FROM crypto_investments WHERE id = :id" + conn.for_update,
        {"id": investment_id},
    )


async def insert_investment(conn: Connection, row: Mapping[str, Any]) -> None:
    """`row`: the investment's columns up to apy, `one` (the first anchor price) and `now`."""
    await conn.execute(
        "INSERT INTO crypto_investments (id, name, quote_asset, network, provider_id, enabled, decimal_places,"
        " subscription_min, subscription_max, redemption_min, redemption_max, fee_type, fee_value, apy,"
        " anchor_price, anchor_at, rate_updated_at, created_at, updated_at) VALUES (:id, :name, :quote_asset,"
        " :network, :provider_id, :enabled, :decimal_places, :subscription_min, :subscription_max,"
        " :redemption_min, :redemption_max, :fee_type, :fee_value, :apy, :one, :now, :now, :now, :now)",
        row,
    )


async def update_investment(conn: Connection, row: Mapping[str, Any]) -> None:
    await conn.execute(
        "UPDATE crypto_investments SET name = :name, network = :network, provider_id = :provider_id,"
        " enabled = :enabled, subscription_min = :subscription_min, subscription_max = :subscription_max,"
        " redemption_min = :redemption_min, redemption_max = :redemption_max, fee_type = :fee_type,"
        " fee_value = :fee_value, apy = :apy, anchor_price = :anchor_price, anchor_at = :anchor_at,"
        " rate_updated_at = :rate_updated_at, updated_at = :now WHERE id = :id",
        row,
    )
