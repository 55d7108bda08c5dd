"""The crypto partner API's bodies (spec/crypto.md 4-9), requests and answers."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Annotated, Any, Literal, Optional

from pydantic import BeforeValidator, Field, RootModel, Strict, ValidationInfo, create_model, field_validator

from orderdesk.crypto import vocabulary as v
from orderdesk.crypto.errors import REQUIRED
from orderdesk.crypto.models.common import Answer, CustomerMoney, Order, Paging, Query, Request
from orderdesk.crypto.models.types import (
    Amount,
    AmountOrZero,
    BirthDate,
    CatalogueNetwork,
    Country,
    Currency,
    Email,
    Hex32,
    NonEmpty,
    OutAmount,
    OutTimestamp,
    Phone,
    ReferenceId,
    Text,
    WebhookUrl,
    check_places,
    choice,
    contract_failure,
    out_choice,
    text,
)

StrictBool = Annotated[bool, Strict()]

# --------------------------------------------------------------------------- partner and catalogue (4)


class Product(Answer):
    id: out_choice(v.PRODUCTS)  # type: ignore[valid-type]
    enabled: bool
    active: bool


class Network(Answer):
    network: str
    send_fee: OutAmount


class Asset(Answer):
    id: str
    decimal_places: int
    allowed_operations: list[out_choice(v.ASSET_OPERATIONS)]  # type: ignore[valid-type]
    networks: list[Network]
    max_order_value: OutAmount


class Limits(Answer):
    min_amount: OutAmount
    max_amount: OutAmount


class InvestmentFee(Answer):
    type: out_choice(v.INVESTMENT_FEE_TYPES)  # type: ignore[valid-type]
    value: OutAmount


class Rate(Answer):
    apy: OutAmount
    token_price: OutAmount
    updated_at: OutTimestamp


class Investment(Answer):
    id: str
    name: str
    quote_asset: str
    network: str
    provider_id: str
    enabled: bool
    decimal_places: int
    subscription: Limits
    redemption: Limits
    fee: InvestmentFee
    rate: Rate


class PartnerView(Answer):
    id: Hex32
    name: str
    scopes: list[out_choice(v.SCOPES)]  # type: ignore[valid-type]
    settlement_currencies: list[str]
    products: list[Product]
    available_assets: list[Asset]
    available_investments: list[Investment]


class RatesQuery(Query):
    quote_currency: str | None = None


class Price(Answer):
    currency: str
    bid: OutAmount
    ask: OutAmount


class Rates(Answer):
    quote_currency: str
    timestamp: OutTimestamp
    rates: list[Price]


# --------------------------------------------------------------------------- customers (5)


class IndividualProfileInput(Request):
    label: Text | None = None
    first_name: Text
    middle_name: Text | None = None
    last_name: Text
    date_of_birth: BirthDate
    national_id_country: Country
    national_id_type: choice(v.NATIONAL_ID_TYPES)  # type: ignore[valid-type]
    national_id: Text
    citizenship: Country
    address_line1: Text
    address_line2: Text | None = None
    city: Text
    state: Text
    country: Country
    zip_code: Text
    tax_country: Country
    tax_id: Text
    is_pep: StrictBool | None = None


class BusinessProfileInput(Request):
    label: Text | None = None
    name: Text
    first_name: Text
    last_name: Text
    address_line1: Text | None = None
    address_line2: Text | None = None
    city: Text | None = None
    state: Text | None = None
    country: Country | None = None
    zip_code: Text | None = None
    tax_country: Country
    tax_id: Text


class ContactInput(Request):
    email: Email
    cellphone: Phone | None = None


class NewCustomer(Request):
    """`profile` follows `type` (default `individual`): a key of the other type's profile is `Unknown field.`."""

    type: choice(v.CUSTOMER_TYPES) | None = None  # type: ignore[valid-type]
    reference_id: ReferenceId
    profile: IndividualProfileInput | BusinessProfileInput
    contact: ContactInput


def patch_model(model: type[Request], name: str) -> type[Request]:
    """`model` with every field optional: a PATCH names only the keys it changes (`null` clears
    an optional key; on a key `model` requires it is reported as missing, see `missing_in`)."""
    fields: dict[str, Any] = {
        key: (Optional[info.rebuild_annotation()], None)  # noqa: UP045 - an Annotated type inside
        for key, info in model.model_fields.items()
    }
    patch: type[Request] = create_model(name, __base__=Request, __doc__=model.__doc__, **fields)
    patch.__module__ = __name__
    return patch


def missing_in(patch: dict[str, Any], model: type[Request]) -> list[str]:
    """The keys a PATCH body sets to `null` that `model` requires."""
    fields = model.model_fields
    return [key for key, value in patch.items() if value is None and key in fields and fields[key].is_required()]


IndividualProfilePatch = patch_model(IndividualProfileInput, "IndividualProfilePatch")
BusinessProfilePatch = patch_model(BusinessProfileInput, "BusinessProfilePatch")
ContactPatch = patch_model(ContactInput, "ContactPatch")


