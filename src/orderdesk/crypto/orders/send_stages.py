"""What happens to a send after its confirmation (spec/crypto.md 8.12 step 10, 8.15, 8.16,
11.9, 12): the debit to in-transit, the partner authorization, chain delivery after
`ORDERDESK_CRYPTO_SEND_DELAY`, the internal transfer with the receiver's `receive` order, and
the refund of a send that is rejected, expires or is failed by the operator.

Every stage runs with the order row locked by its caller and moves the order through
`states.apply`; the node (authorizations, delivery data) is rewritten in the same step, so
the order-updated event shows it. The delivery timer is an outbox row (`crypto.send_delivery`,
`ref` = order id, `due_at` = the delivery time); authorization expiry is a sweep."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import orjson
import structlog
from pydantic import TypeAdapter

from orderdesk.crypto import address_book, contract_errors, customers, errors, events, formats, postings, pricing
from orderdesk.crypto.models.operator import FailSend
from orderdesk.crypto.orders import quotes, reads, states
from orderdesk.crypto.orders.operation import post
from orderdesk.crypto.permissions import can_receive
from orderdesk.crypto.repositories import authorizations as authorizations_repo
from orderdesk.crypto.repositories import customers as customers_repo
from orderdesk.crypto.repositories import orders as orders_repo
from orderdesk.platform import ids, outbox
from orderdesk.platform.db import Connection
from orderdesk.platform.errors import ApiError
from orderdesk.platform.runtime import Runtime
from orderdesk.settings import Settings

log = structlog.get_logger("orderdesk.crypto.send")

DELIVERY_KIND = "crypto.send_delivery"
CUSTOMER, ADDRESS_BOOK = "lirium_customer", "address_book"
BATCH = 100
FAIL_SEND = TypeAdapter(FailSend)


def unable_to_receive() -> ApiError:
    return ApiError(400, "destination_unable_to_receive", "The destination customer cannot receive funds")


async def check_receiver(conn: Connection, receiver_id: str, settings: Settings) -> Any:
    """8.8: the receiver must be `active` with an active `crypto_receive` (its partner has the
    product and its KYC flag is on). Returns the receiver row."""
    receiver = await customers.find(conn, receiver_id, None)
    assert receiver is not None  # customers are never deleted
    if not can_receive(receiver, await customers.partner_products(conn, receiver["partner_id"]), settings):
        raise unable_to_receive()
    return receiver


def destination_of(order: Any) -> dict[str, Any]:
    return dict(orjson.loads(order["node"])["destination"])


def is_internal(order: Any) -> bool:
    return destination_of(order)["type"] == CUSTOMER


# ---------------------------------------------------------------------- confirmation (8.12 step 10)


def _needs_authorization(quote: pricing.SendQuote, settings: Settings) -> bool:
    return pricing.needs_partner_authorization(
        operation="send", value_usd=quote.value_usd, threshold_usd=settings.crypto_send_auth_threshold_usd
    )


def confirmation_event(order: Any, quote: pricing.SendQuote, settings: Settings) -> str:
    """Only an internal send below the authorization threshold completes at confirmation."""
    if is_internal(order) and not _needs_authorization(quote, settings):
        return "execute"
    return "hand_over"


async def stage(
    conn: Connection, order: Any, quote: pricing.SendQuote, now: datetime, settings: Settings
) -> dict[str, Any]:
    """Before the state change: stamp the address-book entry, open the authorization or
    schedule the delivery, and return the node the confirmed order shows (with its pending
    authorization, or the receiver's `receive` order id of an internal transfer)."""
    destination = destination_of(order)
    if destination["type"] == ADDRESS_BOOK:
        await address_book.mark_used(conn, destination["value"], now)
    if _needs_authorization(quote, settings):
        expires_at = now + timedelta(seconds=settings.crypto_send_auth_ttl)
        await authorizations_repo.insert_pending_authorization(conn, ids.new_hex_id(), order["id"], expires_at, now)
        return {"node": await node_with(conn, order)}
    if destination["type"] == CUSTOMER:
        transfer = {"customer_id": destination["value"], "order_id": ids.new_hex_id()}
        return {"node": await node_with(conn, order, lirium_transfer=transfer)}
    await schedule_delivery(conn, order["id"], now, settings)
    return {}


async def execute(conn: Connection, order: Any, quote: pricing.SendQuote, now: datetime, settings: Settings) -> None:
    """The ledger, last (8.12 step 9-10): to in-transit, or the whole internal transfer."""
    if is_internal(order) and not _needs_authorization(quote, settings):
        staged = await orders_repo.order_node(conn, order["id"])
        transfer = orjson.loads(staged)["destination"]["lirium_transfer"]
        await _transfer(conn, order, quote, now, from_transit=False, receive_id=transfer["order_id"])
        return
    await post(
        conn, postings.send_to_transit(quote, customer_id=order["customer_id"]), order, now, kind="send_to_transit"
    )


async def schedule_delivery(conn: Connection, order_id: str, now: datetime, settings: Settings) -> None:
    await outbox.enqueue(
        conn, DELIVERY_KIND, ref=order_id, now=now, due_at=now + timedelta(seconds=settings.crypto_send_delay)
    )


async def node_with(conn: Connection, order: Any, **destination: Any) -> str:
    """The order's node with its authorizations as stored now and `destination` changes."""
    node = orjson.loads(order["node"])
    node["authorizations"] = [
        authorization_view(row) for row in await authorizations_repo.authorizations_of_order(conn, order["id"])
    ]
    node["destination"].update(destination)
    return orjson.dumps(node).decode()


def authorization_view(row: Any) -> dict[str, Any]:
    return {
        "id": row["id"],
        "type": "partner",
        "state": row["state"],
        "expires_at": formats.timestamp(row["expires_at"]),
        "signed_at": formats.timestamp(row["signed_at"]),
    }


# ---------------------------------------------------------------------- internal transfer


async def _transfer(
    conn: Connection, order: Any, quote: pricing.SendQuote, now: datetime, *, from_transit: bool, receive_id: str
) -> dict[str, str]:
    """Credit the receiver and create its completed `receive` order (8.11, origin
    `lirium_transfer`) with its events; returns the send's `lirium_transfer` value."""
    receiver_id = destination_of(order)["value"]
    receiver_partner = await customers_repo.partner_id_of_customer(conn, receiver_id)
    entries = postings.internal_send_completed(
        quote,
        sender_id=order["customer_id"],
        receiver_id=receiver_id,
        partner_id=order["partner_id"],
        from_transit=from_transit,
    )
    await post(conn, entries, order, now, kind="send_transferred")
    amount = formats.crypto(quote.destination_amount, quote.places)
    node = {"origin": {"type": "lirium_transfer", "value": order["id"], "amount": amount, "network": None}}
    await orders_repo.insert_transfer_receive_order(
        conn,
        {
            "id": receive_id,
            "partner_id": receiver_partner,
            "customer_id": receiver_id,
            "currency": quote.asset,
            "amount": quote.destination_amount,
            "node": orjson.dumps(node).decode(),
            "now": now,
        },
    )
    received = await reads.snapshot(conn, receive_id, now)
    for action in ("order-created", "incoming-funds", "order-closed"):
        await events.emit(conn, receiver_partner, action, {"order": received}, now)
    return {"customer_id": receiver_id, "order_id": receive_id}


# ---------------------------------------------------------------------- refunds


async def refund(
    conn: Connection, order: Any, event: str, now: datetime, *, at: datetime | None = None
) -> dict[str, Any]:
    """Give `T` back from in-transit and cancel the order on `event` (8.16, last row)."""
    quote = _quote(order)
    await post(conn, postings.send_refunded(quote, customer_id=order["customer_id"]), order, now, kind="send_refunded")
    return await states.apply(conn, order, event, now, at=at, node=await node_with(conn, order))


def _quote(order: Any) -> pricing.SendQuote:
    quote = quotes.load(order["quote"])
    assert isinstance(quote, pricing.SendQuote)
    return quote


# ---------------------------------------------------------------------- authorizations (8.15)


async def _sign(conn: Connection, authorization: Any, state: str, now: datetime) -> None:
    changed = await authorizations_repo.sign_pending_authorization(conn, authorization["id"], state, now)
    if changed != 1:
        raise states.IllegalTransition(f"authorization {authorization['id']} is no longer pending")


async def approve(
    conn: Connection, order: Any, authorization: Any, now: datetime, settings: Settings
) -> dict[str, Any]:
    """External: delivery timer from now. Internal: the transfer completes now, unless the
    receiver can no longer receive (then cancelled `destination_unable_to_receive`, refund)."""
    await _sign(conn, authorization, "approved", now)
    if not is_internal(order):
        await schedule_delivery(conn, order["id"], now, settings)
        return await states.apply(conn, order, "authorization_approved", now, node=await node_with(conn, order))
    try:
        await check_receiver(conn, destination_of(order)["value"], settings)
    except ApiError:
        return await refund(conn, order, "receiver_unable", now)
    transfer = await _transfer(conn, order, _quote(order), now, from_transit=True, receive_id=ids.new_hex_id())
    return await states.apply(conn, order, "complete", now, node=await node_with(conn, order, lirium_transfer=transfer))


async def reject(conn: Connection, order: Any, authorization: Any, now: datetime) -> dict[str, Any]:
    await _sign(conn, authorization, "rejected", now)
    return await refund(conn, order, "authorization_rejected", now)


async def expire(conn: Connection, order: Any, authorization: Any, now: datetime) -> dict[str, Any]:
    """The authorization lapsed: `expired` (never signed), the order cancelled at the
    authorization's `expires_at` (like a quote expiry, 8.16), the debit refunded."""
    changed = await authorizations_repo.expire_pending_authorization(conn, authorization["id"])
    if changed != 1:
        raise states.IllegalTransition(f"authorization {authorization['id']} is no longer pending")
    return await refund(conn, order, "authorization_expired", now, at=authorization["expires_at"])


async def expire_due_authorizations(runtime: Runtime, now: datetime) -> int:
    """The authorization-expiry job (12): each due authorization in its own transaction, its
    order locked first (as every other path does) and everything re-checked."""
    async with runtime.db.transaction(write=False) as conn:
        due = await authorizations_repo.due_authorizations(conn, now, BATCH)
    expired = 0
    for row in due:
        async with runtime.db.transaction() as conn:
            order = await orders_repo.lock_order_skip_locked(conn, row["order_id"])
            if order is None or order["state"] != "processing":
                continue  # being handled right now, or already decided
            authorization = await find_authorization(conn, order["id"], row["id"])
            if authorization is None or authorization["state"] != "pending" or authorization["expires_at"] > now:
                continue
            await expire(conn, order, authorization, now)
            expired += 1
    return expired


async def find_authorization(conn: Connection, order_id: str, authorization_id: str) -> Any:
    if not ids.is_hex32(authorization_id):
        return None
    return await authorizations_repo.find_authorization(conn, order_id, authorization_id)


# ---------------------------------------------------------------------- delivery (12)


async def deliver(runtime: Runtime, order_id: str) -> bool:
    """The delivery timer fired: a send still processing with no pending authorization gets
    its transaction id, its ledger posting and `completed`. Anything else: nothing to do."""
    now = runtime.clock.now()
    async with runtime.db.transaction() as conn:
        order = await orders_repo.lock_order(conn, order_id)
        if (
            order is None
            or order["state"] != "processing"
            or order["tx_hash"] is not None
            or is_internal(order)
            or await authorizations_repo.has_pending_authorization(conn, order_id)
        ):
            return False
        quote = _quote(order)
        await post(
            conn, postings.send_delivered(quote, partner_id=order["partner_id"]), order, now, kind="send_delivered"
        )
        tx = ids.random_hex(32)
        node = await node_with(conn, order, crypto_currency_transaction={"transaction_id": tx})
        await states.apply(conn, order, "complete", now, tx_hash=tx, node=node)
    return True


# ---------------------------------------------------------------------- operator fails a send (11.9)


async def fail(runtime: Runtime, order_id: str, body: dict[str, Any]) -> dict[str, Any]:
    now = runtime.clock.now()
    async with runtime.db.transaction() as conn:
        order = None
        if ids.is_hex32(order_id):
            order = await orders_repo.lock_order(conn, order_id)
        if order is None:
            raise errors.order_not_found()
        reason = contract_errors.validate(FAIL_SEND, body).reason
        if order["operation"] != "send":
            raise errors.invalid_order_state("Only send orders can be failed")
        if order["state"] != "processing":
            raise errors.invalid_order_state(f"Order is {order['state']}")
        failed = await refund(conn, order, "send_failed", now)
    log.info("send_failed_by_operator", order_id=order_id, reason=reason)
    return failed
