"""POST /v1/orders (spec 4.4): competitive state, buy-now, every refusal, idempotency and input
validation. Refused requests must write nothing."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import datetime

import httpx
import pytest

from orderdesk.platform import idempotency
from orderdesk.platform.clock import ManualClock
from tests.auto.conftest import AUCTION_DATE, Operator, Partner, assert_error, issue_paths
from tests.conftest import OPS_HEADERS, POSTGRES_URL, ClientFactory

CAR = "glovis-20260512-0418"


async def assert_no_orders(operator: Operator) -> None:
    assert await operator.orders() == []


# --------------------------------------------------------------------------- success


async def test_auction_order_matches_the_contract_example(partner: Partner, auction_car: dict) -> None:
    response = await partner.place(CAR, 18200)
    assert response.status_code == 201
    assert "idempotent-replayed" not in response.headers
    order = response.json()
    assert order == {
        "id": order["id"],
        "vehicle_id": CAR,
        "status": "proceed",
        "max_bid_amount_usd": 18200,
        "is_highest_bid": True,
        "current_max_bid_usd": 18200,
        "amounts": {"purchase_price_usd": None, "auction_fee_usd": None},
        "auction_date": "2026-05-12T13:30:00+09:00",
        "order_cutoff_at": "2026-05-11T00:00:00+09:00",
        "failure_reason": None,
        "cancellation_reason": None,
        "fulfillment_detail": None,
        "shipment": None,
        "created_at": "2026-05-06T09:14:27+09:00",
        "updated_at": "2026-05-06T09:14:27+09:00",
    }
    assert len(order["id"]) == 26 and order["id"].isupper()


async def test_competing_partners_see_the_leader(
    partner: Partner, rival: Partner, auction_car: dict, clock: ManualClock
) -> None:
    first = (await partner.place(CAR, 18200)).json()
    clock.advance(seconds=1)
    second = await rival.place(CAR, 17900)
    assert second.status_code == 201
    assert second.json()["is_highest_bid"] is False and second.json()["current_max_bid_usd"] == 18200
    clock.advance(seconds=1)
    third = await (await Operator(partner.client).partner("Third")).place(CAR, 19000)
    assert third.json()["is_highest_bid"] is True and third.json()["current_max_bid_usd"] == 19000
    now_first = (await partner.get(f"/v1/orders/{first['id']}")).json()
    assert now_first["is_highest_bid"] is False and now_first["current_max_bid_usd"] == 19000
    assert now_first["updated_at"] == first["updated_at"]  # competitive changes do not touch updated_at


async def test_equal_ceiling_does_not_take_the_lead(
    partner: Partner, rival: Partner, auction_car: dict, clock: ManualClock
) -> None:
    first = (await partner.place(CAR, 18200)).json()
    clock.advance(seconds=1)
    tie = (await rival.place(CAR, 18200)).json()
    assert tie["is_highest_bid"] is False and tie["current_max_bid_usd"] == 18200
    assert (await partner.get(f"/v1/orders/{first['id']}")).json()["is_highest_bid"] is True


async def test_ceiling_equal_to_listing_is_accepted(partner: Partner, auction_car: dict) -> None:
    assert (await partner.place(CAR, 17400)).status_code == 201


async def test_buy_now_dealer_order(partner: Partner, dealer_car: dict) -> None:
    for body in ({"vehicle_id": "dealer-88120457"}, None):
        response = await partner.place("dealer-88120457", None, body=body)
        if body is None:  # the second one is a duplicate of the first
            assert_error(response, 409, "duplicate_order")
            continue
        assert response.status_code == 201
        order = response.json()
        assert order["status"] == "proceed"
        for field in ("max_bid_amount_usd", "is_highest_bid", "current_max_bid_usd", "order_cutoff_at", "auction_date"):
            assert order[field] is None, field


async def test_buy_now_no_bid_order_keeps_the_past_auction_date(partner: Partner, no_bid_car: dict) -> None:
    order = (await partner.place("sk-20260428-0077", None)).json()
    assert order["auction_date"] == "2026-04-28T10:00:00+09:00"
    assert order["order_cutoff_at"] is None and order["max_bid_amount_usd"] is None


# --------------------------------------------------------------------------- endpoint refusals


@pytest.mark.parametrize(
    "body",
    [
        {"vehicle_id": CAR},
        {"vehicle_id": CAR, "max_bid_amount_usd": None},
        {"vehicle_id": CAR, "max_bid_amount_usd": 17399},
        {"vehicle_id": CAR, "max_bid_amount_usd": 0},
        {"vehicle_id": CAR, "max_bid_amount_usd": -5},
    ],
)
async def test_missing_max_bid(partner: Partner, operator: Operator, auction_car: dict, body: dict) -> None:
    response = await partner.place(CAR, body=body)
    assert_error(
        response,
        400,
        "missing_max_bid",
        {"listing_usd": 17400},
        "max_bid_amount_usd is required for auction vehicles and must be at least the listing price",
    )
    await assert_no_orders(operator)


async def test_ceiling_on_a_buy_now_vehicle(partner: Partner, operator: Operator, dealer_car: dict) -> None:
    response = await partner.place("dealer-88120457", 21900)
    assert issue_paths(response) == [("body", "max_bid_amount_usd")]
    await assert_no_orders(operator)


@pytest.mark.parametrize("vehicle_id", ["no-such-car", "GLOVIS-20260512-0418", "x" * 300, "../etc"])
async def test_vehicle_not_found(partner: Partner, auction_car: dict, vehicle_id: str) -> None:
    assert_error(await partner.place(vehicle_id, 18200), 404, "vehicle_not_found", {}, "Vehicle not found")


async def test_withdrawn_and_sold_vehicles_are_unavailable(
    partner: Partner, operator: Operator, auction_car: dict
) -> None:
    await operator.vehicle("kcar-sold-1", auction_result="sold", source="kcar")
    response = await partner.place("kcar-sold-1", 18200)
    assert_error(response, 410, "vehicle_unavailable", {"reason": "sold"}, "Vehicle is no longer available")
    assert (await operator.request("DELETE", f"/vehicles/{CAR}")).status_code == 200
    assert_error(await partner.place(CAR, 18200), 410, "vehicle_unavailable", {"reason": "withdrawn"})
    await assert_no_orders(operator)


async def test_past_order_cutoff(partner: Partner, operator: Operator, auction_car: dict, clock: ManualClock) -> None:
    clock.set(datetime.fromisoformat("2026-05-11T08:02:44.5+09:00"))
    response = await partner.place(CAR, 18200)
    assert_error(
        response,
        409,
        "past_order_cutoff",
        {"cutoff_at": "2026-05-11T00:00:00+09:00", "now": "2026-05-11T08:02:44+09:00"},
        "The order cutoff for this vehicle has passed",
    )
    clock.set(datetime.fromisoformat("2026-05-11T00:00:00+09:00"))  # equality is refused
    assert_error(await partner.place(CAR, 18200), 409, "past_order_cutoff")
    await assert_no_orders(operator)
    clock.set(datetime.fromisoformat("2026-05-10T23:59:59.999999+09:00"))
    assert (await partner.place(CAR, 18200)).status_code == 201


async def test_cutoff_hours_before_rule(make_client: ClientFactory, clock: ManualClock) -> None:
    client = await make_client(order_cutoff_rule="hours_before:2")
    operator = Operator(client)
    partner = await operator.partner()
    await operator.vehicle(CAR)
    clock.set(datetime.fromisoformat("2026-05-12T11:29:59+09:00"))
    order = (await partner.place(CAR, 18200)).json()
    assert order["order_cutoff_at"] == "2026-05-12T11:30:00+09:00"
    clock.set(datetime.fromisoformat("2026-05-12T11:30:00+09:00"))
    rival = await operator.partner("Rival")
    assert_error(
        await rival.place(CAR, 18200),
        409,
        "past_order_cutoff",
        {"cutoff_at": "2026-05-12T11:30:00+09:00", "now": "2026-05-12T11:30:00+09:00"},
    )


async def test_duplicate_order(partner: Partner, auction_car: dict) -> None:
    first = (await partner.place(CAR, 18200)).json()
    response = await partner.place(CAR, 19000)
    assert_error(
        response,
        409,
        "duplicate_order",
        {"existing_order_id": first["id"]},
        "An active order for this vehicle already exists",
    )
    assert (await partner.cancel(first["id"])).status_code == 200
    again = await partner.place(CAR, 19000)
    assert again.status_code == 201 and again.json()["id"] != first["id"]


async def test_buy_now_car_taken_until_freed(partner: Partner, rival: Partner, dealer_car: dict) -> None:
    mine = (await partner.place("dealer-88120457")).json()
    assert_error(await rival.place("dealer-88120457"), 410, "vehicle_unavailable", {"reason": "taken"})
    assert (await partner.cancel(mine["id"])).status_code == 200
    assert (await rival.place("dealer-88120457")).status_code == 201


async def test_order_of_endpoint_checks(
    partner: Partner, operator: Operator, auction_car: dict, clock: ManualClock
) -> None:
    # withdrawn before ceiling, ceiling before cutoff, cutoff before duplicate
    existing = (await partner.place(CAR, 18200)).json()
    clock.set(datetime.fromisoformat("2026-05-11T01:00:00+09:00"))
    assert_error(await partner.place(CAR, 100), 400, "missing_max_bid")
    assert_error(await partner.place(CAR, 18300), 409, "past_order_cutoff")
    clock.set(datetime.fromisoformat("2026-05-07T01:00:00+09:00"))
    assert_error(await partner.place(CAR, 18300), 409, "duplicate_order", {"existing_order_id": existing["id"]})
    await operator.request("DELETE", f"/vehicles/{CAR}")
    assert_error(await partner.place(CAR, 100), 410, "vehicle_unavailable", {"reason": "withdrawn"})


# --------------------------------------------------------------------------- idempotency (spec 2.12)


async def test_replay_answers_the_stored_bytes(partner: Partner, rival: Partner, auction_car: dict) -> None:
    key = str(uuid.uuid4())
    first = await partner.place(CAR, 18200, key=key)
    await rival.place(CAR, 19000)  # the state moves on; the replay shows it as it was
    replay = await partner.place(CAR, 25000, key=key.upper())  # another ceiling still replays
    assert replay.status_code == 200
    assert replay.headers["idempotent-replayed"] == "true"
    assert replay.content == first.content
    assert replay.json()["is_highest_bid"] is True
    assert len((await partner.get("/v1/orders")).json()["data"]) == 1


async def test_key_reused_for_another_vehicle(partner: Partner, auction_car: dict, dealer_car: dict) -> None:
    key = str(uuid.uuid4())
    assert (await partner.place(CAR, 18200, key=key)).status_code == 201
    response = await partner.place("dealer-88120457", None, key=key)
    assert_error(
        response,
        422,
        "idempotency_key_reused",
        {"original_vehicle_id": CAR},
        "Idempotency-Key was already used for a different request",
    )


async def test_key_reused_across_endpoints(partner: Partner, auction_car: dict, dealer_car: dict) -> None:
    order = (await partner.place(CAR, 18200)).json()
    key = str(uuid.uuid4())
    assert (await partner.cancel(order["id"], key=key)).status_code == 200
    response = await partner.place(CAR, 18200, key=key)
    assert_error(
        response,
        422,
        "idempotency_key_reused",
        {"original_method": "DELETE", "original_path": f"/v1/orders/{order['id']}"},
    )
    post_key = str(uuid.uuid4())
    assert (await partner.place("dealer-88120457", key=post_key)).status_code == 201
    response = await partner.cancel(order["id"], key=post_key)
    assert_error(response, 422, "idempotency_key_reused", {"original_method": "POST", "original_path": "/v1/orders"})


async def test_keys_are_per_partner(partner: Partner, rival: Partner, auction_car: dict) -> None:
    key = str(uuid.uuid4())
    mine = await partner.place(CAR, 18200, key=key)
    theirs = await rival.place(CAR, 18000, key=key)
    assert mine.status_code == theirs.status_code == 201
    assert mine.json()["id"] != theirs.json()["id"]


async def test_failed_request_leaves_the_key_free(partner: Partner, operator: Operator, auction_car: dict) -> None:
    key = str(uuid.uuid4())
    assert_error(await partner.place(CAR, 100, key=key), 400, "missing_max_bid")
    assert_error(await partner.place("nope", 18200, key=key), 404, "vehicle_not_found")
    fixed = await partner.place(CAR, 18200, key=key)
    assert fixed.status_code == 201


async def test_key_in_flight(partner: Partner, auction_car: dict, engine: str) -> None:
    if engine != "postgres":
        pytest.skip("SQLite runs one writer: a second request waits for the first and then replays it")
    import asyncpg

    key = str(uuid.uuid4())
    holder = await asyncpg.connect(POSTGRES_URL)
    try:
        async with holder.transaction():
            await holder.execute("SELECT pg_advisory_xact_lock($1)", idempotency.lock_id("auto:" + partner.id, key))
            response = await partner.place(CAR, 18200, key=key)
    finally:
        await holder.close()
    assert_error(
        response,
        409,
        "idempotency_key_in_use",
        {},
        "A request with this Idempotency-Key is still in progress; retry shortly",
    )
    assert response.headers["retry-after"] == "1"
    assert (await partner.place(CAR, 18200, key=key)).status_code == 201


def _blind_claims(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make the key lock see no record, as a request racing the first one's commit would."""

    async def blind_claim(conn: object, scope: str, key: str) -> None:
        return None

    monkeypatch.setattr(idempotency, "claim", blind_claim)


