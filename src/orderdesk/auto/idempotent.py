"""The partner API's idempotency policy (spec 2.12) over the platform's record store.

The key space belongs to the partner (all its API keys share it). A record is written only
for a success, in the business transaction; a replay answers 200 with the stored bytes.
The outcome is an Answer (status, body bytes, replayed or not); the route makes it a response.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from orderdesk.auto import errors
from orderdesk.platform import idempotency
from orderdesk.platform.db import Connection
from orderdesk.platform.errors import ApiError
from orderdesk.platform.runtime import Runtime

PLACE_ORDER = "POST /v1/orders"

Work = Callable[[Connection], Awaitable[tuple[int, bytes]]]


@dataclass(frozen=True)
class Answer:
    """An idempotent endpoint's outcome: the JSON body bytes (stored, or replayed as stored)."""

    status: int
    body: bytes
    replayed: bool = False


@dataclass(frozen=True)
class Call:
    partner_id: str
    key: str
    endpoint: str  # method + route template
    fingerprint: str  # POST /v1/orders: the vehicle id; others: method, path and canonical body

    @property
    def scope(self) -> str:
        return "auto:" + self.partner_id

    def record(self, status: int, body: bytes, now: datetime) -> dict[str, Any]:
        """What a work that writes its own record passes to `idempotency.RECORD_INSERT`."""
        return idempotency.record_params(self.scope, self.key, self.endpoint, self.fingerprint, status, body, now)


def path_fingerprint(method: str, path: str, canonical_body: str = "") -> str:
    return f"{method} {path} {canonical_body}"


def _original_request(stored: idempotency.StoredResponse) -> dict[str, str]:
    if stored.endpoint == PLACE_ORDER:
        method, path = PLACE_ORDER.split(" ")
    else:
        method, path, _body = stored.fingerprint.split(" ", 2)
    return {"original_method": method, "original_path": path}


def _answer_stored(call: Call, stored: idempotency.StoredResponse) -> Answer:
    if stored.endpoint == call.endpoint and stored.fingerprint == call.fingerprint:
        return Answer(200, stored.body, replayed=True)
    if stored.endpoint == PLACE_ORDER and call.endpoint == PLACE_ORDER:
        raise errors.idempotency_key_reused({"original_vehicle_id": stored.fingerprint})
    raise errors.idempotency_key_reused(_original_request(stored))


async def run(runtime: Runtime, call: Call, work: Work, *, work_records: bool = False) -> Answer:
    """Lock the key, answer from its record if there is one, else run `work` in the same
    transaction and store its successful answer (`work_records`: `work` writes the record
    itself, in its last statement, with `call.record`)."""
    try:
        async with idempotency.transaction(runtime.db, call.scope, call.key) as conn:
            stored = await idempotency.claim(conn, call.scope, call.key)
            if stored is not None:
                return _answer_stored(call, stored)
            try:
                status, body = await work(conn)
            except ApiError:
                # A request with this key that committed after our check explains the refusal
                # (e.g. duplicate_order for its own order): answer as the record says.
                stored = await idempotency.load(conn, call.scope, call.key)
                if stored is None:
                    raise
                return _answer_stored(call, stored)
            if not work_records:
                await idempotency.save(
                    conn, call.scope, call.key, call.endpoint, call.fingerprint, status, body, runtime.clock.now()
                )
    except idempotency.KeyInUse:
        raise errors.idempotency_key_in_use() from None
    except idempotency.Race:
        # Another request committed this key first (unique-index backstop): answer from its record.
        async with runtime.db.transaction(write=False) as conn:
            stored = await idempotency.load(conn, call.scope, call.key)
        assert stored is not None
        return _answer_stored(call, stored)
    return Answer(status, body)
