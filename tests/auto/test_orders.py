"""Reading and cancelling orders (spec 4.5–4.7), pagination and cursors (2.8), foreign ids."""

from __future__ import annotations

import base64
import uuid
from datetime import datetime

import orjson
import pytest

from orderdesk.platform import cursors
from orderdesk.platform.clock import ManualClock
from tests.auto.conftest import DEALER_CAR, Operator, Partner, assert_error, issue_paths, stored_events

CAR = "glovis-20260512-0418"


async def _cars(operator: Operator, count: int, clock: ManualClock | None = None) -> list[str]:
    ids = []
    for i in range(count):
        vehicle_id = f"glovis-2026051{2 + i % 3}-{i:04d}"
        await operator.vehicle(vehicle_id, auction_date=f"2026-05-1{2 + i % 3}T13:30:00+09:00")
        ids.append(vehicle_id)
    return ids


async def _orders(partner: Partner, vehicle_ids: list[str], clock: ManualClock) -> list[dict]:
    placed = []
    for vehicle_id in vehicle_ids:
        clock.advance(seconds=1)
        response = await partner.place(vehicle_id, 18000)
        assert response.status_code == 201, response.text
        placed.append(response.json())
    return placed


# --------------------------------------------------------------------------- detail


async def test_detail_and_foreign_ids(partner: Partner, rival: Partner, auction_car: dict) -> None:
    order = (await partner.place(CAR, 18200)).json()
    assert (await partner.get(f"/v1/orders/{order['id']}")).json() == order
    for caller, order_id in (
        (rival, order["id"]),
        (partner, "01KQXA5KNRPQNMCMYXC47R2PCT"),
        (partner, "not-an-id"),
        (partner, order["id"].lower()),
    ):
        assert_error(await caller.get(f"/v1/orders/{order_id}"), 404, "order_not_found", {}, "Order not found")
    assert_error(await rival.cancel(order["id"]), 404, "order_not_found")
    listed = (await rival.get("/v1/orders", params={"ids": order["id"]})).json()
    assert listed == {"data": [], "next_cursor": None}
    assert (await partner.get(f"/v1/orders/{order['id']}")).json()["status"] == "proceed"


async def test_trailing_slash_is_not_a_route(partner: Partner) -> None:
    assert_error(await partner.get("/v1/orders/"), 404, "route_not_found")


# --------------------------------------------------------------------------- cancel


async def test_cancel(
    partner: Partner, rival: Partner, auction_car: dict, clock: ManualClock, operator: Operator
) -> None:
    mine = (await partner.place(CAR, 19000)).json()
    clock.advance(seconds=5)
    theirs = (await rival.place(CAR, 18200)).json()
    clock.advance(minutes=10)
    key = str(uuid.uuid4())
    response = await partner.cancel(mine["id"], key=key)
    assert response.status_code == 200
    cancelled = response.json()
    assert cancelled == {
        **mine,
        "status": "cancelled",
        "cancellation_reason": "dealer_cancelled",
        "is_highest_bid": True,
        "current_max_bid_usd": 19000,
        "updated_at": "2026-05-06T09:24:32+09:00",
    }
    # the leader is recomputed; the cancelled order keeps its frozen values
    rival_view = (await rival.get(f"/v1/orders/{theirs['id']}")).json()
    assert rival_view["is_highest_bid"] is True and rival_view["current_max_bid_usd"] == 18200
    assert (await partner.get(f"/v1/orders/{mine['id']}")).json() == cancelled
    replay = await partner.cancel(mine["id"], key=key)
    assert replay.status_code == 200 and replay.content == response.content
    assert replay.headers["idempotent-replayed"] == "true"
    history = (await operator.order(mine["id"]))["history"]
    assert [(h["actor"], h["from_status"], h["to_status"]) for h in history] == [
        ("partner", None, "proceed"),
        ("partner", "proceed", "cancelled"),
    ]
    assert history[1]["at"] == "2026-05-06T09:24:32+09:00"
    assert await stored_events(partner.client, mine["id"]) == []  # partner calls never emit webhooks


async def test_cancel_is_not_bound_by_the_cutoff(partner: Partner, auction_car: dict, clock: ManualClock) -> None:
    order = (await partner.place(CAR, 18200)).json()
    clock.set(datetime.fromisoformat("2026-05-11T12:00:00+09:00"))
    assert (await partner.cancel(order["id"])).json()["status"] == "cancelled"


