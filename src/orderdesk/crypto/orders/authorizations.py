"""PATCH …/orders/{order_id}/authorizations/{authorization_id} (spec/crypto.md 8.15): the
partner approves or rejects a send's authorization.

The scope is checked by the route before the body is read (3.10 step 4). An authorization
found past its `expires_at` is expired here (the refund and cancellation are committed) and
the call then answers 400 `invalid_state` `Authorization has expired`."""

from __future__ import annotations

from typing import Any

from pydantic import TypeAdapter

from orderdesk.crypto import contract_errors, customers, errors
from orderdesk.crypto.auth import Partner
from orderdesk.crypto.models.partner import AuthorizationDecision
from orderdesk.crypto.orders import reads, send_stages
from orderdesk.crypto.orders.confirm import Refusal
from orderdesk.platform.runtime import Runtime

DECISION = TypeAdapter(AuthorizationDecision)
NOT_PENDING = "Authorization is not pending"
EXPIRED = "Authorization has expired"


def decision_input(data: dict[str, Any]) -> str:
    return contract_errors.validate(DECISION, data).state


async def decide(
    runtime: Runtime, partner: Partner, customer_id: str, order_id: str, authorization_id: str, body: dict[str, Any]
) -> dict[str, Any]:
    now = runtime.clock.now()
    async with runtime.db.transaction() as conn:
        await customers.require(conn, customer_id, partner.id)
        order = await reads.find(conn, customer_id, order_id, lock=True)
        if order is None:
            raise errors.order_not_found()
        authorization = await send_stages.find_authorization(conn, order["id"], authorization_id)
        if authorization is None:
            raise errors.not_found("Authorization not found")
        decision = decision_input(body)
        if authorization["state"] != "pending" or order["state"] != "processing":
            raise errors.invalid_state(NOT_PENDING)
        if now >= authorization["expires_at"]:
            await send_stages.expire(conn, order, authorization, now)
            outcome: dict[str, Any] | Refusal = Refusal(errors.invalid_state(EXPIRED))
        elif decision == "approved":
            outcome = await send_stages.approve(conn, order, authorization, now, runtime.settings)
        else:
            outcome = await send_stages.reject(conn, order, authorization, now)
    if isinstance(outcome, Refusal):
        raise outcome.error
    return outcome
