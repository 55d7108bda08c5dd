"""The state machine table against spec 5.4, row by row (unit test, no database)."""

from __future__ import annotations

from orderdesk.auto.lifecycle import LMN, PARTNER, TRANSITIONS

# row: (sources, target, triggered by the partner?, webhook)
SPEC_5_4 = {
    1: (set(), "proceed", True, None),
    2: ({"proceed"}, "cancelled", True, None),
    3: ({"proceed"}, "acquiring", False, "order.status_changed"),
    4: ({"proceed"}, "failed", False, "order.status_changed"),
    5: ({"proceed"}, "failed", False, "order.status_changed"),
    6: ({"proceed", "acquiring"}, "failed", False, "order.status_changed"),
    7: ({"proceed", "acquiring"}, "failed", False, "order.status_changed"),
    8: ({"proceed"}, "cancelled", False, "order.status_changed"),
    9: ({"proceed"}, "cancelled", False, "order.status_changed"),
    10: ({"acquiring"}, "secured", False, "order.status_changed"),
    11: ({"acquiring"}, "failed", False, "order.status_changed"),
    12: ({"secured"}, "shipping", False, "order.status_changed"),
    13: ({"shipping"}, None, False, "order.fulfillment_updated"),
    14: ({"shipping"}, None, True, None),
    15: ({"shipping"}, "delivered", True, None),
    16: ({"proceed", "acquiring"}, None, False, "order.auction_rescheduled"),
}


def test_every_row_of_the_spec_and_nothing_else() -> None:
    by_row = {t.row: t for t in TRANSITIONS.values()}
    assert sorted(by_row) == sorted(SPEC_5_4)
    for row, (sources, target, partner, webhook) in SPEC_5_4.items():
        transition = by_row[row]
        assert (set(transition.sources), transition.target, transition.webhook) == (sources, target, webhook), row
        assert transition.actors == ({PARTNER} if partner else transition.actors & LMN) and transition.actors, row


def test_nothing_leaves_a_terminal_status() -> None:
    assert all(not {"delivered", "cancelled", "failed"} & set(t.sources) for t in TRANSITIONS.values())


def test_reason_rows_set_their_reason() -> None:
    assert TRANSITIONS["partner_cancel"].sets == {"cancellation_reason": "dealer_cancelled"}
    assert TRANSITIONS["auction_passed"].sets == {"failure_reason": "auction_passed"}
    assert TRANSITIONS["vehicle_withdrawn"].sets == {"failure_reason": "vehicle_unavailable"}
    assert TRANSITIONS["rescheduled_too_soon"].sets == {"cancellation_reason": "auction_rescheduled_too_soon"}
    assert TRANSITIONS["delivered"].sets == {"fulfillment_detail": None}
