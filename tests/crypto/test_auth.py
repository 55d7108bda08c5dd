"""Partner tokens (spec 2.1), the envelope of every failure (3.7), request ids (3.8), the rate
limit (3.9) and the order of the generic checks (3.10)."""

from __future__ import annotations

import base64
import json

import httpx
import jwt
import orjson

from tests.crypto.conftest import BASE, Operator, Partner, assert_error, rsa_key, unix

MISSING = "Authorization header with a Bearer token is required"
INVALID = "Invalid token"
BAD_IAT = "Token iat is missing or outside the accepted window"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


async def _get_partner(client: httpx.AsyncClient, token: str | None, scheme: str = "Bearer") -> httpx.Response:
    headers = {} if token is None else {"Authorization": f"{scheme} {token}"}
    return await client.get(BASE + "/partner", headers=headers)


async def test_a_signed_token_is_accepted(partner: Partner) -> None:
    response = await partner.get("/partner")
    assert response.status_code == 200, response.text
    assert response.json()["id"] == partner.id


async def test_missing_or_non_bearer_header(client: httpx.AsyncClient, partner: Partner) -> None:
    for response in (
        await _get_partner(client, None),
        await _get_partner(client, partner.token(), "Basic"),
        await client.get(BASE + "/partner", headers={"Authorization": "Bearer"}),
    ):
        assert_error(response, 401, "auth_required", MISSING)
        assert response.headers["www-authenticate"] == "Bearer"


async def test_malformed_tokens_and_other_algorithms(client: httpx.AsyncClient, partner: Partner) -> None:
    now = unix(client)
    claims = {"iss": partner.api_key, "iat": now}
    unsigned = _b64(b'{"alg":"none","typ":"JWT"}') + "." + _b64(orjson.dumps(claims)) + "."
    hs512 = jwt.encode(claims, "x" * 64, algorithm="HS512")
    rs256 = jwt.encode(claims, partner.private_pem, algorithm="RS256")
    for token in ("not-a-jwt", "a.b.c", unsigned, hs512, rs256):
        response = await _get_partner(client, token)
        assert_error(response, 401, "auth_required", INVALID)
        assert response.headers["www-authenticate"] == "Bearer"


async def test_signature_of_another_key_or_unknown_issuer(client: httpx.AsyncClient, partner: Partner) -> None:
    other_private, _ = rsa_key(1)
    now = unix(client)
    forged = jwt.encode({"iss": partner.api_key, "iat": now}, other_private, algorithm="RS512")
    assert_error(await _get_partner(client, forged), 401, "auth_required", INVALID)
    unknown = jwt.encode({"iss": "0" * 32, "iat": now}, partner.private_pem, algorithm="RS512")
    assert_error(await _get_partner(client, unknown), 401, "auth_required", INVALID)
    no_iss = jwt.encode({"iat": now}, partner.private_pem, algorithm="RS512")
    assert_error(await _get_partner(client, no_iss), 401, "auth_required", INVALID)


async def test_iat_missing_not_an_integer_or_outside_the_window(client: httpx.AsyncClient, partner: Partner) -> None:
    now = unix(client)
    for iat in (None, float(now), str(now), now - 301, now + 301, True):
        token = jwt.encode(
            {"iss": partner.api_key, **({} if iat is None else {"iat": iat})}, partner.private_pem, algorithm="RS512"
        )
        assert_error(await _get_partner(client, token), 401, "auth_required", BAD_IAT)
    for iat in (now - 300, now + 300):
        assert (await _get_partner(client, partner.token(iat=iat))).status_code == 200


async def test_exp_and_nbf_are_enforced_when_present(client: httpx.AsyncClient, partner: Partner) -> None:
    now = unix(client)
    assert_error(await _get_partner(client, partner.token(exp=now)), 401, "auth_required", INVALID)
    assert_error(await _get_partner(client, partner.token(nbf=now + 10)), 401, "auth_required", INVALID)
    assert (await _get_partner(client, partner.token(exp=now + 10, nbf=now, jti="x", aud="y"))).status_code == 200


