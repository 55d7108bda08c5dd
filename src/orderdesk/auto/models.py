"""The auto contract as typed models (spec 3, 4, 6, 8): request bodies and query strings as the
endpoints accept them, response bodies as they answer. Request models validate input (after the
checks of spec 2.13 that come first) and, with the response models, generate the published
OpenAPI documents. Enumerations are written once here; the rest of the code reads them."""

from __future__ import annotations

import math
import re
from datetime import date, datetime
from typing import Annotated, Any, Literal, get_args
from urllib.parse import urlsplit

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainValidator,
    StringConstraints,
    ValidationError,
    ValidationInfo,
    ValidatorFunctionWrapHandler,
    WithJsonSchema,
    WrapValidator,
    field_validator,
)
from pydantic_core import PydanticUseDefault

from orderdesk.auto.timefmt import parse_date, parse_timestamp
from orderdesk.platform.outbound import is_absolute_http_url

# --------------------------------------------------------------------------- vocabularies

Source = Literal["aj", "dealer", "glovis", "kcar", "lotte", "sk"]
Fuel = Literal["diesel", "electric", "gasoline", "hybrid", "lpg"]
Transmission = Literal["auto", "cvt", "dct", "manual"]
Drivetrain = Literal["4WD", "AWD", "FWD", "RWD"]
Grade = Literal["A", "B", "C", "D", "F"]
AuctionResult = Literal["no_bid", "sold", "upcoming"]
Environment = Literal["sandbox", "production"]
Status = Literal["proceed", "acquiring", "secured", "shipping", "delivered", "cancelled", "failed"]
FulfillmentDetail = Literal["export_processing", "awaiting_pickup", "in_transit", "customs"]
FailureReason = Literal["outbid", "outbid_internally", "vehicle_unavailable", "auction_cancelled", "auction_passed"]
CancellationReason = Literal["dealer_cancelled", "auction_rescheduled_too_soon"]
AuctionOutcome = Literal["won", "lost", "cancelled"]
EventType = Literal["order.status_changed", "order.fulfillment_updated", "order.auction_rescheduled"]
DeliveryStatus = Literal["pending", "delivered", "failed", "delivery_skipped"]
Actor = Literal["partner", "operator", "scheduler"]
OrderSortName = Literal["created_desc", "created_asc", "auction_date_asc", "updated_desc"]
VehicleSortName = Literal["auction_date_asc", "price_asc", "price_desc", "year_desc", "mileage_asc"]

SOURCES: tuple[str, ...] = get_args(Source)
FUELS: tuple[str, ...] = get_args(Fuel)
TRANSMISSIONS: tuple[str, ...] = get_args(Transmission)
DRIVETRAINS: tuple[str, ...] = get_args(Drivetrain)
GRADES: tuple[str, ...] = get_args(Grade)
AUCTION_RESULTS: tuple[str, ...] = get_args(AuctionResult)
ENVIRONMENTS: tuple[str, ...] = get_args(Environment)
STATUSES: tuple[str, ...] = get_args(Status)
DETAILS: tuple[str, ...] = get_args(FulfillmentDetail)
FAILURE_REASONS: tuple[str, ...] = get_args(FailureReason)
CANCELLATION_REASONS: tuple[str, ...] = get_args(CancellationReason)
ORDER_SORT_NAMES: tuple[str, ...] = get_args(OrderSortName)
VEHICLE_SORT_NAMES: tuple[str, ...] = get_args(VehicleSortName)

MAX_AMOUNT = 1_000_000_000
MAX_URL_LENGTH = 2048
VEHICLE_ID_PATTERN = r"^[A-Za-z0-9_-]{1,64}$"
OPTION_TOKEN_PATTERN = r"^[a-z0-9_]{1,64}$"
OPTION_TOKEN = re.compile(OPTION_TOKEN_PATTERN)
VEHICLE_ID = re.compile(VEHICLE_ID_PATTERN)
TIMESTAMP_MESSAGE = "must be an ISO 8601 date-time with an explicit offset, e.g. 2026-05-12T13:30:00+09:00"
URL_MESSAGE = f"must be an absolute http or https URL of at most {MAX_URL_LENGTH} characters"

# --------------------------------------------------------------------------- field types


def _timestamp(value: Any) -> datetime:
    parsed = parse_timestamp(value) if isinstance(value, str) else None
    if parsed is None:
        raise ValueError(TIMESTAMP_MESSAGE)
    return parsed


