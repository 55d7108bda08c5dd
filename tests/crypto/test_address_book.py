"""The address book (spec 7): every endpoint, exact messages, per-network address shapes,
the duplicate rule, scoping to the partner's customer; the lookup the send flow uses (8.8)."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from orderdesk.crypto import address_book
from orderdesk.platform.errors import ApiError
from tests.crypto.conftest import BASE, Operator, Partner, assert_error, invalid

BECH32 = "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq"
BASE58 = "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa"
EVM = "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"
NETWORKS = "Must be one of: bitcoin, ethereum, polygon."
REQUIRED = "This field is required but was not found in the request."


def book(customer: dict[str, Any]) -> str:
    return f"/customers/{customer['id']}/address_book"


async def add(partner: Partner, customer: dict[str, Any], **body: Any) -> httpx.Response:
    return await partner.post(book(customer), json=body)


async def added(partner: Partner, customer: dict[str, Any], **body: Any) -> dict[str, Any]:
    response = await add(partner, customer, **body)
    assert response.status_code == 201, response.text
    return response.json()


async def test_create_read_list_delete(partner: Partner, customer: dict[str, Any], clock: Any) -> None:
    cold = await added(partner, customer, address=BECH32, network="bitcoin", label="Cold wallet", ownership_type="self")
    assert set(cold) == {
        "id",
        "address",
        "network",
        "label",
        "ownership_type",
        "beneficiary_full_name",
        "created",
        "last_used",
    }
    assert len(cold["id"]) == 32 and cold["address"] == BECH32 and cold["network"] == "bitcoin"
    assert cold["label"] == "Cold wallet" and cold["ownership_type"] == "self"
    assert cold["beneficiary_full_name"] is None and cold["last_used"] is None
    assert cold["created"] == "2026-05-06T00:14:27.123456+00:00"
    clock.advance(seconds=1)
    bare = await added(partner, customer, address=EVM, network="polygon")
    assert (bare["label"], bare["ownership_type"], bare["beneficiary_full_name"]) == (None, None, None)
    friend = await added(
        partner,
        customer,
        address=EVM,
        network="ethereum",
        ownership_type="third_party",
        beneficiary_full_name="María López",
        label=None,
    )
    assert friend["beneficiary_full_name"] == "María López" and friend["label"] is None

    assert (await partner.get(f"{book(customer)}/{cold['id']}")).json() == cold
    listed = await partner.get(book(customer))
    assert listed.status_code == 200 and listed.json() == {"address_book": [friend, bare, cold], "total": 3}
    second_page = await partner.get(book(customer), params={"limit": 1, "offset": 1})
    assert second_page.json() == {"address_book": [bare], "total": 3}

    deleted = await partner.request("DELETE", f"{book(customer)}/{bare['id']}")
    assert deleted.status_code == 204 and deleted.content == b""
    for method in ("GET", "DELETE"):
        assert_error(
            await partner.request(method, f"{book(customer)}/{bare['id']}"),
            404,
            "not_found",
            "Address book entry not found",
        )
    assert (await partner.get(book(customer))).json() == {"address_book": [friend, cold], "total": 2}
    again = await added(partner, customer, address=EVM, network="polygon")  # deleted: may be added again
    assert again["id"] != bare["id"]


async def test_field_errors(partner: Partner, customer: dict[str, Any]) -> None:
    invalid(await add(partner, customer), f"{{'address': ['{REQUIRED}'], 'network': ['{REQUIRED}']}}")
    invalid(await add(partner, customer, address=BECH32, network="Bitcoin"), f"{{'network': ['{NETWORKS}']}}")
    invalid(await add(partner, customer, address=BECH32, network="solana"), f"{{'network': ['{NETWORKS}']}}")
    invalid(
        await add(partner, customer, address=1, network=2),
        "{'address': ['Not a valid string.'], 'network': ['Not a valid string.']}",
    )
    invalid(
        await add(partner, customer, address=BECH32, network="bitcoin", label="", ownership_type="mine", tag="x"),
        "{'label': ['Length must be between 1 and 255.'], 'ownership_type': ['Must be one of: self, third_party.'],"
        " 'tag': ['Unknown field.']}",
    )
    invalid(
        await add(partner, customer, address=BECH32, network="bitcoin", label="x" * 256),
        "{'label': ['Length must be between 1 and 255.']}",
    )
    invalid(
        await add(partner, customer, address=BECH32, network="bitcoin", ownership_type="third_party"),
        f"{{'beneficiary_full_name': ['{REQUIRED}']}}",
    )
    invalid(
        await add(
            partner,
            customer,
            address=BECH32,
            network="bitcoin",
            ownership_type="third_party",
            beneficiary_full_name="y" * 256,
        ),
        "{'beneficiary_full_name': ['Length must be between 1 and 255.']}",
    )
    # field errors answer before the address's shape is looked at
    invalid(
        await add(partner, customer, address="nope", network="bitcoin", label=""),
        "{'label': ['Length must be between 1 and 255.']}",
    )
    assert (await partner.get(book(customer))).json() == {"address_book": [], "total": 0}
    assert (await added(partner, customer, address=BECH32, network="bitcoin", label="x" * 255))["label"] == "x" * 255


@pytest.mark.parametrize(
    ("network", "address"),
    [
        ("bitcoin", EVM),
        ("bitcoin", "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdb"),
        ("bitcoin", "bc1q"),
        ("bitcoin", " " + BECH32),
        ("bitcoin", BECH32 + "\n"),
        ("bitcoin", "0A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa"),
        ("bitcoin", ""),
        ("ethereum", BECH32),
        ("ethereum", EVM[:-1]),
        ("polygon", "0x" + "g" * 40),
        ("polygon", EVM + "0"),
    ],
)
async def test_addresses_that_do_not_fit_the_network(
    partner: Partner, customer: dict[str, Any], network: str, address: str
) -> None:
    assert_error(
        await add(partner, customer, address=address, network=network),
        400,
        "invalid_crypto_currency_address",
        f"Invalid address for network {network}",
    )


async def test_addresses_that_fit(partner: Partner, customer: dict[str, Any]) -> None:
    for network, address in (
        ("bitcoin", BECH32.upper()),
        ("bitcoin", BASE58),
        ("bitcoin", "tb1" + "q" * 39),
        ("ethereum", EVM.lower()),
        ("polygon", EVM.upper().replace("0X", "0x")),
    ):
        assert (await add(partner, customer, address=address, network=network)).status_code == 201, address


async def test_networks_follow_the_catalogue(operator: Operator, partner: Partner, customer: dict[str, Any]) -> None:
    response = await operator.request(
        "PUT",
        "/crypto/assets/SOL",
        json={
            "decimal_places": 9,
            "allowed_operations": ["send", "receive"],
            "networks": [{"network": "solana", "send_fee": "0.000005"}],
        },
    )
    assert response.status_code == 201, response.text
    invalid(
        await add(partner, customer, address=BECH32, network="tron"),
        "{'network': ['Must be one of: bitcoin, ethereum, polygon, solana.']}",
    )
    solana = "7EcDhSYGxXyscszYEp35KHN8vvw3svAuLKTzXwCFLtV"
    assert (await added(partner, customer, address=solana, network="solana"))["address"] == solana
    assert_error(
        await add(partner, customer, address="a b", network="solana"),
        400,
        "invalid_crypto_currency_address",
        "Invalid address for network solana",
    )
    assert_error(
        await add(partner, customer, address="a" * 129, network="solana"),
        400,
        "invalid_crypto_currency_address",
        "Invalid address for network solana",
    )


async def test_duplicates(partner: Partner, customer: dict[str, Any]) -> None:
    await added(partner, customer, address=EVM, network="ethereum")
    await added(partner, customer, address=BECH32, network="bitcoin")
    await added(partner, customer, address=BASE58, network="bitcoin")
    for network, address in (("ethereum", EVM), ("ethereum", EVM.lower()), ("bitcoin", BECH32.upper())):
        assert_error(
            await add(partner, customer, address=address, network=network, label="again"),
            409,
            "conflict",
            "Address already in the address book",
        )
    mixed = "1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2"  # base58 is case-sensitive: its swapped case is another address
    await added(partner, customer, address=mixed, network="bitcoin")
    await added(partner, customer, address=mixed.swapcase(), network="bitcoin")
    assert_error(await add(partner, customer, address=mixed, network="bitcoin"), 409, "conflict")
    # the same address on another network, or for another customer, is another entry
    assert (await add(partner, customer, address=EVM, network="polygon")).status_code == 201
    other = await partner.customer(reference_id="cust-2")
    assert (await add(partner, other, address=EVM, network="ethereum")).status_code == 201


async def test_concurrent_duplicates_create_one_entry(partner: Partner, customer: dict[str, Any]) -> None:
    responses = await asyncio.gather(
        *(add(partner, customer, address=EVM if i % 2 else EVM.lower(), network="ethereum") for i in range(12))
    )
    assert sorted(r.status_code for r in responses) == [201] + [409] * 11
    assert (await partner.get(book(customer))).json()["total"] == 1


async def test_foreign_and_unknown_ids_are_not_found(
    partner: Partner, rival: Partner, customer: dict[str, Any]
) -> None:
    entry = await added(partner, customer, address=BECH32, network="bitcoin")
    for call in (
        rival.post(book(customer), json={"address": BECH32, "network": "bitcoin"}),
        rival.get(book(customer)),
        rival.get(f"{book(customer)}/{entry['id']}"),
        rival.request("DELETE", f"{book(customer)}/{entry['id']}"),
        partner.get("/customers/" + "0" * 32 + "/address_book"),
        partner.get(f"/customers/{customer['id'].upper()}/address_book"),
    ):
        assert_error(await call, 404, "not_found", "Customer not found")
    other = await partner.customer(reference_id="cust-2")
    for entry_id in (entry["id"], "0" * 32, entry["id"].upper(), "zz"):  # another customer's entry, or none
        for method in ("GET", "DELETE"):
            assert_error(
                await partner.request(method, f"{book(other)}/{entry_id}"),
                404,
                "not_found",
                "Address book entry not found",
            )
    assert (await partner.get(f"{book(customer)}/{entry['id']}")).status_code == 200


async def test_order_of_checks(client: httpx.AsyncClient, partner: Partner, customer: dict[str, Any]) -> None:
    path = BASE + book(customer)
    assert_error(await client.post(path, json={}), 401, "auth_required")
    assert_error(
        await partner.post("/customers/" + "0" * 32 + "/address_book", content=b"nope"), 400, "body_parse_error"
    )  # body before path resources (3.10)
    assert_error(
        await partner.post("/customers/" + "0" * 32 + "/address_book", json={}), 404, "not_found", "Customer not found"
    )  # path resources before the endpoint's own checks
    assert_error(
        await partner.get("/customers/" + "0" * 32 + "/address_book", params={"limit": "0"}),
        404,
        "not_found",
        "Customer not found",
    )
    invalid(
        await partner.get(book(customer), params={"limit": "0", "offset": "-1"}),
        "{'limit': ['Must be between 1 and 100.'], 'offset': ['Must be greater than or equal to 0.']}",
    )
    invalid(await partner.get(book(customer), params={"limit": "x"}), "{'limit': ['Not a valid integer.']}")
    assert_error(await partner.request("PUT", book(customer)), 405, "method_not_allowed")
    assert_error(await partner.request("PATCH", book(customer) + "/" + "0" * 32), 405, "method_not_allowed")


async def test_send_lookup_and_last_used(
    client: httpx.AsyncClient, partner: Partner, customer: dict[str, Any], clock: Any
) -> None:
    """What the send flow calls: `destination` answers 400 invalid_destination with the
    contract's messages; `mark_used` stamps `last_used`, which GET then shows."""
    entry = await added(partner, customer, address=EVM, network="polygon")
    other = await partner.customer(reference_id="cust-2")
    runtime = client.runtime  # type: ignore[attr-defined]
    async with runtime.db.transaction() as conn:
        found = await address_book.destination(conn, customer["id"], entry["id"], "polygon")
        assert (found.address, found.network, found.id) == (EVM, "polygon", entry["id"])
        for customer_id, entry_id in (
            (other["id"], entry["id"]),
            (customer["id"], "0" * 32),
            (customer["id"], "not-an-id"),
        ):
            with pytest.raises(ApiError) as missing:
                await address_book.destination(conn, customer_id, entry_id, "polygon")
            assert (missing.value.status, missing.value.code) == (400, "invalid_destination")
            assert missing.value.message == f"Address book entry {entry_id} not found"
        with pytest.raises(ApiError) as mismatch:
            await address_book.destination(conn, customer["id"], entry["id"], "ethereum")
        assert mismatch.value.code == "invalid_destination"
        assert mismatch.value.message == "Address book entry network polygon does not match ethereum"
        used_at = clock.advance(minutes=5)
        await address_book.mark_used(conn, entry["id"], used_at)
    shown = (await partner.get(f"{book(customer)}/{entry['id']}")).json()
    assert shown["last_used"] == "2026-05-06T00:19:27.123456+00:00"
    assert shown["created"] == entry["created"]
