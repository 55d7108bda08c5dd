"""The transactional outbox: background work written in the same transaction as the change
that causes it (webhook deliveries, mail), run later by the dispatcher.

    await outbox.enqueue(conn, "auto.webhook", ref=event_id, due_at=now, now=now, fifo_key=order_id)

`ref` points at the product's own record (the outbox knows nothing about it). Rows sharing
a `fifo_key` run strictly one after another in creation order: a row is not started while
an earlier row with the same key is still pending (retries included).
"""

from __future__ import annotations

from datetime import datetime

from orderdesk.platform.db import Connection

PENDING = "pending"
DONE = "done"
DEAD = "dead"


async def enqueue(
    conn: Connection,
    kind: str,
    *,
    ref: str,
    due_at: datetime,
    now: datetime,
    fifo_key: str | None = None,
) -> None:
    await enqueue_many(conn, kind, [(ref, fifo_key)], due_at=due_at, now=now)


async def enqueue_many(
    conn: Connection,
    kind: str,
    items: list[tuple[str, str | None]],
    *,
    due_at: datetime,
    now: datetime,
) -> None:
    """Several rows of one kind, each `(ref, fifo_key)`, in one batch; FIFO order is list order."""
    await conn.executemany(
        "INSERT INTO outbox (kind, ref, fifo_key, due_at, attempts, state, created_at, updated_at)"
        " VALUES (:kind, :ref, :fifo_key, :due_at, 0, 'pending', :now, :now)",
        [{"kind": kind, "ref": ref, "fifo_key": fifo_key, "due_at": due_at, "now": now} for ref, fifo_key in items],
    )


async def drop(conn: Connection, kind: str, refs: list[str], now: datetime) -> int:
    """Stop pending work for these refs (e.g. a deleted webhook subscription's events)."""
    count = 0
    for ref in refs:
        count += await conn.execute(
            "UPDATE outbox SET state = 'dead', last_error = 'dropped', updated_at = :now"
            " WHERE kind = :kind AND ref = :ref AND state = 'pending'",
            {"kind": kind, "ref": ref, "now": now},
        )
    return count