async def test_cancelling_twice(partner: Partner, auction_car: dict) -> None:
    order = (await partner.place(CAR, 18200)).json()
    assert (await partner.cancel(order["id"])).status_code == 200
    response = await partner.cancel(order["id"])
    assert_error(
        response,
        409,
        "invalid_status_transition",
        {"current_status": "cancelled"},
        "The order's current status does not allow this change",
    )


async def test_cannot_cancel_a_failed_order(partner: Partner, operator: Operator, auction_car: dict) -> None:
    order = (await partner.place(CAR, 18200)).json()
    await operator.request("DELETE", f"/vehicles/{CAR}")
    assert_error(await partner.cancel(order["id"]), 409, "invalid_status_transition", {"current_status": "failed"})


async def test_cancel_needs_an_idempotency_key(partner: Partner, auction_car: dict) -> None:
    order = (await partner.place(CAR, 18200)).json()
    response = await partner.client.delete(f"/auto/v1/orders/{order['id']}", headers=partner.headers)
    assert_error(response, 400, "missing_idempotency_key")
    response = await partner.client.delete(
        f"/auto/v1/orders/{order['id']}", headers={**partner.headers, "Idempotency-Key": "x"}
    )
    assert issue_paths(response) == [("header", "Idempotency-Key")]
    assert (await partner.get(f"/v1/orders/{order['id']}")).json()["status"] == "proceed"


async def test_cancel_key_reused_on_another_order(partner: Partner, operator: Operator, auction_car: dict) -> None:
    await operator.vehicle("dealer-1", DEALER_CAR)
    first = (await partner.place(CAR, 18200)).json()
    second = (await partner.place("dealer-1")).json()
    key = str(uuid.uuid4())
    assert (await partner.cancel(first["id"], key=key)).status_code == 200
    response = await partner.cancel(second["id"], key=key)
    assert_error(
        response,
        422,
        "idempotency_key_reused",
        {"original_method": "DELETE", "original_path": f"/v1/orders/{first['id']}"},
    )
    assert (await partner.get(f"/v1/orders/{second['id']}")).json()["status"] == "proceed"


async def test_cancel_ignores_a_body(partner: Partner, auction_car: dict) -> None:
    order = (await partner.place(CAR, 18200)).json()
    response = await partner.client.request(
        "DELETE",
        f"/auto/v1/orders/{order['id']}",
        content=b"not json",
        headers={**partner.headers, "Idempotency-Key": str(uuid.uuid4())},
    )
    assert response.status_code == 200


# --------------------------------------------------------------------------- list


async def test_list_sorts(partner: Partner, operator: Operator, clock: ManualClock) -> None:
    cars = await _cars(operator, 3)
    await operator.vehicle("dealer-1", DEALER_CAR)
    placed = await _orders(partner, cars, clock)
    clock.advance(seconds=1)
    placed.append((await partner.place("dealer-1")).json())
    clock.advance(seconds=1)
    await partner.cancel(placed[0]["id"])  # updated last

    async def ids(sort: str | None) -> list[str]:
        params = {"sort": sort} if sort else {}
        return [o["id"] for o in (await partner.get("/v1/orders", params=params)).json()["data"]]

    by_creation = [o["id"] for o in placed]
    assert await ids(None) == by_creation[::-1]
    assert await ids("created_desc") == by_creation[::-1]
    assert await ids("created_asc") == by_creation
    # auction dates: cars[0] 12th, cars[1] 13th, cars[2] 14th; the dealer order (no date) last
    assert await ids("auction_date_asc") == by_creation
    assert await ids("updated_desc") == [by_creation[0], by_creation[3], by_creation[2], by_creation[1]]