async def test_unique_index_backstop_answers_a_replay(
    partner: Partner, auction_car: dict, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = str(uuid.uuid4())
    first = await partner.place(CAR, 18200, key=key)
    assert (await partner.cancel(first.json()["id"])).status_code == 200  # so the racer's own run succeeds
    _blind_claims(monkeypatch)
    replay = await partner.place(CAR, 18200, key=key)
    assert replay.status_code == 200 and replay.content == first.content
    assert replay.headers["idempotent-replayed"] == "true"
    orders = (await partner.get("/v1/orders")).json()["data"]
    assert [order["status"] for order in orders] == ["cancelled"]  # the racer's order was rolled back


async def test_refusal_explained_by_a_committed_record_answers_a_replay(
    partner: Partner, auction_car: dict, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = str(uuid.uuid4())
    first = await partner.place(CAR, 18200, key=key)
    _blind_claims(monkeypatch)
    replay = await partner.place(CAR, 18200, key=key)  # its run meets the first order: duplicate_order
    assert replay.status_code == 200 and replay.content == first.content
    assert_error(await partner.place(CAR, 18200), 409, "duplicate_order")  # a fresh key still gets the refusal


# --------------------------------------------------------------------------- input (spec 2.3, 2.6, 2.7)


@pytest.mark.parametrize(
    "key",
    [
        "not-a-uuid",
        "93470a1bd7834b58b2a39732e9b78361",
        "{93470a1b-d783-4b58-b2a3-9732e9b78361}",
        "93470a1b-d783-4b58-b2a3-9732e9b7836g",
    ],
)
async def test_malformed_idempotency_key(partner: Partner, operator: Operator, auction_car: dict, key: str) -> None:
    response = await partner.place(CAR, 18200, key=key)
    assert issue_paths(response) == [("header", "Idempotency-Key")]
    await assert_no_orders(operator)


async def test_missing_idempotency_key(
    client: httpx.AsyncClient, partner: Partner, operator: Operator, auction_car: dict
) -> None:
    for headers in (partner.headers, {**partner.headers, "Idempotency-Key": ""}):
        response = await client.post(
            "/auto/v1/orders", json={"vehicle_id": CAR, "max_bid_amount_usd": 18200}, headers=headers
        )
        assert_error(response, 400, "missing_idempotency_key", {}, "Idempotency-Key header is required")
    await assert_no_orders(operator)


def _post(
    partner: Partner, content: bytes | str, content_type: str | None = "application/json", key: str | None = None
) -> object:
    headers = {**partner.headers, "Idempotency-Key": key or str(uuid.uuid4())}
    if content_type is not None:
        headers["Content-Type"] = content_type
    return partner.client.post("/auto/v1/orders", content=content, headers=headers)


@pytest.mark.parametrize(
    ("content", "content_type", "expected"),
    [
        (b'{"vehicle_id": "glovis-20260512-0418", "max_bid_amount_usd": 18200}', None, [("header", "Content-Type")]),
        (
            b'{"vehicle_id": "glovis-20260512-0418", "max_bid_amount_usd": 18200}',
            "text/plain",
            [("header", "Content-Type")],
        ),
        (
            b'{"vehicle_id": "glovis-20260512-0418", "max_bid_amount_usd": 18200}',
            "application/json; charset=latin-1",
            [("header", "Content-Type")],
        ),
        (b'{"vehicle_id": "glovis-20260512-0418", "max_bid_amount_usd": 18200', "application/json", [("body", "")]),
        (b"", "application/json", [("body", "")]),
        (b'\xff{"vehicle_id": "x"}', "application/json", [("body", "")]),
        (b'[{"vehicle_id": "glovis-20260512-0418"}]', "application/json", [("body", "")]),
        (b'"glovis-20260512-0418"', "application/json", [("body", "")]),
        (b"null", "application/json", [("body", "")]),
        (
            b'{"vehicle_id": "glovis-20260512-0418", "max_bid_amount_usd": 18200, "currency": "USD"}',
            "application/json",
            [("body", "currency")],
        ),
        (
            b'{"vehicle_id": "glovis-20260512-0418", "max_bid_amount_usd": 15500.0}',
            "application/json",
            [("body", "max_bid_amount_usd")],
        ),
        (
            b'{"vehicle_id": "glovis-20260512-0418", "max_bid_amount_usd": 1.82e4}',
            "application/json",
            [("body", "max_bid_amount_usd")],
        ),
        (
            b'{"vehicle_id": "glovis-20260512-0418", "max_bid_amount_usd": 1e4}',
            "application/json",
            [("body", "max_bid_amount_usd")],
        ),
        (
            b'{"vehicle_id": "glovis-20260512-0418", "max_bid_amount_usd": "18200"}',
            "application/json",
            [("body", "max_bid_amount_usd")],
        ),
        (
            b'{"vehicle_id": "glovis-20260512-0418", "max_bid_amount_usd": true}',
            "application/json",
            [("body", "max_bid_amount_usd")],
        ),
        (
            b'{"vehicle_id": "glovis-20260512-0418", "max_bid_amount_usd": 1000000001}',
            "application/json",
            [("body", "max_bid_amount_usd")],
        ),
        (
            b'{"vehicle_id": "glovis-20260512-0418", "max_bid_amount_usd": 99999999999999999999999}',
            "application/json",
            [("body", "max_bid_amount_usd")],
        ),
        (b'{"max_bid_amount_usd": 18200}', "application/json", [("body", "vehicle_id")]),
        (b'{"vehicle_id": "", "max_bid_amount_usd": 18200}', "application/json", [("body", "vehicle_id")]),
        (b'{"vehicle_id": 418, "max_bid_amount_usd": 18200}', "application/json", [("body", "vehicle_id")]),
        (
            b'{"vehicle_id": null, "max_bid_amount_usd": "x", "extra": 1}',
            "application/json",
            [("body", "extra"), ("body", "vehicle_id"), ("body", "max_bid_amount_usd")],
        ),
    ],
)
async def test_malformed_bodies_write_nothing(
    partner: Partner,
    operator: Operator,
    auction_car: dict,
    content: bytes,
    content_type: str | None,
    expected: list[tuple[str, str]],
) -> None:
    key = str(uuid.uuid4())
    response = await _post(partner, content, content_type, key=key)
    assert issue_paths(response) == expected
    await assert_no_orders(operator)
    fixed = await partner.place(CAR, 18200, key=key)  # nothing was stored under the key
    assert fixed.status_code == 201


async def test_amount_limit_is_inclusive(partner: Partner, auction_car: dict) -> None:
    assert (await partner.place(CAR, 1_000_000_000)).status_code == 201


async def test_json_content_type_parameters_and_duplicate_keys(partner: Partner, auction_car: dict) -> None:
    body = b'{"vehicle_id": "nope", "vehicle_id": "glovis-20260512-0418", "max_bid_amount_usd": 18200}'
    response = await _post(partner, body, "Application/JSON; charset=UTF-8")
    assert response.status_code == 201 and response.json()["vehicle_id"] == CAR


async def test_payload_too_large_by_content_length(partner: Partner, operator: Operator, auction_car: dict) -> None:
    body = b'{"vehicle_id": "glovis-20260512-0418", "max_bid_amount_usd": 18200, "pad": "' + b"x" * 1_048_576 + b'"}'
    response = await _post(partner, body)
    assert_error(response, 413, "payload_too_large", {"max_bytes": 1048576}, "Request body exceeds 1048576 bytes")
    await assert_no_orders(operator)


async def test_payload_too_large_by_bytes_read(partner: Partner, operator: Operator, auction_car: dict) -> None:
    async def chunks() -> AsyncIterator[bytes]:  # no Content-Length: chunked transfer
        yield b'{"vehicle_id": "glovis-20260512-0418", "pad": "'
        for _ in range(20):
            yield b"x" * 65536
        yield b'"}'

    response = await partner.client.post(
        "/auto/v1/orders",
        content=chunks(),
        headers={**partner.headers, "Idempotency-Key": str(uuid.uuid4()), "Content-Type": "application/json"},
    )
    assert "content-length" not in response.request.headers
    assert_error(response, 413, "payload_too_large", {"max_bytes": 1048576})
    await assert_no_orders(operator)


async def test_auction_date_on_the_order_is_the_vehicles(partner: Partner, auction_car: dict) -> None:
    assert (await partner.place(CAR, 18200)).json()["auction_date"] == AUCTION_DATE


async def test_operator_sees_the_creation_in_history(partner: Partner, operator: Operator, auction_car: dict) -> None:
    order = (await partner.place(CAR, 18200)).json()
    detail = await operator.order(order["id"])
    assert detail["partner_id"] == partner.id
    assert detail["history"] == [
        {
            "at": "2026-05-06T09:14:27+09:00",
            "actor": "partner",
            "from_status": None,
            "to_status": "proceed",
            "from_fulfillment_detail": None,
            "to_fulfillment_detail": None,
            "occurred_at": None,
            "notes": None,
        }
    ]
    events = await operator.client.get(f"/ops/v1/auto/orders/{order['id']}", headers=OPS_HEADERS)
    assert events.status_code == 200
