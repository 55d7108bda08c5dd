"""Webhook delivery (spec/crypto.md 9.2, 9.3): fan-out of each event to the partner's
subscriptions, the signing key, and the dispatcher's handler for `crypto.webhook` rows.

- `fan_out` runs inside `events.emit`, in the transaction that causes the event: one
  `crypto_webhook_deliveries` row and one outbox row (ref = delivery id, FIFO key =
  subscription id) per subscription of the partner that listens to the action. Nothing is
  sent before commit.
- `Delivery` (the handler) POSTs the event's stored body bytes with a fresh RS512 JWT per
  attempt. 2xx = delivered; otherwise retried on `crypto_webhook_retry_schedule` (9 delays,
  10 attempts), each retry detached from the FIFO so it does not hold up later events of the
  subscription; after the last attempt the delivery is `failed`. A delivery whose
  subscription was deleted is `dropped` without an attempt.
- The key: `ORDERDESK_CRYPTO_WEBHOOK_PRIVATE_KEY`, else the key stored in the database; the
  first process that needs one generates it and inserts it if absent, then every process
  re-reads the stored one (so concurrent first users agree).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from typing import Any

from orderdesk.crypto import errors
from orderdesk.crypto.repositories import webhooks as repository
from orderdesk.crypto.signing import WebhookSigner, generate_private_key_pem
from orderdesk.platform import ids, metrics, outbound, outbox
from orderdesk.platform.db import Connection, Database
from orderdesk.platform.dispatcher import Job, Outcome
from orderdesk.platform.metrics import WEBHOOK_OUTCOMES
from orderdesk.platform.runtime import Runtime

KIND = "crypto.webhook"
PENDING, DELIVERED, FAILED, DROPPED = "pending", "delivered", "failed", "dropped"
KEY_NAME = "webhook"
_SIGNER = "crypto.webhook_signer"
_SIGNER_LOCK = "crypto.webhook_signer_lock"


# --------------------------------------------------------------------------- fan-out (in the event's transaction)


async def fan_out(
    conn: Connection,
    partner_id: str,
    events: Sequence[tuple[str, str]],
    now: datetime,
    *,
    after: tuple[str, dict[str, Any]] | None = None,
) -> int:
    """Queue each of `events` ((action, event id), in order) for every subscription of
    `partner_id` that listens to its action, in subscription creation order (`after`: the
    events' insert, run with the subscriptions' read). Returns how many deliveries were queued."""
    listening = await repository.listening_subscription_ids(conn, partner_id, [a for a, _ in events], after=after)
    for (_action, event_id), subscription_ids in zip(events, listening, strict=True):
        for subscription_id in subscription_ids:
            delivery_id = ids.new_hex_id()
            await repository.insert_delivery(conn, delivery_id, event_id, subscription_id, now)
            await outbox.enqueue(conn, KIND, ref=delivery_id, due_at=now, now=now, fifo_key=subscription_id)
    return sum(len(subscription_ids) for subscription_ids in listening)


async def drop_pending(conn: Connection, subscription_id: str, now: datetime) -> int:
    """A deleted subscription's undelivered events: marked `dropped`, their outbox rows stopped."""
    pending = await repository.drop_pending(conn, subscription_id)
    await outbox.drop(conn, KIND, pending, now)
    return len(pending)


# --------------------------------------------------------------------------- the signing key


async def stored_key(db: Database) -> str | None:
    return await repository.stored_key(db, KEY_NAME)


async def ensure_stored_key(runtime: Runtime) -> str:
    """The stored key, generating and inserting one when there is none. Insert-if-absent and
    re-read: with several processes racing, the first insert wins and all use it."""
    found = await stored_key(runtime.db)
    if found is not None:
        return found
    generated = await asyncio.to_thread(generate_private_key_pem)  # ~0.1 s of CPU: off the event loop
    async with runtime.db.transaction() as conn:
        return await repository.insert_key_if_absent(conn, KEY_NAME, generated, runtime.clock.now())


async def load_signer(runtime: Runtime) -> None:
    """At start-up, when no key is configured: the stored key, if there is one yet.
    Generation waits for the first use (see `signer`)."""
    if _SIGNER in runtime.extras:
        return
    pem = await stored_key(runtime.db)
    if pem is not None:
        runtime.extras[_SIGNER] = WebhookSigner(pem, runtime.settings.environment)