async def test_list_filters(partner: Partner, operator: Operator, clock: ManualClock) -> None:
    cars = await _cars(operator, 4)
    placed = await _orders(partner, cars, clock)
    await partner.cancel(placed[1]["id"])

    async def ids(**params: str) -> list[str]:
        response = await partner.get("/v1/orders", params={"sort": "created_asc", **params})
        assert response.status_code == 200, response.text
        return [o["id"] for o in response.json()["data"]]

    all_ids = [o["id"] for o in placed]
    assert await ids(status="cancelled") == [all_ids[1]]
    assert await ids(status="proceed") == [all_ids[0], all_ids[2], all_ids[3]]
    assert await ids(status="failed") == []
    csv = f" {all_ids[3]},,{all_ids[0]},{all_ids[0]},garbage,01KQXA5KNRPQNMCMYXC47R2PCT"
    assert await ids(ids=csv) == [all_ids[0], all_ids[3]]
    assert await ids(ids="") == []
    assert await ids(ids=",,") == []
    # [from, to) on created_at: the orders were created at :28, :29, :30, :31 (09:14 KST)
    assert await ids(**{"from": "2026-05-06T09:14:29+09:00", "to": "2026-05-06T09:14:31+09:00"}) == all_ids[1:3]
    assert await ids(**{"from": "2026-05-06T00:14:29+00:00", "to": "2026-05-06T00:14:31+00:00"}) == all_ids[1:3]
    # an unencoded "+" arrives as a space
    response = await partner.client.get(
        "/auto/v1/orders?sort=created_asc&from=2026-05-06T09:14:29+09:00&to=2026-05-06T09:14:31+09:00",
        headers=partner.headers,
    )
    assert [o["id"] for o in response.json()["data"]] == all_ids[1:3]
    assert await ids(status="proceed", ids=f"{all_ids[1]},{all_ids[2]}") == [all_ids[2]]
    # unknown parameters are ignored
    assert await ids(colour="red") == all_ids


@pytest.mark.parametrize(
    ("params", "path"),
    [
        ({"status": "PROCEED"}, "status"),
        ({"status": "proceed,cancelled"}, "status"),
        ({"sort": "price_asc"}, "sort"),
        ({"limit": "0"}, "limit"),
        ({"limit": "201"}, "limit"),
        ({"limit": "ten"}, "limit"),
        ({"limit": "5.0"}, "limit"),
        ({"limit": "-1"}, "limit"),
        ({"from": "2026-05-06T09:14:29+09:00"}, "to"),
        ({"to": "2026-05-06T09:14:29+09:00"}, "from"),
        ({"from": "2026-05-07T00:00:00+09:00", "to": "2026-05-06T00:00:00+09:00"}, "from"),
        ({"from": "2026-05-06T00:00:00Z", "to": "2026-05-07T00:00:00+09:00"}, "from"),
        ({"from": "2026-05-06T00:00:00", "to": "2026-05-07T00:00:00+09:00"}, "from"),
        ({"from": "2026-05-06", "to": "2026-05-07T00:00:00+09:00"}, "from"),
        ({"ids": ",".join(f"01KQXA5KNRPQNMCMYXC47R{i:04d}" for i in range(101))}, "ids"),
    ],
)
async def test_list_query_errors(partner: Partner, params: dict, path: str) -> None:
    response = await partner.get("/v1/orders", params=params)
    assert ("query", path) in issue_paths(response)


async def test_repeated_parameter_is_an_error(partner: Partner) -> None:
    response = await partner.client.get("/auto/v1/orders?status=proceed&status=failed", headers=partner.headers)
    assert issue_paths(response) == [("query", "status")]
    empty = await partner.get("/v1/orders", params={"status": "", "sort": "", "limit": ""})
    assert empty.status_code == 200  # empty values count as absent


async def test_hundred_ids_are_fine(partner: Partner) -> None:
    ids = ",".join(f"01KQXA5KNRPQNMCMYXC47R{i:04d}" for i in range(100))
    assert (await partner.get("/v1/orders", params={"ids": ids})).status_code == 200


@pytest.mark.parametrize("sort", ["created_desc", "created_asc", "auction_date_asc", "updated_desc"])
async def test_pages_walk_every_order_once(partner: Partner, operator: Operator, clock: ManualClock, sort: str) -> None:
    cars = await _cars(operator, 7)
    await operator.vehicle("dealer-1", DEALER_CAR)
    await operator.vehicle("dealer-2", {**DEALER_CAR, "make": "Genesis"})
    placed = await _orders(partner, cars[:4], clock)
    for dealer in ("dealer-1", "dealer-2"):
        placed.append((await partner.place(dealer)).json())  # same created_at as the last: ids break the tie
    placed += await _orders(partner, cars[4:], clock)
    expected = [o["id"] for o in (await partner.get("/v1/orders", params={"sort": sort, "limit": 200})).json()["data"]]
    assert sorted(expected) == sorted(o["id"] for o in placed)
    seen, cursor, pages, late = [], None, 0, None
    while True:
        params = {"sort": sort, "limit": 2 if pages % 2 == 0 else 3}  # limit may change between pages
        if cursor:
            params["cursor"] = cursor
        page = (await partner.get("/v1/orders", params=params)).json()
        seen += [o["id"] for o in page["data"]]
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            break
        if pages == 1:  # a new order does not shift the pages still to read
            clock.advance(seconds=30)
            await operator.vehicle("late-car", auction_date="2026-05-20T13:30:00+09:00")
            late = (await partner.place("late-car", 18000)).json()["id"]
    assert late is not None and pages >= 4
    if sort in ("created_desc", "updated_desc"):  # it sorts first: on a page already read
        assert seen == expected
    elif sort == "created_asc":
        assert seen == [*expected, late]
    else:  # after every dated order, before the undated dealer orders
        dealers = expected[-2:]
        assert seen == [*expected[:-2], late, *dealers]