def is_valid_vehicle_id(value: str) -> bool:
    return VEHICLE_ID.fullmatch(value) is not None


def is_http_url(value: str) -> bool:
    if len(value) > MAX_URL_LENGTH or any(ch.isspace() for ch in value):
        return False
    return is_absolute_http_url(value)


def _http_url(value: str) -> str:
    if not is_http_url(value):
        raise ValueError(URL_MESSAGE)
    return value


def _ip_entry(value: str) -> str:
    from orderdesk.auto.auth import canonical_entry

    try:
        return canonical_entry(value)
    except ValueError:
        raise ValueError("must be an IPv4 or IPv6 address or CIDR range") from None


def _storable(value: Any) -> bool:
    """Whether free-form JSON survives storage unchanged: the body parser keeps numbers a double
    cannot hold (so amounts get their own error), and those cannot be written back."""
    if isinstance(value, dict):
        return all(_storable(item) for item in value.values())
    if isinstance(value, list):
        return all(_storable(item) for item in value)
    if isinstance(value, float):
        return math.isfinite(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return -(2**63) <= value < 2**64
    return True


def _storable_object(value: dict[str, Any]) -> dict[str, Any]:
    try:
        storable = _storable(value)
    except RecursionError:
        storable = False
    if not storable:
        raise ValueError("must hold only finite numbers within the 64-bit range, not nested too deeply")
    return value


# An input timestamp (spec 2.5): explicit ±HH:MM offset, kept; fractions truncated.
InputTimestamp = Annotated[
    datetime,
    PlainValidator(_timestamp),
    WithJsonSchema({"type": "string", "format": "date-time", "description": "ISO 8601 with an explicit ±HH:MM offset"}),
]
# An output timestamp (spec 2.5): whole seconds, +09:00 for Korean-side times.
Timestamp = Annotated[str, Field(json_schema_extra={"format": "date-time"}, examples=["2026-05-12T13:30:00+09:00"])]
Amount = Annotated[int, Field(ge=0, le=MAX_AMOUNT)]
Text64 = Annotated[str, StringConstraints(min_length=1, max_length=64)]
Text128 = Annotated[str, StringConstraints(min_length=1, max_length=128)]
Text32 = Annotated[str, StringConstraints(min_length=1, max_length=32)]
HttpUrl = Annotated[
    str, AfterValidator(_http_url), WithJsonSchema({"type": "string", "format": "uri", "maxLength": MAX_URL_LENGTH})
]
IpEntry = Annotated[
    str, AfterValidator(_ip_entry), WithJsonSchema({"type": "string", "description": "IPv4/IPv6 address or CIDR"})
]
OptionToken = Annotated[str, StringConstraints(pattern=OPTION_TOKEN_PATTERN)]
FreeFormObject = Annotated[dict[str, Any], AfterValidator(_storable_object)]
# Money fields whose problems are 422s (spec 8.1): documented as integers, checked by the use case.
UncheckedAmount = Annotated[Any, WithJsonSchema({"type": ["integer", "null"], "minimum": 0, "maximum": MAX_AMOUNT})]

_REQUEST = ConfigDict(strict=True, extra="forbid")
_RESPONSE = ConfigDict(extra="forbid")


class RequestModel(BaseModel):
    """A request body: strict JSON types, unknown fields refused (spec 2.7)."""

    model_config = _REQUEST


class ResponseModel(BaseModel):
    """A response body: every field always present (spec 2.7), hence every field required."""

    model_config = _RESPONSE


# --------------------------------------------------------------------------- request bodies


class PlaceOrderBody(RequestModel):
    """POST /v1/orders (spec 4.4)."""

    vehicle_id: Annotated[str, StringConstraints(min_length=1)]
    max_bid_amount_usd: Annotated[int, Field(le=MAX_AMOUNT)] | None = Field(
        None,
        description="Required for auction vehicles, at least pricing.listing_usd; null or omitted for buy-now vehicles",
    )


class StatusPushBody(RequestModel):
    """POST /v1/orders/{order_id}/status (spec 4.8): exactly one of status and fulfillment_detail."""

    status: Status | None = Field(None, description="Only delivered is the partner's")
    fulfillment_detail: FulfillmentDetail | None = Field(
        None, description="Only in_transit and customs are the partner's"
    )
    occurred_at: InputTimestamp
    notes: Annotated[str, StringConstraints(max_length=2000)] | None = None


class PricingBody(RequestModel):
    listing_usd: Annotated[int, Field(ge=1, le=MAX_AMOUNT)]


class VehicleBody(RequestModel):
    """PUT /ops/v1/auto/vehicles/{vehicle_id} (spec 8.4): a Vehicle without (or with the same) id."""

    id: str | None = None
    source: Source
    make: Text64
    model: Text64
    trim: Text128 | None = None
    year: Annotated[int, Field(ge=1950, le=2100)]
    mileage_km: Annotated[int, Field(ge=0, le=2_000_000)]
    fuel: Fuel | None = None
    transmission: Transmission | None = None
    color: Text64 | None = None
    engine_cc: Annotated[int, Field(ge=1, le=20_000)] | None = None
    drivetrain: Drivetrain | None = None
    options: Annotated[list[OptionToken], Field(max_length=100)] | None = None
    accident_grade: Grade | None = None
    exterior_grade: Grade | None = None
    auction_date: InputTimestamp | None = None
    auction_count: Annotated[int, Field(ge=1, le=1_000_000)] | None = None
    auction_result: AuctionResult | None = None
    pricing: PricingBody
    vin: Text32 | None = None
    license_plate: Text32 | None = None
    images: Annotated[list[HttpUrl], Field(max_length=50)] | None = None
    inspection_report: FreeFormObject | None = None
    body_condition: FreeFormObject | None = None


class _WebhookUrlRule(RequestModel):
    @field_validator("webhook_url", check_fields=False)
    @classmethod
    def _https_in_production(cls, value: str | None, info: ValidationInfo) -> str | None:
        environment = (info.context or {}).get("environment")
        if value is not None and environment == "production" and urlsplit(value).scheme != "https":
            raise ValueError("must use https in production")
        return value


class NewPartnerBody(_WebhookUrlRule):
    """POST /ops/v1/auto/partners (spec 8.2)."""

    name: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    environment: Environment | None = Field(None, description="Default: the server's ORDERDESK_ENVIRONMENT")
    ip_allowlist: Annotated[list[IpEntry], Field(min_length=1, max_length=16)] | None = None
    webhook_url: HttpUrl | None = None


class PartnerPatchBody(_WebhookUrlRule):
    """PATCH /ops/v1/auto/partners/{partner_id}: a key left out keeps its value, null clears it."""

    ip_allowlist: Annotated[list[IpEntry], Field(min_length=1, max_length=16)] | None = None
    webhook_url: HttpUrl | None = None


class ShipmentPatch(RequestModel):
    """Shipment keys to change (spec 8.6): a key given replaces, null clears, a key left out is kept."""

    vessel_name: Text128 | None = None
    voyage_number: Text128 | None = None
    bill_of_lading_number: Text128 | None = None
    port_of_loading: Text128 | None = None
    port_of_discharge: Text128 | None = None
    etd: InputTimestamp | None = None
    eta: InputTimestamp | None = None


class TransitionBody(RequestModel):
    """POST /ops/v1/auto/orders/{order_id}/transition (spec 8.6); every field optional."""

    status: Status | None = None
    fulfillment_detail: FulfillmentDetail | None = None
    failure_reason: FailureReason | None = None
    cancellation_reason: CancellationReason | None = None
    purchase_price_usd: UncheckedAmount = None
    auction_fee_usd: UncheckedAmount = None
    shipment: ShipmentPatch | None = None


class AuctionResultBody(RequestModel):
    """POST /ops/v1/auto/vehicles/{vehicle_id}/auction/result (spec 8.5)."""

    outcome: AuctionOutcome
    purchase_price_usd: UncheckedAmount = Field(None, description="won only: 1 ≤ value ≤ the ceiling")
    auction_fee_usd: UncheckedAmount = Field(None, description="won only: ≥ 0, default 0")


# --------------------------------------------------------------------------- query strings
# Every query value arrives as text, a repeated parameter as the list of its values (spec 2.7):
# each type below reads that input (one value, an empty one is absent, no NUL) and documents the
# parameter. Rules across parameters (ranges, from with to, model with make) are in auto/inputs.py.

QUERY_INTEGER_DIGITS = 15  # beyond this no filter value can matter, and the database would overflow
DEFAULT_LIMIT = 50
MAX_LIMIT = 200
MAX_IDS = 100
NUL_MESSAGE = "must not contain NUL characters"
_QUERY_INTEGER = re.compile(r"^-?[0-9]+$")
_LIMIT = re.compile(r"^[0-9]{1,3}$")


def _one(value: str | list[str]) -> str:
    """The parameter's one value as sent ('' kept)."""
    if isinstance(value, list):
        raise ValueError("must be given at most once")
    if "\x00" in value:
        raise ValueError(NUL_MESSAGE)
    return value


def query_text(value: str | list[str]) -> str:
    """The parameter's value; an empty one counts as absent (spec 2.7): its field keeps its default."""
    text = _one(value)
    if not text:
        raise PydanticUseDefault()
    return text


def _csv(value: str | list[str]) -> list[str]:
    """Items split on commas, trimmed, empty ones dropped, duplicates merged (first kept)."""
    return list(dict.fromkeys(item.strip() for item in _one(value).split(",") if item.strip()))


def _items(value: str | list[str]) -> list[str]:
    """A CSV with no item counts as absent."""
    items = _csv(value)
    if not items:
        raise PydanticUseDefault()
    return items


def _ids(value: str | list[str]) -> list[str]:
    """Spec 4.5: unlike other parameters, `ids=` is given (and matches nothing)."""
    ids = _csv(value)
    if len(ids) > MAX_IDS:
        raise ValueError(f"must list at most {MAX_IDS} ids")
    return ids


def _option_tokens(value: str | list[str]) -> list[str]:
    tokens = _items(value)
    bad = [token for token in tokens if not OPTION_TOKEN.fullmatch(token)]
    if bad:
        raise ValueError(f"{bad[0]!r} is not an option token ({OPTION_TOKEN_PATTERN})")
    return tokens


def _one_of(allowed: tuple[str, ...]) -> Any:
    def check(value: str | list[str]) -> str:
        text = query_text(value)
        if text not in allowed:
            raise ValueError("must be one of: " + ", ".join(allowed))
        return text

    return BeforeValidator(check)


def _csv_of(allowed: tuple[str, ...], *, fold_upper: bool = False) -> Any:
    """A CSV of enum items, sorted."""

    def check(value: str | list[str]) -> list[str]:
        items = _items(value)
        if fold_upper:
            items = list(dict.fromkeys(item.upper() for item in items))
        unknown = [item for item in items if item not in allowed]
        if unknown:
            raise ValueError(f"unknown value {unknown[0]!r}; allowed: " + ", ".join(allowed))
        return sorted(items)

    return BeforeValidator(check)


def _query_integer(value: str | list[str]) -> int:
    text = query_text(value)
    if not _QUERY_INTEGER.fullmatch(text):
        raise ValueError("must be an integer")
    if len(text.lstrip("-")) > QUERY_INTEGER_DIGITS:
        raise ValueError("is out of range")
    return int(text)


def _limit(value: str | list[str], within: ValidatorFunctionWrapHandler) -> int:
    text = query_text(value)
    try:
        if not _LIMIT.fullmatch(text):
            raise ValueError
        return int(within(int(text)))
    except (ValueError, ValidationError):
        raise ValueError(f"must be an integer from 1 to {MAX_LIMIT}") from None


def _query_timestamp(value: str | list[str]) -> datetime:
    text = query_text(value)
    if len(text) >= 6 and text[-6] == " ":  # an unencoded "+" arrives as a space (spec 2.5)
        text = text[:-6] + "+" + text[-5:]
    parsed = parse_timestamp(text)
    if parsed is None:
        raise ValueError("must be an ISO 8601 date-time with an explicit offset, e.g. 2026-05-12T13:30:00%2B09:00")
    return parsed


def _query_date(value: str | list[str]) -> date:
    text = query_text(value)
    parsed = parse_date(text)
    if parsed is None:
        raise ValueError("must be a calendar date YYYY-MM-DD")
    return parsed


QUERY_TIMESTAMP = "ISO 8601 with an explicit ±HH:MM offset (send + as %2B); from and to go together"


QueryText = Annotated[str | None, BeforeValidator(query_text)]
QueryInteger = Annotated[int | None, BeforeValidator(_query_integer)]
QueryCount = Annotated[Annotated[int, Field(ge=0)] | None, BeforeValidator(_query_integer)]
QueryCsv = Annotated[list[str] | None, BeforeValidator(_items)]
QueryTimestamp = Annotated[datetime | None, BeforeValidator(_query_timestamp)]
QueryDate = Annotated[date | None, BeforeValidator(_query_date)]
QueryStatus = Annotated[Status | None, _one_of(STATUSES)]
Sources = Annotated[list[Source] | None, _csv_of(SOURCES)]
Grades = Annotated[list[Grade] | None, _csv_of(GRADES, fold_upper=True)]
Limit = Annotated[int, Field(ge=1, le=MAX_LIMIT), WrapValidator(_limit)]
# Longer cursors are refused as invalid_cursor (spec 2.8), so the length is documented, not validated.
Cursor = Annotated[
    str | None,
    BeforeValidator(query_text),
    Field(description="next_cursor of the previous page", json_schema_extra={"maxLength": 1024}),
]


class QueryModel(BaseModel):
    """A query string: unknown parameters are ignored (spec 2.7)."""

    model_config = ConfigDict(extra="ignore")


class PageQuery(QueryModel):
    limit: Limit = DEFAULT_LIMIT
    cursor: Cursor = None


class FacetsQuery(QueryModel):
    source: Annotated[Sources, Field(description="CSV")] = None


class VehicleListQuery(QueryModel):
    make: Annotated[QueryCsv, Field(description="CSV, case-insensitive")] = None
    model: Annotated[QueryCsv, Field(description="CSV, case-insensitive; requires make")] = None
    year_min: QueryInteger = None
    year_max: QueryInteger = None
    price_min_usd: QueryCount = None
    price_max_usd: QueryCount = None
    auction_count_min: Annotated[QueryCount, Field(description="null-strict")] = None
    auction_count_max: Annotated[QueryCount, Field(description="null-strict")] = None
    mileage_max_km: QueryCount = None
    source: Annotated[Sources, Field(description="CSV")] = None
    fuel: Annotated[list[Fuel] | None, _csv_of(FUELS), Field(description="CSV")] = None
    transmission: Annotated[list[Transmission] | None, _csv_of(TRANSMISSIONS), Field(description="CSV")] = None
    accident_grade: Annotated[Grades, Field(description="CSV, case-insensitive; null-strict")] = None
    exterior_grade: Annotated[Grades, Field(description="CSV, case-insensitive; null-strict")] = None
    options_include: Annotated[
        list[OptionToken] | None, BeforeValidator(_option_tokens), Field(description="CSV; the vehicle has every one")
    ] = None
    auction_date_from: Annotated[QueryDate, Field(description="KST, inclusive (null-strict)")] = None
    auction_date_to: Annotated[QueryDate, Field(description="KST, inclusive (null-strict)")] = None
    sort: Annotated[VehicleSortName, _one_of(VEHICLE_SORT_NAMES)] = "auction_date_asc"
    limit: Limit = DEFAULT_LIMIT
    cursor: Cursor = None


class OrderListQuery(QueryModel):
    ids: Annotated[
        Annotated[list[str], Field(max_length=MAX_IDS)] | None,
        BeforeValidator(_ids),
        Field(description="CSV of order ids; malformed, unknown and foreign ids are dropped; `ids=` matches nothing"),
    ] = None
    status: QueryStatus = None
    from_: Annotated[QueryTimestamp, Field(alias="from", description="created_at ≥ from; " + QUERY_TIMESTAMP)] = None
    to: Annotated[QueryTimestamp, Field(description="created_at < to; " + QUERY_TIMESTAMP)] = None
    sort: Annotated[OrderSortName, _one_of(ORDER_SORT_NAMES)] = "created_desc"
    limit: Limit = DEFAULT_LIMIT
    cursor: Cursor = None


class OpsOrderListQuery(QueryModel):
    vehicle_id: QueryText = None
    partner_id: QueryText = None
    status: QueryStatus = None
    limit: Limit = DEFAULT_LIMIT
    cursor: Cursor = None


# --------------------------------------------------------------------------- responses


class Pricing(ResponseModel):
    listing_usd: int


class VehicleSummary(ResponseModel):
    """Spec 3.1."""

    id: str
    source: Source
    make: str
    model: str
    trim: str | None
    year: int
    mileage_km: int
    fuel: Fuel | None
    transmission: Transmission | None
    color: str | None
    engine_cc: int | None
    drivetrain: Drivetrain | None
    options: list[str]
    accident_grade: Grade | None
    exterior_grade: Grade | None
    auction_date: Timestamp | None
    auction_count: int | None
    auction_result: AuctionResult | None
    pricing: Pricing


class Vehicle(VehicleSummary):
    """Spec 3.2."""

    vin: str | None
    license_plate: str | None
    images: list[str]
    inspection_report: dict[str, Any] | None
    body_condition: dict[str, Any] | None


class OpsVehicle(Vehicle):
    withdrawn: bool


class VehiclePage(ResponseModel):
    data: list[VehicleSummary]
    next_cursor: str | None


class Facets(ResponseModel):
    """Spec 3.4."""

    makes: list[str]
    models: dict[str, list[str]]
    fuels: list[Fuel]
    transmissions: list[Transmission]
    sources: list[Source]
    as_of: Timestamp


class Amounts(ResponseModel):
    purchase_price_usd: int | None
    auction_fee_usd: int | None


class Shipment(ResponseModel):
    vessel_name: str | None
    voyage_number: str | None
    bill_of_lading_number: str | None
    port_of_loading: str | None
    port_of_discharge: str | None
    etd: Timestamp | None
    eta: Timestamp | None


class Order(ResponseModel):
    """Spec 4.1."""

    id: str
    vehicle_id: str
    status: Status
    max_bid_amount_usd: int | None
    is_highest_bid: bool | None
    current_max_bid_usd: int | None
    amounts: Amounts
    auction_date: Timestamp | None
    order_cutoff_at: Timestamp | None
    failure_reason: FailureReason | None
    cancellation_reason: CancellationReason | None
    fulfillment_detail: FulfillmentDetail | None
    shipment: Shipment | None
    created_at: Timestamp
    updated_at: Timestamp


class OrderPage(ResponseModel):
    data: list[Order]
    next_cursor: str | None


class EventData(ResponseModel):
    """One of previous_status, previous_fulfillment_detail, previous_auction_date (by event type)."""

    model_config = ConfigDict(extra="allow")
    order: Order


class EventEnvelope(ResponseModel):
    """The webhook as sent (spec 6.1)."""

    id: str
    type: EventType
    occurred_at: Timestamp
    data: EventData


class Event(ResponseModel):
    """One entry of the webhook log (spec 4.9)."""

    id: str
    type: EventType
    occurred_at: Timestamp
    delivery_status: DeliveryStatus
    attempts: int
    last_response_code: int | None
    last_attempt_at: Timestamp | None
    payload: EventEnvelope


class EventPage(ResponseModel):
    data: list[Event]
    next_cursor: str | None


class OpsOrder(Order):
    """Order + partner_id (spec 8.1)."""

    partner_id: str


class HistoryEntry(ResponseModel):
    at: Timestamp
    actor: Actor
    from_status: Status | None
    to_status: Status | None
    from_fulfillment_detail: FulfillmentDetail | None
    to_fulfillment_detail: FulfillmentDetail | None
    occurred_at: Timestamp | None
    notes: str | None


class OpsOrderDetail(OpsOrder):
    history: list[HistoryEntry]


class OpsOrderPage(ResponseModel):
    data: list[OpsOrder]
    next_cursor: str | None


class Partner(ResponseModel):
    """Spec 8.2."""

    id: str
    name: str
    environment: Environment
    ip_allowlist: list[str] | None
    webhook_url: str | None
    created_at: Timestamp


class NewPartner(Partner):
    key_id: str
    api_key: str
    webhook_secret: str


class KeySummary(ResponseModel):
    key_id: str
    key_prefix: str
    created_at: Timestamp
    revoked_at: Timestamp | None


class PartnerDetail(Partner):
    keys: list[KeySummary]


class PartnerPage(ResponseModel):
    data: list[Partner]
    next_cursor: str | None


class NewKey(ResponseModel):
    key_id: str
    api_key: str


class Withdrawal(ResponseModel):
    vehicle_id: str
    failed_order_ids: list[str]


class AuctionStart(ResponseModel):
    winner_order_id: str | None
    failed_order_ids: list[str]


class AuctionResultOutcome(ResponseModel):
    order: OpsOrder | None
    failed_order_ids: list[str]


class ErrorBody(ResponseModel):
    code: str
    message: str
    request_id: str
    details: dict[str, Any]


class ErrorEnvelope(ResponseModel):
    """Every non-2xx answer (spec 2.9)."""

    error: ErrorBody
