"""The quote-expiry sweep (spec/crypto.md 12, 8.16): pending orders past `expires_at` become
`cancelled` (`expired`) with `last_updated_at = expires_at`, firing order-updated and
order-closed. Reads already show them so (8.14); the sweep makes it durable and sends the
events. Each order is locked and re-checked in its own transaction, so racing a confirm, a
resend or another dispatcher is harmless."""

from __future__ import annotations

from datetime import datetime

from orderdesk.crypto.orders import states
from orderdesk.crypto.repositories import orders as repo
from orderdesk.platform.runtime import Runtime

BATCH = 100


async def expire_due(runtime: Runtime, now: datetime) -> int:
    async with runtime.db.transaction(write=False) as conn:
        due = [row["id"] for row in await repo.pending_orders_past_expiry(conn, now, BATCH)]
    expired = 0
    for order_id in due:
        async with runtime.db.transaction() as conn:
            order = await repo.lock_order_skip_locked(conn, order_id)
            if order is None or order["state"] != "pending" or order["expires_at"] > now:
                continue  # confirmed, already expired, or being handled by someone else right now
            await states.apply(conn, order, "expire", now, at=order["expires_at"])
            expired += 1
    return expired