async def test_a_deactivated_partner_gets_401(operator: Operator, partner: Partner) -> None:
    response = await operator.request("PATCH", f"/crypto/partners/{partner.id}", json={"active": False})
    assert response.status_code == 200 and response.json()["active"] is False
    assert_error(await partner.get("/partner"), 401, "auth_required", INVALID)
    await operator.request("PATCH", f"/crypto/partners/{partner.id}", json={"active": True})
    assert (await partner.get("/partner")).status_code == 200


async def test_rate_limit_per_api_key(make_client) -> None:  # type: ignore[no-untyped-def]
    client = await make_client(crypto_rate_limit="2/minute")
    first = await Operator(client).partner()
    second = await Operator(client).partner("Other", key_index=1)
    assert (await first.get("/partner")).status_code == 200
    assert (await first.get("/partner")).status_code == 200
    limited = await first.get("/partner")
    assert_error(limited, 429, "rate_limited", "Rate limit exceeded")
    assert int(limited.headers["retry-after"]) >= 1
    assert (await second.get("/partner")).status_code == 200
    # authentication comes first: a bad token is 401 even when the key is over its limit
    assert_error(await first.get("/partner", headers={"Authorization": "Bearer x"}), 401, "auth_required")


async def test_unknown_route_and_method(client: httpx.AsyncClient, partner: Partner) -> None:
    response = await client.get(BASE + "/nowhere")
    assert_error(response, 404, "not_found", "Resource not found")
    response = await client.delete(BASE + "/partner")
    assert_error(response, 405, "method_not_allowed", "Method not allowed")
    assert response.headers["allow"] == "GET"
    assert_error(await partner.get("/partner/balances"), 404, "not_found", "Resource not found")


async def test_request_ids_are_32_hex_and_ignore_the_client(client: httpx.AsyncClient, partner: Partner) -> None:
    response = await partner.get("/partner", headers={"X-Request-Id": "mine"})
    request_id = response.headers["x-request-id"]
    assert len(request_id) == 32 and int(request_id, 16) >= 0 and request_id == request_id.lower()
    failed = await client.get(BASE + "/partner")
    assert error_id(failed) == failed.headers["x-request-id"]


def error_id(response: httpx.Response) -> str:
    return str(response.json()["request_id"])


async def test_body_parse_errors(partner: Partner) -> None:
    for raw in (b"{", b"[1, 2]", b'"text"', b"\xff\xfe{}", b""):
        response = await partner.post("/customers", content=raw, headers={"Content-Type": "application/json"})
        assert_error(response, 400, "body_parse_error", "Request body is not a valid JSON object")


async def test_body_over_the_limit_is_413_before_parsing(partner: Partner) -> None:
    big = b"{" + b" " * 1_048_576 + b"}"
    response = await partner.post("/customers", content=big)
    assert_error(response, 413, "payload_too_large", "Request body exceeds 1048576 bytes")


async def test_json_is_read_whatever_the_content_type(partner: Partner) -> None:
    from tests.crypto.conftest import customer_body

    response = await partner.post(
        "/customers", content=json.dumps(customer_body()).encode(), headers={"Content-Type": "text/plain"}
    )
    assert response.status_code == 201, response.text


async def test_auth_comes_before_body_checks(client: httpx.AsyncClient) -> None:
    response = await client.post(BASE + "/customers", content=b"{")
    assert_error(response, 401, "auth_required", MISSING)


async def test_a_new_public_key_retires_tokens_of_the_old_one(
    client: httpx.AsyncClient, operator: Operator, partner: Partner
) -> None:
    token = partner.token()
    assert (await _get_partner(client, token)).status_code == 200
    new_private, new_public = rsa_key(1)
    response = await operator.request("PATCH", f"/crypto/partners/{partner.id}", json={"public_key_pem": new_public})
    assert response.status_code == 200
    assert_error(await _get_partner(client, token), 401, "auth_required", INVALID)  # the very same token
    fresh = jwt.encode({"iss": partner.api_key, "iat": unix(client)}, new_private, algorithm="RS512")
    assert (await _get_partner(client, fresh)).status_code == 200


