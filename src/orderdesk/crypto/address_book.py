"""The address book (spec/crypto.md 7): a customer's saved blockchain addresses, and the
lookup a send to an entry uses (8.8).

For the send flow (inside its transaction):
    entry = await address_book.destination(conn, customer_id, entry_id, network)   # 400 invalid_destination
    ... the order keeps a copy of entry.address ...
    await address_book.mark_used(conn, entry.id, now)                               # at confirmation
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import TypeAdapter

from orderdesk.crypto import addresses, catalogue, contract_errors, customers, errors, formats
from orderdesk.crypto.auth import Partner
from orderdesk.crypto.http_input import Page
from orderdesk.crypto.models import partner as m
from orderdesk.crypto.repositories import address_book as repo
from orderdesk.platform import ids
from orderdesk.platform.db import Connection, UniqueViolation
from orderdesk.platform.errors import ApiError
from orderdesk.platform.runtime import Runtime

COLUMNS = repo.COLUMNS
NEW_ENTRY = TypeAdapter(m.NewEntry)


@dataclass(frozen=True)
class Entry:
    id: str
    customer_id: str
    address: str
    network: str
    label: str | None
    ownership_type: str | None
    beneficiary_full_name: str | None
    created: datetime
    last_used: datetime | None

    @classmethod
    def from_row(cls, row: Any) -> Entry:
        return cls(**{key: row[key] for key in COLUMNS.split(", ")})

    def view(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "address": self.address,
            "network": self.network,
            "label": self.label,
            "ownership_type": self.ownership_type,
            "beneficiary_full_name": self.beneficiary_full_name,
            "created": formats.timestamp(self.created),
            "last_used": formats.timestamp(self.last_used),
        }


@dataclass(frozen=True)
class NewEntry:
    address: str
    network: str
    label: str | None
    ownership_type: str | None
    beneficiary_full_name: str | None


def entry_not_found() -> ApiError:
    return errors.not_found("Address book entry not found")


def invalid_destination(message: str) -> ApiError:
    return ApiError(400, "invalid_destination", message)


# --------------------------------------------------------------------------- input


async def current_networks(conn: Connection) -> list[str]:
    """Every network of some catalogue asset, sorted (the `Must be one of` list of 7)."""
    return sorted({network.network for asset in await catalogue.assets(conn) for network in asset.networks})


def entry_input(data: dict[str, Any], networks: list[str]) -> NewEntry:
    """Field errors together (400 invalid_parameters), then the address's shape for its
    network (400 invalid_crypto_currency_address)."""
    tree: dict[Any, Any] = {}
    entry = contract_errors.collect(NEW_ENTRY, data, tree, {"networks": networks})
    if data.get("ownership_type") == "third_party" and data.get("beneficiary_full_name") is None:
        contract_errors.add(tree, ("beneficiary_full_name",), errors.REQUIRED)
    if tree:
        raise errors.field_errors(tree)
    assert entry is not None
    addresses.check_address(entry.network, entry.address)
    return NewEntry(entry.address, entry.network, entry.label, entry.ownership_type, entry.beneficiary_full_name)


# --------------------------------------------------------------------------- lookups (also for the send flow)


async def find(conn: Connection, customer_id: str, entry_id: str) -> Entry | None:
    """The customer's entry, or None (unknown, malformed id, or another customer's)."""
    if not ids.is_hex32(entry_id):
        return None
    row = await repo.find_entry(conn, customer_id, entry_id)
    return None if row is None else Entry.from_row(row)


async def destination(conn: Connection, customer_id: str, entry_id: str, network: str) -> Entry:
    """The entry a send of `customer_id` on `network` goes to (8.8, step 10), else 400
    `invalid_destination`: `Address book entry <id> not found` (unknown, deleted, malformed or
    another customer's) / `Address book entry network <entry's> does not match <send's>`."""
    entry = await find(conn, customer_id, entry_id)
    if entry is None:
        raise invalid_destination(f"Address book entry {entry_id} not found")
    if entry.network != network:
        raise invalid_destination(f"Address book entry network {entry.network} does not match {network}")
    return entry


async def mark_used(conn: Connection, entry_id: str, now: datetime) -> None:
    """Stamp `last_used` when a send to the entry is confirmed. An entry deleted since the
    send was initiated is simply not there any more (the order kept its copy)."""
    await repo.mark_entry_used(conn, entry_id, now)


# --------------------------------------------------------------------------- partner use cases


async def create(runtime: Runtime, partner: Partner, customer_id: str, data: dict[str, Any]) -> dict[str, Any]:
    now = runtime.clock.now()
    try:
        async with runtime.db.transaction() as conn:
            await customers.require(conn, customer_id, partner.id)
            new = entry_input(data, await current_networks(conn))
            entry = Entry(
                ids.new_hex_id(),
                customer_id,
                new.address,
                new.network,
                new.label,
                new.ownership_type,
                new.beneficiary_full_name,
                now,
                None,
            )
            await repo.insert_entry(
                conn,
                {
                    "id": entry.id,
                    "customer_id": customer_id,
                    "address": entry.address,
                    "address_key": addresses.address_key(entry.network, entry.address),
                    "network": entry.network,
                    "label": entry.label,
                    "ownership_type": entry.ownership_type,
                    "beneficiary_full_name": entry.beneficiary_full_name,
                    "created": now,
                },
            )
    except UniqueViolation:
        raise errors.conflict("Address already in the address book") from None
    return entry.view()


async def list_entries(runtime: Runtime, partner: Partner, customer_id: str, page: Page) -> dict[str, Any]:
    async with runtime.db.transaction(write=False) as conn:
        await customers.require(conn, customer_id, partner.id)
        total = await repo.count_entries(conn, customer_id, page.limit, page.offset)
        rows = await repo.entries_page(conn, customer_id, page.limit, page.offset)
    return {"address_book": [Entry.from_row(row).view() for row in rows], "total": int(total)}


async def _require(conn: Connection, partner: Partner, customer_id: str, entry_id: str) -> Entry:
    await customers.require(conn, customer_id, partner.id)
    entry = await find(conn, customer_id, entry_id)
    if entry is None:
        raise entry_not_found()
    return entry


async def get(runtime: Runtime, partner: Partner, customer_id: str, entry_id: str) -> dict[str, Any]:
    async with runtime.db.transaction(write=False) as conn:
        return (await _require(conn, partner, customer_id, entry_id)).view()


async def delete(runtime: Runtime, partner: Partner, customer_id: str, entry_id: str) -> None:
    async with runtime.db.transaction() as conn:
        await _require(conn, partner, customer_id, entry_id)
        await repo.delete_entry(conn, entry_id)
