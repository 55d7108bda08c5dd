"""Every transition of spec 5.4 through the operator's transition call (8.6) and the partner's
status push (4.8): legal pairs succeed, every other pair is refused with the contract's status,
code and `details.current_status`; field rules answer 422; the no-op changes nothing."""

from __future__ import annotations

import uuid
from typing import Any

import orjson
import pytest

from orderdesk.platform.clock import ManualClock
from tests.auto.conftest import DEALER_CAR, Operator, Partner, assert_error, issue_paths, stored_events

CAR = "glovis-20260512-0418"
STATUSES = ("proceed", "acquiring", "secured", "shipping", "delivered", "cancelled", "failed")
LEGAL = {
    ("proceed", "acquiring"),
    ("proceed", "failed"),
    ("acquiring", "failed"),
    ("proceed", "cancelled"),
    ("acquiring", "secured"),
    ("secured", "shipping"),
}
BODY_FOR = {
    "proceed": {},
    "acquiring": {},
    "failed": {"failure_reason": "outbid"},
    "cancelled": {"cancellation_reason": "dealer_cancelled"},
    "secured": {"purchase_price_usd": 17650},
    "shipping": {},
    "delivered": {},
}


async def order_in(status: str, operator: Operator, partner: Partner) -> dict[str, Any]:
    """An auction order brought to `status` through the APIs."""
    await operator.vehicle(CAR)
    order = (await partner.place(CAR, 18200)).json()
    path = {
        "proceed": [],
        "acquiring": ["acquiring"],
        "secured": ["acquiring", "secured"],
        "shipping": ["acquiring", "secured", "shipping"],
        "delivered": ["acquiring", "secured", "shipping"],
        "failed": ["failed"],
    }.get(status, [])
    for step in path:
        order = await operator.move(order["id"], status=step, **BODY_FOR[step])
    if status == "cancelled":
        order = (await partner.cancel(order["id"])).json()
    if status == "delivered":
        response = await partner.push(order["id"], {"status": "delivered", "occurred_at": "2026-07-01T10:00:00+00:00"})
        order = response.json()
    assert order["status"] == status
    return order


# Same-status requests (the no-op, detail and shipment updates) are tested further down.
@pytest.mark.parametrize(("source", "target"), [(s, t) for s in STATUSES for t in STATUSES if s != t])
async def test_operator_status_pairs(operator: Operator, partner: Partner, source: str, target: str) -> None:
    order = await order_in(source, operator, partner)
    events_before = len(await stored_events(operator.client, order["id"]))
    response = await operator.transition(order["id"], status=target, **BODY_FOR[target])
    if (source, target) in LEGAL:
        assert response.status_code == 200, response.text
        assert response.json()["status"] == target
        events = await stored_events(operator.client, order["id"])
        assert [e["type"] for e in events[events_before:]] == ["order.status_changed"]
    else:
        assert_error(
            response,
            409,
            "invalid_status_transition",
            {"current_status": source},
            "The order's current status does not allow this change",
        )
        assert (await partner.order(order["id"]))["status"] == source
        assert len(await stored_events(operator.client, order["id"])) == events_before


@pytest.mark.parametrize("source", STATUSES)
@pytest.mark.parametrize(
    "push", [{"fulfillment_detail": "in_transit"}, {"fulfillment_detail": "customs"}, {"status": "delivered"}]
)
async def test_partner_pushes(operator: Operator, partner: Partner, source: str, push: dict[str, str]) -> None:
    order = await order_in(source, operator, partner)
    events_before = len(await stored_events(operator.client, order["id"]))
    response = await partner.push(order["id"], {**push, "occurred_at": "2026-06-20T08:15:00+01:00"})
    if source == "shipping":
        assert response.status_code == 200, response.text
        assert response.json() == await partner.order(order["id"])
    else:
        assert_error(response, 409, "invalid_status_transition", {"current_status": source})
    assert len(await stored_events(operator.client, order["id"])) == events_before  # partners never cause webhooks


