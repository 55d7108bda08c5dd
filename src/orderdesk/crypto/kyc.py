"""Data requirements and the KYC flag (spec/crypto.md 5.6, 5.7): document uploads by the
partner, reviews by the operator (11.7), and the deadline sweep (12)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from pydantic import TypeAdapter
from starlette.datastructures import FormData, Headers, UploadFile
from starlette.formparsers import MultiPartException, MultiPartParser

from orderdesk.crypto import contract_errors, customers, errors, events
from orderdesk.crypto.auth import Partner
from orderdesk.crypto.errors import REQUIRED, UNKNOWN_FIELD
from orderdesk.crypto.models.operator import RequirementReview
from orderdesk.crypto.models.partner import DocumentForm, FilePart
from orderdesk.crypto.repositories import customers as repo
from orderdesk.platform import ids
from orderdesk.platform.db import Connection
from orderdesk.platform.runtime import Runtime
from orderdesk.settings import Settings

REQUEST_OVERHEAD = 1_048_576  # a request may exceed the file limit by this much (3 MiB for 2 MiB files)
REVIEW = TypeAdapter(RequirementReview)
DOCUMENT_FORM = TypeAdapter(DocumentForm)
REVIEW_TRANSITIONS = {"approved": ("pending_review",), "rejected": ("pending_review", "approved")}


# --------------------------------------------------------------------------- upload input


@dataclass(frozen=True)
class Upload:
    document_type: str
    file_type: str
    filename: str
    content: bytes


def document_too_large(settings: Settings) -> errors.ApiError:
    return errors.payload_too_large(f"Document exceeds {settings.crypto_document_max_bytes} bytes")


async def parse_upload(headers: Headers, body: bytes, settings: Settings) -> Upload:
    """The multipart form, checked in the order of 5.6 (after the request-size check)."""
    if not headers.get("content-type", "").lower().startswith("multipart/form-data"):
        raise errors.invalid_parameters("Request must be multipart/form-data")

    async def stream() -> Any:
        yield body

    try:
        form: FormData = await MultiPartParser(
            headers, stream(), max_files=10, max_fields=100, max_part_size=REQUEST_OVERHEAD
        ).parse()
    except MultiPartException:
        raise errors.invalid_parameters("Request must be multipart/form-data") from None
    try:
        return await _read_form(form, settings)
    finally:
        await form.close()


async def _read_form(form: FormData, settings: Settings) -> Upload:
    """The parts validated by `DocumentForm`, after the size check that answers first (5.6)."""
    parts: dict[str, Any] = {}
    for key in form:
        value = form.get(key)
        parts[key] = FilePart(value.filename or "", await value.read()) if isinstance(value, UploadFile) else value
    file = parts.get("file")
    size = len(file.content) if isinstance(file, FilePart) else None
    if size is not None and size > settings.crypto_document_max_bytes:
        raise document_too_large(settings)
    document = contract_errors.validate(DOCUMENT_FORM, parts, context={"file_size": size})
    assert isinstance(file, FilePart)
    return Upload(document.document_type, document.file_type, file.filename, document.file)


# --------------------------------------------------------------------------- the KYC flag


def kyc_satisfied(statuses: list[str], settings: Settings) -> bool:
    accepted = ("pending_review", "approved") if settings.crypto_kyc_preapproval else ("approved",)
    return all(status in accepted for status in statuses)


async def reevaluate(conn: Connection, runtime: Runtime, customer: Any, now: datetime) -> None:
    """After an upload or an approval: switch the flag on when the requirements allow it, and
    clear a pending deadline once nothing is rejected any more."""
    if not runtime.settings.crypto_require_kyc:
        return
    statuses = [r["status"] for r in await customers.requirements_of(conn, customer["id"])]
    if customer["kyc_deadline"] is not None and "rejected" not in statuses:
        await repo.clear_kyc_deadline(conn, customer["id"])
    if not customer["kyc"] and kyc_satisfied(statuses, runtime.settings):
        await set_flag(conn, runtime, customer, True, now)


async def set_flag(conn: Connection, runtime: Runtime, customer: Any, value: bool, now: datetime) -> None:
    """Change the flag and fire `customer-product-changed` with the enabled products it moved."""
    await repo.set_kyc_flag(conn, customer["id"], value, now)
    products = await customers.partner_products(conn, customer["partner_id"])
    snapshot = await customers.snapshot(conn, customer["id"], runtime.settings, products)
    changed = [p["id"] for p in snapshot["products"]]
    if changed:
        await events.emit(
            conn, customer["partner_id"], "customer-product-changed", {"products": changed, "customer": snapshot}, now
        )


# --------------------------------------------------------------------------- use cases


async def upload(runtime: Runtime, partner: Partner, customer_id: str, headers: Headers, body: bytes) -> dict[str, Any]:
    """POST …/documents after the request-size check: the customer (404), then the form (5.6)."""
    async with runtime.db.transaction(write=False) as conn:
        await customers.require(conn, customer_id, partner.id)
    return await upload_document(runtime, partner, customer_id, await parse_upload(headers, body, runtime.settings))


async def upload_document(runtime: Runtime, partner: Partner, customer_id: str, upload: Upload) -> dict[str, Any]:
    now = runtime.clock.now()
    requirement_id = f"document_{upload.document_type}"
    async with runtime.db.transaction() as conn:
        customer = await customers.require(conn, customer_id, partner.id, lock=True)
        status = await repo.requirement_status(conn, customer_id, requirement_id)
        if status == "approved":
            raise errors.invalid_state(f"Requirement {requirement_id} is already approved")
        await repo.insert_document(
            conn,
            {
                "id": ids.new_hex_id(),
                "customer_id": customer_id,
                "document_type": upload.document_type,
                "file_type": upload.file_type,
                "filename": upload.filename,
                "size": len(upload.content),
                "sha256": hashlib.sha256(upload.content).hexdigest(),
                "content": upload.content,
                "now": now,
            },
        )
        await repo.mark_requirement_submitted(conn, customer_id, requirement_id, now)
        await repo.touch_customer(conn, customer_id, now)
        await reevaluate(conn, runtime, customer, now)
        return await customers.snapshot(conn, customer_id, runtime.settings, partner.products)


def review_input(data: dict[str, Any]) -> tuple[str, str | None]:
    """`rejection_reason` is required with `rejected` and refused (whatever its value) with `approved`."""
    tree: dict[Any, Any] = {}
    refused = data.get("status") == "approved" and data.get("rejection_reason") is not None
    if refused:
        contract_errors.add(tree, ("rejection_reason",), UNKNOWN_FIELD)
    body = contract_errors.collect(
        REVIEW, {k: v for k, v in data.items() if not (refused and k == "rejection_reason")}, tree
    )
    if data.get("status") == "rejected" and data.get("rejection_reason") is None:
        contract_errors.add(tree, ("rejection_reason",), REQUIRED)
    if tree:
        raise errors.field_errors(tree)
    assert body is not None
    return body.status, body.rejection_reason


async def review_requirement(
    runtime: Runtime, customer_id: str, requirement_id: str, data: dict[str, Any]
) -> dict[str, Any]:
    now = runtime.clock.now()
    async with runtime.db.transaction() as conn:
        customer = await customers.require(conn, customer_id, None, lock=True)
        current = await repo.requirement_status(conn, customer_id, requirement_id)
        if current is None:
            raise errors.not_found("Requirement not found")
        status, reason = review_input(data)
        if current not in REVIEW_TRANSITIONS[status]:
            raise errors.invalid_state(f"Cannot change requirement from {current} to {status}")
        await repo.review_requirement(conn, customer_id, requirement_id, status, reason, now)
        await repo.touch_customer(conn, customer_id, now)
        if status == "approved":
            await reevaluate(conn, runtime, customer, now)
        else:
            await _rejected(conn, runtime, customer, requirement_id, now)
        return await customers.snapshot(conn, customer_id, runtime.settings)


async def _rejected(conn: Connection, runtime: Runtime, customer: Any, requirement_id: str, now: datetime) -> None:
    if runtime.settings.crypto_require_kyc and customer["kyc"] and customer["kyc_deadline"] is None:
        deadline = now + timedelta(days=runtime.settings.crypto_kyc_grace_days)
        await repo.set_kyc_deadline(conn, customer["id"], deadline)
    snapshot = await customers.snapshot(conn, customer["id"], runtime.settings)
    requirement = next(r for r in snapshot["data_requirements"] if r["id"] == requirement_id)
    await events.emit(
        conn,
        customer["partner_id"],
        "customer-requirement-rejected",
        {"data_requirement": requirement, "customer": snapshot},
        now,
    )


async def expire_deadlines(runtime: Runtime, now: datetime) -> int:
    """Sweep (12, KYC deadline): a passed deadline with a requirement still rejected turns the
    flag off. Each customer is locked and re-checked, so racing an upload is harmless."""
    async with runtime.db.transaction(write=False) as conn:
        due = [r["id"] for r in await repo.customers_past_kyc_deadline(conn, now)]
    changed = 0
    for customer_id in due:
        async with runtime.db.transaction() as conn:
            customer = await customers.find(conn, customer_id, None, lock=True)
            if customer is None or customer["kyc_deadline"] is None or customer["kyc_deadline"] > now:
                continue
            statuses = [r["status"] for r in await customers.requirements_of(conn, customer_id)]
            if "rejected" in statuses and customer["kyc"]:
                await set_flag(conn, runtime, customer, False, now)
                changed += 1
            else:
                await repo.clear_kyc_deadline(conn, customer_id)
    return changed
