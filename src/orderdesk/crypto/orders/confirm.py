"""POST …/orders/{order_id}/confirm and …/resend_code (spec/crypto.md 8.12, 8.13).

Two refusals must still commit what they changed: an expired quote found at confirmation or
resend (the cancellation is persisted), and a wrong security code (the attempt is counted,
and the last allowed one cancels the order). Those paths leave the transaction normally with
a `Refusal` and raise its error after the commit; every other refusal raises inside the
transaction and rolls everything back, so the order stays `pending`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import TypeAdapter

from orderdesk.crypto import contract_errors, errors
from orderdesk.crypto.auth import Caller, Partner, require_scope
from orderdesk.crypto.models.partner import Confirmation as ConfirmationBody
from orderdesk.crypto.models.partner import ResendCode
from orderdesk.crypto.orders import codes, quotes, reads, states
from orderdesk.crypto.orders.create import check_permissions
from orderdesk.crypto.orders.registry import OPERATIONS
from orderdesk.crypto.repositories import orders as repo
from orderdesk.platform.db import Connection, UniqueViolation
from orderdesk.platform.errors import ApiError
from orderdesk.platform.runtime import Runtime

CONFIRMATION = TypeAdapter(ConfirmationBody)
RESEND_CODE = TypeAdapter(ResendCode)
WRONG_CODE = "Invalid security code"
WRONG_CODE_CANCELLED = "Invalid security code; the order has been cancelled"
CODE_REQUIRED = "confirmation_code is required for this order"
REFERENCE_SET = "reference_id was set when the order was created and must not be sent on confirmation"


@dataclass(frozen=True)
class Refusal:
    """An error to answer once the transaction that recorded its cause has committed."""

    error: ApiError


@dataclass(frozen=True)
class Confirmation:
    code: str | None
    reference_id: str | None
    customer_currency: str | None
    customer_amount: str | None


def confirmation_input(data: dict[str, Any]) -> Confirmation:
    body = contract_errors.validate(CONFIRMATION, data)
    money = body.customer
    return Confirmation(
        body.confirmation_code,
        body.reference_id,
        money.currency if money else None,
        money.amount if money else None,
    )


async def _locate(conn: Connection, caller: Caller, customer_id: str, order_id: str) -> tuple[Partner, Any, Any]:
    """Steps 1-3 of 8.12 / 8.13: customer and order (locked), receive orders, scope (on
    PostgreSQL read with the caller's partner, which is judged first)."""
    partner, customer, order = await reads.customer_and_locked_order(conn, caller, customer_id, order_id)
    if order is None:
        raise errors.order_not_found()
    if order["operation"] == "receive":
        raise errors.invalid_order_state(f"Order is {order['state']}")
    require_scope(partner, f"operation_{order['operation']}")
    return partner, customer, order


async def _still_open(conn: Connection, order: Any, now: datetime) -> Refusal | None:
    """Step 5: an expired quote (persisting the cancellation when the sweep has not yet),
    else any state but pending."""
    if order["state"] == "cancelled" and order["cancel_reason"] == "expired":
        return Refusal(errors.expired_order())
    if order["state"] == "pending" and now >= order["expires_at"]:
        await states.apply(conn, order, "expire", now, at=order["expires_at"])
        return Refusal(errors.expired_order())
    if order["state"] != "pending":
        raise errors.invalid_order_state(f"Order is {order['state']}")
    return None


async def confirm_order(
    runtime: Runtime, caller: Caller, customer_id: str, order_id: str, body: dict[str, Any]
) -> dict[str, Any]:
    now = runtime.clock.now()
    async with runtime.db.transaction() as conn:
        outcome = await _confirm(conn, runtime, caller, customer_id, order_id, body, now)
    if isinstance(outcome, Refusal):
        raise outcome.error
    return outcome


async def _confirm(
    conn: Connection,
    runtime: Runtime,
    caller: Caller,
    customer_id: str,
    order_id: str,
    body: dict[str, Any],
    now: datetime,
) -> dict[str, Any] | Refusal:
    partner, customer, order = await _locate(conn, caller, customer_id, order_id)  # 1-3
    given = confirmation_input(body)  # 4
    refusal = await _still_open(conn, order, now)  # 5
    if refusal is not None:
        return refusal
    reference_id = await _reference_for(conn, order, given.reference_id)  # 6
    refusal = await _security_code(conn, runtime, order, given.code, now)  # 7
    if refusal is not None:
        return refusal
    operation = OPERATIONS[order["operation"]]
    quote = quotes.load(order["quote"])
    await check_permissions(operation, customer, order, partner.products, runtime)  # 8
    settings = runtime.settings
    await operation.recheck(conn, order, quote, settings)
    sets: dict[str, Any] = {
        "submitted_at": now,
        "customer_currency": given.customer_currency,
        "customer_amount": given.customer_amount,
        **await operation.stage(conn, order, quote, now, settings),
    }
    if reference_id is not None:
        sets["reference_id"] = reference_id
    try:
        confirmed = await states.apply(conn, order, operation.confirmation_event(order, quote, settings), now, **sets)
    except UniqueViolation:  # a concurrent confirm or create took the reference_id first
        raise errors.reference_id_already_used(reference_id or "") from None
    await operation.execute(conn, order, quote, now, settings)  # 9-10: lock, re-check and post last
    return confirmed  # 11


async def _reference_for(conn: Connection, order: Any, sent: str | None) -> str | None:
    """8.17 at confirmation: the reference_id to store with the confirmation, if any."""
    if sent is None:
        return None
    if order["reference_id"] is not None:
        if sent == order["reference_id"]:
            raise errors.invalid_parameters(REFERENCE_SET)
        raise errors.invalid_reference_id()
    if await repo.reference_taken(conn, order["partner_id"], sent):
        raise errors.reference_id_already_used(sent)
    return sent


async def _security_code(
    conn: Connection, runtime: Runtime, order: Any, code: str | None, now: datetime
) -> Refusal | None:
    if not order["requires_confirmation_code"]:
        return None  # a code sent for an order that needs none is ignored
    if code is None:
        raise errors.invalid_security_code(CODE_REQUIRED)
    if codes.matches(order["id"], code, order["code_hash"]):
        return None
    attempts = order["code_attempts"] + 1
    await repo.set_code_attempts(conn, order["id"], attempts)
    if attempts >= runtime.settings.crypto_code_max_attempts:
        await states.apply(conn, order, "code_attempts_exhausted", now)
        return Refusal(errors.invalid_security_code(WRONG_CODE_CANCELLED))
    return Refusal(errors.invalid_security_code(WRONG_CODE))


# ---------------------------------------------------------------------- resend_code (8.13)


async def resend_code(
    runtime: Runtime, caller: Caller, customer_id: str, order_id: str, body: dict[str, Any]
) -> dict[str, Any]:
    now = runtime.clock.now()
    async with runtime.db.transaction() as conn:
        outcome = await _resend(conn, runtime, caller, customer_id, order_id, body, now)
    if isinstance(outcome, Refusal):
        raise outcome.error
    return outcome


async def _resend(
    conn: Connection,
    runtime: Runtime,
    caller: Caller,
    customer_id: str,
    order_id: str,
    body: dict[str, Any],
    now: datetime,
) -> dict[str, Any] | Refusal:
    _partner, customer, order = await _locate(conn, caller, customer_id, order_id)
    _no_fields(body)
    refusal = await _still_open(conn, order, now)
    if refusal is not None:
        return refusal
    if not order["requires_confirmation_code"]:
        raise errors.invalid_order_state("Order does not require a security code")
    if order["code_resends"] >= runtime.settings.crypto_code_max_resends:
        raise errors.invalid_order_state("Security code resend limit reached")
    await repo.increment_code_resends(conn, order["id"])
    snapshot = await reads.snapshot(conn, order["id"], now)
    await codes.issue(conn, snapshot, customer["email"], now, runtime.settings)
    return snapshot


def _no_fields(body: dict[str, Any]) -> None:
    contract_errors.validate(RESEND_CODE, body)