@pytest.mark.parametrize("source", STATUSES)
@pytest.mark.parametrize(
    "push",
    [
        {"fulfillment_detail": "export_processing"},
        {"fulfillment_detail": "awaiting_pickup"},
        *({"status": s} for s in STATUSES if s != "delivered"),
    ],
)
async def test_partner_attempts_at_lmn_values_are_403(
    operator: Operator, partner: Partner, source: str, push: dict[str, str]
) -> None:
    order = await order_in(source, operator, partner)
    response = await partner.push(order["id"], {**push, "occurred_at": "2026-06-20T08:15:00+01:00"})
    assert_error(
        response, 403, "invalid_status_transition", {"current_status": source}, "This change is reserved for LMN"
    )


@pytest.mark.parametrize("source", ["proceed", "acquiring", "secured", "delivered", "cancelled", "failed"])
async def test_operator_detail_changes_need_a_shipping_order(operator: Operator, partner: Partner, source: str) -> None:
    order = await order_in(source, operator, partner)
    response = await operator.transition(order["id"], fulfillment_detail="awaiting_pickup")
    assert_error(response, 409, "invalid_status_transition", {"current_status": source})


@pytest.mark.parametrize(
    "body",
    [
        {"status": "delivered"},
        {"fulfillment_detail": "in_transit"},
        {"fulfillment_detail": "customs"},
        {"status": "shipping", "fulfillment_detail": "customs"},
    ],
)
async def test_operator_cannot_set_partner_values(operator: Operator, partner: Partner, body: dict[str, str]) -> None:
    order = await order_in("shipping", operator, partner)
    assert_error(
        await operator.transition(order["id"], **body), 409, "invalid_status_transition", {"current_status": "shipping"}
    )


async def test_lmn_cannot_move_a_detail_the_partner_owns(operator: Operator, partner: Partner) -> None:
    order = await order_in("shipping", operator, partner)
    await partner.push(order["id"], {"fulfillment_detail": "in_transit", "occurred_at": "2026-06-20T08:15:00+01:00"})
    for body in ({"fulfillment_detail": "awaiting_pickup"}, {"shipment": {"vessel_name": "Morning Cara"}}):
        assert_error(
            await operator.transition(order["id"], **body),
            409,
            "invalid_status_transition",
            {"current_status": "shipping"},
        )
    # the partner may move on from any detail, in any order, repeatedly
    for detail in ("customs", "in_transit", "in_transit"):
        response = await partner.push(
            order["id"], {"fulfillment_detail": detail, "occurred_at": "2026-06-21T08:15:00+01:00"}
        )
        assert response.json()["fulfillment_detail"] == detail
    history = (await operator.order(order["id"]))["history"]
    assert [h["to_fulfillment_detail"] for h in history[-4:]] == ["in_transit", "customs", "in_transit", "in_transit"]


async def test_shipment_only_update_is_fulfillment_updated(
    operator: Operator, partner: Partner, clock: ManualClock
) -> None:
    order = await order_in("shipping", operator, partner)
    clock.advance(hours=1)
    updated = await operator.move(order["id"], shipment={"bill_of_lading_number": "PYT-0042"})
    assert updated["updated_at"] == "2026-05-06T10:14:27+09:00"
    assert updated["fulfillment_detail"] == "export_processing"
    cleared = await operator.move(order["id"], shipment={"bill_of_lading_number": None, "vessel_name": "Cara"})
    assert cleared["shipment"]["bill_of_lading_number"] is None and cleared["shipment"]["vessel_name"] == "Cara"
    events = await stored_events(operator.client, order["id"])
    last = orjson.loads(events[-1]["payload"])
    assert last["type"] == "order.fulfillment_updated"
    assert last["data"]["previous_fulfillment_detail"] == "export_processing"
    history = (await operator.order(order["id"]))["history"]
    assert history[-1]["to_status"] == "shipping" and history[-1]["to_fulfillment_detail"] == "export_processing"
    assert len([h for h in history if h["from_status"] == "shipping"]) == 0  # shipment changes are not history


