"""Cases schema fuzzing (tests/contract) found, kept as regression tests."""

from __future__ import annotations

import httpx

from tests.auto.conftest import PALISADE, Operator, Partner, assert_error, issue_paths


async def test_path_id_with_a_newline_reaches_the_endpoint(client: httpx.AsyncClient, operator: Operator) -> None:
    # Starlette's mount pattern stopped at the newline: the root answered route_not_found.
    response = await operator.request("PUT", "/vehicles/a%0Ab", json=PALISADE)
    assert issue_paths(response) == [("path", "vehicle_id")]
    assert_error(await operator.request("GET", "/vehicles/a%0A"), 404, "vehicle_not_found")
    assert_error(await operator.request("GET", "/orders/%0A"), 404, "order_not_found")


async def test_partner_path_id_with_a_newline_is_not_found(partner: Partner) -> None:
    assert_error(await partner.get("/v1/orders/a%0Ab"), 404, "order_not_found")
    assert_error(await partner.get("/v1/vehicles/%0A"), 404, "vehicle_not_found")


async def test_nul_in_a_query_parameter_is_a_validation_error(operator: Operator, partner: Partner) -> None:
    # PostgreSQL cannot compare text holding U+0000: the filter answered 500.
    assert issue_paths(await operator.request("GET", "/orders", params={"partner_id": "\x00"})) == [
        ("query", "partner_id")
    ]
    assert issue_paths(await partner.get("/v1/vehicles", params={"make": "Kia\x00"})) == [("query", "make")]


async def test_nul_in_a_path_id_is_not_found(operator: Operator, partner: Partner) -> None:
    assert_error(await partner.get("/v1/orders/%00"), 404, "order_not_found")
    assert_error(await partner.get("/v1/vehicles/%00"), 404, "vehicle_not_found")
    assert_error(await partner.get("/v1/orders/%00/events"), 404, "order_not_found")
    assert_error(await partner.cancel("%00"), 404, "order_not_found")
    push = {"fulfillment_detail": "customs", "occurred_at": "2026-06-20T08:15:00+01:00"}
    assert_error(await partner.push("%00", push), 404, "order_not_found")
    assert_error(await operator.request("GET", "/partners/%00"), 404, "partner_not_found")
    assert_error(await operator.request("POST", "/vehicles/%00/auction/start"), 404, "vehicle_not_found")
    assert_error(await operator.request("GET", "/orders/%00"), 404, "order_not_found")


async def test_nul_in_a_body_string_is_a_validation_error(operator: Operator, partner: Partner) -> None:
    response = await operator.request("POST", "/partners", json={"name": "Harbor\x00"})
    assert issue_paths(response) == [("body", "name")]
    response = await partner.place("glovis-1\x00", 18200)
    assert issue_paths(response) == [("body", "vehicle_id")]
    response = await operator.request("PUT", "/vehicles/glovis-1", json={**PALISADE, "options": ["a\x00"]})
    assert ("body", "options.0") in issue_paths(response)
