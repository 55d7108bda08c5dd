"""The crypto operator API's bodies (spec/crypto.md 11), requests and answers, and the shared
mail outbox (11.11)."""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import Field, Strict, ValidationInfo, field_validator

from orderdesk.crypto import vocabulary as v
from orderdesk.crypto.models.common import DEFAULT_LIMIT, Answer, Limit, Query, Request
from orderdesk.crypto.models.partner import Asset, Investment, Limits
from orderdesk.crypto.models.types import (
    Amount,
    AmountOrZero,
    Currency,
    CurrencyCode,
    Hex32,
    NonEmpty,
    OutAmount,
    OutSignedAmount,
    OutTimestamp,
    RsaPublicKey,
    Text,
    bounded_int,
    check_places,
    choice,
    out_choice,
    text,
)

StrictBool = Annotated[bool, Strict()]
StrictInt = Annotated[int, Strict()]

NETWORK_NAME = re.compile(r"^[a-z][a-z0-9_]{1,31}$")

# --------------------------------------------------------------------------- partners (11.2)


class PartnerInput(Request):
    """POST: `name` and `public_key_pem` required. PATCH: every field optional, plus `active`."""

    name: text(1, 200) | None = None  # type: ignore[valid-type]
    public_key_pem: RsaPublicKey | None = None
    scopes: list[choice(v.SCOPES)] | None = None  # type: ignore[valid-type]
    settlement_currencies: Annotated[list[CurrencyCode], NonEmpty, Field(min_length=1)] | None = None
    products: list[choice(v.PRODUCTS)] | None = None  # type: ignore[valid-type]
    security_code_operations: list[choice(v.CREATABLE_OPERATIONS)] | None = None  # type: ignore[valid-type]
    redemption_commission_enabled: StrictBool | None = None


class NewPartner(PartnerInput):
    """Defaults: all scopes, `["USD"]`, all products, `["send"]`, redemption commission enabled."""

    name: text(1, 200)  # type: ignore[valid-type]
    public_key_pem: RsaPublicKey


class PartnerPatch(PartnerInput):
    active: StrictBool | None = None


class OperatorPartner(Answer):
    id: Hex32
    name: str
    scopes: list[out_choice(v.SCOPES)]  # type: ignore[valid-type]
    settlement_currencies: list[str]
    products: list[out_choice(v.PRODUCTS)]  # type: ignore[valid-type]
    security_code_operations: list[out_choice(v.CREATABLE_OPERATIONS)]  # type: ignore[valid-type]
    redemption_commission_enabled: bool
    active: bool
    created_at: OutTimestamp


class CreatedPartner(OperatorPartner):
    api_key: str


class Balance(Answer):
    currency: str
    amount: OutSignedAmount  # a settlement balance is negative while the partner owes it


class PartnerBalances(Answer):
    settlement: list[Balance]
    commission: list[Balance]


class PartnerWithBalances(OperatorPartner):
    balances: PartnerBalances


# --------------------------------------------------------------------------- catalogue (11.3, 11.4, 11.8)


class NetworkInput(Request):
    network: text(1, 32, pattern=NETWORK_NAME, pattern_message="Not a valid network name.")  # type: ignore[valid-type]
    send_fee: AmountOrZero


MAX_PLACES = 18


class AssetDefinition(Request):
    """Network names are unique; `send_fee` within the asset's decimals; `max_order_value` in
    USD (default ORDERDESK_CRYPTO_DEFAULT_MAX_ORDER_VALUE_USD). `decimal_places` cannot change
    once the asset exists."""

    decimal_places: bounded_int(0, MAX_PLACES)  # type: ignore[valid-type]
    allowed_operations: list[choice(v.ASSET_OPERATIONS)]  # type: ignore[valid-type]
    networks: Annotated[list[NetworkInput], NonEmpty, Field(min_length=1)]
    max_order_value: Amount | None = None

    @field_validator("max_order_value")
    @classmethod
    def _usd_places(cls, value: str | None) -> str | None:
        check_places(value, "USD", v.FIAT_PLACES)
        return value


PRICE_PLACES = 8


class PriceInput(Request):
    """`bid` must not exceed `ask`."""

    quote_currency: Currency
    bid: Amount
    ask: Amount

    @field_validator("bid", "ask")
    @classmethod
    def _places(cls, value: str, info: ValidationInfo) -> str:
        check_places(value, info.data.get("quote_currency") or "the quote currency", PRICE_PLACES)
        return value


class PriceAnswer(Answer):
    currency: str
    quote_currency: str
    bid: OutAmount
    ask: OutAmount
    updated_at: OutTimestamp


class LimitsInput(Request):
    min_amount: Amount
    max_amount: AmountOrZero


class InvestmentFeeInput(Request):
    type: choice(v.INVESTMENT_FEE_TYPES)  # type: ignore[valid-type]
    value: AmountOrZero


class InvestmentDefinition(Request):
    """`quote_asset` an existing asset and `network` one of its networks; limits within its
    decimals (max 0 = no maximum, else ≥ min); fee value 0 ≤ v < 100 and apy 0-100, at most 4
    decimals. `enabled` defaults to true, `decimal_places` to the quote asset's; `quote_asset`
    and `decimal_places` cannot change later."""

    name: Text
    quote_asset: text(1, 64)  # type: ignore[valid-type]
    network: text(1, 32)  # type: ignore[valid-type]
    provider_id: Text
    enabled: StrictBool | None = None
    decimal_places: bounded_int(0, MAX_PLACES) | None = None  # type: ignore[valid-type]
    subscription: LimitsInput
    redemption: LimitsInput
    fee: InvestmentFeeInput
    apy: AmountOrZero


# --------------------------------------------------------------------------- customers (11.5-11.7, 11.9)


class DepositInput(Request):
    currency: text(1, 32)  # type: ignore[valid-type]
    amount: Amount
    network: text(1, 32) | None = None  # type: ignore[valid-type]
    tx_hash: text(1, 128, printable=True) | None = None  # type: ignore[valid-type]
    fee: AmountOrZero | None = None


class CustomerStateInput(Request):
    state: choice(v.CUSTOMER_STATES)  # type: ignore[valid-type]


class RequirementReview(Request):
    """`rejection_reason` required with `rejected`, refused with `approved`."""

    status: choice(v.REVIEW_DECISIONS)  # type: ignore[valid-type]
    rejection_reason: choice(v.REJECTION_REASONS) | None = None  # type: ignore[valid-type]


class FailSend(Request):
    reason: text(1, 255) | None = None  # type: ignore[valid-type]


# --------------------------------------------------------------------------- ledger (11.10) and mail (11.11)


class PostingUnbalanced(Answer):
    type: Literal["posting_unbalanced"]
    posting_id: Hex32
    currency: str
    sum: str


class NegativeBalance(Answer):
    type: Literal["negative_balance"]
    account: str
    balance: str


class BalanceDrift(Answer):
    type: Literal["balance_drift"]
    account: str
    balance: str
    entries_sum: str


class LedgerCheck(Answer):
    balanced: bool
    postings: int
    mismatches: list[PostingUnbalanced | NegativeBalance | BalanceDrift]


class MailQuery(Query):
    """`to` matches exactly, ignoring case; newest first."""

    to: str | None = None
    limit: Limit = DEFAULT_LIMIT  # type: ignore[valid-type]


class MailMessage(Answer):
    id: Hex32
    to: str
    subject: str
    body: str
    sent_at: OutTimestamp


class Mailbox(Answer):
    messages: list[MailMessage]


__all__ = ["Asset", "Investment", "Limits"]
