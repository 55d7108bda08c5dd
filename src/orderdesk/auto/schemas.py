"""What each endpoint accepts: its body fields and query parameters, parsed into plain values
with every schema problem reported as a `validation_error` issue."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import orjson
from fastapi import Request

from orderdesk.auto import errors
from orderdesk.auto.auth import canonical_entry
from orderdesk.auto.keyset import KeyKind, Sort
from orderdesk.auto.lifecycle import CANCELLATION_REASONS, DETAILS, FAILURE_REASONS, STATUSES
from orderdesk.auto.parsing import BodyReader, Issues, QueryReader
from orderdesk.auto.timefmt import kst_midnight, utc_key
from orderdesk.platform import cursors
from orderdesk.platform.ids import is_ulid

SOURCES = ("aj", "dealer", "glovis", "kcar", "lotte", "sk")
FUELS = ("diesel", "electric", "gasoline", "hybrid", "lpg")
TRANSMISSIONS = ("auto", "cvt", "dct", "manual")
DRIVETRAINS = ("4WD", "AWD", "FWD", "RWD")
GRADES = ("A", "B", "C", "D", "F")
AUCTION_RESULTS = ("no_bid", "sold", "upcoming")
VEHICLE_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
OPTION_TOKEN = re.compile(r"^[a-z0-9_]{1,64}$")
MAX_URL_LENGTH = 2048
_URL_MESSAGE = f"must be an absolute http or https URL of at most {MAX_URL_LENGTH} characters"

After = tuple[bool, Any, str]


@dataclass(frozen=True)
class Page:
    sort: Sort
    filters_digest: str
    after: After | None
    limit: int

    def next_cursor(self, rows: list[Any]) -> tuple[list[Any], str | None]:
        """The page's rows and the cursor to the next page (rows holds up to limit + 1)."""
        if len(rows) <= self.limit:
            return rows, None
        rows = rows[: self.limit]
        return rows, cursors.encode(self.sort.name, self.filters_digest, self.sort.key_of(rows[-1]))


def _page(query: QueryReader, issues: Issues, sort: Sort, filters: dict[str, Any]) -> Page:
    """Limit and cursor (spec 2.8): other query errors first, then the cursor."""
    limit = query.limit()
    token = query.text("cursor")
    issues.raise_if_any()
    digest = cursors.filters_hash(filters)
    after = None
    if token is not None:
        try:
            key = cursors.decode(token, sort.name, digest)
        except cursors.InvalidCursor:
            raise errors.invalid_cursor() from None
        after = sort.parse_key(key)
        if after is None:
            raise errors.invalid_cursor()
    return Page(sort, digest, after, limit)


def _is_http_url(value: str) -> bool:
    if len(value) > MAX_URL_LENGTH or any(ch.isspace() for ch in value):
        return False
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 - raises on a malformed port
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.hostname)


def is_valid_vehicle_id(value: str) -> bool:
    return VEHICLE_ID.fullmatch(value) is not None


# --------------------------------------------------------------------------- orders


@dataclass(frozen=True)
class PlaceOrder:
    vehicle_id: str
    max_bid_amount_usd: int | None


def place_order(data: dict[str, Any]) -> PlaceOrder:
    issues = Issues()
    body = BodyReader(data, issues)
    body.reject_unknown(("vehicle_id", "max_bid_amount_usd"))
    vehicle_id = body.string("vehicle_id", required=True)
    max_bid = body.amount("max_bid_amount_usd")
    issues.raise_if_any()
    assert vehicle_id is not None
    return PlaceOrder(vehicle_id, max_bid)


def _order_sort(name: str, column: str, descending: bool, nullable: bool = False) -> Sort:
    return Sort(name, column, f"o.{column}", "o.id", descending, nullable, "timestamp")


ORDER_SORTS = {
    "created_desc": _order_sort("created_desc", "created_at", True),
    "created_asc": _order_sort("created_asc", "created_at", False),
    "auction_date_asc": _order_sort("auction_date_asc", "auction_date", False, nullable=True),
    "updated_desc": _order_sort("updated_desc", "updated_at", True),
}
MAX_IDS = 100


