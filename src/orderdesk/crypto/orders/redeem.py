"""redeem_investment (spec/crypto.md 8.10): tokens back into the quote asset, `asset.amount`
being what the customer receives after the house fee and the partner commission, or the
whole position with `full_amount`. The position's principal falls by `b(r)`."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from orderdesk.crypto import errors, formats, pricing
from orderdesk.crypto.orders.investing import InvestmentOperation, move_principal, position
from orderdesk.crypto.orders.operation import Columns, Draft, exactly_one, post
from orderdesk.crypto.postings import redeem_confirmed
from orderdesk.platform.db import Connection
from orderdesk.settings import Settings


class Redeem(InvestmentOperation):
    name = "redeem_investment"

    def check_amounts(self, draft: Draft) -> None:
        exactly_one(
            draft.asset_amount, True if draft.values["full_amount"] else None, "asset.amount or investment.full_amount"
        )

    async def commission_permitted(self, draft: Draft) -> None:
        if draft.commission is not None and not draft.partner.redemption_commission_enabled:
            raise errors.operation_forbidden("Partner commission on redemptions is not enabled for this partner")

    async def permissions(self, conn: Connection, draft: Draft) -> None:
        await super().permissions(conn, draft)
        draft.found["position"] = await position(conn, draft.customer_id, draft.found["investment"].id)

    def quote(self, draft: Draft) -> pricing.RedeemQuote:
        full = bool(draft.values["full_amount"])
        return pricing.quote_redeem(
            draft.found["priced_investment"],
            draft.found["quote_asset"],
            draft.found["position"],
            token_price=draft.found["token_price"],
            amount=None if full else draft.asset_amount,
            full_amount=full,
            commission=draft.commission,
        )

    def debit(self, quote: Any) -> tuple[str, Decimal]:
        return quote.investment, quote.tokens

    def columns(self, quote: Any, draft: Draft) -> Columns:
        return Columns(
            asset_amount=quote.amount,
            usd_value=quote.value_usd,
            counter_currency=quote.investment,
            counter_amount=quote.tokens,
            commission_currency=quote.quote_asset,
            commission_amount=quote.commission,
            fee_amount=quote.house_fee,
        )

    def node(self, quote: Any, draft: Draft) -> dict[str, Any]:
        node: dict[str, Any] = {
            "investment": {
                "id": quote.investment,
                "amount": formats.crypto(quote.tokens, quote.token_places),
                "full_amount": quote.full_amount,
            }
        }
        fees = pricing.fees_json(quote.fees)
        if fees is not None:
            node["fees"] = fees
        return node

    async def execute(self, conn: Connection, order: Any, quote: Any, now: datetime, settings: Settings) -> None:
        await post(
            conn, redeem_confirmed(quote, customer_id=order["customer_id"], partner_id=order["partner_id"]), order, now
        )
        await move_principal(conn, order["customer_id"], quote.investment, quote.principal.copy_negate(), now)


REDEEM = Redeem()
