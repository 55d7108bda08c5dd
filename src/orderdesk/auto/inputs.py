"""What each endpoint accepts, turned into the values its use case takes: bodies validated by
their models (auto/models.py), plus the rules a model cannot express (consistency across fields
and parameters, cursors)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import orjson
from fastapi import Request

from orderdesk.auto import errors, models, parsing
from orderdesk.auto.errors import Issue
from orderdesk.auto.keyset import KeyKind, Sort
from orderdesk.auto.models import OPTION_TOKEN, SOURCES, VEHICLE_ID_PATTERN, is_valid_vehicle_id
from orderdesk.auto.parsing import RuleIssue, validated
from orderdesk.auto.timefmt import kst_midnight, utc_key
from orderdesk.platform import cursors
from orderdesk.platform.ids import is_ulid

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


def _page(sort: Sort, filters: dict[str, Any], limit: int, cursor: str | None) -> Page:
    """Limit and cursor (spec 2.8): the cursor is decoded once every other check passed."""
    digest = cursors.filters_hash(filters)
    after = None
    if cursor is not None:
        try:
            key = cursors.decode(cursor, sort.name, digest)
        except cursors.InvalidCursor:
            raise errors.invalid_cursor() from None
        after = sort.parse_key(key)
        if after is None:
            raise errors.invalid_cursor()
    return Page(sort, digest, after, limit)


def _given(**values: Any) -> dict[str, Any]:
    """The filters given, by parameter name (what a cursor's filter hash covers)."""
    return {name: value for name, value in values.items() if value is not None}


# --------------------------------------------------------------------------- orders


@dataclass(frozen=True)
class PlaceOrder:
    vehicle_id: str
    max_bid_amount_usd: int | None


def place_order(body: models.PlaceOrderBody) -> PlaceOrder:
    return PlaceOrder(body.vehicle_id, body.max_bid_amount_usd)


def _order_sort(name: str, column: str, descending: bool, nullable: bool = False) -> Sort:
    return Sort(name, column, f"o.{column}", "o.id", descending, nullable, "timestamp")


ORDER_SORTS = {
    "created_desc": _order_sort("created_desc", "created_at", True),
    "created_asc": _order_sort("created_asc", "created_at", False),
    "auction_date_asc": _order_sort("auction_date_asc", "auction_date", False, nullable=True),
    "updated_desc": _order_sort("updated_desc", "updated_at", True),
}


@dataclass(frozen=True)
class OrderList:
    ids: list[str] | None  # None: no ids filter; []: nothing can match
    status: str | None
    created_from: datetime | None
    created_to: datetime | None
    page: Page


def order_list(request: Request) -> OrderList:
    """GET /v1/orders (spec 4.5)."""
    query = parsing.query(request, models.OrderListQuery, _created_range)
    start, end = query.from_, query.to
    filters = _given(
        ids=None if query.ids is None else sorted(query.ids),
        status=query.status,
        **{"from": start and utc_key(start), "to": end and utc_key(end)},
    )
    ids = None if query.ids is None else [order_id for order_id in query.ids if is_ulid(order_id)]
    page = _page(ORDER_SORTS[query.sort], filters, query.limit, query.cursor)
    return OrderList(ids, query.status, start, end, page)


def _created_range(query: models.OrderListQuery, given: frozenset[str]) -> list[RuleIssue]:
    """Spec 4.5: from and to together, from not later than to."""
    if len(given & {"from", "to"}) == 1:
        missing = "to" if "from" in given else "from"
        return [("to", Issue("query", missing, "from and to must be given together"))]
    if query.from_ is not None and query.to is not None and query.from_ > query.to:
        return [("to", Issue("query", "from", "must not be later than to"))]
    return []


OPS_ORDER_SORT = Sort("created_desc", "created_at", "o.created_at", "o.id", True, False, "timestamp")


@dataclass(frozen=True)
class OpsOrderList:
    vehicle_id: str | None
    partner_id: str | None
    status: str | None
    page: Page


def ops_order_list(request: Request) -> OpsOrderList:
    """GET /ops/v1/auto/orders (spec 8.6)."""
    query = parsing.query(request, models.OpsOrderListQuery)
    filters = _given(vehicle_id=query.vehicle_id, partner_id=query.partner_id, status=query.status)
    page = _page(OPS_ORDER_SORT, filters, query.limit, query.cursor)
    return OpsOrderList(query.vehicle_id, query.partner_id, query.status, page)


EVENT_SORT = Sort("sequence_asc", "seq", "seq", "id", False, False, "int")


def event_list(request: Request) -> Page:
    """GET /v1/orders/{id}/events (spec 4.9): oldest first by creation sequence."""
    return _fixed_order_page(request, EVENT_SORT)


def _fixed_order_page(request: Request, sort: Sort) -> Page:
    query = parsing.query(request, models.PageQuery)
    return _page(sort, {}, query.limit, query.cursor)


PARTNER_SORT = Sort("created_asc", "created_at", "created_at", "id", False, False, "timestamp")


def partner_list(request: Request) -> Page:
    return _fixed_order_page(request, PARTNER_SORT)


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
    query = parsing.query(request, models.VehicleListQuery, _vehicle_rules)
    first_day, last_day = query.auction_date_from, query.auction_date_to
    filters = _given(
        make=query.make and sorted({make.lower() for make in query.make}),
        model=query.model and sorted({model.lower() for model in query.model}),
        **{name: getattr(query, name) for name in _BOUNDS},
        source=query.source,
        fuel=query.fuel,
        transmission=query.transmission,
        accident_grade=query.accident_grade,
        exterior_grade=query.exterior_grade,
        options_include=query.options_include and sorted(query.options_include),
        auction_date_from=first_day and first_day.isoformat(),
        auction_date_to=last_day and last_day.isoformat(),
    )
    sort = VEHICLE_SORTS[query.sort]
    return VehicleList(filters, _page(sort, filters, query.limit, query.cursor))


_RANGES = (
    ("year_min", "year_max"),
    ("price_min_usd", "price_max_usd"),
    ("auction_count_min", "auction_count_max"),
)
_BOUNDS = (*(name for pair in _RANGES for name in pair), "mileage_max_km")


def _vehicle_rules(query: models.VehicleListQuery, _names: frozenset[str]) -> list[RuleIssue]:
    """Spec 3.5: model only with make; no _min above its _max, no _from after its _to."""
    found = []
    if query.model and not query.make:
        found.append(("model", Issue("query", "model", "requires make")))
    for low, high in _RANGES:
        low_value, high_value = getattr(query, low), getattr(query, high)
        if low_value is not None and high_value is not None and low_value > high_value:
            found.append((high, Issue("query", low, f"must not be greater than {high}")))
    first_day, last_day = query.auction_date_from, query.auction_date_to
    if first_day and last_day and first_day > last_day:
        found.append(("auction_date_to", Issue("query", "auction_date_from", "must not be after auction_date_to")))
    return found


def facet_sources(request: Request) -> list[models.Source] | None:
    return parsing.query(request, models.FacetsQuery).source


def auction_day_bounds(first: str | None, last: str | None) -> tuple[datetime | None, datetime | None]:
    """KST calendar days → [start, end) instants."""
    start = kst_midnight(date.fromisoformat(first)) if first else None
    end = kst_midnight(date.fromisoformat(last) + timedelta(days=1)) if last else None
    return start, end


# --------------------------------------------------------------------------- vehicles (operator)


def vehicle_body(vehicle_id: str, data: dict[str, Any]) -> dict[str, Any]:
    """PUT /ops/v1/auto/vehicles/{id} (spec 8.4): the stored column values of the vehicle."""
    path = [] if is_valid_vehicle_id(vehicle_id) else [Issue("path", "vehicle_id", f"must match {VEHICLE_ID_PATTERN}")]
    more = [*path, *_id_rule(vehicle_id, data), *_duplicate_options(data), *_consistency(data)]
    body = validated(models.VehicleBody, data, more=more)
    return {
        **body.model_dump(exclude={"id", "pricing", "options", "images", "inspection_report", "body_condition"}),
        "options": orjson.dumps(body.options or []).decode(),
        "listing_usd": body.pricing.listing_usd,
        "images": orjson.dumps(body.images or []).decode(),
        "inspection_report": _object_text(body.inspection_report),
        "body_condition": _object_text(body.body_condition),
        "make_ci": body.make.lower(),
        "model_ci": body.model.lower(),
    }


def _id_rule(vehicle_id: str, data: dict[str, Any]) -> list[Issue]:
    if data.get("id") in (None, vehicle_id):
        return []
    return [Issue("body", "id", "must equal the vehicle id in the path")]


def _duplicate_options(data: dict[str, Any]) -> list[Issue]:
    tokens = data.get("options")
    if not isinstance(tokens, list):
        return []
    seen: set[str] = set()
    issues = []
    for index, token in enumerate(tokens):
        if isinstance(token, str) and OPTION_TOKEN.fullmatch(token):
            if token in seen:
                issues.append(Issue("body", f"options.{index}", "duplicates an earlier token"))
            seen.add(token)
    return issues


def _object_text(value: dict[str, Any] | None) -> str | None:
    return None if value is None else orjson.dumps(value).decode()


def _consistency(data: dict[str, Any]) -> list[Issue]:
    """Spec 3.1: dealer stock has no grades and no auction; auction-house cars have a result and
    a count; an upcoming auction has a date."""
    issues = []
    source = data.get("source")
    if source == "dealer":
        for name in ("accident_grade", "exterior_grade", "auction_date", "auction_count", "auction_result"):
            if data.get(name) is not None:
                issues.append(Issue("body", name, "must be null for dealer vehicles"))
    elif source in SOURCES:
        for name in ("auction_result", "auction_count"):
            if data.get(name) is None:
                issues.append(Issue("body", name, "is required for auction-house vehicles"))
    if data.get("auction_result") == "upcoming" and data.get("auction_date") is None:
        issues.append(Issue("body", "auction_date", "is required when auction_result is upcoming"))
    return issues


# --------------------------------------------------------------------------- partners (operator)


@dataclass(frozen=True)
class NewPartner:
    name: str
    environment: str
    ip_allowlist: list[str] | None
    webhook_url: str | None


def new_partner(data: dict[str, Any], server_environment: str) -> NewPartner:
    """POST /ops/v1/auto/partners (spec 8.2)."""
    body = validated(models.NewPartnerBody, data, context={"environment": server_environment})
    return NewPartner(body.name, body.environment or server_environment, body.ip_allowlist, body.webhook_url)


@dataclass(frozen=True)
class PartnerPatch:
    fields: dict[str, Any]  # only the keys given; None clears


def partner_patch(data: dict[str, Any], server_environment: str) -> PartnerPatch:
    """PATCH /ops/v1/auto/partners/{id}: a key left out keeps its value, null clears it."""
    body = validated(models.PartnerPatchBody, data, context={"environment": server_environment})
    return PartnerPatch(body.model_dump(include=body.model_fields_set))


# --------------------------------------------------------------------------- lifecycle (4.8, 8.5, 8.6)

SHIPMENT_KEYS = tuple(models.ShipmentPatch.model_fields)
AMOUNT_FIELDS = ("purchase_price_usd", "auction_fee_usd")


def _shipment(patch: models.ShipmentPatch) -> dict[str, Any]:
    """The shipment keys given (spec 8.6), timestamps in the offset supplied, whole seconds."""
    given = patch.model_dump(include=patch.model_fields_set)
    for name in ("etd", "eta"):
        if given.get(name) is not None:
            given[name] = given[name].isoformat()
    return given


@dataclass(frozen=True)
class TransitionRequest:
    """POST /ops/v1/auto/orders/{id}/transition: the fields given with a value (explicit null is
    absent, spec 2.7), amounts unchecked (their problems are 422s), shipment as its given keys."""

    fields: dict[str, Any]


def transition_body(data: dict[str, Any]) -> TransitionRequest:
    body = validated(models.TransitionBody, data)
    fields = {name: getattr(body, name) for name in body.model_fields_set if name != "shipment"}
    if body.shipment is not None:
        fields["shipment"] = _shipment(body.shipment)
    return TransitionRequest({name: value for name, value in fields.items() if value is not None})


@dataclass(frozen=True)
class AuctionResultRequest:
    outcome: str
    amounts: dict[str, Any]  # the amount fields given with a value, unchecked (422 problems)


def auction_result_body(data: dict[str, Any]) -> AuctionResultRequest:
    """POST /ops/v1/auto/vehicles/{id}/auction/result (spec 8.5)."""
    body = validated(models.AuctionResultBody, data)
    amounts = {name: getattr(body, name) for name in AMOUNT_FIELDS if getattr(body, name) is not None}
    return AuctionResultRequest(body.outcome, amounts)


@dataclass(frozen=True)
class StatusPush:
    status: str | None
    fulfillment_detail: str | None
    occurred_at: str  # as the partner sent it, normalised to whole seconds in its own offset
    notes: str | None
    canonical_body: str  # for the idempotency fingerprint (spec 2.12)


_PUSH_ISSUE_ORDER = ("status", "fulfillment_detail", "", "occurred_at", "notes")


def status_push(data: dict[str, Any]) -> StatusPush:
    """POST /v1/orders/{id}/status (spec 4.8): exactly one of status and fulfillment_detail."""
    given = [name for name in ("status", "fulfillment_detail") if data.get(name) is not None]
    more = []
    if not given:
        more.append(Issue("body", "", "exactly one of status and fulfillment_detail is required"))
    elif len(given) == 2:
        more.append(Issue("body", "", "give status or fulfillment_detail, not both"))
    body = validated(models.StatusPushBody, data, more=more, order=_PUSH_ISSUE_ORDER)
    canonical = orjson.dumps(data, option=orjson.OPT_SORT_KEYS).decode()
    return StatusPush(body.status, body.fulfillment_detail, body.occurred_at.isoformat(), body.notes, canonical)
