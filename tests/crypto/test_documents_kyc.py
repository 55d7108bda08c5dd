"""Document uploads (spec 5.6), requirement review by the operator (11.7) and the KYC flag
with its products and deadline (5.7, 12)."""

from __future__ import annotations

import hashlib
from typing import Any

import httpx

from tests.crypto.conftest import Operator, Partner, assert_error, invalid
from tests.crypto.test_customers import recorded_events

PDF = b"%PDF-1.7 fake passport scan"


def form(
    document_type: str = "id_front",
    file_type: str = "application/pdf",
    content: bytes = PDF,
    filename: str | None = "front.pdf",
    **extra: str,
) -> dict[str, Any]:
    data = {"document_type": document_type, "file_type": file_type, **extra}
    return {"data": data, "files": {"file": (filename, content, file_type)}}


def raw_multipart(fields: dict[str, str]) -> dict[str, Any]:
    """A multipart body of plain fields only (httpx would send these url-encoded)."""
    boundary = "odtestboundary"
    parts = [f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n' for k, v in fields.items()]
    body = ("".join(parts) + f"--{boundary}--\r\n").encode()
    return {"content": body, "headers": {"Content-Type": f"multipart/form-data; boundary={boundary}"}}


async def upload(partner: Partner, customer_id: str, **kwargs: Any) -> httpx.Response:
    return await partner.post(f"/customers/{customer_id}/documents", **form(**kwargs))


async def test_upload_moves_the_requirement_to_review(
    client: httpx.AsyncClient, partner: Partner, customer: dict[str, Any]
) -> None:
    client.runtime.clock.advance(seconds=30)  # type: ignore[attr-defined]
    response = await upload(partner, customer["id"], file_length=str(len(PDF)))
    assert response.status_code == 201, response.text
    body = response.json()
    front = body["data_requirements"][0]
    assert front["status"] == "pending_review" and front["submitted_at"] == "2026-05-06T00:14:57.123456+00:00"
    assert front["last_updated_at"] == front["submitted_at"] and front["created"] == customer["created_at"]
    assert [r["status"] for r in body["data_requirements"][1:]] == ["pending_submission"] * 2
    runtime = client.runtime  # type: ignore[attr-defined]
    async with runtime.db.transaction(write=False) as conn:
        stored = await conn.fetchrow("SELECT sha256, size, content, filename, file_type FROM crypto_documents")
    assert stored["sha256"] == hashlib.sha256(PDF).hexdigest() and bytes(stored["content"]) == PDF
    assert stored["filename"] == "front.pdf" and stored["size"] == len(PDF)


async def test_upload_field_errors(partner: Partner, customer: dict[str, Any]) -> None:
    path = f"/customers/{customer['id']}/documents"
    invalid(
        await partner.post(path, **raw_multipart({"document_type": "id_front", "file_type": "application/pdf"})),
        "{'file': ['This field is required but was not found in the request.']}",
    )
    invalid(
        await partner.post(
            path,
            **raw_multipart({"document_type": "id_front", "file_type": "application/pdf", "file": "not a file part"}),
        ),
        "{'file': ['A filename is required.']}",
    )
    invalid(
        await upload(partner, customer["id"], file_type="image/webp"),
        "{'file_type': ['Must be one of: application/pdf, image/png, image/jpeg, image/gif.']}",
    )
    invalid(
        await upload(partner, customer["id"], file_length="3"), "{'file_length': ['Does not match the file size.']}"
    )
    invalid(
        await upload(partner, customer["id"], document_type="selfie", file_length="x"),
        "{'document_type': ['Must be one of: id_front, id_back, proof_of_address.'], "
        "'file_length': ['Not a valid integer.']}",
    )
    invalid(await partner.post(path, json={"document_type": "id_front"}), "Request must be multipart/form-data")


async def test_upload_size_limits(partner: Partner, customer: dict[str, Any]) -> None:
    big = b"x" * (2_097_152 + 1)
    response = await upload(partner, customer["id"], content=big)
    assert_error(response, 413, "payload_too_large", "Document exceeds 2097152 bytes")
    huge = b"x" * (3 * 1_048_576 + 10)
    assert_error(
        await upload(partner, customer["id"], content=huge), 413, "payload_too_large", "Document exceeds 2097152 bytes"
    )
    exact = await upload(partner, customer["id"], content=b"x" * 2_097_152)
    assert exact.status_code == 201, exact.text


async def test_upload_to_a_foreign_customer_is_not_found(partner: Partner, rival: Partner) -> None:
    theirs = await rival.customer()
    assert_error(await upload(partner, theirs["id"]), 404, "not_found", "Customer not found")


async def test_review_and_reupload(
    client: httpx.AsyncClient, operator: Operator, partner: Partner, customer: dict[str, Any]
) -> None:
    base = f"/crypto/customers/{customer['id']}/requirements"
    assert_error(
        await operator.request("PATCH", f"{base}/document_id_front", json={"status": "approved"}),
        400,
        "invalid_state",
        "Cannot change requirement from pending_submission to approved",
    )
    await upload(partner, customer["id"])
    approved = await operator.request("PATCH", f"{base}/document_id_front", json={"status": "approved"})
    assert approved.status_code == 200, approved.text
    assert approved.json()["data_requirements"][0]["status"] == "approved"
    assert_error(
        await upload(partner, customer["id"]), 400, "invalid_state", "Requirement document_id_front is already approved"
    )
    rejected = await operator.request(
        "PATCH", f"{base}/document_id_front", json={"status": "rejected", "rejection_reason": "document_expired"}
    )
    front = rejected.json()["data_requirements"][0]
    assert front["status"] == "rejected" and front["rejection_reason"] == "document_expired"
    again = (await upload(partner, customer["id"])).json()["data_requirements"][0]
    assert again["status"] == "pending_review" and again["rejection_reason"] is None
    events = await recorded_events(client, partner.id)
    assert [e["action"] for e in events] == ["customer-requirement-rejected"]
    assert events[0]["data_requirement"]["id"] == "document_id_front"
    assert events[0]["data_requirement"]["status"] == "rejected"
    assert events[0]["customer"]["id"] == customer["id"]


async def test_review_errors(operator: Operator, partner: Partner, customer: dict[str, Any]) -> None:
    base = f"/crypto/customers/{customer['id']}/requirements"
    await upload(partner, customer["id"])
    path = f"{base}/document_id_front"
    invalid(
        await operator.request("PATCH", path, json={"status": "rejected"}),
        "{'rejection_reason': ['This field is required but was not found in the request.']}",
    )
    invalid(
        await operator.request("PATCH", path, json={"status": "approved", "rejection_reason": "document_invalid"}),
        "{'rejection_reason': ['Unknown field.']}",
    )
    invalid(
        await operator.request("PATCH", path, json={"status": "rejected", "rejection_reason": "blurry"}),
        "{'rejection_reason': ['Must be one of: document_not_readable, document_expired, "
        "document_does_not_match, document_invalid.']}",
    )
    invalid(
        await operator.request("PATCH", path, json={"status": "pending"}),
        "{'status': ['Must be one of: approved, rejected.']}",
    )
    assert_error(
        await operator.request("PATCH", f"{base}/document_selfie", json={"status": "approved"}),
        404,
        "not_found",
        "Requirement not found",
    )
    assert_error(
        await operator.request(
            "PATCH", "/crypto/customers/" + "0" * 32 + "/requirements/document_id_front", json={"status": "approved"}
        ),
        404,
        "not_found",
        "Customer not found",
    )
    await operator.request("PATCH", path, json={"status": "rejected", "rejection_reason": "document_invalid"})
    assert_error(
        await operator.request("PATCH", path, json={"status": "approved"}),
        400,
        "invalid_state",
        "Cannot change requirement from rejected to approved",
    )


# --------------------------------------------------------------------------- the KYC flag


def actives(customer: dict[str, Any]) -> set[bool]:
    return {p["active"] for p in customer["products"]}


async def test_kyc_required_with_preapproval(make_client) -> None:  # type: ignore[no-untyped-def]
    client = await make_client(crypto_require_kyc=True)
    operator = Operator(client)
    partner = await operator.partner(products=["crypto_buy_sell", "crypto_send"])
    customer = await partner.customer()
    assert actives(customer) == {False} and {p["enabled"] for p in customer["products"]} == {True}
    await upload(partner, customer["id"], document_type="id_front")
    after_two = (await upload(partner, customer["id"], document_type="id_back")).json()
    assert actives(after_two) == {False}
    after_three = (await upload(partner, customer["id"], document_type="proof_of_address")).json()
    assert actives(after_three) == {True}
    events = await recorded_events(client, partner.id)
    assert [e["action"] for e in events] == ["customer-product-changed"]
    assert events[0]["products"] == ["crypto_buy_sell", "crypto_send"]
    assert actives(events[0]["customer"]) == {True}


async def test_kyc_without_preapproval_waits_for_approvals(make_client) -> None:  # type: ignore[no-untyped-def]
    client = await make_client(crypto_require_kyc=True, crypto_kyc_preapproval=False)
    operator = Operator(client)
    partner = await operator.partner()
    customer = await partner.customer()
    base = f"/crypto/customers/{customer['id']}/requirements"
    for kind in ("id_front", "id_back", "proof_of_address"):
        await upload(partner, customer["id"], document_type=kind)
    assert actives((await partner.get(f"/customers/{customer['id']}")).json()) == {False}
    for kind in ("id_front", "id_back"):
        response = await operator.request("PATCH", f"{base}/document_{kind}", json={"status": "approved"})
        assert actives(response.json()) == {False}
    response = await operator.request("PATCH", f"{base}/document_proof_of_address", json={"status": "approved"})
    assert actives(response.json()) == {True}


async def test_rejection_deadline_switches_kyc_off(make_client, clock) -> None:  # type: ignore[no-untyped-def]
    client = await make_client(crypto_require_kyc=True, crypto_kyc_grace_days=15)
    runtime = client.runtime
    operator = Operator(client)
    partner = await operator.partner(products=["crypto_swap"])
    customer = await partner.customer()
    for kind in ("id_front", "id_back", "proof_of_address"):
        await upload(partner, customer["id"], document_type=kind)
    path = f"/crypto/customers/{customer['id']}/requirements/document_id_back"
    rejected = await operator.request(
        "PATCH", path, json={"status": "rejected", "rejection_reason": "document_expired"}
    )
    assert actives(rejected.json()) == {True}
    clock.advance(days=15, seconds=-1)
    await runtime.dispatcher.drain()
    assert actives((await partner.get(f"/customers/{customer['id']}")).json()) == {True}
    clock.advance(seconds=1)
    await runtime.dispatcher.drain()
    assert actives((await partner.get(f"/customers/{customer['id']}")).json()) == {False}
    events = await recorded_events(client, partner.id)
    assert [e["action"] for e in events] == [
        "customer-product-changed",
        "customer-requirement-rejected",
        "customer-product-changed",
    ]
    assert events[-1]["products"] == ["crypto_swap"]


async def test_reupload_clears_the_deadline(make_client, clock) -> None:  # type: ignore[no-untyped-def]
    client = await make_client(crypto_require_kyc=True)
    operator = Operator(client)
    partner = await operator.partner()
    customer = await partner.customer()
    for kind in ("id_front", "id_back", "proof_of_address"):
        await upload(partner, customer["id"], document_type=kind)
    path = f"/crypto/customers/{customer['id']}/requirements/document_id_back"
    await operator.request("PATCH", path, json={"status": "rejected", "rejection_reason": "document_expired"})
    clock.advance(days=1)
    await upload(partner, customer["id"], document_type="id_back")
    clock.advance(days=30)
    await client.runtime.dispatcher.drain()
    assert actives((await partner.get(f"/customers/{customer['id']}")).json()) == {True}


async def test_deadline_sweep_takes_each_customer_at_its_own_first_rejection(  # type: ignore[no-untyped-def]
    make_client, clock
) -> None:
    """12, KYC deadline (5.7; docs/decisions.md [5.7]): a customer's deadline is its first
    rejection plus the grace days, and a later rejection does not move it. At the deadline the
    sweep turns off the flag of that customer only, once."""
    client = await make_client(crypto_require_kyc=True, crypto_kyc_grace_days=15)
    operator = Operator(client)
    partner = await operator.partner(products=["crypto_swap"])
    first, second = await partner.customer(), await partner.customer(reference_id="cust-000043")
    for customer in (first, second):
        for kind in ("id_front", "id_back", "proof_of_address"):
            await upload(partner, customer["id"], document_type=kind)
    await reject(operator, first["id"], "id_back")  # day 0: first's deadline is day 15
    clock.advance(days=5)
    await reject(operator, second["id"], "id_front")  # day 5: second's deadline is day 20
    await reject(operator, first["id"], "id_front")  # still day 15 for first
    clock.advance(days=10)
    await client.runtime.dispatcher.drain()
    await client.runtime.dispatcher.drain()  # a second run finds nothing more due
    assert actives((await partner.get(f"/customers/{first['id']}")).json()) == {False}
    assert actives((await partner.get(f"/customers/{second['id']}")).json()) == {True}
    clock.advance(days=5)
    await client.runtime.dispatcher.drain()
    assert actives((await partner.get(f"/customers/{second['id']}")).json()) == {False}
    changes = [e for e in await recorded_events(client, partner.id) if e["action"] == "customer-product-changed"]
    assert [(e["customer"]["id"], actives(e["customer"])) for e in changes] == [
        (first["id"], {True}),
        (second["id"], {True}),
        (first["id"], {False}),
        (second["id"], {False}),
    ]


async def reject(operator: Operator, customer_id: str, kind: str) -> None:
    path = f"/crypto/customers/{customer_id}/requirements/document_{kind}"
    response = await operator.request(
        "PATCH", path, json={"status": "rejected", "rejection_reason": "document_expired"}
    )
    assert response.status_code == 200, response.text


async def test_without_required_kyc_products_are_always_active(
    operator: Operator, partner: Partner, customer: dict[str, Any]
) -> None:
    await upload(partner, customer["id"])
    path = f"/crypto/customers/{customer['id']}/requirements/document_id_front"
    response = await operator.request(
        "PATCH", path, json={"status": "rejected", "rejection_reason": "document_invalid"}
    )
    assert actives(response.json()) == {True}
