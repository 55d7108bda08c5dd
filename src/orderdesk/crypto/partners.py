"""Partners: registration and changes by the operator (spec/crypto.md 11.2), and the partner's
own view with its catalogue (4.2) and indicative prices (4.3)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

import orjson
from pydantic import TypeAdapter

from orderdesk.crypto import catalogue, contract_errors, errors, formats, ledger
from orderdesk.crypto.auth import Partner, api_key_hash
from orderdesk.crypto.errors import CANNOT_CHANGE
from orderdesk.crypto.models.operator import NewPartner, PartnerInput, PartnerPatch
from orderdesk.crypto.repositories import partners as repo
from orderdesk.crypto.vocabulary import PRODUCTS, SCOPES
from orderdesk.platform import ids
from orderdesk.platform.db import Connection
from orderdesk.platform.runtime import Runtime

READ_ONLY = ("id", "api_key", "created_at")


# --------------------------------------------------------------------------- input


NEW_PARTNER: TypeAdapter[PartnerInput] = TypeAdapter(NewPartner)
PARTNER_PATCH: TypeAdapter[PartnerInput] = TypeAdapter(PartnerPatch)


def partner_input(data: dict[str, Any], *, creating: bool) -> dict[str, Any]:
    """The fields present in a create or patch body, validated (absent keys stay absent);
    lists lose their duplicates. On PATCH, `id`, `api_key` and `created_at` cannot be changed."""
    tree: dict[Any, Any] = {}
    read_only = () if creating else READ_ONLY
    for key in read_only:
        if key in data:
            contract_errors.add(tree, (key,), CANNOT_CHANGE)
    body = {key: value for key, value in data.items() if key not in read_only}
    adapter: TypeAdapter[PartnerInput] = NEW_PARTNER if creating else PARTNER_PATCH
    parsed = contract_errors.collect(adapter, body, tree)
    if tree:
        raise errors.field_errors(tree)
    assert parsed is not None
    values = parsed.model_dump(exclude_none=True)
    return {key: list(dict.fromkeys(value)) if isinstance(value, list) else value for key, value in values.items()}


# --------------------------------------------------------------------------- views


@dataclass(frozen=True)
class StoredPartner:
    partner: Partner
    created_at: Any

    def ops_view(self) -> dict[str, Any]:
        p = self.partner
        return {
            "id": p.id,
            "name": p.name,
            "scopes": list(p.scopes),
            "settlement_currencies": list(p.settlement_currencies),
            "products": list(p.products),
            "security_code_operations": list(p.security_code_operations),
            "redemption_commission_enabled": p.redemption_commission_enabled,
            "active": p.active,
            "created_at": formats.timestamp(self.created_at),
        }


def ordered_products(products: tuple[str, ...] | list[str]) -> list[str]:
    return [product for product in PRODUCTS if product in products]


def products_view(products: tuple[str, ...], active: bool = True) -> list[dict[str, Any]]:
    return [{"id": product, "enabled": True, "active": active} for product in ordered_products(products)]


async def load(conn: Connection, partner_id: str, *, lock: bool = False) -> StoredPartner | None:
    row = await repo.find_partner(conn, partner_id, lock=lock)
    return StoredPartner(Partner.from_row(row), row["created_at"]) if row else None


# --------------------------------------------------------------------------- operator use cases


async def create_partner(runtime: Runtime, values: dict[str, Any]) -> dict[str, Any]:
    now = runtime.clock.now()
    api_key = secrets.token_hex(16)
    partner_id = ids.new_hex_id()
    row = {
        "id": partner_id,
        "name": values["name"],
        "api_key_hash": api_key_hash(api_key),
        "public_key_pem": values["public_key_pem"],
        "scopes": _json(values.get("scopes", SCOPES)),
        "settlement_currencies": _json(values.get("settlement_currencies", ["USD"])),
        "products": _json(ordered_products(values.get("products", PRODUCTS))),
        "security_code_operations": _json(values.get("security_code_operations", ["send"])),
        "redemption_commission_enabled": values.get("redemption_commission_enabled", True),
        "now": now,
    }
    async with runtime.db.transaction() as conn:
        await repo.insert_partner(conn, row)
        stored = await load(conn, partner_id)
    assert stored is not None
    view = stored.ops_view()
    return {**view, "api_key": api_key}


async def change_partner(runtime: Runtime, partner_id: str, body: dict[str, Any]) -> dict[str, Any]:
    """PATCH (11.2): the partner (404) before its fields."""
    async with runtime.db.transaction(write=False) as conn:
        if await load(conn, partner_id) is None:
            raise errors.not_found("Partner not found")
    return await patch_partner(runtime, partner_id, partner_input(body, creating=False))


async def patch_partner(runtime: Runtime, partner_id: str, values: dict[str, Any]) -> dict[str, Any]:
    async with runtime.db.transaction() as conn:
        if await load(conn, partner_id, lock=True) is None:
            raise errors.not_found("Partner not found")
        columns = {
            key: (
                _json(ordered_products(value))
                if key == "products"
                else _json(value)
                if isinstance(value, list)
                else value
            )
            for key, value in values.items()
        }
        if columns:
            await repo.update_partner(conn, partner_id, columns, runtime.clock.now())
        stored = await load(conn, partner_id)
    assert stored is not None
    return stored.ops_view()


async def get_partner(runtime: Runtime, partner_id: str) -> dict[str, Any]:
    async with runtime.db.transaction(write=False) as conn:
        stored = await load(conn, partner_id)
        if stored is None:
            raise errors.not_found("Partner not found")
        rows = await repo.partner_accounts(conn, partner_id)
        current = await ledger.with_pending(conn, {row["id"]: row["balance"] for row in rows})
        places = await currency_places(conn)
    balances: dict[str, list[dict[str, str]]] = {"settlement": [], "commission": []}
    for row in sorted(rows, key=lambda r: r["currency"].encode()):
        balances[row["kind"]].append(
            {"currency": row["currency"], "amount": format_amount(row["currency"], current[row["id"]], places)}
        )
    return {**stored.ops_view(), "balances": balances}


# --------------------------------------------------------------------------- partner use cases


async def partner_view(runtime: Runtime, partner: Partner) -> dict[str, Any]:
    now = runtime.clock.now()
    async with runtime.db.transaction(write=False) as conn:
        assets = await catalogue.assets(conn)
        investments = await catalogue.investments(conn) if "investments" in partner.products else []
    places = {a.id: a.decimal_places for a in assets}
    return {
        "id": partner.id,
        "name": partner.name,
        "scopes": list(partner.scopes),
        "settlement_currencies": list(partner.settlement_currencies),
        "products": products_view(partner.products),
        "available_assets": [a.view() for a in assets],
        "available_investments": [i.view(now, places.get(i.quote_asset, i.decimal_places)) for i in investments],
    }


async def exchange_rates(runtime: Runtime, partner: Partner, quote_currency: str | None) -> dict[str, Any]:
    quote = quote_currency if quote_currency is not None else partner.settlement_currencies[0]
    if quote not in partner.settlement_currencies:
        raise errors.invalid_settlement_currency(f"Settlement currency {quote} is not configured for this partner")
    async with runtime.db.transaction(write=False) as conn:
        tradable = {a.id for a in await catalogue.assets(conn) if a.allows("buy") or a.allows("sell")}
        prices = await catalogue.prices(conn, quote)
    rates = sorted((p for p in prices if p.currency in tradable), key=lambda p: p.currency.encode())
    return {
        "quote_currency": quote,
        "timestamp": formats.timestamp(runtime.clock.now()),
        "rates": [{"currency": p.currency, "bid": formats.price(p.bid), "ask": formats.price(p.ask)} for p in rates],
    }


# --------------------------------------------------------------------------- helpers


async def currency_places(conn: Connection) -> dict[str, int]:
    """Decimal places of every asset and investment token (fiat is everything else: 2)."""
    rows = await repo.currency_places(conn)
    return {row["id"]: row["decimal_places"] for row in rows}


def format_amount(currency: str, amount: Any, places: dict[str, int]) -> str:
    if currency in places:
        return formats.crypto(amount, places[currency])
    return formats.fiat(amount)


def _json(value: Any) -> str:
    return orjson.dumps(list(value)).decode()