@dataclass(frozen=True)
class OrderList:
    ids: list[str] | None  # None: no ids filter; []: nothing can match
    status: str | None
    created_from: datetime | None
    created_to: datetime | None
    page: Page


def order_list(request: Request) -> OrderList:
    """GET /v1/orders (spec 4.5)."""
    issues = Issues()
    query = QueryReader(request, issues)
    filters: dict[str, Any] = {}
    ids = query.csv("ids")
    if ids is not None:
        if len(ids) > MAX_IDS:
            query.problem("ids", f"must list at most {MAX_IDS} ids")
        filters["ids"] = sorted(ids)
        ids = [order_id for order_id in ids if is_ulid(order_id)]
    status = query.enum("status", STATUSES)
    created_from, created_to = query.timestamp("from"), query.timestamp("to")
    _check_range(query, issues, created_from, created_to)
    sort_name = query.enum("sort", tuple(ORDER_SORTS)) or "created_desc"
    for name, value in (("status", status), ("from", created_from), ("to", created_to)):
        if value is not None:
            filters[name] = utc_key(value) if isinstance(value, datetime) else value
    page = _page(query, issues, ORDER_SORTS[sort_name], filters)
    return OrderList(ids, status, created_from, created_to, page)


def _check_range(query: QueryReader, issues: Issues, start: datetime | None, end: datetime | None) -> None:
    given = {name for name in ("from", "to") if query.text(name) is not None}
    if len(given) == 1:
        missing = ({"from", "to"} - given).pop()
        query.problem(missing, "from and to must be given together")
    elif start is not None and end is not None and start > end:
        query.problem("from", "must not be later than to")


OPS_ORDER_SORT = Sort("created_desc", "created_at", "o.created_at", "o.id", True, False, "timestamp")


@dataclass(frozen=True)
class OpsOrderList:
    vehicle_id: str | None
    partner_id: str | None
    status: str | None
    page: Page


def ops_order_list(request: Request) -> OpsOrderList:
    """GET /ops/v1/auto/orders (spec 8.6)."""
    issues = Issues()
    query = QueryReader(request, issues)
    vehicle_id, partner_id = query.text("vehicle_id"), query.text("partner_id")
    status = query.enum("status", STATUSES)
    filters = {
        name: value
        for name, value in (("vehicle_id", vehicle_id), ("partner_id", partner_id), ("status", status))
        if value is not None
    }
    return OpsOrderList(vehicle_id, partner_id, status, _page(query, issues, OPS_ORDER_SORT, filters))


EVENT_SORT = Sort("sequence_asc", "seq", "seq", "id", False, False, "int")


def event_list(request: Request) -> Page:
    """GET /v1/orders/{id}/events (spec 4.9): oldest first by creation sequence."""
    issues = Issues()
    return _page(QueryReader(request, issues), issues, EVENT_SORT, {})


PARTNER_SORT = Sort("created_asc", "created_at", "created_at", "id", False, False, "timestamp")


def partner_list(request: Request) -> Page:
    issues = Issues()
    return _page(QueryReader(request, issues), issues, PARTNER_SORT, {})


# --------------------------------------------------------------------------- vehicles (partner)


def _vehicle_sort(name: str, column: str, descending: bool, kind: KeyKind, nullable: bool = False) -> Sort:
    return Sort(name, column, column, "id", descending, nullable, kind)


VEHICLE_SORTS = {
    "auction_date_asc": _vehicle_sort("auction_date_asc", "auction_date", False, "timestamp", nullable=True),
    "price_asc": _vehicle_sort("price_asc", "listing_usd", False, "int"),
    "price_desc": _vehicle_sort("price_desc", "listing_usd", True, "int"),
    "year_desc": _vehicle_sort("year_desc", "year", True, "int"),
    "mileage_asc": _vehicle_sort("mileage_asc", "mileage_km", False, "int"),
}
NULL_STRICT = (
    "accident_grade",
    "exterior_grade",
    "auction_date_from",
    "auction_date_to",
    "auction_count_min",
    "auction_count_max",
)