async def test_no_op_changes_nothing(operator: Operator, partner: Partner, clock: ManualClock) -> None:
    order = await order_in("shipping", operator, partner)
    await operator.move(order["id"], shipment={"vessel_name": "Cara"})
    before = await operator.order(order["id"])
    events_before = len(await stored_events(operator.client, order["id"]))
    clock.advance(hours=1)
    for body in (
        {"status": "shipping"},
        {"fulfillment_detail": "export_processing"},
        {"status": "shipping", "shipment": {"vessel_name": "Cara"}},
        {"purchase_price_usd": 17650, "auction_fee_usd": 0},
    ):
        assert await operator.move(order["id"], **body) == {k: v for k, v in before.items() if k != "history"}
    assert await operator.order(order["id"]) == before
    assert len(await stored_events(operator.client, order["id"])) == events_before
    error = assert_error(await operator.transition(order["id"], purchase_price_usd=17650.0), 422, "validation_error")
    assert [i["path"] for i in error["details"]["issues"]] == ["purchase_price_usd"]
    failed = await order_in_other_car(operator, partner, "failed")
    assert (await operator.move(failed["id"], status="failed", failure_reason="outbid"))["status"] == "failed"


async def order_in_other_car(operator: Operator, partner: Partner, status: str) -> dict[str, Any]:
    await operator.vehicle("dealer-1", DEALER_CAR)
    order = (await (await operator.partner("Other")).place("dealer-1")).json()
    if status == "failed":
        order = await operator.move(order["id"], status="failed", failure_reason="outbid")
    return order


@pytest.mark.parametrize(
    ("source", "target", "body", "paths"),
    [
        ("proceed", "failed", {}, ["failure_reason"]),
        ("proceed", "cancelled", {}, ["cancellation_reason"]),
        (
            "proceed",
            "cancelled",
            {"cancellation_reason": "dealer_cancelled", "failure_reason": "outbid"},
            ["failure_reason"],
        ),
        ("proceed", "acquiring", {"purchase_price_usd": 100}, ["purchase_price_usd"]),
        ("acquiring", "secured", {}, ["purchase_price_usd"]),
        ("acquiring", "secured", {"purchase_price_usd": 18201}, ["purchase_price_usd"]),
        ("acquiring", "secured", {"purchase_price_usd": 0}, ["purchase_price_usd"]),
        ("acquiring", "secured", {"purchase_price_usd": 17000.0}, ["purchase_price_usd"]),
        ("acquiring", "secured", {"purchase_price_usd": "17000"}, ["purchase_price_usd"]),
        ("acquiring", "secured", {"purchase_price_usd": 17000, "auction_fee_usd": -1}, ["auction_fee_usd"]),
        (
            "acquiring",
            "secured",
            {"purchase_price_usd": 17000, "fulfillment_detail": "export_processing"},
            ["fulfillment_detail"],
        ),
        ("secured", "shipping", {"purchase_price_usd": 17650}, []),  # equal to the stored value: still not this row's
        ("secured", "shipping", {"failure_reason": "outbid"}, ["failure_reason"]),
    ],
)
async def test_fields_that_do_not_fit_are_422(
    operator: Operator, partner: Partner, source: str, target: str, body: dict[str, Any], paths: list[str]
) -> None:
    order = await order_in(source, operator, partner)
    response = await operator.transition(order["id"], status=target, **body)
    error = assert_error(response, 422, "validation_error", message="Request validation failed")
    assert [issue["path"] for issue in error["details"]["issues"]] == (paths or list(body))
    assert (await partner.order(order["id"]))["status"] == source


async def test_secured_price_message_names_the_ceiling(operator: Operator, partner: Partner) -> None:
    order = await order_in("acquiring", operator, partner)
    error = assert_error(
        await operator.transition(order["id"], status="secured", purchase_price_usd=18201), 422, "validation_error"
    )
    assert error["details"]["issues"] == [
        {"location": "body", "path": "purchase_price_usd", "message": "exceeds max_bid_amount_usd 18200"}
    ]


async def test_same_status_rules(operator: Operator, partner: Partner) -> None:
    order = await order_in("shipping", operator, partner)
    assert_error(await operator.transition(order["id"]), 422, "validation_error")
    error = assert_error(
        await operator.transition(order["id"], fulfillment_detail="awaiting_pickup", failure_reason="outbid"),
        422,
        "validation_error",
    )
    assert [i["path"] for i in error["details"]["issues"]] == ["failure_reason"]


