"""Typed responses of both APIs, field for field as the contract (and its OpenAPI documents)
names them; `tests/test_contract.py` fails when they drift apart. Amounts stay strings in
crypto (exact decimals; use `decimal.Decimal(order.asset.amount)`), integers in auto (whole
USD); timestamps stay ISO 8601 strings exactly as sent."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from orderdesk_client._model import Model

frozen = dataclass(frozen=True, kw_only=True)

# --------------------------------------------------------------------------- auto


@frozen
class Pricing(Model):
    listing_usd: int


@frozen
class VehicleSummary(Model):
    id: str
    source: str
    make: str
    model: str
    trim: str | None
    year: int
    mileage_km: int
    fuel: str | None
    transmission: str | None
    color: str | None
    engine_cc: int | None
    drivetrain: str | None
    options: list[str]
    accident_grade: str | None
    exterior_grade: str | None
    auction_date: str | None
    auction_count: int | None
    auction_result: str | None
    pricing: Pricing


@frozen
class Vehicle(VehicleSummary):
    vin: str | None
    license_plate: str | None
    images: list[str]
    inspection_report: dict[str, Any] | None
    body_condition: dict[str, Any] | None


@frozen
class Facets(Model):
    makes: list[str]
    models: dict[str, list[str]]
    fuels: list[str]
    transmissions: list[str]
    sources: list[str]
    as_of: str


@frozen
class OrderAmounts(Model):
    purchase_price_usd: int | None
    auction_fee_usd: int | None


@frozen
class Shipment(Model):
    vessel_name: str | None
    voyage_number: str | None
    bill_of_lading_number: str | None
    port_of_loading: str | None
    port_of_discharge: str | None
    etd: str | None
    eta: str | None


@frozen
class Order(Model):
    """An auto order (spec auto 4.1)."""

    id: str
    vehicle_id: str
    status: str
    max_bid_amount_usd: int | None
    is_highest_bid: bool | None
    current_max_bid_usd: int | None
    amounts: OrderAmounts
    auction_date: str | None
    order_cutoff_at: str | None
    failure_reason: str | None
    cancellation_reason: str | None
    fulfillment_detail: str | None
    shipment: Shipment | None
    created_at: str
    updated_at: str


@frozen
class AutoEventPayload(Model):
    """The envelope auto POSTs to the partner's webhook URL (spec auto 6.1). `data` holds the
    `previous_*` value of the event type and the full `order`."""

    id: str
    type: str
    occurred_at: str
    data: dict[str, Any]

    @property
    def order(self) -> Order:
        return Order.from_dict(self.data["order"])


@frozen
class OrderEvent(Model):
    """One entry of an order's webhook log (`GET /v1/orders/{id}/events`)."""

    id: str
    type: str
    occurred_at: str
    delivery_status: str
    attempts: int
    last_response_code: int | None
    last_attempt_at: str | None
    payload: AutoEventPayload


# --------------------------------------------------------------------------- crypto


@frozen
class Product(Model):
    id: str
    enabled: bool
    active: bool


@frozen
class AssetNetwork(Model):
    network: str
    send_fee: str


@frozen
class Asset(Model):
    id: str
    decimal_places: int
    allowed_operations: list[str]
    networks: list[AssetNetwork]
    max_order_value: str | None


@frozen
class Partner(Model):
    """The calling crypto partner (`GET /partner`)."""

    id: str
    name: str
    scopes: list[str]
    settlement_currencies: list[str]
    products: list[Product]
    available_assets: list[Asset]
    available_investments: list[dict[str, Any]]


@frozen
class Rate(Model):
    currency: str
    bid: str
    ask: str


@frozen
class ExchangeRates(Model):
    quote_currency: str
    timestamp: str
    rates: list[Rate]


@frozen
class DataRequirement(Model):
    id: str
    type: str
    document_type: str | None
    status: str
    rejection_reason: str | None
    created: str
    submitted_at: str | None
    last_updated_at: str


@frozen
class Customer(Model):
    id: str
    type: str
    reference_id: str | None
    state: str
    profile: dict[str, Any]
    contact: dict[str, Any]
    products: list[Product]
    data_requirements: list[DataRequirement]
    created_at: str
    last_updated_at: str


@frozen
class Money(Model):
    currency: str
    amount: str


@frozen
class Authorization(Model):
    id: str
    type: str
    state: str
    expires_at: str
    signed_at: str | None


OPERATIONS = ("buy", "sell", "swap", "send", "subscribe_investment", "redeem_investment", "receive")


@frozen
class CryptoOrder(Model):
    """A crypto order (spec crypto 8.1). Exactly one operation node is present, named like
    `operation`; `node` returns it."""

    id: str
    customer_id: str
    reference_id: str | None
    operation: str
    state: str
    cancel_reason: str | None
    asset: Money
    customer: Money | None
    created_at: str
    submitted_at: str | None
    last_updated_at: str
    buy: dict[str, Any] | None = None
    sell: dict[str, Any] | None = None
    swap: dict[str, Any] | None = None
    send: dict[str, Any] | None = None
    subscribe_investment: dict[str, Any] | None = None
    redeem_investment: dict[str, Any] | None = None
    receive: dict[str, Any] | None = None

    @property
    def node(self) -> dict[str, Any]:
        found: dict[str, Any] | None = getattr(self, self.operation, None)
        return found or {}

    @property
    def requires_confirmation_code(self) -> bool:
        return bool(self.node.get("requires_confirmation_code"))

    @property
    def authorizations(self) -> list[Authorization]:
        return [Authorization.from_dict(a) for a in self.node.get("authorizations") or []]


@frozen
class AddressBookEntry(Model):
    id: str
    address: str
    network: str
    label: str | None
    ownership_type: str
    beneficiary_full_name: str | None
    created: str
    last_used: str | None


@frozen
class Subscription(Model):
    id: str
    url: str
    events: list[str]
    created_at: str


@frozen
class WebhookPublicKey(Model):
    algorithm: str
    issuer: str
    public_key_pem: str


@frozen
class CryptoEvent(Model):
    """A crypto webhook (spec crypto 9.2): `action` plus the entity keys of that action."""

    id: str
    action: str
    created_at: str
    order: CryptoOrder | None = None
    customer: Customer | None = None
    products: list[str] | None = None
    data_requirement: DataRequirement | None = None


__all__ = [
    "AddressBookEntry",
    "Asset",
    "AssetNetwork",
    "Authorization",
    "AutoEventPayload",
    "CryptoEvent",
    "CryptoOrder",
    "Customer",
    "DataRequirement",
    "ExchangeRates",
    "Facets",
    "Money",
    "Order",
    "OrderAmounts",
    "OrderEvent",
    "Partner",
    "Pricing",
    "Product",
    "Rate",
    "Shipment",
    "Subscription",
    "Vehicle",
    "VehicleSummary",
    "WebhookPublicKey",
]