@dataclass(frozen=True)
class VehicleList:
    filters: dict[str, Any]  # normalised, by parameter name
    page: Page

    @property
    def null_strict(self) -> bool:
        return any(name in self.filters for name in NULL_STRICT)


def vehicle_list(request: Request) -> VehicleList:
    """GET /v1/vehicles (spec 3.5)."""
    issues = Issues()
    query = QueryReader(request, issues)
    filters: dict[str, Any] = {}

    def keep(name: str, value: Any) -> None:
        if value is not None:
            filters[name] = value

    makes, models = query.csv("make"), query.csv("model")
    keep("make", sorted({m.lower() for m in makes}) if makes else None)
    keep("model", sorted({m.lower() for m in models}) if models else None)
    if "model" in filters and "make" not in filters:
        query.problem("model", "requires make")
    for low, high, minimum in (
        ("year_min", "year_max", None),
        ("price_min_usd", "price_max_usd", 0),
        ("auction_count_min", "auction_count_max", 0),
    ):
        keep(low, query.integer(low, minimum=minimum))
        keep(high, query.integer(high, minimum=minimum))
        if low in filters and high in filters and filters[low] > filters[high]:
            query.problem(low, f"must not be greater than {high}")
    keep("mileage_max_km", query.integer("mileage_max_km", minimum=0))
    keep("source", query.csv_enum("source", SOURCES))
    keep("fuel", query.csv_enum("fuel", FUELS))
    keep("transmission", query.csv_enum("transmission", TRANSMISSIONS))
    keep("accident_grade", query.csv_enum("accident_grade", GRADES, fold_upper=True))
    keep("exterior_grade", query.csv_enum("exterior_grade", GRADES, fold_upper=True))
    tokens = query.csv("options_include")
    if tokens:
        bad = [token for token in tokens if not OPTION_TOKEN.fullmatch(token)]
        if bad:
            query.problem("options_include", f"{bad[0]!r} is not an option token (^[a-z0-9_]{{1,64}}$)")
        keep("options_include", sorted(tokens))
    first_day, last_day = query.date("auction_date_from"), query.date("auction_date_to")
    keep("auction_date_from", first_day and first_day.isoformat())
    keep("auction_date_to", last_day and last_day.isoformat())
    if first_day and last_day and first_day > last_day:
        query.problem("auction_date_from", "must not be after auction_date_to")
    sort_name = query.enum("sort", tuple(VEHICLE_SORTS)) or "auction_date_asc"
    return VehicleList(filters, _page(query, issues, VEHICLE_SORTS[sort_name], filters))


def facet_sources(request: Request) -> list[str] | None:
    issues = Issues()
    sources = QueryReader(request, issues).csv_enum("source", SOURCES)
    issues.raise_if_any()
    return sources


def auction_day_bounds(first: str | None, last: str | None) -> tuple[datetime | None, datetime | None]:
    """KST calendar days → [start, end) instants."""
    start = kst_midnight(date.fromisoformat(first)) if first else None
    end = kst_midnight(date.fromisoformat(last) + timedelta(days=1)) if last else None
    return start, end


# --------------------------------------------------------------------------- vehicles (operator)

VEHICLE_BODY_FIELDS = (
    "id",
    "source",
    "make",
    "model",
    "trim",
    "year",
    "mileage_km",
    "fuel",
    "transmission",
    "color",
    "engine_cc",
    "drivetrain",
    "options",
    "accident_grade",
    "exterior_grade",
    "auction_date",
    "auction_count",
    "auction_result",
    "pricing",
    "vin",
    "license_plate",
    "images",
    "inspection_report",
    "body_condition",
)


