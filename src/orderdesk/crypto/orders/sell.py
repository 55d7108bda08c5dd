"""sell (spec/crypto.md 8.6): the customer gives up `asset.currency`; the partner's settlement
account receives fiat. A `closing` customer may still sell (5.5)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from orderdesk.crypto import pricing
from orderdesk.crypto.orders.operation import Draft
from orderdesk.crypto.orders.trade import Trade


class Sell(Trade):
    name = "sell"

    def quote(self, draft: Draft) -> pricing.SellQuote:
        return pricing.quote_sell(
            draft.found["asset"], draft.found["settlement"], commission=draft.commission, **self.amounts(draft)
        )

    def debit(self, quote: Any) -> tuple[str, Decimal]:
        return quote.asset, quote.asset_amount


SELL = Sell()
