"""SQL of crypto_address_book."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from orderdesk.platform.db import Connection, Row

COLUMNS = "id, customer_id, address, network, label, ownership_type, beneficiary_full_name, created, last_used"


async def find_entry(conn: Connection, customer_id: str, entry_id: str) -> Row | None:
    return await conn.fetchrow(
        f"SELECT {COLUMNS} FROM crypto_address_book WHERE id = :id AND customer_id = :customer_id",
        {"id": entry_id, "customer_id": customer_id},
    )


async def mark_entry_used(conn: Connection, entry_id: str, now: datetime) -> None:
    await conn.execute("UPDATE crypto_address_book SET last_used = :now WHERE id = :id", {"now": now, "id": entry_id})


async def insert_entry(conn: Connection, entry: Mapping[str, Any]) -> None:
    """`entry` holds id, customer_id, address, address_key, network, label, ownership_type,
    beneficiary_full_name, created; last_used starts NULL."""
    await conn.execute(
        "INSERT INTO crypto_address_book (id, customer_id, address, address_key, network, label,"
        " ownership_type, beneficiary_full_name, created, last_used) VALUES (:id, :customer_id, :address,"
        " :address_key, :network, :label, :ownership_type, :beneficiary_full_name, :created, NULL)",
        entry,
    )


async def count_entries(conn: Connection, customer_id: str, limit: int, offset: int) -> Any:
    params = {"customer_id": customer_id, "limit": limit, "offset": offset}
    return await conn.fetchval("SELECT COUNT(*) FROM crypto_address_book WHERE customer_id = :customer_id", params)


async def entries_page(conn: Connection, customer_id: str, limit: int, offset: int) -> list[Row]:
    """Newest first."""
    params = {"customer_id": customer_id, "limit": limit, "offset": offset}
    return await conn.fetch(
        f"SELECT {COLUMNS} FROM crypto_address_book WHERE customer_id = :customer_id"
        " ORDER BY seq DESC LIMIT :limit OFFSET :offset",
        params,
    )


async def delete_entry(conn: Connection, entry_id: str) -> None:
    await conn.execute("DELETE FROM crypto_address_book WHERE id = :id", {"id": entry_id})
