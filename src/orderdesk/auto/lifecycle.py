"""The order state machine (spec 5.4), one table that says every legal change.

Each row: the statuses it starts from, the status it ends in (None: the status stays and only
dates, the detail or the shipment change), who may trigger it, the stored fields it always
sets, and the webhook it emits when LMN (operator or scheduler) makes the change. Partner
changes never emit webhooks: their response is the confirmation (spec 6.1).

Rows 3–5, 7 and 9–15 (auctions, operator transitions, partner status pushes) are added here
by the work that exposes them; `apply` already handles any row of this shape.

Changes that one call makes to several orders of one vehicle (a withdrawal, a reschedule)
happen at one moment: every order they move out of the active set freezes the competitive
state of just before the call, and the vehicle's leader is recomputed once at the end
(`VehicleChange.finish`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from orderdesk.auto import events, repository
from orderdesk.auto.bidding import Bid, Competition, leader_after_new_bid
from orderdesk.auto.serializers import Record
from orderdesk.auto.timefmt import kst_or_none
from orderdesk.platform.db import Connection

PROCEED, ACQUIRING, SECURED, SHIPPING = "proceed", "acquiring", "secured", "shipping"
DELIVERED, CANCELLED, FAILED = "delivered", "cancelled", "failed"
STATUSES = (PROCEED, ACQUIRING, SECURED, SHIPPING, DELIVERED, CANCELLED, FAILED)
ACTIVE = frozenset({PROCEED, ACQUIRING})
OPEN = ACTIVE | {SECURED, SHIPPING}  # not terminal
TERMINAL = frozenset({DELIVERED, CANCELLED, FAILED})

PARTNER, OPERATOR, SCHEDULER = "partner", "operator", "scheduler"
LMN = frozenset({OPERATOR, SCHEDULER})

STATUS_CHANGED = "order.status_changed"
FULFILLMENT_UPDATED = "order.fulfillment_updated"
AUCTION_RESCHEDULED = "order.auction_rescheduled"


@dataclass(frozen=True)
class Transition:
    row: int  # number in spec 5.4
    name: str
    sources: frozenset[str]  # empty: the order is created
    target: str | None  # None: the status stays
    actors: frozenset[str]
    sets: Mapping[str, Any] = field(default_factory=dict)
    webhook: str | None = None


def _row(row: int, name: str, sources: set[str], target: str | None, actors: frozenset[str] | set[str],
         sets: Mapping[str, Any] | None = None, webhook: str | None = None) -> Transition:
    return Transition(row, name, frozenset(sources), target, frozenset(actors), dict(sets or {}), webhook)


TRANSITIONS: dict[str, Transition] = {t.name: t for t in (
    _row(1, "place", set(), PROCEED, {PARTNER}),
    _row(2, "partner_cancel", {PROCEED}, CANCELLED, {PARTNER},
         {"cancellation_reason": "dealer_cancelled"}),
    _row(6, "vehicle_withdrawn", {PROCEED, ACQUIRING}, FAILED, {OPERATOR},
         {"failure_reason": "vehicle_unavailable"}, STATUS_CHANGED),
    _row(8, "rescheduled_too_soon", {PROCEED}, CANCELLED, {OPERATOR},
         {"cancellation_reason": "auction_rescheduled_too_soon"}, STATUS_CHANGED),
    _row(16, "auction_rescheduled", {PROCEED, ACQUIRING}, None, {OPERATOR},
         webhook=AUCTION_RESCHEDULED),
)}

# What each webhook type tells about the order's previous state (spec 6.1).
WEBHOOK_PREVIOUS: dict[str, Callable[[Record], dict[str, Any]]] = {
    STATUS_CHANGED: lambda before: {"previous_status": before["status"]},
    FULFILLMENT_UPDATED: lambda before: {"previous_fulfillment_detail": before["fulfillment_detail"]},
    AUCTION_RESCHEDULED: lambda before: {"previous_auction_date": kst_or_none(before["auction_date"])},
}


class IllegalTransition(Exception):
    def __init__(self, current_status: str) -> None:
        super().__init__(current_status)
        self.current_status = current_status


def is_auction_order(order: Record) -> bool:
    return order["max_bid_amount_usd"] is not None


def _bid(order: Record) -> Bid:
    return Bid(order["id"], order["max_bid_amount_usd"], order["created_at"])


async def place(conn: Connection, order: dict[str, Any], vehicle: Record) -> Competition:
    """Row 1: store a new `proceed` order, its history entry, and the vehicle's new leader.
    Returns the competition the new order sees."""
    await repository.insert_order(conn, order)
    await repository.insert_history(conn, order["id"], at=order["created_at"], actor=PARTNER,
                                    from_status=None, to_status=PROCEED)
    leader_id, leader_max = vehicle["leader_order_id"], vehicle["leader_max_bid_usd"]
    if not is_auction_order(order):
        return Competition(leader_id, leader_max)
    current = None if leader_id is None else Bid(leader_id, leader_max, vehicle["leader_created_at"])
    leader = leader_after_new_bid(current, _bid(order))
    if leader != current:
        await repository.set_leader(conn, order["vehicle_id"], leader)
    return Competition(leader.order_id, leader.max_bid_usd)


class VehicleChange:
    """One call's changes to the orders of one locked vehicle (see the module docstring)."""

    def __init__(self, conn: Connection, vehicle: Record, *, actor: str, now: datetime) -> None:
        self.conn = conn
        self.vehicle_id: str = vehicle["id"]
        self.competition = Competition(vehicle["leader_order_id"], vehicle["leader_max_bid_usd"])
        self.actor = actor
        self.now = now
        self._leader_left = False

    async def apply(self, order: Record, name: str, changes: Mapping[str, Any] | None = None,
                    *, webhook_url: str | None = None) -> dict[str, Any]:
        """Move one order along row `name`; returns the order as stored afterwards."""
        transition = TRANSITIONS[name]
        assert self.actor in transition.actors, f"{self.actor} cannot trigger {name}"
        if order["status"] not in transition.sources:
            raise IllegalTransition(order["status"])
        after = {**order, **transition.sets, **(changes or {}), "updated_at": self.now}
        if transition.target is not None:
            after["status"] = transition.target
        if is_auction_order(order) and order["status"] in ACTIVE and after["status"] not in ACTIVE:
            after["frozen_is_highest_bid"] = self.competition.is_highest(order["id"])
            after["frozen_current_max_bid_usd"] = self.competition.leader_max_bid_usd
            self._leader_left = self._leader_left or after["frozen_is_highest_bid"]
        await repository.update_order(self.conn, after)
        if after["status"] != order["status"] or after["fulfillment_detail"] != order["fulfillment_detail"]:
            await repository.insert_history(
                self.conn, order["id"], at=self.now, actor=self.actor,
                from_status=order["status"], to_status=after["status"],
                from_detail=order["fulfillment_detail"], to_detail=after["fulfillment_detail"])
        if transition.webhook is not None and self.actor in LMN:
            await events.emit(self.conn, event_type=transition.webhook, order=after,
                              previous=WEBHOOK_PREVIOUS[transition.webhook](order),
                              competition=self.competition, webhook_url=webhook_url, now=self.now)
        return after

    async def finish(self) -> None:
        """Recompute the vehicle's leader if the leader left the active set (another order
        leaving changes nothing: the ranking of the rest stands)."""
        if self._leader_left:
            leader = await repository.top_bid(self.conn, self.vehicle_id)
            await repository.set_leader(self.conn, self.vehicle_id, leader)
