"""subscribe_investment (spec/crypto.md 8.9): quote asset in, investment tokens out at the
token price locked at initiation; the position's principal grows by the net amount `n`."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from orderdesk.crypto import contract_errors, errors, formats, pricing
from orderdesk.crypto.orders.investing import InvestmentOperation, move_principal
from orderdesk.crypto.orders.operation import Columns, Draft, post
from orderdesk.crypto.postings import subscribe_confirmed
from orderdesk.platform.db import Connection
from orderdesk.settings import Settings


class Subscribe(InvestmentOperation):
    name = "subscribe_investment"

    def require(self, body: dict[str, Any], tree: dict[Any, Any]) -> None:
        """A subscription names what it invests: `asset.amount` is required."""
        asset = body.get("asset")
        if not isinstance(asset, dict) or asset.get("amount") is None:
            contract_errors.add(tree, ("asset", "amount"), errors.REQUIRED)

    def check_amounts(self, draft: Draft) -> None:
        return None  # asset.amount is required by the schema (step 5)

    def quote(self, draft: Draft) -> pricing.SubscribeQuote:
        assert draft.asset_amount is not None
        return pricing.quote_subscribe(
            draft.found["priced_investment"],
            draft.found["quote_asset"],
            amount=draft.asset_amount,
            token_price=draft.found["token_price"],
            commission=draft.commission,
        )

    def debit(self, quote: Any) -> tuple[str, Decimal]:
        return quote.quote_asset, quote.amount

    def columns(self, quote: Any, draft: Draft) -> Columns:
        return Columns(
            asset_amount=quote.amount,
            usd_value=quote.value_usd,
            counter_currency=quote.investment,
            counter_amount=quote.tokens,
            commission_currency=quote.quote_asset,
            commission_amount=quote.commission,
        )

    def node(self, quote: Any, draft: Draft) -> dict[str, Any]:
        node: dict[str, Any] = {
            "investment": {"id": quote.investment, "amount": formats.crypto(quote.tokens, quote.token_places)}
        }
        fees = pricing.fees_json(quote.fees)
        if fees is not None:
            node["fees"] = fees
        return node

    async def execute(self, conn: Connection, order: Any, quote: Any, now: datetime, settings: Settings) -> None:
        await post(
            conn,
            subscribe_confirmed(quote, customer_id=order["customer_id"], partner_id=order["partner_id"]),
            order,
            now,
        )
        await move_principal(conn, order["customer_id"], quote.investment, quote.net, now)


SUBSCRIBE = Subscribe()
