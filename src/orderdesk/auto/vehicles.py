"""Vehicle use cases: the partner catalogue (spec 3.4–3.6) and the operator's upsert and
withdrawal (8.4) with the reschedule they may trigger (9.3)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from orderdesk.auto import errors, lifecycle, repository
from orderdesk.auto.bidding import order_cutoff
from orderdesk.auto.inputs import VehicleList, auction_day_bounds
from orderdesk.auto.serializers import vehicle_json, vehicle_summary_json
from orderdesk.auto.timefmt import kst
from orderdesk.platform.db import Connection, Row, UniqueViolation
from orderdesk.platform.runtime import Runtime

LISTED = "withdrawn = FALSE"
_IN_FILTERS = {
    "make": "make_ci",
    "model": "model_ci",
    "source": "source",
    "fuel": "fuel",
    "transmission": "transmission",
    "accident_grade": "accident_grade",
    "exterior_grade": "exterior_grade",
}
_BOUNDS = {
    "year_min": "year >=",
    "year_max": "year <=",
    "mileage_max_km": "mileage_km <=",
    "price_min_usd": "listing_usd >=",
    "price_max_usd": "listing_usd <=",
    "auction_count_min": "auction_count >=",
    "auction_count_max": "auction_count <=",
}
_NULL_STRICT = frozenset(
    {
        "accident_grade",
        "exterior_grade",
        "auction_date_from",
        "auction_date_to",
        "auction_count_min",
        "auction_count_max",
    }
)


def _like_token(token: str) -> str:
    """A LIKE pattern matching `"token"` inside the stored JSON list."""
    return '%"' + token.replace("\\", "\\\\").replace("_", "\\_").replace("%", "\\%") + '"%'


def filter_sql(filters: dict[str, Any], *, null_strict: bool = True) -> tuple[list[str], dict[str, Any]]:
    """WHERE conditions for the catalogue filters of spec 3.5 (listed vehicles only)."""
    conditions, params = [LISTED], {}
    for name, value in filters.items():
        if not null_strict and name in _NULL_STRICT:
            continue
        if name in _IN_FILTERS:
            marks, in_params = repository.in_list(name, value)
            conditions.append(f"{_IN_FILTERS[name]} IN ({marks})")
            params.update(in_params)
        elif name in _BOUNDS:
            conditions.append(f"{_BOUNDS[name]} CAST(:{name} AS BIGINT)")
            params[name] = value
        elif name == "options_include":
            for i, token in enumerate(value):
                conditions.append(f"options LIKE :option_{i} ESCAPE '\\'")
                params[f"option_{i}"] = _like_token(token)
    if null_strict:
        start, end = auction_day_bounds(filters.get("auction_date_from"), filters.get("auction_date_to"))
        if start is not None:
            conditions.append("auction_date >= :auction_from")
            params["auction_from"] = start
        if end is not None:
            conditions.append("auction_date < :auction_to")
            params["auction_to"] = end
    return conditions, params


# --------------------------------------------------------------------------- partner catalogue


async def list_vehicles(runtime: Runtime, query: VehicleList) -> tuple[dict[str, Any], int]:
    """A page of the catalogue and N for `X-LMN-Filtered-Out: dealer=N` (0: no header)."""
    conditions, params = filter_sql(query.filters)
    page = query.page
    async with runtime.db.transaction(write=False) as conn:

        async def fetch(condition: str, extra: dict[str, Any], order_by: str, limit: int) -> list[Row]:
            where = " AND ".join([*conditions, condition] if condition else conditions)
            return await repository.list_vehicles(conn, where, {**params, **extra}, order_by, limit)

        rows = await page.sort.page(fetch, page.after, page.limit + 1)
        filtered_out = await _dealers_filtered_out(conn, query) if query.null_strict else 0
    rows, next_cursor = page.next_cursor(rows)
    return {"data": [vehicle_summary_json(row) for row in rows], "next_cursor": next_cursor}, filtered_out


async def _dealers_filtered_out(conn: Connection, query: VehicleList) -> int:
    """Listed dealer vehicles that satisfy every filter except the null-strict ones (spec 3.5)."""
    conditions, params = filter_sql(query.filters, null_strict=False)
    conditions.append("source = 'dealer'")
    return await repository.count_vehicles(conn, " AND ".join(conditions), params)


async def get_vehicle(runtime: Runtime, vehicle_id: str) -> dict[str, Any]:
    async with runtime.db.transaction(write=False) as conn:
        row = await repository.get_vehicle(conn, vehicle_id)
    if row is None or row["withdrawn"]:
        raise errors.vehicle_not_found()
    return vehicle_json(row)


async def facets(runtime: Runtime, sources: Sequence[str] | None) -> dict[str, Any]:
    conditions, params = filter_sql({"source": sources} if sources else {})
    async with runtime.db.transaction(write=False) as conn:
        rows = await repository.facet_rows(conn, " AND ".join(conditions), params)
    models: dict[str, set[str]] = {}
    for row in rows:
        models.setdefault(row["make"], set()).add(row["model"])
    return {
        "makes": sorted(models),
        "models": {make: sorted(names) for make, names in sorted(models.items())},
        "fuels": sorted({row["fuel"] for row in rows if row["fuel"] is not None}),
        "transmissions": sorted({row["transmission"] for row in rows if row["transmission"] is not None}),
        "sources": sorted({row["source"] for row in rows}),
        "as_of": kst(runtime.clock.now()),
    }


# --------------------------------------------------------------------------- operator


async def ops_get_vehicle(runtime: Runtime, vehicle_id: str) -> dict[str, Any]:
    async with runtime.db.transaction(write=False) as conn:
        row = await repository.get_vehicle(conn, vehicle_id)
    if row is None:
        raise errors.vehicle_not_found()
    return {**vehicle_json(row), "withdrawn": row["withdrawn"]}


async def put_vehicle(runtime: Runtime, vehicle_id: str, values: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    """Create (201) or replace (200) a vehicle, listing it again if it was withdrawn."""
    try:
        return await _put_vehicle(runtime, vehicle_id, values)
    except UniqueViolation:
        # A concurrent PUT created the same id first; ours now replaces it.
        return await _put_vehicle(runtime, vehicle_id, values)


async def _put_vehicle(runtime: Runtime, vehicle_id: str, values: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    async with runtime.db.transaction() as conn:
        now = runtime.clock.now()
        existing = await repository.lock_vehicle(conn, vehicle_id)
        if existing is None:
            await repository.insert_vehicle(conn, vehicle_id, values, now)
        else:
            await repository.replace_vehicle(conn, vehicle_id, values, now)
            if existing["auction_date"] != values["auction_date"]:
                await _reschedule(conn, runtime, existing, values["auction_date"], now)
    return (201 if existing is None else 200), vehicle_json({"id": vehicle_id, **values})


async def _reschedule(
    conn: Connection, runtime: Runtime, vehicle: Row, new_date: datetime | None, now: datetime
) -> None:
    """Spec 9.3: every active order takes the new date and cutoff (oldest first); a `proceed`
    auction order whose new cutoff has passed, or whose auction lost its date, is cancelled."""
    change = lifecycle.VehicleChange(conn, vehicle, actor=lifecycle.OPERATOR, now=now)
    orders = await repository.lock_active_orders(conn, vehicle["id"])
    moves = []
    for order in orders:
        auction = lifecycle.is_auction_order(order)
        cutoff = order_cutoff(new_date, runtime.settings.order_cutoff_rule) if auction and new_date else None
        moves.append(lifecycle.Move(order, {"auction_date": new_date, "order_cutoff_at": cutoff}, order["webhook_url"]))
    moved = await change.apply_many("auction_rescheduled", moves)
    too_soon = [
        lifecycle.Move(after, {}, move.webhook_url)
        for move, after in zip(moves, moved, strict=True)
        if lifecycle.is_auction_order(after)
        and after["status"] == lifecycle.PROCEED
        and (new_date is None or after["order_cutoff_at"] <= now)
    ]
    await change.apply_many("rescheduled_too_soon", too_soon)
    await change.finish()


async def withdraw_vehicle(runtime: Runtime, vehicle_id: str) -> dict[str, Any]:
    """Spec 8.4: unlist the vehicle; its active orders fail with `vehicle_unavailable`."""
    async with runtime.db.transaction() as conn:
        now = runtime.clock.now()
        vehicle = await repository.lock_vehicle(conn, vehicle_id)
        if vehicle is None:
            raise errors.vehicle_not_found()
        change = lifecycle.VehicleChange(conn, vehicle, actor=lifecycle.OPERATOR, now=now)
        orders = await repository.lock_active_orders(conn, vehicle_id)
        await change.apply_many("vehicle_withdrawn", [lifecycle.Move(o, {}, o["webhook_url"]) for o in orders])
        await change.finish()
        failed = [order["id"] for order in orders]
        if not vehicle["withdrawn"]:
            await repository.withdraw_vehicle(conn, vehicle_id, now)
    return {"vehicle_id": vehicle_id, "failed_order_ids": sorted(failed)}
