"""SQL of crypto_positions: each customer's principal W in an investment (spec/crypto.md 8.10)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from orderdesk.platform.db import Connection


async def stored_principal(conn: Connection, customer_id: str, investment_id: str, *, lock: bool) -> Any:
    """The position's principal, or None when the customer has no position in the investment."""
    return await conn.fetchval(
        "SELECT principal FROM crypto_positions WHERE customer_id = :customer_id AND investment_id = :investment_id"
        + (conn.for_update if lock else ""),
        {"customer_id": customer_id, "investment_id": investment_id},
    )


async def insert_position(
    conn: Connection, customer_id: str, investment_id: str, principal: Decimal, now: datetime
) -> None:
    await conn.execute(
        "INSERT INTO crypto_positions (customer_id, investment_id, principal, updated_at)"
        " VALUES (:customer_id, :investment_id, :principal, :now)",
        {"customer_id": customer_id, "investment_id": investment_id, "principal": principal, "now": now},
    )


async def update_principal(
    conn: Connection, customer_id: str, investment_id: str, principal: Decimal, now: datetime
) -> None:
    await conn.execute(
        "UPDATE crypto_positions SET principal = :principal, updated_at = :now"
        " WHERE customer_id = :customer_id AND investment_id = :investment_id",
        {"customer_id": customer_id, "investment_id": investment_id, "principal": principal, "now": now},
    )