class CustomerPatch(Request):
    """`profile` keys are those of the customer's own type. `id`, `type`, `reference_id`,
    `state`, `products`, `data_requirements` and `created_at` cannot be changed."""

    profile: IndividualProfilePatch | BusinessProfilePatch | None = None  # type: ignore[valid-type]
    contact: ContactPatch | None = None  # type: ignore[valid-type]


class CustomersQuery(Paging):
    reference_id: str | None = None
    state: choice(v.CUSTOMER_STATES) | None = None  # type: ignore[valid-type]


class Requirement(Answer):
    id: str
    type: Literal["document"]
    document_type: out_choice(v.DOCUMENT_TYPES)  # type: ignore[valid-type]
    status: out_choice(v.REQUIREMENT_STATUSES)  # type: ignore[valid-type]
    rejection_reason: out_choice(v.REJECTION_REASONS) | None  # type: ignore[valid-type]
    created: OutTimestamp
    submitted_at: OutTimestamp | None
    last_updated_at: OutTimestamp


class IndividualProfile(Answer):
    label: str | None
    first_name: str
    middle_name: str | None
    last_name: str
    date_of_birth: str
    national_id_country: str
    national_id_type: out_choice(v.NATIONAL_ID_TYPES)  # type: ignore[valid-type]
    national_id: str
    citizenship: str
    address_line1: str
    address_line2: str | None
    city: str
    state: str
    country: str
    zip_code: str
    tax_country: str
    tax_id: str
    is_pep: bool


class BusinessProfile(Answer):
    label: str | None
    name: str
    first_name: str
    last_name: str
    address_line1: str | None
    address_line2: str | None
    city: str | None
    state: str | None
    country: str | None
    zip_code: str | None
    tax_country: str
    tax_id: str


class Contact(Answer):
    email: str
    cellphone: str | None


class Customer(Answer):
    id: Hex32
    type: out_choice(v.CUSTOMER_TYPES)  # type: ignore[valid-type]
    reference_id: str
    state: out_choice(v.CUSTOMER_STATES)  # type: ignore[valid-type]
    profile: IndividualProfile | BusinessProfile
    contact: Contact
    products: list[Product]
    data_requirements: list[Requirement]
    created_at: OutTimestamp
    last_updated_at: OutTimestamp


class Customers(Answer):
    customers: list[Customer]
    total: int


@dataclass(frozen=True)
class FilePart:
    """A multipart part sent as a file: its filename and content, read before validation."""

    filename: str
    content: bytes


def _form_choice(values: tuple[str, ...]) -> Any:
    """A choice among `values`; an empty part is a missing one, as for any form."""

    def empty_is_missing(value: Any) -> Any:
        if value == "":
            raise contract_failure(REQUIRED)
        return value

    return Annotated[choice(values), BeforeValidator(empty_is_missing)]


def _file_content(value: Any) -> bytes:
    if not isinstance(value, FilePart) or not value.filename:
        raise contract_failure("A filename is required.")
    return value.content


def _file_length(value: Any, info: ValidationInfo) -> int:
    """Digits only; equal to the file's size when a file was sent (context `file_size`)."""
    if not isinstance(value, str) or not _LENGTH_DIGITS.fullmatch(value):
        raise contract_failure("Not a valid integer.")
    size = (info.context or {}).get("file_size")
    if size is not None and int(value) != size:
        raise contract_failure("Does not match the file size.")
    return int(value)


_LENGTH_DIGITS = re.compile(r"^[0-9]{1,12}$")


# Validated from the parsed form (kyc.parse_upload), each part by its value as sent: text, or a FilePart.
class DocumentForm(Request):
    """multipart/form-data parts (5.6); `file` carries a filename; an empty document_type or file_type
    is a missing one."""

    document_type: _form_choice(v.DOCUMENT_TYPES)  # type: ignore[valid-type]
    file_type: _form_choice(v.FILE_TYPES)  # type: ignore[valid-type]
    file: Annotated[bytes, Strict(), BeforeValidator(_file_content)]
    file_length: Annotated[int, BeforeValidator(_file_length)] | None = None


# --------------------------------------------------------------------------- accounts (6)


class Account(Answer):
    currency: str
    amount: OutAmount


class Accounts(Answer):
    accounts: list[Account]


# --------------------------------------------------------------------------- orders (8)


Code = text(1, 64)  # currency, investment and network codes as sent; the catalogue judges them (step 7)


class AssetInput(Request):
    currency: Code  # type: ignore[valid-type]
    amount: Amount | None = None


class CommissionInput(Request):
    type: choice(v.COMMISSION_TYPES)  # type: ignore[valid-type]
    value: AmountOrZero


class RedeemCommissionInput(Request):
    type: choice(v.REDEEM_COMMISSION_TYPES)  # type: ignore[valid-type]
    value: AmountOrZero