def vehicle_body(vehicle_id: str, data: dict[str, Any]) -> dict[str, Any]:
    """PUT /ops/v1/auto/vehicles/{id} (spec 8.4): the stored column values of the vehicle."""
    issues = Issues()
    if not is_valid_vehicle_id(vehicle_id):
        issues.add("path", "vehicle_id", "must match ^[A-Za-z0-9_-]{1,64}$")
    body = BodyReader(data, issues)
    body.reject_unknown(VEHICLE_BODY_FIELDS)
    if body.value("id") is not None and body.value("id") != vehicle_id:
        body.problem("id", "must equal the vehicle id in the path")
    values: dict[str, Any] = {
        "source": body.enum("source", SOURCES, required=True),
        "make": body.string("make", required=True, max_length=64),
        "model": body.string("model", required=True, max_length=64),
        "trim": body.string("trim", max_length=128),
        "year": body.integer("year", required=True, minimum=1950, maximum=2100),
        "mileage_km": body.integer("mileage_km", required=True, minimum=0, maximum=2_000_000),
        "fuel": body.enum("fuel", FUELS),
        "transmission": body.enum("transmission", TRANSMISSIONS),
        "color": body.string("color", max_length=64),
        "engine_cc": body.integer("engine_cc", minimum=1, maximum=20_000),
        "drivetrain": body.enum("drivetrain", DRIVETRAINS),
        "options": orjson.dumps(_options(body)).decode(),
        "accident_grade": body.enum("accident_grade", GRADES),
        "exterior_grade": body.enum("exterior_grade", GRADES),
        "auction_date": body.timestamp("auction_date"),
        "auction_count": body.integer("auction_count", minimum=1, maximum=1_000_000),
        "auction_result": body.enum("auction_result", AUCTION_RESULTS),
        "listing_usd": _listing_usd(body, issues),
        "vin": body.string("vin", max_length=32),
        "license_plate": body.string("license_plate", max_length=32),
        "images": orjson.dumps(_images(body)).decode(),
        "inspection_report": _object_text(body, "inspection_report"),
        "body_condition": _object_text(body, "body_condition"),
    }
    _check_consistency(body, values)
    issues.raise_if_any()
    values["make_ci"] = values["make"].lower()
    values["model_ci"] = values["model"].lower()
    return values


def _options(body: BodyReader) -> list[str]:
    value = body.value("options")
    if value is None:
        return []
    if not isinstance(value, list):
        body.problem("options", "must be a list of option tokens")
        return []
    if len(value) > 100:
        body.problem("options", "must hold at most 100 tokens")
    seen: set[str] = set()
    for index, token in enumerate(value):
        if not isinstance(token, str) or not OPTION_TOKEN.fullmatch(token):
            body.problem(f"options.{index}", "must match ^[a-z0-9_]{1,64}$")
        elif token in seen:
            body.problem(f"options.{index}", "duplicates an earlier token")
        else:
            seen.add(token)
    return value


def _images(body: BodyReader) -> list[str]:
    value = body.value("images")
    if value is None:
        return []
    if not isinstance(value, list):
        body.problem("images", "must be a list of URLs")
        return []
    if len(value) > 50:
        body.problem("images", "must hold at most 50 URLs")
    for index, url in enumerate(value):
        if not isinstance(url, str) or not _is_http_url(url):
            body.problem(f"images.{index}", _URL_MESSAGE)
    return value


def _listing_usd(body: BodyReader, issues: Issues) -> int | None:
    pricing = body.value("pricing", required=True)
    if pricing is None:
        return None
    if not isinstance(pricing, dict):
        body.problem("pricing", "must be an object")
        return None
    inner = BodyReader(pricing, issues, prefix="pricing.")
    inner.reject_unknown(("listing_usd",))
    return inner.amount("listing_usd", required=True, minimum=1)


def _object_text(body: BodyReader, name: str) -> str | None:
    value = body.json_object(name)
    return None if value is None else orjson.dumps(value).decode()


