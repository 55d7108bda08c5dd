"""SQL reading the catalogue: crypto_assets, crypto_prices, crypto_investments."""

from __future__ import annotations

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


async def all_investments(conn: Connection) -> list[Row]:
    return await conn.fetch(f"SELECT {INVESTMENT_COLUMNS} FROM crypto_investments")


async def find_investment(conn: Connection, investment_id: str) -> Row | None:
    return await conn.fetchrow(
        f"SELECT {INVESTMENT_COLUMNS} FROM crypto_investments WHERE id = :id", {"id": investment_id}
    )
