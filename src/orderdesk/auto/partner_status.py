"""The partner's status pushes after loading (spec 4.8, rows 14 and 15 of 5.4). No webhook: the
response is the confirmation."""

from __future__ import annotations

import orjson

from orderdesk.auto import errors, idempotent, lifecycle, repository
from orderdesk.auto.auth import Principal
from orderdesk.auto.inputs import StatusPush
from orderdesk.auto.serializers import order_from_row
from orderdesk.platform.db import Connection
from orderdesk.platform.runtime import Runtime

ENDPOINT = "POST /v1/orders/{order_id}/status"


async def push_status(
    runtime: Runtime, principal: Principal, key: str, order_id: str, push: StatusPush
) -> idempotent.Answer:
    path = f"/v1/orders/{order_id}/status"
    call = idempotent.Call(
        principal.partner_id, key, ENDPOINT, idempotent.path_fingerprint("POST", path, push.canonical_body)
    )

    async def work(conn: Connection) -> tuple[int, bytes]:
        return 200, await _push(conn, runtime, principal.partner_id, order_id, push)

    return await idempotent.run(runtime, call, work)


async def _push(conn: Connection, runtime: Runtime, partner_id: str, order_id: str, push: StatusPush) -> bytes:
    vehicle_id = await repository.order_vehicle_id(conn, partner_id, order_id)
    if vehicle_id is None:
        raise errors.order_not_found()
    vehicle = await repository.lock_vehicle(conn, vehicle_id)
    order = await repository.lock_order(conn, order_id)
    assert vehicle is not None and order is not None
    lmn_status = push.status is not None and push.status != lifecycle.DELIVERED
    if lmn_status or push.fulfillment_detail in lifecycle.LMN_DETAILS:
        raise errors.reserved_for_lmn(order["status"])
    change = lifecycle.VehicleChange(conn, vehicle, actor=lifecycle.PARTNER, now=runtime.clock.now())
    note = lifecycle.PartnerNote(push.occurred_at, push.notes)
    try:
        if push.status is not None:
            await change.apply(order, "delivered", note=note)
        else:
            await change.apply(order, "partner_detail", {"fulfillment_detail": push.fulfillment_detail}, note=note)
    except lifecycle.IllegalTransition as exc:
        raise errors.invalid_status_transition(exc.current_status) from None
    row = await repository.get_order(conn, order_id)
    assert row is not None  # locked above, in this transaction
    return orjson.dumps(order_from_row(row))
