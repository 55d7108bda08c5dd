"""SQL of crypto_customers and crypto_requirements (plus the two reads customers make of
partners and accounts)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from orderdesk.platform.db import Connection, Row

CUSTOMER_COLUMNS = (
    "id, partner_id, type, reference_id, state, profile, email, cellphone, kyc, kyc_deadline,"
    " created_at, last_updated_at"
)
REQUIREMENT_COLUMNS = "id, document_type, status, rejection_reason, created, submitted_at, last_updated_at"


async def find_customer(conn: Connection, customer_id: str, partner_id: str | None, *, lock: bool) -> Row | None:
    """Scoped to `partner_id` unless it is None (operator reads)."""
    scope = "" if partner_id is None else " AND partner_id = :partner_id"
    return await conn.fetchrow(
        f"SELECT {CUSTOMER_COLUMNS} FROM crypto_customers WHERE id = :id{scope}" + (conn.for_update if lock else ""),
        {"id": customer_id, "partner_id": partner_id},
    )


async def customer_requirements(conn: Connection, customer_id: str) -> list[Row]:
    return await conn.fetch(
        f"SELECT {REQUIREMENT_COLUMNS} FROM crypto_requirements WHERE customer_id = :id ORDER BY position",
        {"id": customer_id},
    )


async def partner_products_json(conn: Connection, partner_id: str) -> Any:
    return await conn.fetchval("SELECT products FROM crypto_partners WHERE id = :id", {"id": partner_id})


async def insert_customer(conn: Connection, row: Mapping[str, Any]) -> None:
    """An active customer without a KYC deadline; `row` holds the other columns and `now`."""
    await conn.execute(
        "INSERT INTO crypto_customers (id, partner_id, type, reference_id, reference_id_ci, state, profile,"
        " email, cellphone, kyc, kyc_deadline, created_at, last_updated_at) VALUES (:id, :partner_id, :type,"
        " :reference_id, :reference_id_ci, 'active', :profile, :email, :cellphone, :kyc, NULL, :now, :now)",
        row,
    )


async def insert_requirements(conn: Connection, rows: Sequence[Mapping[str, Any]]) -> None:
    """Pending requirements; each row: customer_id, id, document_type, now, position."""
    await conn.executemany(
        "INSERT INTO crypto_requirements (customer_id, id, document_type, status, rejection_reason, created,"
        " submitted_at, last_updated_at, position) VALUES (:customer_id, :id, :document_type,"
        " 'pending_submission', NULL, :now, NULL, :now, :position)",
        rows,
    )


def _customer_filter(
    partner_id: str, reference_id: str | None, state: str | None, limit: int, offset: int
) -> tuple[str, dict[str, Any]]:
    where = "partner_id = :partner_id"
    params: dict[str, Any] = {"partner_id": partner_id, "limit": limit, "offset": offset}
    if reference_id is not None:
        where += " AND reference_id_ci = :reference_id_ci"
        params["reference_id_ci"] = reference_id.lower()
    if state is not None:
        where += " AND state = :state"
        params["state"] = state
    return where, params


async def count_customers(
    conn: Connection, partner_id: str, reference_id: str | None, state: str | None, limit: int, offset: int
) -> Any:
    where, params = _customer_filter(partner_id, reference_id, state, limit, offset)
    return await conn.fetchval(f"SELECT COUNT(*) FROM crypto_customers WHERE {where}", params)


async def customers_page(
    conn: Connection, partner_id: str, reference_id: str | None, state: str | None, limit: int, offset: int
) -> list[Row]:
    """Newest first."""
    where, params = _customer_filter(partner_id, reference_id, state, limit, offset)
    return await conn.fetch(
        f"SELECT {CUSTOMER_COLUMNS} FROM crypto_customers WHERE {where}"
        " ORDER BY created_at DESC, id DESC LIMIT :limit OFFSET :offset",
        params,
    )


async def requirements_of_customers(conn: Connection, customer_ids: Sequence[str]) -> list[Row]:
    """The requirements of every customer in `customer_ids` (not empty), each customer's in order."""
    marks = ", ".join(f":c{i}" for i in range(len(customer_ids)))
    return await conn.fetch(
        f"SELECT customer_id, {REQUIREMENT_COLUMNS} FROM crypto_requirements"
        f" WHERE customer_id IN ({marks}) ORDER BY position",
        {f"c{i}": customer_id for i, customer_id in enumerate(customer_ids)},
    )


