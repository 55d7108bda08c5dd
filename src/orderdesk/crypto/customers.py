"""Customers (spec/crypto.md 5): the object, create / read / list / patch by the partner,
state changes by the operator (11.6). Documents and KYC live in `crypto.kyc`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import orjson

from orderdesk.crypto import errors, events, formats, partners
from orderdesk.crypto.auth import Partner
from orderdesk.crypto.requests import Page
from orderdesk.crypto.validation import COUNTRY, EMAIL, PHONE, Fields, Node
from orderdesk.platform import ids
from orderdesk.platform.db import Connection, UniqueViolation
from orderdesk.platform.runtime import Runtime
from orderdesk.settings import Settings

TYPES = ("individual", "business")
STATES = ("active", "closing", "closed", "banned")
NATIONAL_ID_TYPES = ("passport", "driver_license", "national_id", "other")
DOCUMENT_TYPES = ("id_front", "id_back", "proof_of_address")
IMMUTABLE = ("id", "type", "reference_id", "state", "products", "data_requirements", "created_at")

# (key, kind, required) in the order the object shows them; kind: text | country | date | national_id_type | bool
PROFILE_FIELDS: dict[str, tuple[tuple[str, str, bool], ...]] = {
    "individual": (
        ("label", "text", False),
        ("first_name", "text", True),
        ("middle_name", "text", False),
        ("last_name", "text", True),
        ("date_of_birth", "date", True),
        ("national_id_country", "country", True),
        ("national_id_type", "national_id_type", True),
        ("national_id", "text", True),
        ("citizenship", "country", True),
        ("address_line1", "text", True),
        ("address_line2", "text", False),
        ("city", "text", True),
        ("state", "text", True),
        ("country", "country", True),
        ("zip_code", "text", True),
        ("tax_country", "country", True),
        ("tax_id", "text", True),
        ("is_pep", "bool", False),
    ),
    "business": (
        ("label", "text", False),
        ("name", "text", True),
        ("first_name", "text", True),
        ("last_name", "text", True),
        ("address_line1", "text", False),
        ("address_line2", "text", False),
        ("city", "text", False),
        ("state", "text", False),
        ("country", "country", False),
        ("zip_code", "text", False),
        ("tax_country", "country", True),
        ("tax_id", "text", True),
    ),
}
EARLIEST_BIRTH = date(1900, 1, 1)

# spec 11.6: allowed operator transitions
TRANSITIONS = {"active": ("closing", "banned"), "closing": ("active", "banned", "closed"), "banned": ("active",)}


# --------------------------------------------------------------------------- input


def _profile_value(fields: Fields, node: Node, key: str, kind: str, required: bool, today: date) -> Any:
    if kind == "bool":
        return fields.boolean(node, key, required=required)
    if kind == "date":
        return fields.date(node, key, required=required, earliest=EARLIEST_BIRTH, latest=today)
    if kind == "country":
        return fields.string(
            node,
            key,
            required=required,
            max_length=2,
            min_length=2,
            pattern=COUNTRY,
            pattern_message="Not a valid country code.",
        )
    if kind == "national_id_type":
        return fields.choice(node, key, NATIONAL_ID_TYPES, required=required)
    return fields.string(node, key, required=required)


def _country_length_fix(fields: Fields) -> None:
    """Country codes answer `Not a valid country code.` whatever their length."""
    for holder in _leaves(fields.tree):
        for position, message in enumerate(holder):
            if message == "Length must be between 2 and 2.":
                holder[position] = "Not a valid country code."


def _leaves(node: Any) -> list[list[str]]:
    if isinstance(node, list):
        return [node]
    found: list[list[str]] = []
    for child in node.values():
        found.extend(_leaves(child))
    return found


def read_profile(fields: Fields, node: Node, customer_type: str, today: date, *, partial: bool) -> dict[str, Any]:
    """Values of the keys present. `partial` (PATCH): null clears an optional key and is
    reported as missing on a required one; otherwise absent required keys are missing."""
    spec = PROFILE_FIELDS[customer_type]
    fields.unknown(node, [key for key, _, _ in spec])
    values: dict[str, Any] = {}
    for key, kind, required in spec:
        if partial and key not in node.data:
            continue
        if partial and node.data[key] is None:
            if required:
                fields.add((*node.path, key), errors.REQUIRED)
            else:
                values[key] = None
            continue
        value = _profile_value(fields, node, key, kind, required, today)
        if value is not None:
            values[key] = value
    return values


def read_contact(fields: Fields, node: Node, *, partial: bool) -> dict[str, Any]:
    fields.unknown(node, ("email", "cellphone"))
    values: dict[str, Any] = {}
    if partial and "email" in node.data and node.data["email"] is None:
        fields.add((*node.path, "email"), errors.REQUIRED)
    elif not partial or "email" in node.data:
        email = fields.string(
            node, "email", required=True, max_length=254, pattern=EMAIL, pattern_message="Not a valid email address."
        )
        if email is not None:
            values["email"] = email
    if "cellphone" in node.data:
        if node.data["cellphone"] is None:
            values["cellphone"] = None
        else:
            values["cellphone"] = fields.string(
                node,
                "cellphone",
                max_length=16,
                min_length=1,
                pattern=PHONE,
                pattern_message="Not a valid phone number.",
            )
    return values


@dataclass(frozen=True)
class NewCustomer:
    type: str
    reference_id: str
    profile: dict[str, Any]
    contact: dict[str, Any]


def new_customer_input(data: dict[str, Any], today: date) -> NewCustomer:
    fields = Fields()
    body = fields.root(data, ("type", "reference_id", "profile", "contact"))
    customer_type = fields.choice(body, "type", TYPES)
    if "type" not in data or data["type"] is None:
        customer_type = "individual"
    reference_id = fields.string(body, "reference_id", required=True, max_length=191, printable=True)
    profile_node = fields.object(body, "profile", required=True)
    contact_node = fields.object(body, "contact", required=True)
    profile: dict[str, Any] = {}
    if profile_node is not None and customer_type is not None:
        profile = read_profile(fields, profile_node, customer_type, today, partial=False)
    contact = read_contact(fields, contact_node, partial=False) if contact_node is not None else {}
    _country_length_fix(fields)
    fields.raise_if_any()
    assert customer_type is not None and reference_id is not None
    return NewCustomer(customer_type, reference_id, profile, contact)


def patch_input(data: dict[str, Any], customer_type: str, today: date) -> tuple[dict[str, Any], dict[str, Any]]:
    fields = Fields()
    body = fields.root(data, ("profile", "contact"), immutable=IMMUTABLE)
    profile_node = fields.object(body, "profile")
    contact_node = fields.object(body, "contact")
    profile = read_profile(fields, profile_node, customer_type, today, partial=True) if profile_node else {}
    contact = read_contact(fields, contact_node, partial=True) if contact_node else {}
    _country_length_fix(fields)
    fields.raise_if_any()
    return profile, contact


def state_filter(value: str | None, tree: dict[Any, Any]) -> str | None:
    if value is not None and value not in STATES:
        tree["state"] = ["Must be one of: " + ", ".join(STATES) + "."]
        return None
    return value


# --------------------------------------------------------------------------- the object

CUSTOMER_COLUMNS = (
    "id, partner_id, type, reference_id, state, profile, email, cellphone, kyc, kyc_deadline,"
    " created_at, last_updated_at"
)
REQUIREMENT_COLUMNS = "id, document_type, status, rejection_reason, created, submitted_at, last_updated_at"


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
    profile = {key: stored.get(key, False if kind == "bool" else None) for key, kind, _ in PROFILE_FIELDS[row["type"]]}
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
    scope = "" if partner_id is None else " AND partner_id = :partner_id"
    return await conn.fetchrow(
        f"SELECT {CUSTOMER_COLUMNS} FROM crypto_customers WHERE id = :id{scope}" + (conn.for_update if lock else ""),
        {"id": customer_id, "partner_id": partner_id},
    )


async def require(conn: Connection, customer_id: str, partner_id: str | None, *, lock: bool = False) -> Any:
    row = await find(conn, customer_id, partner_id, lock=lock)
    if row is None:
        raise errors.customer_not_found()
    return row


async def requirements_of(conn: Connection, customer_id: str) -> list[Any]:
    return await conn.fetch(
        f"SELECT {REQUIREMENT_COLUMNS} FROM crypto_requirements WHERE customer_id = :id ORDER BY position",
        {"id": customer_id},
    )


async def partner_products(conn: Connection, partner_id: str) -> tuple[str, ...]:
    raw = await conn.fetchval("SELECT products FROM crypto_partners WHERE id = :id", {"id": partner_id})
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
            await conn.execute(
                "INSERT INTO crypto_customers (id, partner_id, type, reference_id, reference_id_ci, state, profile,"
                " email, cellphone, kyc, kyc_deadline, created_at, last_updated_at) VALUES (:id, :partner_id, :type,"
                " :reference_id, :reference_id_ci, 'active', :profile, :email, :cellphone, :kyc, NULL, :now, :now)",
                row,
            )
            await conn.executemany(
                "INSERT INTO crypto_requirements (customer_id, id, document_type, status, rejection_reason, created,"
                " submitted_at, last_updated_at, position) VALUES (:customer_id, :id, :document_type,"
                " 'pending_submission', NULL, :now, NULL, :now, :position)",
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
    where = "partner_id = :partner_id"
    params: dict[str, Any] = {"partner_id": partner.id, "limit": page.limit, "offset": page.offset}
    if reference_id is not None:
        where += " AND reference_id_ci = :reference_id_ci"
        params["reference_id_ci"] = reference_id.lower()
    if state is not None:
        where += " AND state = :state"
        params["state"] = state
    async with runtime.db.transaction(write=False) as conn:
        total = await conn.fetchval(f"SELECT COUNT(*) FROM crypto_customers WHERE {where}", params)
        rows = await conn.fetch(
            f"SELECT {CUSTOMER_COLUMNS} FROM crypto_customers WHERE {where}"
            " ORDER BY created_at DESC, id DESC LIMIT :limit OFFSET :offset",
            params,
        )
        requirements: dict[str, list[Any]] = {row["id"]: [] for row in rows}
        if rows:
            marks = ", ".join(f":c{i}" for i in range(len(rows)))
            for req in await conn.fetch(
                f"SELECT customer_id, {REQUIREMENT_COLUMNS} FROM crypto_requirements"
                f" WHERE customer_id IN ({marks}) ORDER BY position",
                {f"c{i}": row["id"] for i, row in enumerate(rows)},
            ):
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
        await conn.execute(
            "UPDATE crypto_customers SET profile = :profile, email = :email, cellphone = :cellphone,"
            " last_updated_at = :now WHERE id = :id",
            {
                "profile": orjson.dumps({k: v for k, v in profile.items() if v is not None}).decode(),
                "email": contact["email"],
                "cellphone": contact["cellphone"],
                "now": runtime.clock.now(),
                "id": customer_id,
            },
        )
        return await snapshot(conn, customer_id, runtime.settings, partner.products)


# --------------------------------------------------------------------------- operator use cases


def state_input(data: dict[str, Any]) -> str:
    fields = Fields()
    body = fields.root(data, ("state",))
    state = fields.choice(body, "state", STATES, required=True)
    fields.raise_if_any()
    assert state is not None
    return state


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
            await conn.execute(
                "UPDATE crypto_customers SET state = :state, last_updated_at = :now WHERE id = :id",
                {"state": target, "now": now, "id": customer_id},
            )
        customer = await snapshot(conn, customer_id, runtime.settings)
        if target != current:
            await events.emit(conn, row["partner_id"], "customer-state-changed", {"customer": customer}, now)
        return customer


async def _holds_balances(conn: Connection, customer_id: str) -> bool:
    rows = await conn.fetch(
        "SELECT balance FROM crypto_accounts WHERE kind = 'customer' AND owner = :id", {"id": customer_id}
    )
    return any(row["balance"] != 0 for row in rows)
