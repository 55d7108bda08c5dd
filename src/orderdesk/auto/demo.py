"""Demo data for `orderdesk demo`: a sandbox partner and a small catalogue, through the same
use cases the operator API runs. Safe to run again: it re-dates auctions whose cutoff is near
and issues a fresh API key each time (keys are shown once)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from orderdesk.auto import inputs, lifecycle, partners, repository, vehicles
from orderdesk.auto.bidding import order_cutoff
from orderdesk.auto.timefmt import KST
from orderdesk.platform.runtime import Runtime

PARTNER_NAME = "Demo Motors"
AUCTION_HOUR_KST = 13
DAYS_AHEAD = (3, 4, 5, 6, 8)  # the auction cars' dates, counted from today (KST)
MIN_CUTOFF_MARGIN = timedelta(days=1)


def _car(
    source: str, make: str, model: str, trim: str, year: int, mileage: int, fuel: str, price: int, **extra: Any
) -> dict[str, Any]:
    return {
        "source": source,
        "make": make,
        "model": model,
        "trim": trim,
        "year": year,
        "mileage_km": mileage,
        "fuel": fuel,
        "transmission": "auto",
        "pricing": {"listing_usd": price},
        **extra,
    }


def _auction(grade: str, count: int = 1, **extra: Any) -> dict[str, Any]:
    return {
        "accident_grade": grade,
        "exterior_grade": "B",
        "auction_count": count,
        "auction_result": "upcoming",
        **extra,
    }


AUCTION_CARS: dict[str, dict[str, Any]] = {
    "glovis-demo-0418": _car(
        "glovis",
        "Hyundai",
        "Palisade",
        "Calligraphy 2.2 AWD",
        2022,
        38412,
        "diesel",
        17400,
        color="white",
        engine_cc=2199,
        drivetrain="AWD",
        vin="KMHR381ABNU123456",
        options=["sunroof", "leather_seats", "navigation", "rear_view_camera"],
        images=["https://img.example.com/glovis/0418/front.jpg"],
        **_auction("A"),
    ),
    "glovis-demo-0533": _car(
        "glovis",
        "Kia",
        "Sorento",
        "Signature 1.6T HEV",
        2021,
        52310,
        "hybrid",
        16900,
        color="black",
        engine_cc=1598,
        drivetrain="FWD",
        options=["navigation"],
        **_auction("B", 2),
    ),
    "sk-demo-1207": _car(
        "sk",
        "Genesis",
        "G80",
        "2.5T AWD",
        2020,
        61005,
        "gasoline",
        21300,
        color="grey",
        engine_cc=2497,
        drivetrain="AWD",
        options=["leather_seats", "sunroof"],
        **_auction("A"),
    ),
    "aj-demo-0075": _car(
        "aj",
        "Hyundai",
        "Tucson",
        "Inspiration 1.6T",
        2023,
        14870,
        "gasoline",
        19800,
        color="blue",
        engine_cc=1598,
        drivetrain="FWD",
        options=["rear_view_camera"],
        **_auction("A"),
    ),
    "lotte-demo-3310": _car(
        "lotte",
        "Kia",
        "K5",
        "Noblesse 2.0 LPi",
        2022,
        33120,
        "lpg",
        12600,
        color="white",
        engine_cc=1999,
        drivetrain="FWD",
        **_auction("C", 3),
    ),
}
OTHER_CARS: dict[str, dict[str, Any]] = {
    "sk-demo-0981": _car(
        "sk",
        "Kia",
        "Carnival",
        "Noblesse 2.2",
        2020,
        72044,
        "diesel",
        15800,
        accident_grade="B",
        exterior_grade="B",
        auction_count=2,
        auction_result="no_bid",
        auction_date="2026-04-28T10:00:00+09:00",
    ),
    "lotte-demo-2214": _car(
        "lotte",
        "Hyundai",
        "Avante",
        "Smart 1.6",
        2019,
        88410,
        "gasoline",
        7900,
        accident_grade="C",
        exterior_grade="C",
        auction_count=3,
        auction_result="no_bid",
        auction_date="2026-04-21T13:00:00+09:00",
    ),
    "dealer-demo-88120457": _car(
        "dealer", "Kia", "EV6", "Earth Long Range", 2022, 24500, "electric", 33900, color="silver", drivetrain="RWD"
    ),
    "dealer-demo-88120503": _car(
        "dealer",
        "Hyundai",
        "Grandeur",
        "Calligraphy 2.5",
        2021,
        41800,
        "gasoline",
        22400,
        color="black",
        engine_cc=2497,
        drivetrain="FWD",
    ),
    "kcar-demo-5521": _car(
        "kcar",
        "Hyundai",
        "Santa Fe",
        "Prestige 2.2",
        2020,
        66300,
        "diesel",
        18100,
        accident_grade="B",
        exterior_grade="A",
        auction_count=1,
        auction_result="sold",
        auction_date="2026-04-30T14:00:00+09:00",
    ),
}


async def load(runtime: Runtime, base_url: str) -> str:
    environment = runtime.settings.environment
    partner_id, api_key = await _ensure_partner(runtime, environment)
    for vehicle_id, body in AUCTION_CARS.items():
        await _put(runtime, vehicle_id, {**body, "auction_date": await _auction_date(runtime, vehicle_id, body)})
    for vehicle_id, body in OTHER_CARS.items():
        await _put(runtime, vehicle_id, body)
    target = await _car_without_open_order(runtime, partner_id)
    return _instructions(base_url, environment, partner_id, api_key, target)


async def _ensure_partner(runtime: Runtime, environment: str) -> tuple[str, str]:
    async with runtime.db.transaction(write=False) as conn:
        existing = await repository.find_partner_by_name(conn, PARTNER_NAME, environment)
    if existing is None:
        created = await partners.create_partner(
            runtime, inputs.NewPartner(PARTNER_NAME, environment, ip_allowlist=None, webhook_url=None)
        )
        return created["id"], created["api_key"]
    key = await partners.create_key(runtime, existing["id"])
    return existing["id"], key["api_key"]


async def _auction_date(runtime: Runtime, vehicle_id: str, body: dict[str, Any]) -> str:
    """Keep the stored date while its cutoff is a day or more ahead; else a date some days on."""
    now = runtime.clock.now()
    async with runtime.db.transaction(write=False) as conn:
        stored = await repository.get_vehicle(conn, vehicle_id)
    kept = stored["auction_date"] if stored is not None else None
    if kept is not None and order_cutoff(kept, runtime.settings.order_cutoff_rule) - now >= MIN_CUTOFF_MARGIN:
        return kept.astimezone(KST).isoformat()
    days = DAYS_AHEAD[list(AUCTION_CARS).index(vehicle_id) % len(DAYS_AHEAD)]
    today = now.astimezone(KST).date()
    auction = datetime(today.year, today.month, today.day, AUCTION_HOUR_KST, 30, tzinfo=KST) + timedelta(days=days)
    return auction.isoformat()


async def _put(runtime: Runtime, vehicle_id: str, body: dict[str, Any]) -> None:
    await vehicles.put_vehicle(runtime, vehicle_id, inputs.vehicle_body(vehicle_id, body))


async def _car_without_open_order(runtime: Runtime, partner_id: str) -> str:
    async with runtime.db.transaction(write=False) as conn:
        for vehicle_id in AUCTION_CARS:
            claims = await repository.claims_on_vehicle(conn, vehicle_id, partner_id)
            if not any(claim["status"] in lifecycle.OPEN for claim in claims):
                return vehicle_id
    return next(iter(AUCTION_CARS))


def _instructions(base_url: str, environment: str, partner_id: str, api_key: str, vehicle_id: str) -> str:
    base = base_url.rstrip("/")
    ceiling = AUCTION_CARS[vehicle_id]["pricing"]["listing_usd"] + 500
    idempotency_key = "$(python3 -c 'import uuid; print(uuid.uuid4())')"
    return "\n".join(
        [
            f"auto demo ({environment}): partner {PARTNER_NAME} {partner_id}",
            f"  API key (new, shown once): {api_key}",
            f"  catalogue: curl -H 'x-api-key: {api_key}' {base}/auto/v1/vehicles",
            f"  API docs:  {base}/auto/docs",
            "",
            "Place an order on an auction car:",
            "",
            f"curl -X POST {base}/auto/v1/orders \\",
            f"  -H 'x-api-key: {api_key}' \\",
            f'  -H "Idempotency-Key: {idempotency_key}" \\',
            "  -H 'Content-Type: application/json' \\",
            f'  -d \'{{"vehicle_id": "{vehicle_id}", "max_bid_amount_usd": {ceiling}}}\'',
            "",
        ]
    )
