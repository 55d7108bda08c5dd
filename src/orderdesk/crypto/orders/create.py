"""POST /customers/{customer_id}/orders (spec/crypto.md 8.2): the common pipeline. Every
step runs here in the contract's order; the operation-specific part of a step is a hook of
the order's `Operation` (see `orders.operation`). One transaction: the order, its reserved
reference_id, the mailed code and the order-created event commit together or not at all."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import orjson
from pydantic import TypeAdapter

from orderdesk.crypto import (
    catalogue,
    contract_errors,
    errors,
    events,
    ledger,
    permissions,
    postings,
    pricing,
)
from orderdesk.crypto.auth import Caller, require_scope
from orderdesk.crypto.models.partner import NewOrder
from orderdesk.crypto.models.types import one_of
from orderdesk.crypto.orders import codes, quotes, reads
from orderdesk.crypto.orders.operation import Columns, Draft, Operation
from orderdesk.crypto.orders.registry import OPERATIONS
from orderdesk.crypto.repositories import orders as repo
from orderdesk.crypto.validation import Fields
from orderdesk.crypto.vocabulary import CREATABLE_OPERATIONS
from orderdesk.platform import ids
from orderdesk.platform.db import Connection, UniqueViolation
from orderdesk.platform.runtime import Runtime

NODE_OPTIONAL = ("buy", "sell")
NEW_ORDER = TypeAdapter(NewOrder)


async def create_order(runtime: Runtime, caller: Caller, customer_id: str, body: dict[str, Any]) -> dict[str, Any]:
    now = runtime.clock.now()
    async with runtime.db.transaction() as conn:
        partner, customer = await reads.customer_of(conn, caller, customer_id)  # (2-3 on PostgreSQL,) 1
        name = _operation_name(body)  # 2
        require_scope(partner, f"operation_{name}")  # 3
        _check_nodes(body, name)  # 4
        operation = OPERATIONS[name]
        draft = Draft(partner=partner, customer=customer, operation=operation.name, now=now, settings=runtime.settings)
        _schema(body, operation, draft)  # 5
        operation.check_amounts(draft)  # 6
        await _references(conn, operation, draft)  # 7
        await _reference_unused(conn, partner.id, draft.reference_id)  # 8
        await check_permissions(operation, draft.customer, draft, partner.products, runtime)  # 9
        await operation.permissions(conn, draft)
        await operation.destination(conn, draft)  # 10
        quote = operation.quote(draft)  # 11
        await _balance_covers(conn, draft.customer_id, operation.debit(quote))  # 12
        return await _persist(conn, runtime, operation, draft, quote)  # 13


# ---------------------------------------------------------------------- steps 2-5


def _operation_name(body: dict[str, Any]) -> str:
    value = body.get("operation")
    if value is None:
        raise errors.field_error(("operation",), errors.REQUIRED)
    if not isinstance(value, str):
        raise errors.field_error(("operation",), "Not a valid string.")
    if value not in CREATABLE_OPERATIONS:
        raise errors.field_error(("operation",), one_of(CREATABLE_OPERATIONS))
    return value


def _check_nodes(body: dict[str, Any], operation: str) -> None:
    present = [key for key in CREATABLE_OPERATIONS if body.get(key) is not None]
    if len(present) > 1:
        raise errors.invalid_parameters("Only one operation node is allowed")
    if present and present[0] != operation:
        raise errors.invalid_parameters(f"The operation node name must match the operation value ({operation})")
    if not present and operation not in NODE_OPTIONAL:
        raise errors.invalid_parameters(f"Node '{operation}' is required.")


def _schema(body: dict[str, Any], operation: Operation, draft: Draft) -> None:
    """Step 5: the whole body against the `NewOrder` model, and what the operation requires
    beyond it, as one field-error tree."""
    tree: dict[Any, Any] = {}
    order = contract_errors.collect(NEW_ORDER, body, tree)
    operation.require(body, tree)
    if tree:
        raise errors.field_errors(tree)
    assert order is not None
    draft.asset_currency = order.asset.currency
    draft.asset_amount_raw = order.asset.amount
    draft.asset_amount = Decimal(order.asset.amount) if order.asset.amount is not None else None
    draft.reference_id = order.reference_id
    operation.read_node(getattr(order, operation.name), draft)


# ---------------------------------------------------------------------- steps 7-9


async def _references(conn: Connection, operation: Operation, draft: Draft) -> None:
    asset = await catalogue.asset(conn, draft.asset_currency)
    if asset is None:
        raise errors.field_error(("asset", "currency"), f"Unknown currency {draft.asset_currency}.")
    draft.asset = asset
    fields = Fields()
    await operation.resolve(conn, draft, fields)
    fields.raise_if_any()


async def _reference_unused(conn: Connection, partner_id: str, reference_id: str | None) -> None:
    if reference_id is not None and await repo.reference_taken(conn, partner_id, reference_id):
        raise errors.reference_id_already_used(reference_id)


async def check_permissions(
    operation: Operation, customer: Any, subject: Any, products: tuple[str, ...], runtime: Runtime
) -> None:
    """Step 9's common part (also step 8 of confirm): customer state, then product, then the
    asset operations the operation names. `subject` is the draft or the stored order;
    `products` are those of the customer's partner (the caller: lookups are partner-scoped)."""
    permissions.check_state(customer, operation.name)
    permissions.check_product(customer, products, operation.product(subject), runtime.settings)
    if isinstance(subject, Draft):
        for asset, allowed in operation.allowed(subject):
            if not asset.allows(allowed):
                raise errors.operation_forbidden(f"Asset {asset.id} does not allow the {allowed} operation")


async def _balance_covers(conn: Connection, customer_id: str, debit: Any) -> None:
    if debit is None:
        return
    currency, amount = debit
    balance = await ledger.balance(conn, postings.customer(customer_id, currency, amount).label)
    if balance < amount:
        raise errors.insufficient_funds(currency)


# ---------------------------------------------------------------------- step 13


async def _persist(
    conn: Connection, runtime: Runtime, operation: Operation, draft: Draft, quote: Any
) -> dict[str, Any]:
    now, settings = draft.now, runtime.settings
    order_id = ids.new_hex_id()
    cols = operation.columns(quote, draft)
    needs_code = pricing.requires_security_code(
        operation=operation.name,
        value_usd=cols.usd_value,
        threshold_usd=settings.crypto_code_threshold_usd,
        code_operations=draft.partner.security_code_operations,
        destination_type=operation.destination_type(draft),
    )
    commission = draft.commission
    try:
        row = await repo.insert_order(
            conn,
            {
                "id": order_id,
                "partner_id": draft.partner.id,
                "customer_id": draft.customer_id,
                "reference_id": draft.reference_id,
                "operation": operation.name,
                "currency": draft.asset_currency,
                **_column_values(cols),
                "commission_type": commission.type if commission else None,
                "commission_value": commission.value if commission else None,
                "quote": quotes.dump(quote),
                "node": orjson.dumps(operation.node(quote, draft)).decode(),
                "expires_at": now + timedelta(seconds=settings.crypto_quote_ttl),
                "code": needs_code,
                "now": now,
            },
        )
    except UniqueViolation:  # a concurrent create took the reference_id first
        raise errors.reference_id_already_used(draft.reference_id or "") from None
    order = reads.view(row, now)
    if needs_code:
        await codes.issue(conn, order, draft.customer["email"], now, settings)
    await events.emit(conn, draft.partner.id, "order-created", {"order": order}, now)
    return order


def _column_values(cols: Columns) -> dict[str, Any]:
    return {name: getattr(cols, name) for name in Columns.__dataclass_fields__}