def _check_consistency(body: BodyReader, values: dict[str, Any]) -> None:
    """Spec 3.1: dealer stock has no grades and no auction; auction-house cars have a result and
    a count; an upcoming auction has a date."""
    if values["source"] == "dealer":
        for name in ("accident_grade", "exterior_grade", "auction_date", "auction_count", "auction_result"):
            if body.value(name) is not None:
                body.problem(name, "must be null for dealer vehicles")
    elif values["source"] is not None:
        for name in ("auction_result", "auction_count"):
            if body.value(name) is None:
                body.problem(name, "is required for auction-house vehicles")
    if values["auction_result"] == "upcoming" and body.value("auction_date") is None:
        body.problem("auction_date", "is required when auction_result is upcoming")


# --------------------------------------------------------------------------- partners (operator)


@dataclass(frozen=True)
class NewPartner:
    name: str
    environment: str
    ip_allowlist: list[str] | None
    webhook_url: str | None


def new_partner(data: dict[str, Any], server_environment: str) -> NewPartner:
    """POST /ops/v1/auto/partners (spec 8.2)."""
    issues = Issues()
    body = BodyReader(data, issues)
    body.reject_unknown(("name", "environment", "ip_allowlist", "webhook_url"))
    name = body.string("name", required=True, max_length=200)
    environment = body.enum("environment", ("sandbox", "production")) or server_environment
    allowlist = ip_allowlist(body)
    webhook_url = _webhook_url(body, server_environment)
    issues.raise_if_any()
    assert name is not None
    return NewPartner(name, environment, allowlist, webhook_url)


@dataclass(frozen=True)
class PartnerPatch:
    fields: dict[str, Any]  # only the keys given; None clears


def partner_patch(data: dict[str, Any], server_environment: str) -> PartnerPatch:
    """PATCH /ops/v1/auto/partners/{id}: a key left out keeps its value, null clears it."""
    issues = Issues()
    body = BodyReader(data, issues)
    body.reject_unknown(("ip_allowlist", "webhook_url"))
    fields: dict[str, Any] = {}
    if body.has("ip_allowlist"):
        fields["ip_allowlist"] = ip_allowlist(body)
    if body.has("webhook_url"):
        fields["webhook_url"] = _webhook_url(body, server_environment)
    issues.raise_if_any()
    return PartnerPatch(fields)


def ip_allowlist(body: BodyReader) -> list[str] | None:
    """Spec 2.2: null, or 1–16 addresses / CIDR ranges, returned canonical."""
    value = body.value("ip_allowlist")
    if value is None:
        return None
    if not isinstance(value, list):
        body.problem("ip_allowlist", "must be a list of IP addresses or CIDR ranges, or null")
        return None
    if not value:
        body.problem("ip_allowlist", "must not be empty; use null to allow every address")
    if len(value) > 16:
        body.problem("ip_allowlist", "must hold at most 16 entries")
    entries = []
    for index, entry in enumerate(value):
        try:
            if not isinstance(entry, str):
                raise ValueError(entry)
            entries.append(canonical_entry(entry))
        except ValueError:
            body.problem(f"ip_allowlist.{index}", "must be an IPv4 or IPv6 address or CIDR range")
    return entries


def _webhook_url(body: BodyReader, server_environment: str) -> str | None:
    value = body.value("webhook_url")
    if value is None:
        return None
    if not isinstance(value, str) or not _is_http_url(value):
        body.problem("webhook_url", _URL_MESSAGE)
        return None
    if server_environment == "production" and urlsplit(value).scheme != "https":
        body.problem("webhook_url", "must use https in production")
        return None
    return value


# --------------------------------------------------------------------------- lifecycle (4.8, 8.5, 8.6)

SHIPMENT_TEXT_KEYS = ("vessel_name", "voyage_number", "bill_of_lading_number", "port_of_loading", "port_of_discharge")
SHIPMENT_TIME_KEYS = ("etd", "eta")
SHIPMENT_KEYS = (*SHIPMENT_TEXT_KEYS, *SHIPMENT_TIME_KEYS)
AMOUNT_FIELDS = ("purchase_price_usd", "auction_fee_usd")


