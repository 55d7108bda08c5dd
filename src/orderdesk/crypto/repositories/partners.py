"""SQL of crypto_partners, and the partner-side reads of accounts and currency places."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from orderdesk.platform.db import Connection, Database, Row

PARTNER_COLUMNS = (
    "id, name, public_key_pem, scopes, settlement_currencies, products, security_code_operations,"
    " redemption_commission_enabled, active"
)


async def partner_by_api_key_hash(db: Database, digest: str) -> Row | None:
    """On its own, outside a transaction (the authentication of every request)."""
    return await db.fetchrow(
        f"SELECT {PARTNER_COLUMNS} FROM crypto_partners WHERE api_key_hash = :hash", {"hash": digest}
    )


async def find_partner(conn: Connection, partner_id: str, *, lock: bool) -> Row | None:
    return await conn.fetchrow(
        f"SELECT {PARTNER_COLUMNS}, created_at FROM crypto_partners WHERE id = :id" + (conn.for_update if lock else ""),
        {"id": partner_id},
    )


async def insert_partner(conn: Connection, row: Mapping[str, Any]) -> None:
    """An active partner; `row` holds every column but active, created_at and updated_at (`now`)."""
    await conn.execute(
        "INSERT INTO crypto_partners (id, name, api_key_hash, public_key_pem, scopes, settlement_currencies,"
        " products, security_code_operations, redemption_commission_enabled, active, created_at, updated_at)"
        " VALUES (:id, :name, :api_key_hash, :public_key_pem, :scopes, :settlement_currencies, :products,"
        " :security_code_operations, :redemption_commission_enabled, TRUE, :now, :now)",
        row,
    )


async def update_partner(conn: Connection, partner_id: str, columns: Mapping[str, Any], now: datetime) -> None:
    """Set `columns` (names already validated by the caller) and stamp updated_at."""
    assignments = ", ".join(f"{key} = :{key}" for key in columns)
    await conn.execute(
        f"UPDATE crypto_partners SET {assignments}, updated_at = :now WHERE id = :id",
        {**columns, "now": now, "id": partner_id},
    )


async def partner_accounts(conn: Connection, partner_id: str) -> list[Row]:
    """The partner's settlement and commission accounts."""
    return await conn.fetch(
        "SELECT id, kind, currency, balance FROM crypto_accounts WHERE owner = :owner"
        " AND kind IN ('settlement', 'commission')",
        {"owner": partner_id},
    )


async def currency_places(conn: Connection) -> list[Row]:
    """Decimal places of every asset and investment token."""
    return await conn.fetch(
        "SELECT id, decimal_places FROM crypto_assets UNION ALL SELECT id, decimal_places FROM crypto_investments"
    )


async def first_partner_named(conn: Connection, name: str) -> Any:
    """The id of the oldest partner called `name`, or None."""
    return await conn.fetchval(
        "SELECT id FROM crypto_partners WHERE name = :name ORDER BY created_at LIMIT 1", {"name": name}
    )


async def reactivate_with_credentials(
    conn: Connection, partner_id: str, api_key_hash: str, public_key_pem: str, now: datetime
) -> None:
    await conn.execute(
        "UPDATE crypto_partners SET api_key_hash = :hash, public_key_pem = :pem, active = TRUE,"
        " updated_at = :now WHERE id = :id",
        {"hash": api_key_hash, "pem": public_key_pem, "now": now, "id": partner_id},
    )
