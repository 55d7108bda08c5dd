"""Customers (spec/crypto.md 5): the object, create / read / list / patch by the partner,
state changes by the operator (11.6). Documents and KYC live in `crypto.kyc`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import orjson
from pydantic import TypeAdapter

from orderdesk.crypto import contract_errors, errors, events, formats, partners, vocabulary
from orderdesk.crypto.auth import Partner
from orderdesk.crypto.errors import CANNOT_CHANGE
from orderdesk.crypto.http_input import Page
from orderdesk.crypto.models import partner as m
from orderdesk.crypto.models.common import Answer, Request
from orderdesk.crypto.models.operator import CustomerStateInput
from orderdesk.crypto.repositories import customers as repo
from orderdesk.crypto.repositories import ledger as ledger_repo
from orderdesk.platform import ids
from orderdesk.platform.db import Connection, UniqueViolation
from orderdesk.platform.runtime import Runtime
from orderdesk.settings import Settings

TYPES = vocabulary.CUSTOMER_TYPES
STATES = vocabulary.CUSTOMER_STATES
DOCUMENT_TYPES = vocabulary.DOCUMENT_TYPES
IMMUTABLE = ("id", "type", "reference_id", "state", "products", "data_requirements", "created_at")


# spec 11.6: allowed operator transitions
TRANSITIONS = {"active": ("closing", "banned"), "closing": ("active", "banned", "closed"), "banned": ("active",)}


# --------------------------------------------------------------------------- input

PROFILES: dict[str, type[Request]] = {"individual": m.IndividualProfileInput, "business": m.BusinessProfileInput}
PROFILE_PATCHES: dict[str, type[Request]] = {"individual": m.IndividualProfilePatch, "business": m.BusinessProfilePatch}
PROFILE_ANSWERS: dict[str, type[Answer]] = {"individual": m.IndividualProfile, "business": m.BusinessProfile}


class _NewCustomerEnvelope(m.NewCustomer):
    """`NewCustomer` with `profile` read as an object: its model depends on `type` (5.1)."""

    profile: dict[str, Any]  # type: ignore[assignment]


class _PatchEnvelope(m.CustomerPatch):
    profile: dict[str, Any] | None = None  # type: ignore[assignment]


NEW_CUSTOMER = TypeAdapter(_NewCustomerEnvelope)
PATCH = TypeAdapter(_PatchEnvelope)
_ADAPTERS = {model: TypeAdapter(model) for model in (*PROFILES.values(), *PROFILE_PATCHES.values(), m.ContactPatch)}


def _profile(data: Any, model: type[Request], today: date, tree: dict[Any, Any]) -> Any:
    return contract_errors.collect(_ADAPTERS[model], data, tree, {"today": today}, at=("profile",))


@dataclass(frozen=True)
class NewCustomer:
    type: str
    reference_id: str
    profile: dict[str, Any]
    contact: dict[str, Any]


def new_customer_input(data: dict[str, Any], today: date) -> NewCustomer:
    """One validation pass: the body, then the profile of its `type` (absent or null: individual)."""
    tree: dict[Any, Any] = {}
    body = contract_errors.collect(NEW_CUSTOMER, data, tree)
    customer_type = "individual" if data.get("type") is None else data["type"]
    profile = None
    if isinstance(customer_type, str) and customer_type in PROFILES and isinstance(data.get("profile"), dict):
        profile = _profile(data["profile"], PROFILES[customer_type], today, tree)
    if tree:
        raise errors.field_errors(tree)
    assert body is not None and profile is not None
    return NewCustomer(
        customer_type,
        body.reference_id,
        profile.model_dump(exclude_none=True),
        body.contact.model_dump(exclude_none=True),
    )


def patch_input(data: dict[str, Any], customer_type: str, today: date) -> tuple[dict[str, Any], dict[str, Any]]:
    """The keys to change in the profile and in the contact (`None`: clear the key)."""
    tree: dict[Any, Any] = {}
    for key in IMMUTABLE:
        if key in data:
            contract_errors.add(tree, (key,), CANNOT_CHANGE)
    body = contract_errors.collect(PATCH, {k: v for k, v in data.items() if k not in IMMUTABLE}, tree)
    profile = None
    if isinstance(data.get("profile"), dict):
        profile = _profile(data["profile"], PROFILE_PATCHES[customer_type], today, tree)
        for key in m.missing_in(data["profile"], PROFILES[customer_type]):
            contract_errors.add(tree, ("profile", key), errors.REQUIRED)
    if isinstance(data.get("contact"), dict):
        for key in m.missing_in(data["contact"], m.ContactInput):
            contract_errors.add(tree, ("contact", key), errors.REQUIRED)
    contact = body.contact if body is not None else None
    if tree:
        raise errors.field_errors(tree)
    return _changes(profile), _changes(contact)


def _changes(patch: Request | None) -> dict[str, Any]:
    return {key: getattr(patch, key) for key in patch.model_fields_set} if patch is not None else {}


# --------------------------------------------------------------------------- the object

CUSTOMER_COLUMNS = repo.CUSTOMER_COLUMNS
REQUIREMENT_COLUMNS = repo.REQUIREMENT_COLUMNS


def kyc_flag(row: Any, settings: Settings) -> bool:
    return (not settings.crypto_require_kyc) or bool(row["kyc"])


def requirement_view(row: Any) -> dict[str, Any]:
    return {
        "id": row["id"],
        "type": "document",
        "document_type": row["document_type"],
        "status": row["status"],
        "rejection_reason": row["rejection_reason"],
        "created": formats.timestamp(row["created"]),
        "submitted_at": formats.timestamp(row["submitted_at"]),
        "last_updated_at": formats.timestamp(row["last_updated_at"]),
    }


def customer_view(
    row: Any, requirements: list[Any], partner_products: tuple[str, ...], settings: Settings
) -> dict[str, Any]:
    stored = orjson.loads(row["profile"])
    profile = {
        key: stored.get(key, False if key == "is_pep" else None) for key in PROFILE_ANSWERS[row["type"]].model_fields
    }
    return {
        "id": row["id"],
        "type": row["type"],
        "reference_id": row["reference_id"],
        "state": row["state"],
        "profile": profile,
        "contact": {"email": row["email"], "cellphone": row["cellphone"]},
        "products": partners.products_view(partner_products, kyc_flag(row, settings)),
        "data_requirements": [requirement_view(r) for r in requirements],
        "created_at": formats.timestamp(row["created_at"]),
        "last_updated_at": formats.timestamp(row["last_updated_at"]),
    }


async def find(conn: Connection, customer_id: str, partner_id: str | None, *, lock: bool = False) -> Any:
    """The customer row, scoped to the partner (None = operator, any partner)."""
    if not ids.is_hex32(customer_id):
        return None
    return await repo.find_customer(conn, customer_id, partner_id, lock=lock)


async def require(conn: Connection, customer_id: str, partner_id: str | None, *, lock: bool = False) -> Any:
    row = await find(conn, customer_id, partner_id, lock=lock)
    if row is None:
        raise errors.customer_not_found()
    return row


async def requirements_of(conn: Connection, customer_id: str) -> list[Any]:
    return await repo.customer_requirements(conn, customer_id)


async def partner_products(conn: Connection, partner_id: str) -> tuple[str, ...]:
    raw = await repo.partner_products_json(conn, partner_id)
    return tuple(orjson.loads(raw))


async def snapshot(
    conn: Connection, customer_id: str, settings: Settings, products: tuple[str, ...] | None = None
) -> dict[str, Any]:
    """The customer as GET shows it now (inside the caller's transaction)."""
    row = await require(conn, customer_id, None)
    if products is None:
        products = await partner_products(conn, row["partner_id"])
    return customer_view(row, await requirements_of(conn, customer_id), products, settings)


# --------------------------------------------------------------------------- partner use cases


async def create_customer(runtime: Runtime, partner: Partner, new: NewCustomer) -> dict[str, Any]:
    now = runtime.clock.now()
    customer_id = ids.new_hex_id()
    row = {
        "id": customer_id,
        "partner_id": partner.id,
        "type": new.type,
        "reference_id": new.reference_id,
        "reference_id_ci": new.reference_id.lower(),
        "profile": orjson.dumps({"is_pep": False, **new.profile} if new.type == "individual" else new.profile).decode(),
        "email": new.contact["email"],
        "cellphone": new.contact.get("cellphone"),
        "kyc": not runtime.settings.crypto_require_kyc,
        "now": now,
    }
    try:
        async with runtime.db.transaction() as conn:
            await repo.insert_customer(conn, row)
            await repo.insert_requirements(
                conn,
                [
                    {
                        "customer_id": customer_id,
                        "id": f"document_{kind}",
                        "document_type": kind,
                        "now": now,
                        "position": position,
                    }
                    for position, kind in enumerate(DOCUMENT_TYPES)
                ],
            )
            return await snapshot(conn, customer_id, runtime.settings, partner.products)
    except UniqueViolation:
        raise errors.conflict(f"reference_id '{new.reference_id}' is already used by another customer") from None


async def get_customer(runtime: Runtime, partner: Partner, customer_id: str) -> dict[str, Any]:
    async with runtime.db.transaction(write=False) as conn:
        row = await require(conn, customer_id, partner.id)
        return customer_view(row, await requirements_of(conn, customer_id), partner.products, runtime.settings)


async def list_customers(
    runtime: Runtime, partner: Partner, reference_id: str | None, state: str | None, page: Page
) -> dict[str, Any]:
    filters = (partner.id, reference_id, state, page.limit, page.offset)
    async with runtime.db.transaction(write=False) as conn:
        total = await repo.count_customers(conn, *filters)
        rows = await repo.customers_page(conn, *filters)
        requirements: dict[str, list[Any]] = {row["id"]: [] for row in rows}
        if rows:
            for req in await repo.requirements_of_customers(conn, [row["id"] for row in rows]):
                requirements[req["customer_id"]].append(req)
    return {
        "customers": [customer_view(r, requirements[r["id"]], partner.products, runtime.settings) for r in rows],
        "total": int(total),
    }


async def patch_customer(runtime: Runtime, partner: Partner, customer_id: str, data: dict[str, Any]) -> dict[str, Any]:
    async with runtime.db.transaction() as conn:
        row = await require(conn, customer_id, partner.id, lock=True)
        profile_changes, contact_changes = patch_input(data, row["type"], runtime.clock.now().date())
        profile = {**orjson.loads(row["profile"]), **profile_changes}
        contact = {"email": row["email"], "cellphone": row["cellphone"], **contact_changes}
        await repo.update_profile(
            conn,
            customer_id,
            orjson.dumps({k: v for k, v in profile.items() if v is not None}).decode(),
            contact["email"],
            contact["cellphone"],
            runtime.clock.now(),
        )
        return await snapshot(conn, customer_id, runtime.settings, partner.products)


async def check_exists(runtime: Runtime, partner: Partner, customer_id: str) -> None:
    """404 `Customer not found` unless the partner has this customer."""
    async with runtime.db.transaction(write=False) as conn:
        await require(conn, customer_id, partner.id)


async def accounts(runtime: Runtime, partner: Partner, customer_id: str) -> dict[str, Any]:
    """GET …/accounts (6.1): every account of the customer, by currency (byte order)."""
    async with runtime.db.transaction(write=False) as conn:
        await require(conn, customer_id, partner.id)
        rows = await ledger_repo.customer_accounts(conn, customer_id)
        places = await partners.currency_places(conn)
    return {
        "accounts": [
            {"currency": row["currency"], "amount": partners.format_amount(row["currency"], row["balance"], places)}
            for row in sorted(rows, key=lambda r: r["currency"].encode())
        ]
    }


# --------------------------------------------------------------------------- operator use cases


STATE_INPUT = TypeAdapter(CustomerStateInput)


def state_input(data: dict[str, Any]) -> str:
    return contract_errors.validate(STATE_INPUT, data).state


async def change_state(runtime: Runtime, customer_id: str, data: dict[str, Any]) -> dict[str, Any]:
    now = runtime.clock.now()
    async with runtime.db.transaction() as conn:
        row = await require(conn, customer_id, None, lock=True)
        target = state_input(data)
        current = row["state"]
        if target != current:
            if target not in TRANSITIONS.get(current, ()):
                raise errors.invalid_state(f"Cannot change state from {current} to {target}")
            if target == "closed" and await _holds_balances(conn, customer_id):
                raise errors.invalid_state("Customer still holds balances")
            await repo.update_state(conn, customer_id, target, now)
        customer = await snapshot(conn, customer_id, runtime.settings)
        if target != current:
            await events.emit(conn, row["partner_id"], "customer-state-changed", {"customer": customer}, now)
        return customer


async def _holds_balances(conn: Connection, customer_id: str) -> bool:
    rows = await repo.customer_balances(conn, customer_id)
    return any(row["balance"] != 0 for row in rows)