async def update_profile(
    conn: Connection, customer_id: str, profile: str, email: Any, cellphone: Any, now: datetime
) -> None:
    await conn.execute(
        "UPDATE crypto_customers SET profile = :profile, email = :email, cellphone = :cellphone,"
        " last_updated_at = :now WHERE id = :id",
        {"profile": profile, "email": email, "cellphone": cellphone, "now": now, "id": customer_id},
    )


async def update_state(conn: Connection, customer_id: str, state: str, now: datetime) -> None:
    await conn.execute(
        "UPDATE crypto_customers SET state = :state, last_updated_at = :now WHERE id = :id",
        {"state": state, "now": now, "id": customer_id},
    )


async def customer_balances(conn: Connection, customer_id: str) -> list[Row]:
    return await conn.fetch(
        "SELECT balance FROM crypto_accounts WHERE kind = 'customer' AND owner = :id", {"id": customer_id}
    )


# --------------------------------------------------------------------------- KYC: flag, deadline, documents


async def clear_kyc_deadline(conn: Connection, customer_id: str) -> None:
    await conn.execute("UPDATE crypto_customers SET kyc_deadline = NULL WHERE id = :id", {"id": customer_id})


async def set_kyc_deadline(conn: Connection, customer_id: str, deadline: datetime) -> None:
    await conn.execute(
        "UPDATE crypto_customers SET kyc_deadline = :deadline WHERE id = :id",
        {"deadline": deadline, "id": customer_id},
    )


async def set_kyc_flag(conn: Connection, customer_id: str, value: bool, now: datetime) -> None:
    """Also clears the KYC deadline."""
    await conn.execute(
        "UPDATE crypto_customers SET kyc = :kyc, kyc_deadline = NULL, last_updated_at = :now WHERE id = :id",
        {"kyc": value, "now": now, "id": customer_id},
    )


async def touch_customer(conn: Connection, customer_id: str, now: datetime) -> None:
    await conn.execute(
        "UPDATE crypto_customers SET last_updated_at = :now WHERE id = :id", {"now": now, "id": customer_id}
    )


async def requirement_status(conn: Connection, customer_id: str, requirement_id: str) -> Any:
    """The requirement's status, or None when the customer has no such requirement."""
    return await conn.fetchval(
        "SELECT status FROM crypto_requirements WHERE customer_id = :customer_id AND id = :id",
        {"customer_id": customer_id, "id": requirement_id},
    )


async def insert_document(conn: Connection, document: Mapping[str, Any]) -> None:
    """`document`: id, customer_id, document_type, file_type, filename, size, sha256, content, now."""
    await conn.execute(
        "INSERT INTO crypto_documents (id, customer_id, document_type, file_type, filename, size, sha256,"
        " content, created_at) VALUES (:id, :customer_id, :document_type, :file_type, :filename, :size,"
        " :sha256, :content, :now)",
        document,
    )


async def mark_requirement_submitted(conn: Connection, customer_id: str, requirement_id: str, now: datetime) -> None:
    await conn.execute(
        "UPDATE crypto_requirements SET status = 'pending_review', rejection_reason = NULL, submitted_at = :now,"
        " last_updated_at = :now WHERE customer_id = :customer_id AND id = :id",
        {"now": now, "customer_id": customer_id, "id": requirement_id},
    )


async def review_requirement(
    conn: Connection, customer_id: str, requirement_id: str, status: str, reason: str | None, now: datetime
) -> None:
    await conn.execute(
        "UPDATE crypto_requirements SET status = :status, rejection_reason = :reason, last_updated_at = :now"
        " WHERE customer_id = :customer_id AND id = :id",
        {"status": status, "reason": reason, "now": now, "customer_id": customer_id, "id": requirement_id},
    )


async def customers_past_kyc_deadline(conn: Connection, now: datetime) -> list[Row]:
    """At most 100, earliest deadline first."""
    return await conn.fetch(
        "SELECT id FROM crypto_customers WHERE kyc_deadline IS NOT NULL AND kyc_deadline <= :now"
        " ORDER BY kyc_deadline LIMIT 100",
        {"now": now},
    )


async def customer_id_by_reference(conn: Connection, partner_id: str, reference_id: Any) -> Any:
    """The id of the partner's customer with that (case-insensitive) reference, or None."""
    return await conn.fetchval(
        "SELECT id FROM crypto_customers WHERE partner_id = :partner_id AND reference_id_ci = :ref",
        {"partner_id": partner_id, "ref": reference_id},
    )


async def partner_id_of_customer(conn: Connection, customer_id: str) -> Any:
    return await conn.fetchval("SELECT partner_id FROM crypto_customers WHERE id = :id", {"id": customer_id})