def _shipment(body: BodyReader, issues: Issues) -> dict[str, Any] | None:
    """The shipment keys given (spec 8.6): strings of 1–128 characters or timestamps (kept in
    the offset supplied, whole seconds); `null` for a key clears it."""
    value = body.json_object("shipment")
    if value is None:
        return None
    inner = BodyReader(value, issues, prefix="shipment.")
    inner.reject_unknown(SHIPMENT_KEYS)
    given: dict[str, Any] = {}
    for name in SHIPMENT_TEXT_KEYS:
        if name in value:
            given[name] = inner.string(name, max_length=128)
    for name in SHIPMENT_TIME_KEYS:
        if name in value:
            instant = inner.timestamp(name)
            given[name] = None if instant is None else instant.isoformat()
    return given


@dataclass(frozen=True)
class TransitionRequest:
    """POST /ops/v1/auto/orders/{id}/transition: the fields given with a value (explicit null is
    absent, spec 2.7), amounts unchecked (their problems are 422s), shipment as its given keys."""

    fields: dict[str, Any]


def transition_body(data: dict[str, Any]) -> TransitionRequest:
    issues = Issues()
    body = BodyReader(data, issues)
    body.reject_unknown(
        ("status", "fulfillment_detail", "failure_reason", "cancellation_reason", *AMOUNT_FIELDS, "shipment")
    )
    parsed = {
        "status": body.enum("status", STATUSES),
        "fulfillment_detail": body.enum("fulfillment_detail", DETAILS),
        "failure_reason": body.enum("failure_reason", FAILURE_REASONS),
        "cancellation_reason": body.enum("cancellation_reason", CANCELLATION_REASONS),
        "shipment": _shipment(body, issues),
        **{name: body.value(name) for name in AMOUNT_FIELDS},
    }
    issues.raise_if_any()
    return TransitionRequest({name: value for name, value in parsed.items() if value is not None})


@dataclass(frozen=True)
class AuctionResultRequest:
    outcome: str
    amounts: dict[str, Any]  # the amount fields given with a value, unchecked (422 problems)


def auction_result_body(data: dict[str, Any]) -> AuctionResultRequest:
    """POST /ops/v1/auto/vehicles/{id}/auction/result (spec 8.5)."""
    issues = Issues()
    body = BodyReader(data, issues)
    body.reject_unknown(("outcome", *AMOUNT_FIELDS))
    outcome = body.enum("outcome", ("won", "lost", "cancelled"), required=True)
    issues.raise_if_any()
    assert outcome is not None
    return AuctionResultRequest(outcome, {name: data[name] for name in AMOUNT_FIELDS if data.get(name) is not None})


@dataclass(frozen=True)
class StatusPush:
    status: str | None
    fulfillment_detail: str | None
    occurred_at: str  # as the partner sent it, normalised to whole seconds in its own offset
    notes: str | None
    canonical_body: str  # for the idempotency fingerprint (spec 2.12)


def status_push(data: dict[str, Any]) -> StatusPush:
    """POST /v1/orders/{id}/status (spec 4.8): exactly one of status and fulfillment_detail."""
    issues = Issues()
    body = BodyReader(data, issues)
    body.reject_unknown(("status", "fulfillment_detail", "occurred_at", "notes"))
    status = body.enum("status", STATUSES)
    detail = body.enum("fulfillment_detail", DETAILS)
    if body.value("status") is None and body.value("fulfillment_detail") is None:
        body.problem("", "exactly one of status and fulfillment_detail is required")
    elif body.value("status") is not None and body.value("fulfillment_detail") is not None:
        body.problem("", "give status or fulfillment_detail, not both")
    occurred_at = body.timestamp("occurred_at", required=True)
    notes = body.string("notes", min_length=0, max_length=2000)
    issues.raise_if_any()
    assert occurred_at is not None
    canonical = orjson.dumps(data, option=orjson.OPT_SORT_KEYS).decode()
    return StatusPush(status, detail, occurred_at.isoformat(), notes, canonical)
