"""Auctions (spec 8.5) and the scheduler's auction jobs (9.1, 9.2).

Both operator calls act on the vehicle's auction orders only. Everything one call does to a
vehicle's orders is one `lifecycle.VehicleChange`, written in batches: starting the auction of
a car with a thousand competing orders is a handful of statements, not a thousand round trips.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import structlog

from orderdesk.auto import errors, lifecycle, repository
from orderdesk.auto.bidding import Bid
from orderdesk.auto.errors import Issue
from orderdesk.auto.inputs import AuctionResultRequest
from orderdesk.auto.lifecycle import ACQUIRING, PROCEED, Move
from orderdesk.auto.models import MAX_AMOUNT
from orderdesk.auto.parsing import is_integer
from orderdesk.auto.serializers import ops_order_from_row
from orderdesk.platform.db import Connection, Row
from orderdesk.platform.dispatcher import Dispatcher
from orderdesk.platform.runtime import Runtime

log = structlog.get_logger("orderdesk.auto.auctions")

# Reasons given to the `proceed` auction orders an auction result leaves behind (spec 8.5).
LEFTOVER_REASON = {"won": "outbid_internally", "lost": "outbid", "cancelled": "auction_cancelled"}
SWEEP_BATCH = 100


@dataclass(frozen=True)
class AuctionOrders:
    """A locked vehicle's active auction orders, split by status."""

    acquiring: list[Row]
    proceed: list[Row]

    @classmethod
    async def lock(cls, conn: Connection, vehicle_id: str) -> AuctionOrders:
        active = [o for o in await repository.lock_active_orders(conn, vehicle_id) if lifecycle.is_auction_order(o)]
        return cls([o for o in active if o["status"] == ACQUIRING], [o for o in active if o["status"] == PROCEED])


def _leader(orders: list[Row]) -> Row:
    """The first of the orders by the ranking of spec 4.2."""
    best = orders[0]
    for order in orders[1:]:
        if Bid(order["id"], order["max_bid_amount_usd"], order["created_at"]).outranks(
            Bid(best["id"], best["max_bid_amount_usd"], best["created_at"])
        ):
            best = order
    return best


def _moves(orders: list[Row], changes: dict[str, Any]) -> list[Move]:
    return [Move(order, changes, order["webhook_url"]) for order in orders]


# --------------------------------------------------------------------------- start


async def start(conn: Connection, vehicle: Row, *, actor: str, now: datetime) -> dict[str, Any]:
    """The start procedure on a locked vehicle: the acquiring order, or else the leader among
    the `proceed` ones, is the winner; every other `proceed` auction order fails."""
    orders = await AuctionOrders.lock(conn, vehicle["id"])
    change = lifecycle.VehicleChange(conn, vehicle, actor=actor, now=now)
    if orders.acquiring:
        winner, losers = orders.acquiring[0], orders.proceed
    elif orders.proceed:
        winner = _leader(orders.proceed)
        losers = [o for o in orders.proceed if o["id"] != winner["id"]]
        await change.apply(winner, "acquire", webhook_url=winner["webhook_url"])
    else:
        return {"winner_order_id": None, "failed_order_ids": []}
    await change.apply_many("auction_lost", _moves(losers, {"failure_reason": "outbid_internally"}))
    await change.finish()
    return {"winner_order_id": winner["id"], "failed_order_ids": sorted(o["id"] for o in losers)}


async def start_auction(runtime: Runtime, vehicle_id: str) -> dict[str, Any]:
    """POST /ops/v1/auto/vehicles/{id}/auction/start."""
    async with runtime.db.transaction() as conn:
        vehicle = await repository.lock_vehicle(conn, vehicle_id)
        if vehicle is None:
            raise errors.vehicle_not_found()
        result = await start(conn, vehicle, actor=lifecycle.OPERATOR, now=runtime.clock.now())
    runtime.dispatcher.wake()
    return result


# --------------------------------------------------------------------------- result


def check_amounts(result: AuctionResultRequest, acquiring: Row | None) -> dict[str, Any]:
    """The amounts of a result (spec 8.5): `won` requires 1 ≤ purchase_price_usd ≤ the ceiling
    and takes auction_fee_usd ≥ 0 (default 0); other outcomes take neither. 422 otherwise."""
    issues: list[Issue] = []
    given = result.amounts
    if result.outcome != "won":
        issues += [Issue("body", name, f"is not allowed when outcome is {result.outcome}") for name in given]
        if issues:
            raise errors.validation_error(issues, 422)
        return {}
    assert acquiring is not None
    amounts = money_fields(given, issues, ceiling=acquiring["max_bid_amount_usd"], price_required=True)
    if issues:
        raise errors.validation_error(issues, 422)
    return amounts


def money_fields(
    given: dict[str, Any],
    issues: list[Issue],
    *,
    ceiling: int | None,
    price_required: bool,
    default_price: int | None = None,
) -> dict[str, Any]:
    """purchase_price_usd and auction_fee_usd of a call that records money (spec 8.1): every
    problem is an issue for a 422."""
    price, fee = given.get("purchase_price_usd"), given.get("auction_fee_usd", 0)
    if price is None:
        if price_required:
            issues.append(Issue("body", "purchase_price_usd", "is required"))
        price = default_price
    elif not is_integer(price):
        issues.append(Issue("body", "purchase_price_usd", "must be an integer"))
    elif price < 1:
        issues.append(Issue("body", "purchase_price_usd", "must be at least 1"))
    elif ceiling is not None and price > ceiling:
        issues.append(Issue("body", "purchase_price_usd", f"exceeds max_bid_amount_usd {ceiling}"))
    elif price > MAX_AMOUNT:
        issues.append(Issue("body", "purchase_price_usd", f"must be at most {MAX_AMOUNT}"))
    if not is_integer(fee):
        issues.append(Issue("body", "auction_fee_usd", "must be an integer"))
    elif fee < 0:
        issues.append(Issue("body", "auction_fee_usd", "must be at least 0"))
    elif fee > MAX_AMOUNT:
        issues.append(Issue("body", "auction_fee_usd", f"must be at most {MAX_AMOUNT}"))
    return {"purchase_price_usd": price, "auction_fee_usd": fee}


