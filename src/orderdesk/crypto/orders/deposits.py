"""Operator deposits (spec/crypto.md 11.5): a completed `receive` order (8.11) and its ledger
posting (6.3), in one transaction with the events they fire."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import orjson
from pydantic import TypeAdapter

from orderdesk.crypto import catalogue, contract_errors, customers, errors, events, formats, ledger, postings
from orderdesk.crypto.catalogue import Asset
from orderdesk.crypto.models.operator import DepositInput
from orderdesk.crypto.models.types import one_of, too_many_places
from orderdesk.crypto.orders import reads
from orderdesk.crypto.repositories import orders as repo
from orderdesk.crypto.validation import Fields
from orderdesk.platform import ids
from orderdesk.platform.db import Connection, UniqueViolation
from orderdesk.platform.runtime import Runtime

DEPOSIT = TypeAdapter(DepositInput)


@dataclass(frozen=True)
class Deposit:
    currency: str
    amount: Decimal
    network: str
    tx_hash: str
    fee: Decimal


def _schema(data: dict[str, Any]) -> dict[str, Any]:
    body = contract_errors.validate(DEPOSIT, data)
    return {
        "currency": body.currency,
        "amount": Decimal(body.amount),
        "network": body.network,
        "tx_hash": body.tx_hash,
        "fee": Decimal(body.fee) if body.fee is not None else None,
        "raw": data,
    }


def resolve_network(fields: Fields, asset: Asset, network: str | None, path: tuple[Any, ...]) -> str | None:
    """The network rule of sends (8.8): required with several, defaults to the only one."""
    names = [n.network for n in asset.networks]
    if network is None:
        if len(names) == 1:
            return names[0]
        fields.add(path, errors.REQUIRED)
        return None
    if network not in names:
        fields.add(path, one_of(names))
        return None
    return network


def _against_catalogue(values: dict[str, Any], asset: Asset | None) -> Deposit:
    currency = values["currency"]
    if asset is None:
        raise errors.field_error(("currency",), f"Unknown currency {currency}.")
    fields = Fields()
    network = resolve_network(fields, asset, values["network"], ("network",))
    amount, fee = values["amount"], values["fee"] if values["fee"] is not None else Decimal(0)
    for key in ("amount", "fee"):
        raw = values["raw"].get(key)
        if isinstance(raw, str) and formats.places_of(raw) > asset.decimal_places:
            fields.add((key,), too_many_places(currency, asset.decimal_places))
    if not fields.has_errors_under(("fee",)) and fee >= amount:
        fields.add(("fee",), "Must be less than amount.")
    fields.raise_if_any()
    assert network is not None
    return Deposit(currency, amount, network, values["tx_hash"] or ids.random_hex(32), fee)


async def deposit(runtime: Runtime, customer_id: str, data: dict[str, Any]) -> dict[str, Any]:
    now = runtime.clock.now()
    async with runtime.db.transaction() as conn:
        customer = await customers.require(conn, customer_id, None, lock=True)
        values = _schema(data)
        asset = await catalogue.asset(conn, values["currency"])
        dep = _against_catalogue(values, asset)
        assert asset is not None
        if not asset.allows("receive"):
            raise errors.operation_forbidden(f"Asset {dep.currency} does not allow the receive operation")
        if customer["state"] == "closed":
            raise errors.operation_forbidden("Customer state closed does not allow receive orders")
        order_id = await _create_receive(conn, customer, dep, asset, now)
        order = await reads.snapshot(conn, order_id, now)
        for action in ("order-created", "incoming-funds", "order-closed"):
            await events.emit(conn, customer["partner_id"], action, {"order": order}, now)
        return order


async def _create_receive(conn: Connection, customer: Any, dep: Deposit, asset: Asset, now: Any) -> str:
    order_id = ids.new_hex_id()
    net = ledger.EXACT.subtract(dep.amount, dep.fee)
    node = {
        "origin": {
            "type": "blockchain_transaction",
            "value": dep.tx_hash,
            "amount": formats.crypto(dep.amount, asset.decimal_places),
            "network": dep.network,
        }
    }
    await repo.insert_deposit_receive_order(
        conn,
        {
            "id": order_id,
            "partner_id": customer["partner_id"],
            "customer_id": customer["id"],
            "currency": dep.currency,
            "net": net,
            "fee": dep.fee,
            "node": orjson.dumps(node).decode(),
            "tx_hash": dep.tx_hash,
            "network": dep.network,
            "now": now,
        },
    )
    try:
        await repo.insert_deposit_hash(conn, dep.currency, dep.network, dep.tx_hash, order_id)
    except UniqueViolation:
        raise errors.conflict(f"tx_hash '{dep.tx_hash}' has already been deposited") from None
    await ledger.post(
        conn,
        postings.deposit(customer_id=customer["id"], currency=dep.currency, amount=dep.amount, fee=dep.fee),
        kind="deposit",
        order_id=order_id,
        now=now,
    )
    return order_id
