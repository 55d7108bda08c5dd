"""The order state machine (spec 5.4), one table that says every legal change.

Each row: the statuses it starts from, the status it ends in (None: the status stays and only
dates, the detail or the shipment change), who may trigger it, the stored fields it always
sets, and the webhook it emits when LMN (operator or scheduler) makes the change. Partner
changes never emit webhooks: their response is the confirmation (spec 6.1).

Who calls which row: orders.py (1, 2), partner_status.py (14, 15), auctions.py (3, 4, 10, 11
from 8.5 and the scheduler's 9.1), transitions.py (3, 7, 9, 10, 12, 13 from 8.6), jobs.py (5),
vehicles.py (6, 8, 16). Rows whose reason or amounts vary take them as `changes`.

Changes that one call makes to several orders of one vehicle (a withdrawal, a reschedule)
happen at one moment: every order they move out of the active set freezes the competitive
state of just before the call, and the vehicle's leader is recomputed once at the end
(`VehicleChange.finish`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from orderdesk.auto import events, repository
from orderdesk.auto.bidding import Bid, Competition, leader_after_new_bid
from orderdesk.auto.serializers import Record
from orderdesk.auto.timefmt import kst_or_none
from orderdesk.platform.db import Connection, Row

PROCEED, ACQUIRING, SECURED, SHIPPING = "proceed", "acquiring", "secured", "shipping"
DELIVERED, CANCELLED, FAILED = "delivered", "cancelled", "failed"
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


def _row(
    row: int,
    name: str,
    sources: set[str],
    target: str | None,
    actors: frozenset[str] | set[str],
    sets: Mapping[str, Any] | None = None,
    webhook: str | None = None,
) -> Transition:
    return Transition(row, name, frozenset(sources), target, frozenset(actors), dict(sets or {}), webhook)


TRANSITIONS: dict[str, Transition] = {
    t.name: t
    for t in (
        _row(1, "place", set(), PROCEED, {PARTNER}),
        _row(2, "partner_cancel", {PROCEED}, CANCELLED, {PARTNER}, {"cancellation_reason": "dealer_cancelled"}),
        _row(3, "acquire", {PROCEED}, ACQUIRING, LMN, webhook=STATUS_CHANGED),
        _row(4, "auction_lost", {PROCEED}, FAILED, LMN, webhook=STATUS_CHANGED),  # reason per call
        _row(5, "auction_passed", {PROCEED}, FAILED, {SCHEDULER}, {"failure_reason": "auction_passed"}, STATUS_CHANGED),
        _row(
            6,
            "vehicle_withdrawn",
            {PROCEED, ACQUIRING},
            FAILED,
            {OPERATOR},
            {"failure_reason": "vehicle_unavailable"},
            STATUS_CHANGED,
        ),
        _row(7, "operator_fail", {PROCEED, ACQUIRING}, FAILED, {OPERATOR}, webhook=STATUS_CHANGED),
        _row(
            8,
            "rescheduled_too_soon",
            {PROCEED},
            CANCELLED,
            {OPERATOR},
            {"cancellation_reason": "auction_rescheduled_too_soon"},
            STATUS_CHANGED,
        ),
        _row(9, "operator_cancel", {PROCEED}, CANCELLED, {OPERATOR}, webhook=STATUS_CHANGED),
        _row(10, "secure", {ACQUIRING}, SECURED, {OPERATOR}, webhook=STATUS_CHANGED),  # amounts per call
        _row(11, "acquisition_failed", {ACQUIRING}, FAILED, {OPERATOR}, webhook=STATUS_CHANGED),
        _row(12, "ship", {SECURED}, SHIPPING, {OPERATOR}, webhook=STATUS_CHANGED),
        _row(13, "fulfillment_update", {SHIPPING}, None, {OPERATOR}, webhook=FULFILLMENT_UPDATED),
        _row(14, "partner_detail", {SHIPPING}, None, {PARTNER}),
        _row(15, "delivered", {SHIPPING}, DELIVERED, {PARTNER}, {"fulfillment_detail": None}),
        _row(16, "auction_rescheduled", {PROCEED, ACQUIRING}, None, {OPERATOR}, webhook=AUCTION_RESCHEDULED),
    )
}

# Fulfillment details (spec 5.2) and who owns them.
EXPORT_PROCESSING, AWAITING_PICKUP = "export_processing", "awaiting_pickup"
IN_TRANSIT, CUSTOMS = "in_transit", "customs"
LMN_DETAILS = frozenset({EXPORT_PROCESSING, AWAITING_PICKUP})
PARTNER_DETAILS = frozenset({IN_TRANSIT, CUSTOMS})
# The full vocabularies (statuses, details, reasons) are the Literal types of auto/models.py.


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


@dataclass(frozen=True)
class Placement:
    """What a new order changes on its vehicle: the competition it sees, and the leader to
    store (None: the leader stays)."""

    competition: Competition
    new_leader: Bid | None


def placement(order: Record, vehicle: Record) -> Placement:
    """Row 1's effect on the competition, read from the locked vehicle's stored leader."""
    leader_id, leader_max = vehicle["leader_order_id"], vehicle["leader_max_bid_usd"]
    if not is_auction_order(order):
        return Placement(Competition(leader_id, leader_max), None)
    current = None if leader_id is None else Bid(leader_id, leader_max, vehicle["leader_created_at"])
    leader = leader_after_new_bid(current, _bid(order))
    return Placement(Competition(leader.order_id, leader.max_bid_usd), leader if leader != current else None)


async def place(
    conn: Connection,
    order: dict[str, Any],
    placement: Placement,
    record: Mapping[str, Any],
    refuse: Callable[[list[Row]], None],
) -> None:
    """Row 1: store a new `proceed` order, its history entry, the vehicle's new leader and the
    idempotency record, unless `refuse` raises on the claims on the vehicle (spec 4.4 steps 5
    and 6: the partner's own claims for an auction order, every claim for a buy-now one)."""
    entry = {
        "order_id": order["id"],
        "at": order["created_at"],
        "actor": PARTNER,
        "from_status": None,
        "to_status": PROCEED,
        "from_detail": None,
        "to_detail": None,
        "occurred_at": None,
        "notes": None,
    }
    await repository.place_order(
        conn, order, entry, placement.new_leader, record, own_claims_only=is_auction_order(order), refuse=refuse
    )


@dataclass(frozen=True)
class Move:
    """One order to move along a row: the order as locked, the fields the call decides
    (reasons, amounts, detail, shipment, dates), and its partner's current webhook URL."""

    order: Record
    changes: Mapping[str, Any] = field(default_factory=dict)
    webhook_url: str | None = None


@dataclass(frozen=True)
class PartnerNote:
    """What a partner's status push adds to the history entry (spec 4.8)."""

    occurred_at: str
    notes: str | None


class VehicleChange:
    """One call's changes to the orders of one locked vehicle (see the module docstring)."""

    def __init__(self, conn: Connection, vehicle: Record, *, actor: str, now: datetime) -> None:
        self.conn = conn
        self.vehicle_id: str = vehicle["id"]
        self.competition = Competition(vehicle["leader_order_id"], vehicle["leader_max_bid_usd"])
        self.actor = actor
        self.now = now
        self._leader_left = False

    async def apply(
        self,
        order: Record,
        name: str,
        changes: Mapping[str, Any] | None = None,
        *,
        webhook_url: str | None = None,
        note: PartnerNote | None = None,
    ) -> dict[str, Any]:
        """Move one order along row `name`; returns the order as stored afterwards."""
        [after] = await self.apply_many(name, [Move(order, changes or {}, webhook_url)], note=note)
        return after

    async def apply_many(
        self, name: str, moves: Sequence[Move], *, note: PartnerNote | None = None
    ) -> list[dict[str, Any]]:
        """Move several orders along row `name` with one batch of writes per table (an auction
        start may fail a thousand orders). All are checked before anything is written."""
        transition = TRANSITIONS[name]
        assert self.actor in transition.actors, f"{self.actor} cannot trigger {name}"
        for move in moves:
            if move.order["status"] not in transition.sources:
                raise IllegalTransition(move.order["status"])
        afters = [self._after(transition, move) for move in moves]
        history = [self._history_entry(move.order, after, note) for move, after in zip(moves, afters, strict=True)]
        await repository.update_orders(self.conn, afters)
        await repository.insert_history_many(self.conn, [entry for entry in history if entry is not None])
        if transition.webhook is not None and self.actor in LMN:
            previous = WEBHOOK_PREVIOUS[transition.webhook]
            await events.emit_many(
                self.conn,
                [
                    events.Event(transition.webhook, after, previous(move.order), move.webhook_url)
                    for move, after in zip(moves, afters, strict=True)
                ],
                competition=self.competition,
                now=self.now,
            )
        return afters

    def _after(self, transition: Transition, move: Move) -> dict[str, Any]:
        order = move.order
        after = {**order, **transition.sets, **move.changes, "updated_at": self.now}
        if transition.target is not None:
            after["status"] = transition.target
        if is_auction_order(order) and order["status"] in ACTIVE and after["status"] not in ACTIVE:
            after["frozen_is_highest_bid"] = self.competition.is_highest(order["id"])
            after["frozen_current_max_bid_usd"] = self.competition.leader_max_bid_usd
            self._leader_left = self._leader_left or after["frozen_is_highest_bid"]
        return after

    def _history_entry(
        self, order: Record, after: Mapping[str, Any], note: PartnerNote | None
    ) -> dict[str, Any] | None:
        """Status and detail changes are history; so is every accepted partner push."""
        changed = after["status"] != order["status"] or after["fulfillment_detail"] != order["fulfillment_detail"]
        if not changed and note is None:
            return None
        return {
            "order_id": order["id"],
            "at": self.now,
            "actor": self.actor,
            "from_status": order["status"],
            "to_status": after["status"],
            "from_detail": order["fulfillment_detail"],
            "to_detail": after["fulfillment_detail"],
            "occurred_at": note and note.occurred_at,
            "notes": note and note.notes,
        }

    async def finish(self) -> None:
        """Recompute the vehicle's leader if the leader left the active set (another order
        leaving changes nothing: the ranking of the rest stands)."""
        if self._leader_left:
            leader = await repository.top_bid(self.conn, self.vehicle_id)
            await repository.set_leader(self.conn, self.vehicle_id, leader)