async def test_next_cursor_only_when_more_rows_exist(partner: Partner, operator: Operator, clock: ManualClock) -> None:
    cars = await _cars(operator, 2)
    await _orders(partner, cars, clock)
    full = (await partner.get("/v1/orders", params={"limit": 2})).json()
    assert len(full["data"]) == 2 and full["next_cursor"] is None
    first = (await partner.get("/v1/orders", params={"limit": 1})).json()
    assert first["next_cursor"] is not None
    last = (await partner.get("/v1/orders", params={"limit": 1, "cursor": first["next_cursor"]})).json()
    assert len(last["data"]) == 1 and last["next_cursor"] is None


def _token(payload: object) -> str:
    return base64.urlsafe_b64encode(orjson.dumps(payload)).rstrip(b"=").decode()


async def test_cursor_format(partner: Partner, operator: Operator, clock: ManualClock) -> None:
    cars = await _cars(operator, 2)
    placed = await _orders(partner, cars, clock)
    page = (
        await partner.get("/v1/orders", params={"status": "proceed", "sort": "auction_date_asc", "limit": 1})
    ).json()
    decoded = orjson.loads(base64.urlsafe_b64decode(page["next_cursor"] + "=" * (-len(page["next_cursor"]) % 4)))
    assert decoded == {
        "v": 1,
        "s": "auction_date_asc",
        "h": cursors.filters_hash({"status": "proceed"}),
        "k": [False, "2026-05-12T04:30:00+00:00", placed[0]["id"]],
    }


async def test_bad_cursors(partner: Partner, operator: Operator, clock: ManualClock) -> None:
    cars = await _cars(operator, 3)
    await _orders(partner, cars, clock)
    good = (await partner.get("/v1/orders", params={"limit": 1})).json()["next_cursor"]
    filtered = (await partner.get("/v1/orders", params={"limit": 1, "status": "proceed"})).json()["next_cursor"]
    digest = cursors.filters_hash({})
    bad = [
        ({"cursor": good, "sort": "created_asc"}, "another sort"),
        ({"cursor": good, "status": "proceed"}, "other filters"),
        ({"cursor": filtered}, "filters dropped"),
        ({"cursor": "garbage!!"}, "garbage"),
        ({"cursor": "A" * 1025}, "too long"),
        (
            {"cursor": _token({"v": 2, "s": "created_desc", "h": digest, "k": ["2026-05-06T00:00:00+00:00", "01A"]})},
            "version",
        ),
        ({"cursor": _token({"v": 1, "s": "created_desc", "h": digest, "k": [5, "01A"]})}, "key type"),
        (
            {"cursor": _token({"v": 1, "s": "created_desc", "h": digest, "k": ["2026-05-06T00:00:00+00:00"]})},
            "key length",
        ),
        ({"cursor": _token({"v": 1, "s": "created_desc", "h": digest})}, "shape"),
    ]
    for params, why in bad:
        response = await partner.get("/v1/orders", params={"limit": 1, **params})
        assert response.status_code == 400, why
        assert_error(response, 400, "invalid_cursor", {}, "Cursor is not valid for this query; restart pagination")
    # the limit may change, and a validation error is reported before the cursor
    assert (await partner.get("/v1/orders", params={"limit": 5, "cursor": good})).status_code == 200
    response = await partner.get("/v1/orders", params={"limit": 500, "cursor": "garbage!!"})
    assert issue_paths(response) == [("query", "limit")]


async def test_list_shows_competitive_state_now(
    partner: Partner, rival: Partner, auction_car: dict, clock: ManualClock
) -> None:
    await partner.place(CAR, 18200)
    clock.advance(seconds=1)
    await rival.place(CAR, 18900)
    listed = (await partner.get("/v1/orders")).json()["data"]
    assert listed[0]["is_highest_bid"] is False and listed[0]["current_max_bid_usd"] == 18900
