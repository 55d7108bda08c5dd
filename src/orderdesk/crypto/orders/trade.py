"""What buy and sell share (spec/crypto.md 8.5, 8.6): the optional node with `settlement`
and `commission`, the settlement-currency rules, and pricing in that currency."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from orderdesk.crypto import catalogue, errors, formats, pricing
from orderdesk.crypto.models.partner import TradeInput
from orderdesk.crypto.orders.operation import (
    Columns,
    Draft,
    Operation,
    check_commission,
    check_places,
    exactly_one,
    no_price,
    read_commission,
    usd_asset,
)
from orderdesk.crypto.validation import Fields
from orderdesk.crypto.vocabulary import FIAT_PLACES
from orderdesk.platform.db import Connection


class Trade(Operation):
    node_required = False

    def read_node(self, node: TradeInput | None, draft: Draft) -> None:
        draft.values = {"settlement_currency": None, "settlement_amount": None, "settlement_amount_raw": None}
        settlement = node.settlement if node is not None else None
        if settlement is not None:
            draft.values["settlement_currency"] = settlement.currency
            if settlement.amount is not None:
                draft.values.update(
                    settlement_amount=Decimal(settlement.amount), settlement_amount_raw=settlement.amount
                )
        read_commission(node, draft)

    def check_amounts(self, draft: Draft) -> None:
        exactly_one(draft.asset_amount, draft.values["settlement_amount"], "asset.amount or settlement.amount")

    async def resolve(self, conn: Connection, draft: Draft, fields: Fields) -> None:
        currency = _settlement_currency(draft)
        draft.values["settlement"] = currency
        assert draft.asset is not None
        check_places(fields, ("asset", "amount"), draft.asset_amount_raw, draft.asset.id, draft.asset.decimal_places)
        check_places(
            fields, (self.name, "settlement", "amount"), draft.values["settlement_amount_raw"], currency, FIAT_PLACES
        )
        check_commission(fields, draft, (self.name,), currency, FIAT_PLACES)

    def product(self, subject: Any) -> str:
        return "crypto_buy_sell"

    def allowed(self, draft: Draft) -> list[tuple[catalogue.Asset, str]]:
        assert draft.asset is not None
        return [(draft.asset, self.name)]

    async def permissions(self, conn: Connection, draft: Draft) -> None:
        assert draft.asset is not None
        currency = draft.values["settlement"]
        prices = await catalogue.prices_in(conn, draft.asset.id, currency, pricing.USD)  # one statement
        priced = prices.get(currency)
        if priced is None:
            raise no_price(draft.asset.id, currency)
        draft.found["asset"] = usd_asset(draft.asset, prices.get(pricing.USD))
        draft.found["settlement"] = pricing.Settlement(currency, priced.bid, priced.ask)

    def amounts(self, draft: Draft) -> dict[str, Decimal | None]:
        return {"asset_amount": draft.asset_amount, "settlement_amount": draft.values["settlement_amount"]}

    def columns(self, quote: Any, draft: Draft) -> Columns:
        return Columns(
            asset_amount=quote.asset_amount,
            usd_value=quote.value_usd,
            settlement_currency=quote.settlement_currency,
            settlement_amount=quote.settlement_amount,
            commission_currency=quote.settlement_currency,
            commission_amount=quote.commission,
        )

    def node(self, quote: Any, draft: Draft) -> dict[str, Any]:
        return {"settlement": {"currency": quote.settlement_currency, "amount": formats.fiat(quote.settlement_amount)}}


def _settlement_currency(draft: Draft) -> str:
    """8.5: optional with one settlement currency; required with several; must be configured."""
    configured = draft.partner.settlement_currencies
    currency = draft.values["settlement_currency"]
    if currency is None:
        if len(configured) > 1:
            raise errors.invalid_settlement_currency(
                "settlement.currency is required when more than one settlement currency is configured"
            )
        return configured[0]
    if currency not in configured:
        raise errors.invalid_settlement_currency(f"Settlement currency {currency} is not configured for this partner")
    return str(currency)
