"""buy (spec/crypto.md 8.5): the customer acquires `asset.currency`; the partner's settlement
account pays. Buys debit only the settlement account, which is not balance-checked."""

from __future__ import annotations

from typing import Any

from orderdesk.crypto import pricing
from orderdesk.crypto.orders.operation import Draft
from orderdesk.crypto.orders.trade import Trade


class Buy(Trade):
    name = "buy"

    def quote(self, draft: Draft) -> pricing.BuyQuote:
        return pricing.quote_buy(
            draft.found["asset"], draft.found["settlement"], commission=draft.commission, **self.amounts(draft)
        )

    def debit(self, quote: Any) -> None:
        return None


BUY = Buy()
