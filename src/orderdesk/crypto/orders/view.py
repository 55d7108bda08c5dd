"""The order object (spec/crypto.md 8.1) from a `crypto_orders` row.

Stored per order: the common columns, and `node` — the operation node as answered, its
amounts already formatted — to which partner orders add `expires_at` and
`requires_confirmation_code` from their columns. Reads show the *effective* state (8.14): a
pending order past `expires_at` is cancelled (`expired`) with `last_updated_at = expires_at`,
whether or not the expiry sweep has persisted it yet."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import orjson

from orderdesk.crypto import formats, vocabulary

OPERATIONS = vocabulary.OPERATIONS
STATES = vocabulary.ORDER_STATES
ORDER_COLUMNS = (
    "id, partner_id, customer_id, reference_id, operation, state, cancel_reason, asset_currency,"
    " asset_amount, node, customer_currency, customer_amount, expires_at, requires_confirmation_code,"
    " created_at, last_updated_at, submitted_at"
)
# What confirmation and the jobs need beyond the object: the locked quote and the code state.
CONTROL_COLUMNS = ORDER_COLUMNS + ", quote, code_hash, code_attempts, code_resends, network, tx_hash"


def effective_state(row: Any, now: datetime) -> tuple[str, str | None, datetime]:
    """(state, cancel_reason, last_updated_at) as reads show them."""
    if row["state"] == "pending" and row["expires_at"] is not None and now >= row["expires_at"]:
        return "cancelled", "expired", row["expires_at"]
    return row["state"], row["cancel_reason"], row["last_updated_at"]


def order_view(row: Any, now: datetime, places: dict[str, int]) -> dict[str, Any]:
    state, cancel_reason, last_updated_at = effective_state(row, now)
    operation = row["operation"]
    node = orjson.loads(row["node"])
    if operation != "receive":
        node["expires_at"] = formats.timestamp(row["expires_at"])
        node["requires_confirmation_code"] = bool(row["requires_confirmation_code"])
    currency = row["asset_currency"]
    customer = (
        {"currency": row["customer_currency"], "amount": row["customer_amount"]}
        if row["customer_currency"] is not None
        else None
    )
    return {
        "id": row["id"],
        "customer_id": row["customer_id"],
        "reference_id": row["reference_id"],
        "operation": operation,
        "state": state,
        "cancel_reason": cancel_reason,
        "asset": {"currency": currency, "amount": formats.crypto(row["asset_amount"], places.get(currency, 18))},
        "customer": customer,
        operation: node,
        "created_at": formats.timestamp(row["created_at"]),
        "submitted_at": formats.timestamp(row["submitted_at"]),
        "last_updated_at": formats.timestamp(last_updated_at),
    }
