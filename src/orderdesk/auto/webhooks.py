"""Webhook delivery (spec 6.2, 6.3): the dispatcher's handler for `auto.webhook` outbox rows.

Each attempt POSTs the envelope stored at creation, byte for byte, to the partner's current
URL, signed afresh: `X-LMN-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, t + "." +
body)>`. A 2xx within the timeout is `delivered`; a 410 is `failed` at once; anything else
is retried after the next delay of the retry schedule, then `failed`. The outbox row's FIFO key
is the order id, so an event is not attempted before every earlier event of its order settled.

Per claimed batch: one query loads the events with their partners' current URL and secret
(`prepare`), and one statement records every attempt in the transaction that settles the
outbox rows (`record_many`).
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from orderdesk.auto import events, repository
from orderdesk.platform import metrics, outbound, outbox
from orderdesk.platform.db import Connection, Row
from orderdesk.platform.dispatcher import Dispatcher, Job, Outcome
from orderdesk.platform.errors import ApiError
from orderdesk.platform.metrics import WEBHOOK_OUTCOMES
from orderdesk.platform.runtime import Runtime

GONE = 410


def signature(secret: str, timestamp: int, body: bytes) -> str:
    digest = hmac.new(secret.encode(), str(timestamp).encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def signed_headers(event_id: str, secret: str, timestamp: int, body: bytes) -> dict[str, str]:
    return {
        "X-LMN-Event-Id": event_id,
        "X-LMN-Timestamp": str(timestamp),
        "X-LMN-Signature": signature(secret, timestamp, body),
    }


@dataclass(frozen=True)
class Attempt:
    """What one delivery attempt did to its event (None: the event is skipped, no attempt)."""

    event_id: str
    delivery_status: str
    response_code: int | None = None
    at: datetime | None = None


class WebhookDelivery:
    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self._loaded: dict[str, Row] = {}

    async def prepare(self, jobs: list[Job]) -> None:
        for row in await repository.events_for_delivery(self.runtime.db, [job.ref for job in jobs]):
            self._loaded[row["id"]] = row

    async def __call__(self, job: Job) -> Outcome:
        event_id = job.ref
        event = self._loaded.pop(event_id, None)
        if event is None:  # not prepared (a handler called on its own)
            found = await repository.events_for_delivery(self.runtime.db, [event_id])
            event = found[0] if found else None
        if event is None:
            return Outcome.dead(error="event not found")
        if event["delivery_status"] != events.PENDING:
            return Outcome.done()  # settled already (an attempt repeated after a crash)
        if event["webhook_url"] is None:
            return Outcome.done(data=Attempt(event_id, events.DELIVERY_SKIPPED))
        attempted_at = self.runtime.clock.now()
        body = bytes(event["payload"])
        headers = signed_headers(event_id, event["webhook_secret"], int(attempted_at.timestamp()), body)
        async with self.runtime.webhook_clients.client() as client:
            result = await outbound.post(
                client, event["webhook_url"], body, headers, self.runtime.settings.webhook_timeout
            )
        outcome = self._outcome(job, result, attempted_at)
        metrics.observe_webhook("auto", event["partner_id"], WEBHOOK_OUTCOMES[outcome.state])
        return outcome

    def _outcome(self, job: Job, result: outbound.AttemptResult, attempted_at: datetime) -> Outcome:
        code = result.status_code
        if result.ok:
            return Outcome.done(data=Attempt(job.ref, events.DELIVERED, code, attempted_at))
        error = result.error or f"HTTP {code}"
        retry_at = None
        if code != GONE:
            retry_at = outbound.next_attempt_at(
                self.runtime.settings.webhook_retry_schedule, job.attempts + 1, attempted_at
            )
        if retry_at is None:
            return Outcome.dead(error=error, data=Attempt(job.ref, events.FAILED, code, attempted_at))
        return Outcome.retry(retry_at, error=error, data=Attempt(job.ref, events.PENDING, code, attempted_at))


async def record_attempts(conn: Connection, settled: list[tuple[Job, Outcome]]) -> None:
    attempts = [outcome.data for _job, outcome in settled if isinstance(outcome.data, Attempt)]
    skipped = [a for a in attempts if a.delivery_status == events.DELIVERY_SKIPPED]
    await repository.record_delivery_attempts(conn, [a for a in attempts if a not in skipped])
    await repository.skip_deliveries(conn, [a.event_id for a in skipped])


def register(runtime: Runtime, dispatcher: Dispatcher | None = None) -> None:
    """Deliver auto's webhooks from `dispatcher` (the runtime's own by default)."""
    delivery = WebhookDelivery(runtime)
    (dispatcher or runtime.dispatcher).register(
        events.WEBHOOK_KIND, delivery, prepare=delivery.prepare, record_many=record_attempts
    )


async def redeliver(runtime: Runtime, event_id: str) -> dict[str, Any]:
    """The operator's manual redelivery (console): a `failed` or `delivery_skipped` event is
    pending again, due now, to the partner's current webhook URL, with the whole retry
    schedule. Unknown event → 404; a pending or delivered one → 409."""
    now = runtime.clock.now()
    async with runtime.db.transaction() as conn:
        event = await repository.lock_event_delivery(conn, event_id)
        if event is None:
            raise ApiError(404, "not_found", "Webhook event not found")
        if event["delivery_status"] not in (events.FAILED, events.DELIVERY_SKIPPED):
            raise ApiError(
                409, "conflict", f"Webhook event is {event['delivery_status']}; only a failed one is redelivered"
            )
        await repository.mark_delivery_pending(conn, event_id)
        await outbox.enqueue(conn, events.WEBHOOK_KIND, ref=event_id, due_at=now, now=now, fifo_key=event["order_id"])
    runtime.dispatcher.wake()
    return {"id": event_id, "order_id": event["order_id"], "delivery_status": events.PENDING}
