"""Webhook delivery (spec 6.2, 6.3): the dispatcher's handler for `auto.webhook` outbox rows.

Each attempt POSTs the envelope stored at creation, byte for byte, to the partner's current
URL, signed afresh: `X-LMN-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, t + "." +
body)>`. A 2xx within the timeout is `delivered`; a 410 is `failed` at once; anything else
is retried after the next delay of the retry schedule, then `failed`. The outbox row's FIFO key
is the order id, so an event is not attempted before every earlier event of its order settled.
The attempt's bookkeeping is written in the transaction that settles the outbox row.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime

from orderdesk.auto import events, repository
from orderdesk.platform import webhooks
from orderdesk.platform.db import Connection
from orderdesk.platform.dispatcher import Job, Outcome, Record
from orderdesk.platform.runtime import Runtime

GONE = 410


def signature(secret: str, timestamp: int, body: bytes) -> str:
    digest = hmac.new(secret.encode(), str(timestamp).encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def signed_headers(event_id: str, secret: str, timestamp: int, body: bytes) -> dict[str, str]:
    return {"X-LMN-Event-Id": event_id, "X-LMN-Timestamp": str(timestamp),
            "X-LMN-Signature": signature(secret, timestamp, body)}


class WebhookDelivery:
    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime

    async def __call__(self, job: Job) -> Outcome:
        event_id = job.ref
        event = await repository.event_for_delivery(self.runtime.db, event_id)
        if event is None:
            return Outcome.dead(error="event not found")
        if event["delivery_status"] != events.PENDING:
            return Outcome.done()  # settled already (an attempt repeated after a crash)
        if event["webhook_url"] is None:
            return Outcome.done(_skipped(event_id))
        attempted_at = self.runtime.clock.now()
        body = bytes(event["payload"])
        headers = signed_headers(event_id, event["webhook_secret"], int(attempted_at.timestamp()), body)
        result = await webhooks.post(self.runtime.http, event["webhook_url"], body, headers,
                                     self.runtime.settings.webhook_timeout)
        return self._outcome(job, result, attempted_at)

    def _outcome(self, job: Job, result: webhooks.AttemptResult, attempted_at: datetime) -> Outcome:
        code = result.status_code
        if result.ok:
            return Outcome.done(_attempt(job.ref, events.DELIVERED, code, attempted_at))
        error = result.error or f"HTTP {code}"
        retry_at = None
        if code != GONE:
            retry_at = webhooks.next_attempt_at(self.runtime.settings.webhook_retry_schedule, job.attempts + 1,
                                                attempted_at)
        if retry_at is None:
            return Outcome.dead(_attempt(job.ref, events.FAILED, code, attempted_at), error=error)
        return Outcome.retry(retry_at, _attempt(job.ref, events.PENDING, code, attempted_at), error=error)


def _attempt(event_id: str, status: str, code: int | None, at: datetime) -> Record:
    async def record(conn: Connection) -> None:
        await repository.record_delivery_attempt(conn, event_id, delivery_status=status, response_code=code, at=at)

    return record


def _skipped(event_id: str) -> Record:
    async def record(conn: Connection) -> None:
        await repository.skip_delivery(conn, event_id)

    return record


def register(runtime: Runtime) -> None:
    runtime.dispatcher.register(events.WEBHOOK_KIND, WebhookDelivery(runtime))