@pytest.mark.parametrize(
    ("body", "paths"),
    [
        ({"status": "done"}, [("body", "status")]),
        ({"fulfillment_detail": "at_sea"}, [("body", "fulfillment_detail")]),
        ({"failure_reason": "lost"}, [("body", "failure_reason")]),
        ({"cancellation_reason": "changed_mind"}, [("body", "cancellation_reason")]),
        ({"shipment": {"ship": "x"}}, [("body", "shipment.ship")]),
        ({"shipment": {"vessel_name": ""}}, [("body", "shipment.vessel_name")]),
        ({"shipment": {"etd": "2026-06-02T18:00:00Z"}}, [("body", "shipment.etd")]),
        ({"shipment": "Pyeongtaek"}, [("body", "shipment")]),
        ({"colour": "red"}, [("body", "colour")]),
    ],
)
async def test_transition_schema_errors_are_400(
    operator: Operator, partner: Partner, body: dict[str, Any], paths: list[tuple[str, str]]
) -> None:
    order = await order_in("shipping", operator, partner)
    assert issue_paths(await operator.transition(order["id"], **body)) == paths


async def test_transition_of_unknown_order(operator: Operator) -> None:
    assert_error(await operator.transition("01KQXA5KNRPQNMCMYXC47R2PCT", status="acquiring"), 404, "order_not_found")


# --------------------------------------------------------------------------- partner status push


@pytest.mark.parametrize(
    ("body", "paths"),
    [
        ({"occurred_at": "2026-06-20T08:15:00+01:00"}, [("body", "")]),
        (
            {"status": "delivered", "fulfillment_detail": "customs", "occurred_at": "2026-06-20T08:15:00+01:00"},
            [("body", "")],
        ),
        ({"status": "arrived", "occurred_at": "2026-06-20T08:15:00+01:00"}, [("body", "status")]),
        ({"fulfillment_detail": "customs"}, [("body", "occurred_at")]),
        ({"fulfillment_detail": "customs", "occurred_at": "2026-06-20T08:15:00"}, [("body", "occurred_at")]),
        (
            {"fulfillment_detail": "customs", "occurred_at": "2026-06-20T08:15:00+01:00", "notes": "n" * 2001},
            [("body", "notes")],
        ),
        (
            {"fulfillment_detail": "customs", "occurred_at": "2026-06-20T08:15:00+01:00", "extra": 1},
            [("body", "extra")],
        ),
    ],
)
async def test_push_schema_errors(
    operator: Operator, partner: Partner, body: dict[str, Any], paths: list[tuple[str, str]]
) -> None:
    order = await order_in("shipping", operator, partner)
    assert issue_paths(await partner.push(order["id"], body)) == paths


async def test_push_checks_order_and_idempotency(operator: Operator, partner: Partner, rival: Partner) -> None:
    order = await order_in("shipping", operator, partner)
    body = {"fulfillment_detail": "in_transit", "occurred_at": "2026-06-20T08:15:00.9+01:00", "notes": None}
    assert_error(await rival.push(order["id"], body), 404, "order_not_found")
    assert_error(await partner.push("nope", body), 404, "order_not_found")
    missing = await partner.client.post(f"/auto/v1/orders/{order['id']}/status", json=body, headers=partner.headers)
    assert_error(missing, 400, "missing_idempotency_key")
    key = str(uuid.uuid4())
    first = await partner.push(order["id"], body, key=key)
    assert first.status_code == 200
    replay = await partner.push(order["id"], body, key=key)
    assert replay.status_code == 200 and replay.headers["idempotent-replayed"] == "true"
    assert replay.content == first.content
    other = await partner.push(order["id"], {**body, "fulfillment_detail": "customs"}, key=key)
    assert_error(
        other,
        422,
        "idempotency_key_reused",
        {"original_method": "POST", "original_path": f"/v1/orders/{order['id']}/status"},
    )
    history = (await operator.order(order["id"]))["history"]
    assert [(h["actor"], h["occurred_at"], h["notes"]) for h in history[-1:]] == [
        ("partner", "2026-06-20T08:15:00+01:00", None)
    ]
    assert len(history) == 5  # one push recorded once
