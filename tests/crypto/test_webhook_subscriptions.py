"""Webhook subscriptions (spec 9.1) and the public key endpoint: shapes, validation messages,
the batch form, scoping to the calling partner, deletion; the signing key's origin (9.3)."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import jwt
import pytest

from orderdesk.crypto import signing, webhooks
from orderdesk.crypto.events import ACTIONS
from tests.crypto.conftest import BASE, Operator, Partner, assert_error, invalid, rsa_key

URL = "https://bank.example.com/hooks/crypto"
ALL_SEVEN = (
    "Must be one of: order-created, order-updated, order-closed, incoming-funds, customer-state-changed,"
    " customer-product-changed, customer-requirement-rejected."
)


def is_hex32(value: Any) -> bool:
    return isinstance(value, str) and len(value) == 32 and all(c in "0123456789abcdef" for c in value)


async def subscribe(partner: Partner, **body: Any) -> dict[str, Any]:
    response = await partner.post("/webhooks/subscriptions", json={"url": URL, **body})
    assert response.status_code == 201, response.text
    return response.json()


async def test_create_read_list_and_delete(partner: Partner) -> None:
    created = await subscribe(partner, events=["order-updated", "order-closed"])
    assert set(created) == {"id", "url", "events", "created_at"} and is_hex32(created["id"])
    assert created["url"] == URL and created["events"] == ["order-updated", "order-closed"]
    assert created["created_at"] == "2026-05-06T00:14:27.123456+00:00"
    everything = await subscribe(partner)  # events omitted: all seven, the same URL again is allowed
    assert everything["events"] == list(ACTIONS)
    explicit_null = await subscribe(partner, events=None)
    assert explicit_null["events"] == list(ACTIONS)

    assert (await partner.get(f"/webhooks/subscriptions/{created['id']}")).json() == created
    listed = await partner.get("/webhooks/subscriptions", params={"limit": 1})  # not paginated
    assert listed.status_code == 200
    assert listed.json() == {"subscriptions": [created, everything, explicit_null]}

    deleted = await partner.request("DELETE", f"/webhooks/subscriptions/{created['id']}")
    assert deleted.status_code == 204 and deleted.content == b"" and is_hex32(deleted.headers["x-request-id"])
    assert_error(
        await partner.get(f"/webhooks/subscriptions/{created['id']}"), 404, "not_found", "Subscription not found"
    )
    assert_error(
        await partner.request("DELETE", f"/webhooks/subscriptions/{created['id']}"),
        404,
        "not_found",
        "Subscription not found",
    )
    assert (await partner.get("/webhooks/subscriptions")).json() == {"subscriptions": [everything, explicit_null]}


async def test_events_are_deduplicated_in_the_order_given(partner: Partner) -> None:
    created = await subscribe(partner, events=["order-closed", "incoming-funds", "order-closed", "incoming-funds"])
    assert created["events"] == ["order-closed", "incoming-funds"]


async def test_field_errors(partner: Partner) -> None:
    async def post(body: Any) -> httpx.Response:
        return await partner.post("/webhooks/subscriptions", json=body)

    invalid(await post({}), "{'url': ['This field is required but was not found in the request.']}")
    invalid(await post({"url": None}), "{'url': ['This field is required but was not found in the request.']}")
    invalid(await post({"url": 42}), "{'url': ['Not a valid string.']}")
    for bad in (
        "bank.example.com/hooks",
        "ftp://bank.example.com/x",
        "https://",
        "https:///path",
        "https://bank.example.com:99999/x",
        "https://bank example.com/",
        "https://bänk.example.com/",
        "/relative/path",
        "https://bank.example.com/\n",
    ):
        invalid(await post({"url": bad}), "{'url': ['Not a valid URL.']}")
    longest = "https://b.example/" + "a" * 2030
    assert len(longest) == 2048
    invalid(await post({"url": longest + "a"}), "{'url': ['Length must be between 1 and 2048.']}")
    assert (await post({"url": longest})).status_code == 201
    invalid(await post({"url": URL, "events": "order-created"}), "{'events': ['Not a valid list.']}")
    invalid(await post({"url": URL, "events": []}), "{'events': ['Must contain at least one item.']}")
    invalid(
        await post({"url": URL, "events": ["order-created", "order-shipped"]}), "{'events': {1: ['" + ALL_SEVEN + "']}}"
    )
    invalid(
        await post({"url": URL, "events": ["order-created", 7, "Order-Created"]}),
        "{'events': {1: ['Not a valid string.'], 2: ['" + ALL_SEVEN + "']}}",
    )
    invalid(
        await post({"url": "x", "events": ["nope"], "secret": "s"}),
        "{'events': {0: ['" + ALL_SEVEN + "']}, 'secret': ['Unknown field.'], 'url': ['Not a valid URL.']}",
    )
    listed = (await partner.get("/webhooks/subscriptions")).json()["subscriptions"]
    assert [s["url"] for s in listed] == [longest]  # no refused body created anything


async def test_http_urls_are_refused_in_production(make_client) -> None:  # type: ignore[no-untyped-def]
    client = await make_client(environment="production")
    partner = await Operator(client).partner()
    invalid(
        await partner.post("/webhooks/subscriptions", json={"url": "http://bank.example.com/hooks"}),
        "{'url': ['Must use https.']}",
    )
    assert (await partner.post("/webhooks/subscriptions", json={"url": URL})).status_code == 201
    document = (await client.get(BASE + "/webhooks/public_key")).json()
    assert document["issuer"] == "lirium-production"


async def test_sandbox_accepts_http(partner: Partner) -> None:
    assert (await subscribe(partner, url="http://127.0.0.1:8080/hooks"))["url"] == "http://127.0.0.1:8080/hooks"


async def test_batch_form_creates_all_or_none(partner: Partner) -> None:
    body = {"subscriptions": [{"url": URL, "events": ["order-created"]}, {"url": URL + "/2"}]}
    response = await partner.post("/webhooks/subscriptions", json=body)
    assert response.status_code == 201, response.text
    created = response.json()["subscriptions"]
    assert list(response.json()) == ["subscriptions"]
    assert [s["events"] for s in created] == [["order-created"], list(ACTIONS)]
    assert [s["url"] for s in created] == [URL, URL + "/2"]
    assert (await partner.get("/webhooks/subscriptions")).json() == {"subscriptions": created}

    bad = {"subscriptions": [{"url": URL}, {"url": "nope", "events": ["x"]}, "s", {"events": None, "x": 1}]}
    invalid(
        await partner.post("/webhooks/subscriptions", json=bad),
        "{'subscriptions': {1: {'events': {0: ['" + ALL_SEVEN + "']}, 'url': ['Not a valid URL.']},"
        " 2: ['Not a valid object.'], 3: {'url': ['This field is required but was not found in the request.'],"
        " 'x': ['Unknown field.']}}}",
    )
    invalid(
        await partner.post("/webhooks/subscriptions", json={"subscriptions": []}),
        "{'subscriptions': ['Must contain at least one item.']}",
    )
    invalid(
        await partner.post("/webhooks/subscriptions", json={"subscriptions": None}),
        "{'subscriptions': ['This field is required but was not found in the request.']}",
    )
    invalid(
        await partner.post("/webhooks/subscriptions", json={"subscriptions": {"url": URL}}),
        "{'subscriptions': ['Not a valid list.']}",
    )
    invalid(
        await partner.post("/webhooks/subscriptions", json={"subscriptions": [{"url": URL}], "url": URL}),
        "{'url': ['Unknown field.']}",
    )
    assert (await partner.get("/webhooks/subscriptions")).json() == {"subscriptions": created}


async def test_subscriptions_belong_to_their_partner(partner: Partner, rival: Partner) -> None:
    mine = await subscribe(partner)
    theirs = await subscribe(rival)
    assert (await rival.get("/webhooks/subscriptions")).json() == {"subscriptions": [theirs]}
    for method in ("GET", "DELETE"):
        assert_error(
            await rival.request(method, f"/webhooks/subscriptions/{mine['id']}"),
            404,
            "not_found",
            "Subscription not found",
        )
    for malformed in ("0" * 31, mine["id"].upper(), "x" * 32):
        assert_error(
            await partner.get(f"/webhooks/subscriptions/{malformed}"), 404, "not_found", "Subscription not found"
        )
    assert (await partner.get(f"/webhooks/subscriptions/{mine['id']}")).status_code == 200


async def test_order_of_checks(client: httpx.AsyncClient, partner: Partner) -> None:
    path = BASE + "/webhooks/subscriptions"
    assert_error(
        await client.post(path, json={"url": URL}),
        401,
        "auth_required",
        "Authorization header with a Bearer token is required",
    )
    assert_error(await client.get(path + "/" + "0" * 32), 401, "auth_required")
    assert_error(
        await partner.post("/webhooks/subscriptions", content=b"[1]"),
        400,
        "body_parse_error",
        "Request body is not a valid JSON object",
    )
    assert_error(await partner.post("/webhooks/subscriptions", content=b""), 400, "body_parse_error")
    assert_error(await partner.request("PUT", "/webhooks/subscriptions"), 405, "method_not_allowed")
    assert_error(await partner.request("PATCH", "/webhooks/subscriptions/" + "0" * 32), 405, "method_not_allowed")
    assert_error(
        await partner.post("/webhooks/subscriptions", content=b"{" + b" " * 1048576 + b"}"),
        413,
        "payload_too_large",
        "Request body exceeds 1048576 bytes",
    )


async def test_public_key_is_public_stable_and_verifies(client: httpx.AsyncClient) -> None:
    first = await client.get(BASE + "/webhooks/public_key")
    assert first.status_code == 200 and first.headers["content-type"] == "application/json"
    document = first.json()
    assert set(document) == {"algorithm", "issuer", "public_key_pem"}
    assert document["algorithm"] == "RS512" and document["issuer"] == "lirium-sandbox"
    assert document["public_key_pem"].startswith("-----BEGIN PUBLIC KEY-----\n")
    assert (await client.get(BASE + "/webhooks/public_key")).json() == document
    runtime = client.runtime  # type: ignore[attr-defined]
    header = (await webhooks.signer(runtime)).sign(b'{"a":1}', now=runtime.clock.now())
    assert signing.verify_webhook(b'{"a":1}', header, document["public_key_pem"])
    assert jwt.get_unverified_header(header)["alg"] == "RS512"


async def test_configured_key_is_the_one_published(make_client) -> None:  # type: ignore[no-untyped-def]
    private, public = rsa_key(2)
    client = await make_client(crypto_webhook_private_key=private)
    document = (await client.get(BASE + "/webhooks/public_key")).json()
    assert document["public_key_pem"] == public
    runtime = client.runtime
    async with runtime.db.transaction(write=False) as conn:  # a configured key is never stored
        assert await conn.fetchval("SELECT COUNT(*) FROM crypto_webhook_keys") == 0


async def test_generated_key_is_stored_once_and_shared(make_client) -> None:  # type: ignore[no-untyped-def]
    """Several processes (apps on one database) needing the key at once agree on one key."""
    clients = [await make_client() for _ in range(4)]
    documents = await asyncio.gather(*(c.get(BASE + "/webhooks/public_key") for c in clients))
    assert len({d.json()["public_key_pem"] for d in documents}) == 1
    later = await make_client()  # a process started afterwards loads the stored key at start-up
    assert webhooks._SIGNER in later.runtime.extras
    assert (await later.get(BASE + "/webhooks/public_key")).json() == documents[0].json()
    async with later.runtime.db.transaction(write=False) as conn:
        assert await conn.fetchval("SELECT COUNT(*) FROM crypto_webhook_keys") == 1


async def test_openapi_lists_the_webhook_endpoints(client: httpx.AsyncClient) -> None:
    paths = (await client.get(BASE + "/openapi.json")).json()["paths"]
    assert set(paths["/v1/webhooks/subscriptions"]) == {"get", "post"}
    assert set(paths["/v1/webhooks/subscriptions/{subscription_id}"]) == {"get", "delete"}
    public = paths["/v1/webhooks/public_key"]["get"]
    assert public["security"] == [] and "401" not in public["responses"]
    assert "404" in paths["/v1/webhooks/subscriptions/{subscription_id}"]["delete"]["responses"]


async def test_a_bad_configured_key_stops_the_start(make_client) -> None:  # type: ignore[no-untyped-def]
    for bad in ("not a pem", rsa_key(3, bits=1024)[0], rsa_key(0)[1]):  # garbage, too short, a public key
        with pytest.raises(ValueError):
            await make_client(crypto_webhook_private_key=bad)