async def test_duplicate_keys_last_one_wins_and_null_means_absent(partner: Partner) -> None:
    from tests.crypto.conftest import customer_body

    body = json.dumps(customer_body()).replace(
        '"reference_id": "cust-000042"', '"reference_id": "first", "reference_id": "second"'
    )
    response = await partner.post("/customers", content=body.encode())
    assert response.status_code == 201, response.text
    assert response.json()["reference_id"] == "second"
    optional_null = customer_body(reference_id="third", type=None)
    optional_null["profile"]["middle_name"] = None
    created = await partner.post("/customers", json=optional_null)
    assert created.status_code == 201 and created.json()["type"] == "individual"
    assert created.json()["profile"]["middle_name"] is None


async def test_writes_judge_the_token_first_whatever_they_read(
    client: httpx.AsyncClient, operator: Operator, partner: Partner
) -> None:
    """Create and confirm read the caller's partner in their first statement on PostgreSQL
    (with the customer and the order): a token refused answers 401 before the body, the
    customer and the order are looked at, and changes nothing."""
    from tests.crypto.ordering import buy

    customer = await partner.customer()
    orders = f"{BASE}/customers/{customer['id']}/orders"
    placed = await partner.post(f"/customers/{customer['id']}/orders", json=buy("BTC", "0.0001"))
    assert placed.status_code == 201, placed.text
    confirm = f"{orders}/{placed.json()['id']}/confirm"
    now = unix(client)
    other_private, _ = rsa_key(1)
    forged = jwt.encode({"iss": partner.api_key, "iat": now}, other_private, algorithm="RS512")
    unknown = jwt.encode({"iss": "0" * 32, "iat": now}, partner.private_pem, algorithm="RS512")
    stale = jwt.encode({"iss": partner.api_key, "iat": now - 3600}, partner.private_pem, algorithm="RS512")
    refusals = [(forged, INVALID), (unknown, INVALID), (stale, BAD_IAT)]
    for token, message in refusals:
        headers = {"Authorization": f"Bearer {token}"}
        for path in (orders, confirm, f"{BASE}/customers/{'0' * 32}/orders"):
            for body in (orjson.dumps(buy("BTC", "0.0001")), b"{"):
                response = await client.post(path, content=body, headers=headers)
                assert_error(response, 401, "auth_required", message)
    await operator.request("PATCH", f"/crypto/partners/{partner.id}", json={"active": False})
    for path in (orders, confirm):
        assert_error(await partner.post(path.removeprefix(BASE), json={}), 401, "auth_required", INVALID)
    await operator.request("PATCH", f"/crypto/partners/{partner.id}", json={"active": True})
    # then the body, then the path's resources, left to right
    unknown_customer = f"/customers/{'0' * 32}/orders"
    assert_error(await partner.post(unknown_customer, content=b"{"), 400, "body_parse_error")
    for path in (unknown_customer, "/customers/zz/orders", f"{unknown_customer}/{placed.json()['id']}/confirm"):
        assert_error(await partner.post(path, json=buy("BTC", "0.0001")), 404, "not_found", "Customer not found")
    missing_order = f"/customers/{customer['id']}/orders/{'0' * 32}/confirm"
    assert_error(await partner.post(missing_order, json={}), 404, "not_found", "Order not found")
    listed = (await partner.get(f"/customers/{customer['id']}/orders")).json()
    assert [(order["id"], order["state"]) for order in listed["orders"]] == [(placed.json()["id"], "pending")]


async def test_a_rate_limited_write_changes_nothing(make_client) -> None:  # type: ignore[no-untyped-def]
    from tests.crypto.ordering import buy

    client = await make_client(crypto_rate_limit="2/minute")
    partner = await Operator(client).partner()
    customer = await partner.customer()
    placed = await partner.post(f"/customers/{customer['id']}/orders", json=buy("BTC", "0.0001"))
    assert placed.status_code == 201, placed.text
    orders = f"/customers/{customer['id']}/orders"
    for path in (orders, f"{orders}/{placed.json()['id']}/confirm", f"/customers/{'0' * 32}/orders"):
        for body in (orjson.dumps(buy("BTC", "0.0001")), b"{"):
            assert_error(await partner.post(path, content=body), 429, "rate_limited", "Rate limit exceeded")
    rows = await client.runtime.db.fetch("SELECT id, state FROM crypto_orders")
    assert [(row["id"], row["state"]) for row in rows] == [(placed.json()["id"], "pending")]