async def signer(runtime: Runtime) -> WebhookSigner:
    """The process's signer, loaded (or generated and stored) once."""
    found: WebhookSigner | None = runtime.extras.get(_SIGNER)
    if found is not None:
        return found
    lock: asyncio.Lock = runtime.extras.setdefault(_SIGNER_LOCK, asyncio.Lock())
    async with lock:
        found = runtime.extras.get(_SIGNER)
        if found is None:
            pem = runtime.settings.crypto_webhook_private_key or await ensure_stored_key(runtime)
            found = WebhookSigner(pem, runtime.settings.environment)
            runtime.extras[_SIGNER] = found
    return found


# --------------------------------------------------------------------------- delivery (the dispatcher's handler)


def _settle(
    delivery_id: str, state: str, code: int | None, error: str | None, at: datetime
) -> Callable[[Connection], Awaitable[None]]:
    async def record(conn: Connection) -> None:
        await repository.record_attempt(conn, delivery_id, state, code, error, at)

    return record


def _dropped(delivery_id: str) -> Callable[[Connection], Awaitable[None]]:
    async def record(conn: Connection) -> None:
        await repository.mark_dropped(conn, delivery_id)

    return record


class Delivery:
    """`async (job) -> Outcome` for `crypto.webhook` outbox rows (ref = delivery id)."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime

    async def __call__(self, job: Job) -> Outcome:
        row = await repository.delivery_to_attempt(self.runtime.db, job.ref)
        if row is None:
            return Outcome.dead(error="delivery not found")
        if row["state"] != PENDING:
            return Outcome.done()  # settled or dropped already (an attempt repeated after a crash or a delete)
        if row["url"] is None:
            return Outcome.dead(record=_dropped(job.ref), error="subscription deleted")
        outcome = await self._attempt(job.ref, row["url"], bytes(row["body"]), row["attempts"] + 1)
        metrics.observe_webhook("crypto", row["partner_id"], WEBHOOK_OUTCOMES[outcome.state])
        return outcome

    async def _attempt(self, delivery_id: str, url: str, body: bytes, attempt: int) -> Outcome:
        settings = self.runtime.settings
        signing = await signer(self.runtime)
        headers = signing.headers(body, now=self.runtime.clock.now())
        async with self.runtime.webhook_clients.client() as client:
            result = await outbound.post(client, url, body, headers, settings.crypto_webhook_timeout)
        ended_at = self.runtime.clock.now()
        if result.ok:
            return Outcome.done(record=_settle(delivery_id, DELIVERED, result.status_code, None, ended_at))
        error = result.error or f"HTTP {result.status_code}"
        retry_at = outbound.next_attempt_at(settings.crypto_webhook_retry_schedule, attempt, ended_at)
        if retry_at is None:
            return Outcome.dead(record=_settle(delivery_id, FAILED, result.status_code, error, ended_at), error=error)
        return Outcome.retry(
            retry_at,
            record=_settle(delivery_id, PENDING, result.status_code, error, ended_at),
            error=error,
            detach=True,
        )


def register(runtime: Runtime) -> None:
    """The handler, and the configured key if any: a bad one raises ValueError here, before
    the process opens its database."""
    if runtime.settings.crypto_webhook_private_key:
        runtime.extras[_SIGNER] = WebhookSigner(
            runtime.settings.crypto_webhook_private_key, runtime.settings.environment
        )
    runtime.dispatcher.register(KIND, Delivery(runtime))


async def redeliver(runtime: Runtime, delivery_id: str) -> dict[str, Any]:
    """The operator's manual redelivery (console): a `failed` delivery is pending again and
    attempted now; its attempts keep counting, so a failing endpoint gets this one attempt.
    Unknown delivery → 404; any other state → 400 invalid_state."""
    now = runtime.clock.now()
    async with runtime.db.transaction() as conn:
        row = await repository.lock_delivery(conn, delivery_id)
        if row is None:
            raise errors.not_found("Webhook delivery not found")
        if row["state"] != FAILED:
            raise errors.invalid_state(f"Webhook delivery is {row['state']}; only a failed one is redelivered")
        await repository.mark_pending(conn, delivery_id)
        await outbox.enqueue(conn, KIND, ref=delivery_id, due_at=now, now=now, fifo_key=row["subscription_id"])
    runtime.dispatcher.wake()
    return {"id": delivery_id, "state": PENDING}
