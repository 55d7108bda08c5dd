"""The order state machine (spec/crypto.md 8.16) as one table.

Every persisted change of an order's state goes through `apply`: it looks the (state, event)
pair up, refuses anything the table does not list, updates the row only if it is still in
the expected state, and emits the table's webhook events with the order as GET shows it
after the change. Creation (`pending`, order-created) and system receives (`completed`) are
inserts, not transitions, and live with their use cases."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from orderdesk.crypto import events
from orderdesk.crypto.orders import reads
from orderdesk.crypto.repositories import orders as repo
from orderdesk.platform.db import Connection

UPDATED, CLOSED = "order-updated", "order-closed"


@dataclass(frozen=True)
class Transition:
    to: str
    events: tuple[str, ...]
    cancel_reason: str | None = None


# (from state, event) → transition. Events named after what happens to the order.
TABLE: dict[tuple[str, str], Transition] = {
    # confirm of anything that executes at once (pending → processing → completed in one go)
    ("pending", "execute"): Transition("completed", (UPDATED, CLOSED)),
    # confirm of an external send, or a send above the authorization threshold
    ("pending", "hand_over"): Transition("processing", (UPDATED,)),
    ("pending", "expire"): Transition("cancelled", (UPDATED, CLOSED), "expired"),
    ("pending", "code_attempts_exhausted"): Transition("cancelled", (UPDATED, CLOSED), "security_code_attempts"),
    ("processing", "authorization_approved"): Transition("processing", (UPDATED,)),
    ("processing", "complete"): Transition("completed", (UPDATED, CLOSED)),
    ("processing", "authorization_rejected"): Transition("cancelled", (UPDATED, CLOSED), "authorization_rejected"),
    ("processing", "authorization_expired"): Transition("cancelled", (UPDATED, CLOSED), "authorization_expired"),
    ("processing", "send_failed"): Transition("cancelled", (UPDATED, CLOSED), "send_failed"),
    ("processing", "receiver_unable"): Transition("cancelled", (UPDATED, CLOSED), "destination_unable_to_receive"),
}
TERMINAL = ("completed", "cancelled")
# Columns a transition may set besides state, cancel_reason and last_updated_at.
SETTABLE = ("submitted_at", "customer_currency", "customer_amount", "reference_id", "tx_hash", "node")


class IllegalTransition(RuntimeError):
    pass


def transition(state: str, event: str) -> Transition:
    try:
        return TABLE[(state, event)]
    except KeyError:
        raise IllegalTransition(f"no transition from {state!r} on {event!r}") from None


async def apply(
    conn: Connection, order: Any, event: str, now: datetime, *, at: datetime | None = None, **sets: Any
) -> dict[str, Any]:
    """Move `order` (a locked row) on `event`; `at` is the new `last_updated_at` (default now;
    expiry passes `expires_at`). Returns the order as GET shows it afterwards."""
    step = transition(order["state"], event)
    unknown = set(sets) - set(SETTABLE)
    if unknown:
        raise ValueError(f"transition cannot set {sorted(unknown)}")
    moved = await repo.transition_order(conn, order["id"], order["state"], step.to, step.cancel_reason, at or now, sets)
    if moved is None:
        raise IllegalTransition(f"order {order['id']} is no longer {order['state']}")
    snapshot = reads.view(moved, now)
    await events.emit_all(conn, order["partner_id"], step.events, {"order": snapshot}, now)
    return snapshot
