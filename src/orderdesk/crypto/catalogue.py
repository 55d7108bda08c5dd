"""The global catalogue (spec/crypto.md 4.1): assets, prices per (asset, quote currency) and
investments, read from the database and shown as `GET /partner` shows them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

import orjson

from orderdesk.crypto import formats, pricing
from orderdesk.crypto.repositories import catalogue as repo
from orderdesk.platform.db import Connection

SECONDS_PER_YEAR = Decimal(31536000)
TOKEN_PRICE_PLACES = 18


@dataclass(frozen=True)
class Network:
    network: str
    send_fee: Decimal


@dataclass(frozen=True)
class Asset:
    id: str
    decimal_places: int
    allowed_operations: tuple[str, ...]
    networks: tuple[Network, ...]
    max_order_value: Decimal

    @classmethod
    def from_row(cls, row: Any) -> Asset:
        return cls(
            id=row["id"],
            decimal_places=row["decimal_places"],
            allowed_operations=tuple(orjson.loads(row["allowed_operations"])),
            networks=tuple(Network(n["network"], Decimal(n["send_fee"])) for n in orjson.loads(row["networks"])),
            max_order_value=row["max_order_value"],
        )

    def allows(self, operation: str) -> bool:
        return operation in self.allowed_operations

    def network(self, name: str) -> Network | None:
        return next((n for n in self.networks if n.network == name), None)

    def view(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "decimal_places": self.decimal_places,
            "allowed_operations": list(self.allowed_operations),
            "networks": [
                {"network": n.network, "send_fee": formats.crypto(n.send_fee, self.decimal_places)}
                for n in self.networks
            ],
            "max_order_value": formats.fiat(self.max_order_value),
        }


@dataclass(frozen=True)
class Price:
    currency: str
    quote_currency: str
    bid: Decimal
    ask: Decimal
    updated_at: datetime

    def view(self) -> dict[str, Any]:
        return {
            "currency": self.currency,
            "quote_currency": self.quote_currency,
            "bid": formats.price(self.bid),
            "ask": formats.price(self.ask),
            "updated_at": formats.timestamp(self.updated_at),
        }


@dataclass(frozen=True)
class Investment:
    id: str
    name: str
    quote_asset: str
    network: str
    provider_id: str
    enabled: bool
    decimal_places: int
    subscription_min: Decimal
    subscription_max: Decimal
    redemption_min: Decimal
    redemption_max: Decimal
    fee_type: str
    fee_value: Decimal
    apy: Decimal
    anchor_price: Decimal
    anchor_at: datetime
    rate_updated_at: datetime

    @classmethod
    def from_row(cls, row: Any) -> Investment:
        return cls(**{name: row[name] for name in cls.__dataclass_fields__})

    def token_price(self, at: datetime) -> Decimal:
        return token_price(self.anchor_price, self.anchor_at, self.apy, at)

    def view(self, now: datetime, quote_places: int) -> dict[str, Any]:
        def amount(value: Decimal) -> str:
            return formats.crypto(value, quote_places)

        return {
            "id": self.id,
            "name": self.name,
            "quote_asset": self.quote_asset,
            "network": self.network,
            "provider_id": self.provider_id,
            "enabled": self.enabled,
            "decimal_places": self.decimal_places,
            "subscription": {"min_amount": amount(self.subscription_min), "max_amount": amount(self.subscription_max)},
            "redemption": {"min_amount": amount(self.redemption_min), "max_amount": amount(self.redemption_max)},
            "fee": {"type": self.fee_type, "value": formats.percent(self.fee_value)},
            "rate": {
                "apy": formats.price(self.apy),
                "token_price": formats.price(self.token_price(now)),
                "updated_at": formats.timestamp(self.rate_updated_at),
            },
        }


def token_price(anchor_price: Decimal, anchor_at: datetime, apy: Decimal, at: datetime) -> Decimal:
    """`P(t)` of 4.1; the one formula lives in `crypto.pricing` (also what quotes lock)."""
    return pricing.token_price(anchor_price=anchor_price, apy=apy, anchor_at=anchor_at, at=at)


ASSET_COLUMNS = repo.ASSET_COLUMNS
INVESTMENT_COLUMNS = repo.INVESTMENT_COLUMNS
assert ", ".join(Investment.__dataclass_fields__) == INVESTMENT_COLUMNS


async def assets(conn: Connection) -> list[Asset]:
    rows = await repo.all_assets(conn)
    return sorted((Asset.from_row(r) for r in rows), key=lambda a: a.id.encode())


async def asset(conn: Connection, currency: str) -> Asset | None:
    row = await repo.find_asset(conn, currency)
    return Asset.from_row(row) if row else None


async def prices(conn: Connection, quote_currency: str | None = None) -> list[Price]:
    rows = await repo.all_prices(conn, quote_currency)
    return [Price(r["currency"], r["quote_currency"], r["bid"], r["ask"], r["updated_at"]) for r in rows]


async def price(conn: Connection, currency: str, quote_currency: str) -> Price | None:
    row = await repo.find_price(conn, currency, quote_currency)
    return Price(row["currency"], row["quote_currency"], row["bid"], row["ask"], row["updated_at"]) if row else None


async def prices_in(conn: Connection, currency: str, first_quote: str, second_quote: str) -> dict[str, Price]:
    """`price` in two quote currencies at once, by quote currency (a missing one is absent)."""
    rows = await repo.find_prices(conn, currency, first_quote, second_quote)
    return {
        r["quote_currency"]: Price(r["currency"], r["quote_currency"], r["bid"], r["ask"], r["updated_at"])
        for r in rows
    }


async def investments(conn: Connection) -> list[Investment]:
    rows = await repo.all_investments(conn)
    return sorted((Investment.from_row(r) for r in rows), key=lambda i: i.id.encode())


async def investment(conn: Connection, investment_id: str) -> Investment | None:
    row = await repo.find_investment(conn, investment_id)
    return Investment.from_row(row) if row else None
