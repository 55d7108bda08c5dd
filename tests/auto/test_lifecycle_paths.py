"""Every lifecycle path of spec 5 end to end, through the partner and operator APIs, with the
webhooks a real receiver gets (signature checked) and the history the operator sees."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

import httpx
import pytest

from orderdesk.platform.clock import ManualClock
from tests.auto.conftest import DEALER_CAR, NO_BID_CAR, Operator, Partner, assert_error
from tests.receiver import Receiver, signature_is_valid

CAR = "glovis-20260512-0418"
AUCTION_AT = datetime.fromisoformat("2026-05-12T13:30:00+09:00")


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    server = await Receiver().start()
    yield server
    await server.close()


@pytest.fixture
async def hooked(operator: Operator, receiver: Receiver) -> Partner:
    return await operator.partner("Harbor Auto Imports", webhook_url=receiver.url)


@pytest.fixture
async def hooked_rival(operator: Operator, receiver: Receiver) -> Partner:
    return await operator.partner("Lagos Motors", webhook_url=receiver.url)


async def deliver(client: httpx.AsyncClient) -> None:
    await client.runtime.dispatcher.drain()  # type: ignore[attr-defined]


def hooks_for(receiver: Receiver, order_id: str, *partners: Partner) -> list[dict[str, Any]]:
    """The envelopes the receiver accepted for one order, checking each signature."""
    secrets = {p.created["webhook_secret"] for p in partners}
    envelopes = []
    for received in receiver.received:
        envelope = received.json
        if envelope["data"]["order"]["id"] != order_id:
            continue
        assert any(
            signature_is_valid(
                secret, received.body, received.headers["x-lmn-signature"], received.headers["x-lmn-timestamp"]
            )
            for secret in secrets
        )
        envelopes.append(envelope)
    return envelopes


def summary(envelopes: list[dict[str, Any]]) -> list[tuple[str, Any, str, Any]]:
    """(type, previous value, status, detail) per envelope."""
    rows = []
    for envelope in envelopes:
        data = envelope["data"]
        previous = next(value for key, value in data.items() if key.startswith("previous_"))
        rows.append((envelope["type"], previous, data["order"]["status"], data["order"]["fulfillment_detail"]))
    return rows


async def history(operator: Operator, order_id: str) -> list[tuple[str, str | None, str, str | None]]:
    return [
        (h["actor"], h["from_status"], h["to_status"], h["to_fulfillment_detail"])
        for h in (await operator.order(order_id))["history"]
    ]


async def test_auction_won_secured_shipped_delivered(
    operator: Operator, hooked: Partner, hooked_rival: Partner, receiver: Receiver, clock: ManualClock
) -> None:
    await operator.vehicle(CAR)
    mine = (await hooked.place(CAR, 18200)).json()
    clock.advance(seconds=1)
    theirs = (await hooked_rival.place(CAR, 17900)).json()
    clock.set(AUCTION_AT.replace(minute=0))  # the operator starts early; the scheduler is not due yet

    assert await operator.start(CAR) == {"winner_order_id": mine["id"], "failed_order_ids": [theirs["id"]]}
    assert await operator.start(CAR) == {"winner_order_id": mine["id"], "failed_order_ids": []}  # harmless again
    lost = await hooked_rival.order(theirs["id"])
    assert (lost["status"], lost["failure_reason"]) == ("failed", "outbid_internally")
    assert (lost["is_highest_bid"], lost["current_max_bid_usd"]) == (False, 18200)

    clock.advance(minutes=90)
    won = await operator.result(CAR, "won", purchase_price_usd=17650, auction_fee_usd=310)
    assert won.status_code == 200, won.text
    secured = won.json()["order"]
    assert won.json()["failed_order_ids"] == []
    assert secured == {**await hooked.order(mine["id"]), "partner_id": hooked.id}
    assert secured["status"] == "secured" and secured["amounts"] == {
        "purchase_price_usd": 17650,
        "auction_fee_usd": 310,
    }
    assert (secured["is_highest_bid"], secured["current_max_bid_usd"]) == (True, 18200)

    clock.advance(days=2)
    shipment = {
        "port_of_loading": "Pyeongtaek",
        "port_of_discharge": "Lagos (Tin Can)",
        "etd": "2026-06-02T18:00:00+09:00",
    }
    shipping = await operator.move(mine["id"], status="shipping", shipment=shipment)
    assert shipping["fulfillment_detail"] == "export_processing"
    assert shipping["shipment"] == {
        "vessel_name": None,
        "voyage_number": None,
        "bill_of_lading_number": None,
        "eta": None,
        **shipment,
    }
    clock.advance(days=1)
    at_port = await operator.move(
        mine["id"],
        fulfillment_detail="awaiting_pickup",
        shipment={"vessel_name": "Morning Cara", "eta": "2026-07-18T06:00:00+01:00"},
    )
    assert at_port["shipment"]["vessel_name"] == "Morning Cara"
    assert at_port["shipment"]["eta"] == "2026-07-18T06:00:00+01:00"  # kept in the offset supplied
    assert at_port["shipment"]["port_of_loading"] == "Pyeongtaek"  # merged, not replaced

    for detail in ("in_transit", "customs"):
        clock.advance(days=10)
        pushed = await hooked.push(
            mine["id"], {"fulfillment_detail": detail, "occurred_at": "2026-06-20T08:15:00+01:00"}
        )
        assert pushed.status_code == 200 and pushed.json()["fulfillment_detail"] == detail
    delivered = await hooked.push(
        mine["id"],
        {"status": "delivered", "occurred_at": "2026-07-20T10:00:00+01:00", "notes": "Collected by the dealer"},
    )
    assert delivered.status_code == 200, delivered.text
    assert (delivered.json()["status"], delivered.json()["fulfillment_detail"]) == ("delivered", None)

    await deliver(operator.client)
    assert summary(hooks_for(receiver, mine["id"], hooked)) == [
        ("order.status_changed", "proceed", "acquiring", None),
        ("order.status_changed", "acquiring", "secured", None),
        ("order.status_changed", "secured", "shipping", "export_processing"),
        ("order.fulfillment_updated", "export_processing", "shipping", "awaiting_pickup"),
    ]  # the partner's own pushes produce none
    assert hooks_for(receiver, mine["id"], hooked)[1]["data"]["order"] == {
        k: v for k, v in secured.items() if k != "partner_id"
    }
    assert summary(hooks_for(receiver, theirs["id"], hooked_rival)) == [
        ("order.status_changed", "proceed", "failed", None)
    ]
    assert await history(operator, mine["id"]) == [
        ("partner", None, "proceed", None),
        ("operator", "proceed", "acquiring", None),
        ("operator", "acquiring", "secured", None),
        ("operator", "secured", "shipping", "export_processing"),
        ("operator", "shipping", "shipping", "awaiting_pickup"),
        ("partner", "shipping", "shipping", "in_transit"),
        ("partner", "shipping", "shipping", "customs"),
        ("partner", "shipping", "delivered", None),
    ]
    last = (await operator.order(mine["id"]))["history"][-1]
    assert (last["occurred_at"], last["notes"]) == ("2026-07-20T10:00:00+01:00", "Collected by the dealer")
    events = await hooked.events(mine["id"])
    assert [e["delivery_status"] for e in events] == ["delivered"] * 4
    assert all(e["attempts"] == 1 and e["last_response_code"] == 200 for e in events)


async def test_auction_lost(operator: Operator, hooked: Partner, receiver: Receiver, clock: ManualClock) -> None:
    await operator.vehicle(CAR)
    order = (await hooked.place(CAR, 18200)).json()
    await operator.start(CAR)
    clock.advance(minutes=5)
    late = await operator.partner("Late", webhook_url=receiver.url)
    late_order = (await late.place(CAR, 19000)).json()  # ordering stays open after an early start
    response = await operator.result(CAR, "lost")
    assert response.status_code == 200
    assert response.json()["failed_order_ids"] == [late_order["id"]]
    assert (response.json()["order"]["status"], response.json()["order"]["failure_reason"]) == ("failed", "outbid")
    assert (await late.order(late_order["id"]))["failure_reason"] == "outbid"
    await deliver(operator.client)
    assert summary(hooks_for(receiver, order["id"], hooked)) == [
        ("order.status_changed", "proceed", "acquiring", None),
        ("order.status_changed", "acquiring", "failed", None),
    ]
    assert_error(await operator.result(CAR, "lost"), 409, "invalid_status_transition", {"vehicle_id": CAR})


async def test_auction_cancelled(operator: Operator, hooked: Partner, rival: Partner, receiver: Receiver) -> None:
    await operator.vehicle(CAR)
    order = (await hooked.place(CAR, 18200)).json()
    other = (await rival.place(CAR, 18000)).json()
    assert (await operator.start(CAR))["winner_order_id"] == order["id"]
    newcomer = (await (await operator.partner("New")).place(CAR, 17500)).json()
    response = (await operator.result(CAR, "cancelled")).json()
    assert response["order"]["failure_reason"] == "auction_cancelled"
    assert response["failed_order_ids"] == [newcomer["id"]]
    assert (await rival.order(other["id"]))["failure_reason"] == "outbid_internally"  # failed at the start
    # only proceed orders left: cancelled still applies, with no acquiring order to report
    await operator.vehicle("glovis-2", auction_date="2026-05-20T13:30:00+09:00")
    waiting = (await hooked.place("glovis-2", 18000)).json()
    alone = (await operator.result("glovis-2", "cancelled")).json()
    assert alone == {"order": None, "failed_order_ids": [waiting["id"]]}
    assert (await hooked.order(waiting["id"]))["failure_reason"] == "auction_cancelled"
    assert_error(
        await operator.result("glovis-2", "cancelled"), 409, "invalid_status_transition", {"vehicle_id": "glovis-2"}
    )
    await deliver(operator.client)
    assert summary(hooks_for(receiver, waiting["id"], hooked)) == [("order.status_changed", "proceed", "failed", None)]


@pytest.mark.parametrize("car", [DEALER_CAR, NO_BID_CAR])
async def test_buy_now_purchase(operator: Operator, hooked: Partner, receiver: Receiver, car: dict) -> None:
    await operator.vehicle("buy-1", car)
    order = (await hooked.place("buy-1")).json()
    assert await operator.start("buy-1") == {"winner_order_id": None, "failed_order_ids": []}  # auctions only
    acquiring = await operator.move(order["id"], status="acquiring")
    assert acquiring["status"] == "acquiring" and acquiring["is_highest_bid"] is None
    secured = await operator.move(order["id"], status="secured")
    assert secured["amounts"] == {"purchase_price_usd": car["pricing"]["listing_usd"], "auction_fee_usd": 0}
    shipping = await operator.move(order["id"], status="shipping", fulfillment_detail="awaiting_pickup")
    assert shipping["fulfillment_detail"] == "awaiting_pickup"
    done = await hooked.push(order["id"], {"status": "delivered", "occurred_at": "2026-06-01T09:00:00-05:00"})
    assert done.json()["status"] == "delivered"
    await deliver(operator.client)
    assert [e[2] for e in summary(hooks_for(receiver, order["id"], hooked))] == ["acquiring", "secured", "shipping"]


async def test_buy_now_purchase_with_price(operator: Operator, hooked: Partner) -> None:
    await operator.vehicle("buy-1", DEALER_CAR)
    order = (await hooked.place("buy-1")).json()
    await operator.move(order["id"], status="acquiring")
    secured = await operator.move(order["id"], status="secured", purchase_price_usd=25000, auction_fee_usd=120)
    assert secured["amounts"] == {"purchase_price_usd": 25000, "auction_fee_usd": 120}  # no ceiling on buy-now


async def test_auto_start_at_auction_date(
    operator: Operator, hooked: Partner, hooked_rival: Partner, receiver: Receiver, clock: ManualClock
) -> None:
    await operator.vehicle(CAR)
    low = (await hooked.place(CAR, 18000)).json()
    high = (await hooked_rival.place(CAR, 18500)).json()
    clock.set(AUCTION_AT.replace(second=0, minute=29))
    await deliver(operator.client)
    assert (await hooked.order(low["id"]))["status"] == "proceed"  # not due yet
    clock.set(AUCTION_AT)
    await deliver(operator.client)
    assert (await hooked_rival.order(high["id"]))["status"] == "acquiring"
    lost = await hooked.order(low["id"])
    assert (lost["status"], lost["failure_reason"]) == ("failed", "outbid_internally")
    history = (await operator.order(high["id"]))["history"]
    assert history[-1]["actor"] == "scheduler"
    await deliver(operator.client)
    assert summary(hooks_for(receiver, high["id"], hooked_rival)) == [
        ("order.status_changed", "proceed", "acquiring", None)
    ]
    # a day later the acquiring order is not swept: only proceed orders pass
    clock.advance(days=2)
    await deliver(operator.client)
    assert (await hooked_rival.order(high["id"]))["status"] == "acquiring"


async def test_auction_passed(make_client: Any, clock: ManualClock) -> None:
    client = await make_client(auto_auctions=False, auction_passed_after="2h")
    operator = Operator(client)
    partner = await operator.partner()
    await operator.vehicle(CAR)
    await operator.vehicle("buy-1", NO_BID_CAR)
    order = (await partner.place(CAR, 18200)).json()
    buy_now = (await partner.place("buy-1")).json()
    clock.set(AUCTION_AT)
    await client.runtime.dispatcher.drain()  # type: ignore[attr-defined]
    assert (await partner.order(order["id"]))["status"] == "proceed"  # auto start is off
    clock.set(AUCTION_AT.replace(hour=15, minute=29, second=59))
    await client.runtime.dispatcher.drain()  # type: ignore[attr-defined]
    assert (await partner.order(order["id"]))["status"] == "proceed"
    clock.advance(seconds=1)
    await client.runtime.dispatcher.drain()  # type: ignore[attr-defined]
    passed = await partner.order(order["id"])
    assert (passed["status"], passed["failure_reason"]) == ("failed", "auction_passed")
    assert (passed["is_highest_bid"], passed["current_max_bid_usd"]) == (True, 18200)
    assert (await operator.order(order["id"]))["history"][-1]["actor"] == "scheduler"
    assert [e["type"] for e in await partner.events(order["id"])] == ["order.status_changed"]
    assert (await partner.order(buy_now["id"]))["status"] == "proceed"  # buy-now orders are never swept


async def test_a_missed_auction_passes_rather_than_starting_late(make_client: Any, clock: ManualClock) -> None:
    client = await make_client()
    operator = Operator(client)
    partner = await operator.partner()
    await operator.vehicle(CAR)
    order = (await partner.place(CAR, 18200)).json()
    clock.set(AUCTION_AT.replace(day=13, minute=31))  # no dispatcher ran for a day and a minute
    await client.runtime.dispatcher.drain()  # type: ignore[attr-defined]
    assert (await partner.order(order["id"]))["failure_reason"] == "auction_passed"


async def test_reschedule_later_keeps_orders(
    operator: Operator, hooked: Partner, receiver: Receiver, clock: ManualClock
) -> None:
    await operator.vehicle(CAR)
    order = (await hooked.place(CAR, 18200)).json()
    await operator.vehicle(CAR, auction_date="2026-05-20T13:30:00+09:00")
    clock.set(AUCTION_AT)
    await deliver(operator.client)
    moved = await hooked.order(order["id"])
    assert moved["status"] == "proceed"  # the old date no longer starts anything
    assert summary(hooks_for(receiver, order["id"], hooked)) == [
        ("order.auction_rescheduled", "2026-05-12T13:30:00+09:00", "proceed", None)
    ]
    clock.set(datetime.fromisoformat("2026-05-20T13:30:00+09:00"))
    await deliver(operator.client)
    assert (await hooked.order(order["id"]))["status"] == "acquiring"


async def test_reschedule_too_soon_cancels(
    operator: Operator, hooked: Partner, receiver: Receiver, clock: ManualClock
) -> None:
    await operator.vehicle(CAR)
    order = (await hooked.place(CAR, 18200)).json()
    await operator.vehicle(CAR, auction_date="2026-05-06T18:00:00+09:00")
    await deliver(operator.client)
    cancelled = await hooked.order(order["id"])
    assert cancelled["cancellation_reason"] == "auction_rescheduled_too_soon"
    assert summary(hooks_for(receiver, order["id"], hooked)) == [
        ("order.auction_rescheduled", "2026-05-12T13:30:00+09:00", "proceed", None),
        ("order.status_changed", "proceed", "cancelled", None),
    ]


async def test_withdrawal(operator: Operator, hooked: Partner, hooked_rival: Partner, receiver: Receiver) -> None:
    await operator.vehicle(CAR)
    first = (await hooked.place(CAR, 18200)).json()
    second = (await hooked_rival.place(CAR, 18000)).json()
    await operator.start(CAR)
    response = await operator.request("DELETE", f"/vehicles/{CAR}")
    assert response.json() == {"vehicle_id": CAR, "failed_order_ids": [first["id"]]}  # second failed at start
    failed = await hooked.order(first["id"])
    assert (failed["status"], failed["failure_reason"]) == ("failed", "vehicle_unavailable")
    await deliver(operator.client)
    assert summary(hooks_for(receiver, first["id"], hooked)) == [
        ("order.status_changed", "proceed", "acquiring", None),
        ("order.status_changed", "acquiring", "failed", None),
    ]
    assert len(hooks_for(receiver, second["id"], hooked_rival)) == 1
