"""Models both crypto APIs share: the error envelope, pagination, the order object."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from orderdesk.crypto import vocabulary as v
from orderdesk.crypto.models.types import Hex32, OutAmount, OutTimestamp, out_choice, query_integer


class Request(BaseModel):
    """A request body or query: unknown fields are refused (3.5)."""

    model_config = ConfigDict(extra="forbid")


class Answer(BaseModel):
    """A response body; describes what the server writes (never used to read input)."""

    model_config = ConfigDict(extra="forbid")


class ErrorEnvelope(Answer):
    """Every non-2xx answer (3.7). Only `quote_amount_too_high` adds `max_amount` and `requested_amount`."""

    error_code: str
    error_msg: str
    request_id: Hex32
    max_amount: OutAmount | None = None
    requested_amount: OutAmount | None = None


class Query(BaseModel):
    """A query string: every value arrives as text; unknown parameters are ignored (3.6)."""

    model_config = ConfigDict(extra="ignore")


# --------------------------------------------------------------------------- pagination (3.6)

DEFAULT_LIMIT = 50
MAX_LIMIT = 100
Limit = query_integer(1, MAX_LIMIT, "Must be between 1 and 100.", default=DEFAULT_LIMIT)
Offset = query_integer(0, None, "Must be greater than or equal to 0.", default=0)


class Paging(Query):
    limit: Limit = DEFAULT_LIMIT  # type: ignore[valid-type]
    offset: Offset = 0  # type: ignore[valid-type]


# --------------------------------------------------------------------------- the order object (8.1)


class Money(Answer):
    currency: str
    amount: OutAmount


class CustomerMoney(Answer):
    """As sent at confirmation, echoed exactly."""

    currency: str
    amount: str


class Fee(Answer):
    source: out_choice(("lirium_commission", "partner_commission"))  # type: ignore[valid-type]
    type: out_choice(v.REDEEM_COMMISSION_TYPES)  # type: ignore[valid-type]
    value: OutAmount
    mode: Literal["deducted"]
    base_amount: OutAmount
    base_operation: out_choice(("earnings", "redemption", "subscription"))  # type: ignore[valid-type]
    amount: OutAmount


class Quoted(Answer):
    expires_at: OutTimestamp
    requires_confirmation_code: bool


class Settlement(Answer):
    currency: str
    amount: OutAmount


class TradeNode(Quoted):
    settlement: Settlement


class SwapNode(Quoted):
    currency: str
    amount: OutAmount


class Authorization(Answer):
    id: Hex32
    type: Literal["partner"]
    state: out_choice(v.AUTHORIZATION_STATES)  # type: ignore[valid-type]
    expires_at: OutTimestamp
    signed_at: OutTimestamp | None


class Transaction(Answer):
    transaction_id: str


class Transfer(Answer):
    customer_id: Hex32
    order_id: Hex32


class Destination(Answer):
    """`address` for address-book sends; `crypto_currency_transaction` for external types;
    `lirium_transfer` for `lirium_customer`."""

    type: out_choice(v.DESTINATION_TYPES)  # type: ignore[valid-type]
    value: str
    amount: OutAmount
    address: str | None = None
    crypto_currency_transaction: Transaction | None = None
    lirium_transfer: Transfer | None = None


class SendNode(Quoted):
    network: str
    fees: OutAmount
    destination: Destination
    authorizations: list[Authorization]


class InvestmentPosition(Answer):
    id: str
    amount: OutAmount
    full_amount: bool | None = None


class InvestmentNode(Quoted):
    investment: InvestmentPosition
    fees: list[Fee] | None = None


class Origin(Answer):
    type: out_choice(("blockchain_transaction", "lirium_transfer"))  # type: ignore[valid-type]
    value: str
    amount: OutAmount
    network: str | None


class ReceiveNode(Answer):
    origin: Origin


class OrderBase(Answer):
    id: Hex32
    customer_id: Hex32
    reference_id: str | None
    state: out_choice(v.ORDER_STATES)  # type: ignore[valid-type]
    cancel_reason: out_choice(v.CANCEL_REASONS) | None  # type: ignore[valid-type]
    asset: Money
    customer: CustomerMoney | None
    created_at: OutTimestamp
    submitted_at: OutTimestamp | None
    last_updated_at: OutTimestamp


class BuyOrder(OrderBase):
    operation: Literal["buy"]
    buy: TradeNode


class SellOrder(OrderBase):
    operation: Literal["sell"]
    sell: TradeNode


class SwapOrder(OrderBase):
    operation: Literal["swap"]
    swap: SwapNode


class SendOrder(OrderBase):
    operation: Literal["send"]
    send: SendNode


class SubscribeOrder(OrderBase):
    operation: Literal["subscribe_investment"]
    subscribe_investment: InvestmentNode


class RedeemOrder(OrderBase):
    operation: Literal["redeem_investment"]
    redeem_investment: InvestmentNode


class ReceiveOrder(OrderBase):
    operation: Literal["receive"]
    receive: ReceiveNode


Order = Annotated[
    BuyOrder | SellOrder | SwapOrder | SendOrder | SubscribeOrder | RedeemOrder | ReceiveOrder,
    Field(discriminator="operation"),
]
ORDER = TypeAdapter(Order)
