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
