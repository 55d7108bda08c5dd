"""Partner routes for the address book (spec/crypto.md 7), mounted next to `crypto.api`'s
routes, with the same order of checks (3.10)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import Response

from orderdesk.crypto import address_book, customers
from orderdesk.crypto.api import admit, admit_json
from orderdesk.crypto.http_input import page
from orderdesk.crypto.models import partner as m
from orderdesk.crypto.openapi import PAGING, operation, path
from orderdesk.platform.http import RequestRoute, json_response

router = APIRouter(route_class=RequestRoute)

ENTRY_EXAMPLE: dict[str, Any] = {
    "id": "aa0f45a8e34e433d8aa5e35d498cb143",
    "address": "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq",
    "network": "bitcoin",
    "label": "Cold wallet",
    "ownership_type": "self",
    "beneficiary_full_name": None,
    "created": "2026-03-02T10:05:00.120044+00:00",
    "last_used": None,
}
NEW_ENTRY = {
    "address": "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq",
    "network": "bitcoin",
    "label": "Cold wallet",
    "ownership_type": "self",
}
ENTRY_PATH = "/v1/customers/{customer_id}/address_book/{entry_id}"
CUSTOMER = path("customer_id")
ENTRY_PARAMETERS = [CUSTOMER, path("entry_id")]


@router.post(
    "/v1/customers/{customer_id}/address_book",
    status_code=201,
    summary="Add an address-book entry",
    openapi_extra=operation(
        (201, m.Entry, ENTRY_EXAMPLE, "Entry"),
        "body_parse_error",
        "not_found",
        "invalid_parameters",
        "invalid_crypto_currency_address",
        "conflict",
        parameters=[CUSTOMER],
        body=(m.NewEntry, NEW_ENTRY),
    ),
)
async def create_entry(request: Request) -> Response:
    runtime, partner, body = await admit_json(request)
    entry = await address_book.create(runtime, partner, request.path_params["customer_id"], body)
    return json_response(entry, status=201)


@router.get(
    "/v1/customers/{customer_id}/address_book",
    summary="List the customer's address book",
    openapi_extra=operation(
        (200, m.Entries, {"address_book": [ENTRY_EXAMPLE], "total": 1}, "Entries, newest first"),
        "not_found",
        "invalid_parameters",
        parameters=[CUSTOMER, *PAGING],
    ),
)
async def list_entries(request: Request) -> Response:
    runtime, partner = await admit(request)
    customer_id = request.path_params["customer_id"]
    await customers.check_exists(runtime, partner, customer_id)  # path resources before query errors (3.10)
    return json_response(await address_book.list_entries(runtime, partner, customer_id, page(request)))


@router.get(
    ENTRY_PATH,
    summary="Get an address-book entry",
    openapi_extra=operation((200, m.Entry, ENTRY_EXAMPLE, "Entry"), "not_found", parameters=ENTRY_PARAMETERS),
)
async def get_entry(request: Request) -> Response:
    runtime, partner = await admit(request)
    return json_response(
        await address_book.get(runtime, partner, request.path_params["customer_id"], request.path_params["entry_id"])
    )


@router.delete(
    ENTRY_PATH,
    status_code=204,
    summary="Delete an address-book entry",
    openapi_extra=operation((204, None, None, "Deleted"), "not_found", parameters=ENTRY_PARAMETERS),
)
async def delete_entry(request: Request) -> Response:
    runtime, partner = await admit(request)
    await address_book.delete(runtime, partner, request.path_params["customer_id"], request.path_params["entry_id"])
    return Response(status_code=204)
