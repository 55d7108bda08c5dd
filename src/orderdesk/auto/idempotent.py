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

from orderdesk.auto import errors, repository
from orderdesk.auto.auth import Caller
from orderdesk.platform import idempotency
from orderdesk.platform.db import Connection
from orderdesk.platform.errors import ApiError
from orderdesk.platform.runtime import Runtime

PLACE_ORDER = "POST /v1/orders"
#: A key's scope is its partner's: this prefix and the partner id.
SCOPE_PREFIX = "auto:"

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
        return SCOPE_PREFIX + self.partner_id

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
            return await _answer(conn, runtime, call, stored, work, work_records)
    except idempotency.KeyInUse:
        raise errors.idempotency_key_in_use() from None
    except idempotency.Race:
        return await _answer_race(runtime, call)


async def run_for(
    runtime: Runtime,
    caller: Caller,
    key: str,
    call_of: Callable[[str], Call],
    work: Callable[[Connection, Call], Awaitable[tuple[int, bytes]]],
    *,
    work_records: bool = False,
) -> Answer:
    """`run` for `call_of(partner id)` when the caller may not be admitted yet (PostgreSQL,
    `auth.Caller`). When the key's partner is known (`partner_hint`), the transaction begins
    trying that partner's lock, and the next statement reads the key and the record together;
    the key checks run before the record is looked at, which was read after the lock was
    granted. Otherwise the key is looked up on its own first, as for `run`."""
    if caller.principal is not None or caller.partner_hint is None:
        principal = caller.principal or await caller.authenticate()
        admitted = call_of(principal.partner_id)
        return await run(runtime, admitted, lambda conn: work(conn, admitted), work_records=work_records)
    assert caller.digest is not None
    call = call_of(caller.partner_hint)
    try:
        async with idempotency.transaction(runtime.db, call.scope, key) as conn:
            found, stored = await repository.find_api_key_and_record(conn, caller.digest, SCOPE_PREFIX, key)
            partner_id = (await caller.admit(found)).partner_id
            if partner_id == call.partner_id:
                stored = await idempotency.claimed(conn, call.scope, key, stored)
            else:  # never (a key keeps its partner); were it so, lock and read its own scope
                call = call_of(partner_id)
                stored = await idempotency.claim(conn, call.scope, key)
            admitted = call
            return await _answer(conn, runtime, admitted, stored, lambda conn: work(conn, admitted), work_records)
    except idempotency.KeyInUse:
        raise errors.idempotency_key_in_use() from None
    except idempotency.Race:
        return await _answer_race(runtime, call)


async def _answer(
    conn: Connection,
    runtime: Runtime,
    call: Call,
    stored: idempotency.StoredResponse | None,
    work: Work,
    work_records: bool,
) -> Answer:
    """Inside the locked transaction: the replay (or refusal) of a stored record, else `work`."""
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
    return Answer(status, body)


async def _answer_race(runtime: Runtime, call: Call) -> Answer:
    """Another request committed this key first (unique-index backstop): answer from its record."""
    async with runtime.db.transaction(write=False) as conn:
        stored = await idempotency.load(conn, call.scope, call.key)
    assert stored is not None
    return _answer_stored(call, stored)