async def record_result(runtime: Runtime, vehicle_id: str, result: AuctionResultRequest) -> dict[str, Any]:
    """POST /ops/v1/auto/vehicles/{id}/auction/result."""
    async with runtime.db.transaction() as conn:
        now = runtime.clock.now()
        vehicle = await repository.lock_vehicle(conn, vehicle_id)
        if vehicle is None:
            raise errors.vehicle_not_found()
        orders = await AuctionOrders.lock(conn, vehicle_id)
        acquiring = orders.acquiring[0] if orders.acquiring else None
        if acquiring is None and (result.outcome != "cancelled" or not orders.proceed):
            raise errors.invalid_status_transition_on_vehicle(vehicle_id)
        amounts = check_amounts(result, acquiring)
        change = lifecycle.VehicleChange(conn, vehicle, actor=lifecycle.OPERATOR, now=now)
        if acquiring is not None:
            if result.outcome == "won":
                await change.apply(acquiring, "secure", amounts, webhook_url=acquiring["webhook_url"])
            else:
                await change.apply(
                    acquiring,
                    "acquisition_failed",
                    {"failure_reason": LEFTOVER_REASON[result.outcome]},
                    webhook_url=acquiring["webhook_url"],
                )
        await change.apply_many(
            "auction_lost", _moves(orders.proceed, {"failure_reason": LEFTOVER_REASON[result.outcome]})
        )
        await change.finish()
        row = await repository.get_order(conn, acquiring["id"]) if acquiring is not None else None
    runtime.dispatcher.wake()
    return {
        "order": ops_order_from_row(row) if row is not None else None,
        "failed_order_ids": sorted(o["id"] for o in orders.proceed),
    }


# --------------------------------------------------------------------------- scheduler (spec 9.1, 9.2)


class AuctionJobs:
    """The two sweeps. Each vehicle is handled in its own transaction under its row lock
    (skipped for this round when someone else holds it) with its orders re-read, so racing a
    request, the operator or another worker is harmless."""

    def __init__(self, runtime: Runtime, dispatcher: Dispatcher | None = None) -> None:
        self.runtime = runtime
        self.dispatcher = dispatcher or runtime.dispatcher
        self.passed_after = timedelta(seconds=runtime.settings.auction_passed_after)

    def register(self) -> None:
        # auction_passed first: an auction that passed while no dispatcher ran is not started late.
        self.dispatcher.add_sweep("auto.auction_passed", self.sweep_passed)
        if self.runtime.settings.auto_auctions:
            self.dispatcher.add_sweep("auto.auction_start", self.sweep_start)

    async def sweep_start(self, now: datetime) -> int:
        async with self.runtime.db.transaction(write=False) as conn:
            due = await repository.vehicles_due_to_start(conn, now, now - self.passed_after, SWEEP_BATCH)
        started = 0
        for vehicle_id in due:
            started += await self._start_one(vehicle_id)
        return started

    async def _start_one(self, vehicle_id: str) -> int:
        async with self.runtime.db.transaction() as conn:
            now = self.runtime.clock.now()
            vehicle = await repository.lock_vehicle_if_free(conn, vehicle_id)
            if (
                vehicle is None
                or vehicle["withdrawn"]
                or vehicle["auction_date"] is None
                or not now - self.passed_after < vehicle["auction_date"] <= now
            ):
                return 0
            result = await start(conn, vehicle, actor=lifecycle.SCHEDULER, now=now)
        if result["winner_order_id"] is None:
            return 0
        log.info(
            "auction_started",
            vehicle_id=vehicle_id,
            winner_order_id=result["winner_order_id"],
            failed=len(result["failed_order_ids"]),
        )
        return 1

    async def sweep_passed(self, now: datetime) -> int:
        async with self.runtime.db.transaction(write=False) as conn:
            due = await repository.vehicles_with_passed_orders(conn, now - self.passed_after, SWEEP_BATCH)
        failed = 0
        for vehicle_id in due:
            failed += await self._pass_one(vehicle_id)
        return failed

    async def _pass_one(self, vehicle_id: str) -> int:
        async with self.runtime.db.transaction() as conn:
            now = self.runtime.clock.now()
            vehicle = await repository.lock_vehicle_if_free(conn, vehicle_id)
            if vehicle is None:
                return 0
            orders = await AuctionOrders.lock(conn, vehicle_id)
            passed = [
                o
                for o in orders.proceed
                if o["auction_date"] is not None and o["auction_date"] + self.passed_after <= now
            ]
            if not passed:
                return 0
            change = lifecycle.VehicleChange(conn, vehicle, actor=lifecycle.SCHEDULER, now=now)
            await change.apply_many("auction_passed", _moves(passed, {}))
            await change.finish()
        return len(passed)
