"""The auto contract as typed models (spec 3, 4, 6, 8): request bodies and query strings as the
endpoints accept them, response bodies as they answer. Request models validate input (after the
checks of spec 2.13 that come first) and, with the response models, generate the published
OpenAPI documents. Enumerations are written once here; the rest of the code reads them."""

from __future__ import annotations

import math
import re
from datetime import datetime
from typing import Annotated, Any, Literal, get_args
from urllib.parse import urlsplit

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    PlainValidator,
    StringConstraints,
    ValidationInfo,
    WithJsonSchema,
    field_validator,
)

from orderdesk.auto.timefmt import parse_timestamp
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
# Query strings are read by parsing.QueryReader (repeats, empty values, CSV); these models give
# each parameter's documented type, and their Literal types are the enums the reader checks.

Csv = Annotated[str, Field(description="comma-separated values")]


class PageQuery(BaseModel):
    cursor: Annotated[str, Field(max_length=1024, description="next_cursor of the previous page")] | None = None
    limit: Annotated[int, Field(ge=1, le=200, description="1–200, default 50")] | None = None


class FacetsQuery(BaseModel):
    source: Annotated[str, Field(description="CSV of source codes: " + ", ".join(SOURCES))] | None = None


class VehicleListQuery(PageQuery):
    make: Annotated[str, Field(description="CSV, case-insensitive")] | None = None
    model: Annotated[str, Field(description="CSV, case-insensitive; requires make")] | None = None
    year_min: int | None = None
    year_max: int | None = None
    mileage_max_km: Annotated[int, Field(ge=0)] | None = None
    price_min_usd: Annotated[int, Field(ge=0)] | None = None
    price_max_usd: Annotated[int, Field(ge=0)] | None = None
    source: Annotated[str, Field(description="CSV of " + ", ".join(SOURCES))] | None = None
    fuel: Annotated[str, Field(description="CSV of " + ", ".join(FUELS))] | None = None
    transmission: Annotated[str, Field(description="CSV of " + ", ".join(TRANSMISSIONS))] | None = None
    accident_grade: Annotated[str, Field(description="CSV of " + ",".join(GRADES) + " (null-strict)")] | None = None
    exterior_grade: Annotated[str, Field(description="CSV of " + ",".join(GRADES) + " (null-strict)")] | None = None
    options_include: Annotated[str, Field(description="CSV of option tokens; the vehicle has every one")] | None = None
    auction_date_from: Annotated[str, Field(description="YYYY-MM-DD, KST, inclusive (null-strict)")] | None = None
    auction_date_to: Annotated[str, Field(description="YYYY-MM-DD, KST, inclusive (null-strict)")] | None = None
    auction_count_min: Annotated[int, Field(ge=0, description="null-strict")] | None = None
    auction_count_max: Annotated[int, Field(ge=0, description="null-strict")] | None = None
    sort: VehicleSortName | None = None


class OrderListQuery(PageQuery):
    ids: str | None = Field(None, description="CSV of order ids (at most 100); unknown and foreign ids are dropped")
    status: Status | None = None
    from_: str | None = Field(None, alias="from", description="created_at ≥ from; ISO 8601 with offset; requires to")
    to: Annotated[str, Field(description="created_at < to; ISO 8601 with offset; requires from")] | None = None
    sort: OrderSortName | None = None


class OpsOrderListQuery(PageQuery):
    vehicle_id: str | None = None
    partner_id: str | None = None
    status: Status | None = None


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