class SettlementInput(Request):
    currency: Currency | None = None
    amount: Amount | None = None


class TradeInput(Request):
    settlement: SettlementInput | None = None
    commission: CommissionInput | None = None


class SwapInput(Request):
    currency: Code  # type: ignore[valid-type]
    amount: Amount | None = None
    commission: CommissionInput | None = None


class DestinationInput(Request):
    type: choice(v.DESTINATION_TYPES)  # type: ignore[valid-type]
    value: Text
    amount: Amount | None = None


class SendInput(Request):
    network: Code | None = None  # type: ignore[valid-type]
    destination: DestinationInput
    commission: CommissionInput | None = None


class InvestmentRef(Request):
    id: Code  # type: ignore[valid-type]


class SubscribeInput(Request):
    investment: InvestmentRef
    commission: CommissionInput | None = None


class RedeemInvestmentRef(Request):
    id: Code  # type: ignore[valid-type]
    full_amount: StrictBool | None = None


class RedeemInput(Request):
    investment: RedeemInvestmentRef
    commission: RedeemCommissionInput | None = None


class NewOrder(Request):
    """One operation node, named like `operation` (8.2); `buy`/`sell` may be omitted."""

    operation: choice(v.CREATABLE_OPERATIONS)  # type: ignore[valid-type]
    asset: AssetInput
    reference_id: ReferenceId | None = None
    buy: TradeInput | None = None
    sell: TradeInput | None = None
    swap: SwapInput | None = None
    send: SendInput | None = None
    subscribe_investment: SubscribeInput | None = None
    redeem_investment: RedeemInput | None = None


CUSTOMER_AMOUNT_PLACES = 8


class CustomerMoneyInput(Request):
    """What the partner charged or paid its customer; echoed exactly as sent."""

    currency: Currency
    amount: Amount

    @field_validator("amount")
    @classmethod
    def _places(cls, value: str, info: ValidationInfo) -> str:
        check_places(value, info.data.get("currency", ""), CUSTOMER_AMOUNT_PLACES)
        return value


class Confirmation(Request):
    confirmation_code: text(1, 64) | None = None  # type: ignore[valid-type]
    reference_id: ReferenceId | None = None
    customer: CustomerMoneyInput | None = None


class ResendCode(Request):
    """Empty: any key is `Unknown field.`."""


class OrdersQuery(Paging):
    state: choice(v.ORDER_STATES) | None = None  # type: ignore[valid-type]
    operation: choice(v.OPERATIONS) | None = None  # type: ignore[valid-type]
    reference_id: str | None = None


class Orders(Answer):
    orders: list[Order]
    total: int


class AuthorizationDecision(Request):
    state: choice(v.AUTHORIZATION_DECISIONS)  # type: ignore[valid-type]


# --------------------------------------------------------------------------- address book (7)


class NewEntry(Request):
    """`beneficiary_full_name` is required with `ownership_type` `third_party`."""

    address: text(0, 1_048_576)  # type: ignore[valid-type]  # its shape for the network is judged after (7)
    network: CatalogueNetwork
    label: Text | None = None
    ownership_type: choice(v.OWNERSHIP_TYPES) | None = None  # type: ignore[valid-type]
    beneficiary_full_name: Text | None = None


class Entry(Answer):
    id: Hex32
    address: str
    network: str
    label: str | None
    ownership_type: out_choice(v.OWNERSHIP_TYPES) | None  # type: ignore[valid-type]
    beneficiary_full_name: str | None
    created: OutTimestamp
    last_used: OutTimestamp | None


class Entries(Answer):
    address_book: list[Entry]
    total: int


# --------------------------------------------------------------------------- webhooks (9)


class NewSubscription(Request):
    """`events` omitted or null: all seven; duplicates are removed."""

    url: WebhookUrl
    events: Annotated[list[choice(v.WEBHOOK_ACTIONS)], NonEmpty, Field(min_length=1)] | None = None  # type: ignore[valid-type]


class NewSubscriptions(Request):
    """All or none."""

    subscriptions: Annotated[list[NewSubscription], NonEmpty, Field(min_length=1)]


class Subscription(Answer):
    id: Hex32
    url: str
    events: list[out_choice(v.WEBHOOK_ACTIONS)]  # type: ignore[valid-type]
    created_at: OutTimestamp


class Subscriptions(Answer):
    subscriptions: list[Subscription]


class SubscriptionRequest(RootModel[NewSubscription | NewSubscriptions]):
    """One subscription, or several at once (all or none) as `{"subscriptions": [...]}`."""


class SubscriptionCreated(RootModel[Subscription | Subscriptions]):
    """The subscription; for the batch form, `{"subscriptions": [...]}`."""


class PublicKey(Answer):
    algorithm: Literal["RS512"]
    issuer: str
    public_key_pem: str


__all__ = ["CustomerMoney", "Order"]
