"""Customers: create, read, list, patch (spec 5.1-5.4) and the operator's state changes (11.6)."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx

from tests.crypto.conftest import ACME, ANA, Operator, Partner, assert_error, customer_body, invalid

REQUIRED = "['This field is required but was not found in the request.']"


async def test_create_answers_the_full_object(partner: Partner) -> None:
    response = await partner.post("/customers", json=ANA)
    assert response.status_code == 201, response.text
    body = response.json()
    created = body["created_at"]
    assert body["created_at"] == body["last_updated_at"] == "2026-05-06T00:14:27.123456+00:00"
    assert len(body["id"]) == 32
    assert body["type"] == "individual" and body["reference_id"] == "cust-000042" and body["state"] == "active"
    assert body["profile"] == {
        "label": None,
        "first_name": "Ana",
        "middle_name": None,
        "last_name": "Gómez",
        "date_of_birth": "1990-03-14",
        "national_id_country": "MX",
        "national_id_type": "passport",
        "national_id": "G12345678",
        "citizenship": "MX",
        "address_line1": "Av. Reforma 100",
        "address_line2": None,
        "city": "Ciudad de México",
        "state": "CDMX",
        "country": "MX",
        "zip_code": "06600",
        "tax_country": "MX",
        "tax_id": "GOAA900314QX1",
        "is_pep": False,
    }
    assert body["contact"] == {"email": "ana.gomez@example.com", "cellphone": "+525512345678"}
    assert [p["id"] for p in body["products"]] == [
        "crypto_buy_sell",
        "crypto_swap",
        "crypto_send",
        "crypto_transfer",
        "crypto_receive",
        "investments",
    ]
    assert all(p["enabled"] and p["active"] for p in body["products"])
    assert body["data_requirements"] == [
        {
            "id": f"document_{kind}",
            "type": "document",
            "document_type": kind,
            "status": "pending_submission",
            "rejection_reason": None,
            "created": created,
            "submitted_at": None,
            "last_updated_at": created,
        }
        for kind in ("id_front", "id_back", "proof_of_address")
    ]
    assert (await partner.get(f"/customers/{body['id']}")).json() == body


async def test_business_customer(partner: Partner) -> None:
    body = await partner.customer(ACME)
    assert body["type"] == "business"
    assert body["profile"] == {
        "label": None,
        "name": "Acme SA",
        "first_name": "Rosa",
        "last_name": "Díaz",
        "address_line1": None,
        "address_line2": None,
        "city": None,
        "state": None,
        "country": None,
        "zip_code": None,
        "tax_country": "AR",
        "tax_id": "30-71234567-8",
    }
    assert body["contact"] == {"email": "treasury@acme.example", "cellphone": None}


async def test_type_defaults_to_individual(partner: Partner) -> None:
    body = dict(ANA)
    del body["type"]
    assert (await partner.customer(body))["type"] == "individual"


async def test_create_field_errors(partner: Partner) -> None:
    cases: list[tuple[dict[str, Any], str]] = [
        ({}, f"{{'contact': {REQUIRED}, 'profile': {REQUIRED}, 'reference_id': {REQUIRED}}}"),
        (
            customer_body(type="company", reference_id=None),
            f"{{'reference_id': {REQUIRED}, 'type': ['Must be one of: individual, business.']}}",
        ),
        (
            customer_body(reference_id="x" * 192, extra=True),
            "{'extra': ['Unknown field.'], 'reference_id': ['Length must be between 1 and 191.']}",
        ),
        (customer_body(reference_id="ñandú"), "{'reference_id': ['Must contain printable ASCII characters only.']}"),
        (
            customer_body(reference_id=42, profile=[], contact="x"),
            "{'contact': ['Not a valid object.'], 'profile': ['Not a valid object.'], "
            "'reference_id': ['Not a valid string.']}",
        ),
        (
            customer_body(contact={"email": "not-an-email", "cellphone": "5512345678", "fax": "1"}),
            "{'contact': {'cellphone': ['Not a valid phone number.'], 'email': ['Not a valid email address.'], "
            "'fax': ['Unknown field.']}}",
        ),
        (customer_body(contact={"email": None}), f"{{'contact': {{'email': {REQUIRED}}}}}"),
        (
            customer_body(contact={"email": "a@" + "b" * 250 + ".com"}),
            "{'contact': {'email': ['Length must be between 1 and 254.']}}",
        ),
    ]
    for body, message in cases:
        invalid(await partner.post("/customers", json=body), message)


async def test_profile_field_errors(partner: Partner) -> None:
    profile = dict(ANA["profile"])
    cases: list[tuple[dict[str, Any], str]] = [
        (
            {**profile, "first_name": None, "country": "mx", "citizenship": "MEX", "is_pep": "no", "name": "Ana SA"},
            f"{{'profile': {{'citizenship': ['Not a valid country code.'], 'country': ['Not a valid country code.'], "
            f"'first_name': {REQUIRED}, 'is_pep': ['Not a valid boolean.'], 'name': ['Unknown field.']}}}}",
        ),
        (
            {**profile, "date_of_birth": "1899-12-31", "national_id_type": "ssn", "city": ""},
            "{'profile': {'city': ['Length must be between 1 and 255.'], 'date_of_birth': ['Not a valid date.'], "
            "'national_id_type': ['Must be one of: passport, driver_license, national_id, other.']}}",
        ),
        ({**profile, "date_of_birth": "2026-05-07"}, "{'profile': {'date_of_birth': ['Not a valid date.']}}"),
        ({**profile, "date_of_birth": "1990-02-30"}, "{'profile': {'date_of_birth': ['Not a valid date.']}}"),
        (
            {**profile, "label": 7, "tax_id": "x" * 256},
            "{'profile': {'label': ['Not a valid string.'], 'tax_id': ['Length must be between 1 and 255.']}}",
        ),
    ]
    for value, message in cases:
        invalid(await partner.post("/customers", json=customer_body(profile=value)), message)
    business = {**ACME, "profile": {**ACME["profile"], "date_of_birth": "1990-01-01", "tax_id": None}}
    invalid(
        await partner.post("/customers", json=business),
        f"{{'profile': {{'date_of_birth': ['Unknown field.'], 'tax_id': {REQUIRED}}}}}",
    )


async def test_date_of_birth_today_is_accepted(partner: Partner) -> None:
    body = await partner.customer(customer_body(profile={**ANA["profile"], "date_of_birth": "2026-05-06"}))
    assert body["profile"]["date_of_birth"] == "2026-05-06"


async def test_reference_id_is_unique_per_partner_ignoring_case(partner: Partner, rival: Partner) -> None:
    await partner.customer()
    response = await partner.post("/customers", json=customer_body(reference_id="CUST-000042"))
    assert_error(response, 409, "conflict", "reference_id 'CUST-000042' is already used by another customer")
    assert (await rival.post("/customers", json=customer_body(reference_id="cust-000042"))).status_code == 201


async def test_concurrent_creates_with_one_reference_id(partner: Partner) -> None:
    responses = await asyncio.gather(
        *(partner.post("/customers", json=customer_body(reference_id=f"Dup-{i % 2}")) for i in range(10))
    )
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [201, 201] + [409] * 8
    listed = (await partner.get("/customers")).json()
    assert listed["total"] == 2


async def test_foreign_and_malformed_customer_ids_are_not_found(partner: Partner, rival: Partner) -> None:
    theirs = await rival.customer()
    for path in (
        f"/customers/{theirs['id']}",
        "/customers/" + "0" * 32,
        "/customers/NOT-AN-ID",
        "/customers/" + theirs["id"].upper(),
    ):
        assert_error(await partner.get(path), 404, "not_found", "Customer not found")
        assert_error(await partner.patch(path, json={}), 404, "not_found", "Customer not found")
        assert_error(await partner.get(path + "/accounts"), 404, "not_found", "Customer not found")
        assert_error(await partner.get(path + "/orders"), 404, "not_found", "Customer not found")
        assert_error(await partner.get(path + "/orders/" + "1" * 32), 404, "not_found", "Customer not found")


# --------------------------------------------------------------------------- list


async def test_list_newest_first_with_filters_and_pages(
    client: httpx.AsyncClient, partner: Partner, rival: Partner
) -> None:
    clock = client.runtime.clock  # type: ignore[attr-defined]
    made = []
    for i in range(5):
        made.append(await partner.customer(reference_id=f"Ref-{i}"))
        clock.advance(seconds=1)
    await rival.customer(reference_id="Ref-0")
    listed = (await partner.get("/customers")).json()
    assert listed["total"] == 5
    assert [c["id"] for c in listed["customers"]] == [c["id"] for c in reversed(made)]
    assert listed["customers"][0] == made[4]
    page = (await partner.get("/customers", params={"limit": 2, "offset": 1})).json()
    assert page["total"] == 5 and [c["reference_id"] for c in page["customers"]] == ["Ref-3", "Ref-2"]
    by_ref = (await partner.get("/customers", params={"reference_id": "REF-1"})).json()
    assert by_ref["total"] == 1 and by_ref["customers"][0]["id"] == made[1]["id"]
    assert (await partner.get("/customers", params={"state": "banned"})).json() == {"customers": [], "total": 0}
    assert (await partner.get("/customers", params={"offset": 10})).json() == {"customers": [], "total": 5}
    assert (await partner.get("/customers", params={"unknown": "x"})).json()["total"] == 5


async def test_list_query_errors(partner: Partner) -> None:
    cases = [
        ({"state": "open"}, "{'state': ['Must be one of: active, closing, closed, banned.']}"),
        ({"limit": "0"}, "{'limit': ['Must be between 1 and 100.']}"),
        (
            {"limit": "101", "offset": "-1"},
            "{'limit': ['Must be between 1 and 100.'], 'offset': ['Must be greater than or equal to 0.']}",
        ),
        ({"limit": "ten", "offset": "1.5"}, "{'limit': ['Not a valid integer.'], 'offset': ['Not a valid integer.']}"),
    ]
    for params, message in cases:
        invalid(await partner.get("/customers", params=params), message)


# --------------------------------------------------------------------------- patch


async def test_patch_merges_key_by_key(client: httpx.AsyncClient, partner: Partner, customer: dict[str, Any]) -> None:
    client.runtime.clock.advance(seconds=5)  # type: ignore[attr-defined]
    response = await partner.patch(
        f"/customers/{customer['id']}",
        json={
            "contact": {"email": "ana.g@example.com", "cellphone": None},
            "profile": {"label": "ana-g", "middle_name": "María", "is_pep": True},
        },
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["contact"] == {"email": "ana.g@example.com", "cellphone": None}
    assert body["profile"] == {**customer["profile"], "label": "ana-g", "middle_name": "María", "is_pep": True}
    assert body["last_updated_at"] == "2026-05-06T00:14:32.123456+00:00"
    assert body["created_at"] == customer["created_at"]
    cleared = (await partner.patch(f"/customers/{customer['id']}", json={"profile": {"label": None}})).json()
    assert cleared["profile"]["label"] is None and cleared["profile"]["middle_name"] == "María"
    assert (await partner.get(f"/customers/{customer['id']}")).json() == cleared


async def test_patch_errors(partner: Partner, customer: dict[str, Any]) -> None:
    path = f"/customers/{customer['id']}"
    cases = [
        (
            {
                "id": "x",
                "type": "business",
                "reference_id": "y",
                "state": "closed",
                "products": [],
                "data_requirements": [],
                "created_at": "x",
                "last_updated_at": "x",
                "nickname": "z",
            },
            "{'created_at': ['This field cannot be changed.'], 'data_requirements': ['This field cannot be changed.'], "
            "'id': ['This field cannot be changed.'], 'last_updated_at': ['Unknown field.'], "
            "'nickname': ['Unknown field.'], 'products': ['This field cannot be changed.'], "
            "'reference_id': ['This field cannot be changed.'], 'state': ['This field cannot be changed.'], "
            "'type': ['This field cannot be changed.']}",
        ),
        (
            {"profile": {"first_name": None, "name": "Biz"}, "contact": {"email": None}},
            f"{{'contact': {{'email': {REQUIRED}}}, 'profile': {{'first_name': {REQUIRED}, "
            "'name': ['Unknown field.']}}",
        ),
        ({"profile": {"country": "Mexico"}}, "{'profile': {'country': ['Not a valid country code.']}}"),
    ]
    for body, message in cases:
        invalid(await partner.patch(path, json=body), message)
    assert (await partner.get(path)).json() == customer


# --------------------------------------------------------------------------- operator state changes


async def test_state_transitions(operator: Operator, partner: Partner, customer: dict[str, Any]) -> None:
    path = f"/crypto/customers/{customer['id']}"
    for state in ("closing", "active", "banned", "active", "closing", "banned"):
        response = await operator.request("PATCH", path, json={"state": state})
        assert response.status_code == 200, response.text
        assert response.json()["state"] == state
    assert (await partner.get(f"/customers/{customer['id']}")).json()["state"] == "banned"
    listed = (await partner.get("/customers", params={"state": "banned"})).json()
    assert listed["total"] == 1


async def test_illegal_transitions(operator: Operator, customer: dict[str, Any]) -> None:
    path = f"/crypto/customers/{customer['id']}"
    assert_error(
        await operator.request("PATCH", path, json={"state": "closed"}),
        400,
        "invalid_state",
        "Cannot change state from active to closed",
    )
    await operator.request("PATCH", path, json={"state": "banned"})
    assert_error(
        await operator.request("PATCH", path, json={"state": "closing"}),
        400,
        "invalid_state",
        "Cannot change state from banned to closing",
    )
    await operator.request("PATCH", path, json={"state": "active"})
    await operator.request("PATCH", path, json={"state": "closing"})
    closed = await operator.request("PATCH", path, json={"state": "closed"})
    assert closed.status_code == 200 and closed.json()["state"] == "closed"
    for state in ("active", "closing", "banned"):
        assert_error(
            await operator.request("PATCH", path, json={"state": state}),
            400,
            "invalid_state",
            f"Cannot change state from closed to {state}",
        )


async def test_closing_needs_zero_balances(operator: Operator, customer: dict[str, Any]) -> None:
    path = f"/crypto/customers/{customer['id']}"
    await operator.deposit(customer["id"], "BTC", "0.5")
    await operator.request("PATCH", path, json={"state": "closing"})
    assert_error(
        await operator.request("PATCH", path, json={"state": "closed"}),
        400,
        "invalid_state",
        "Customer still holds balances",
    )


async def test_state_change_errors_and_events(
    client: httpx.AsyncClient, operator: Operator, partner: Partner, customer: dict[str, Any]
) -> None:
    path = f"/crypto/customers/{customer['id']}"
    invalid(
        await operator.request("PATCH", path, json={"state": "gone", "x": 1}),
        "{'state': ['Must be one of: active, closing, closed, banned.'], 'x': ['Unknown field.']}",
    )
    invalid(await operator.request("PATCH", path, json={}), f"{{'state': {REQUIRED}}}")
    assert_error(
        await operator.request("PATCH", "/crypto/customers/" + "0" * 32, json={"state": "banned"}),
        404,
        "not_found",
        "Customer not found",
    )
    same = await operator.request("PATCH", path, json={"state": "active"})
    assert same.status_code == 200
    await operator.request("PATCH", path, json={"state": "banned"})
    events = await recorded_events(client, partner.id)
    assert [e["action"] for e in events] == ["customer-state-changed"]
    assert events[0]["customer"]["state"] == "banned" and events[0]["customer"]["id"] == customer["id"]


async def recorded_events(client: httpx.AsyncClient, partner_id: str) -> list[dict[str, Any]]:
    from orderdesk.crypto import events

    runtime = client.runtime  # type: ignore[attr-defined]
    async with runtime.db.transaction(write=False) as conn:
        return await events.recorded(conn, partner_id)
