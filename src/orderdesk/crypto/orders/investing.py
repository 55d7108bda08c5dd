"""What subscribe_investment and redeem_investment share (spec/crypto.md 8.9, 8.10): the
`investment` node, the quote-asset rule, the investment checks, the token price locked at
initiation (4.1) and the customer's position (tokens H on the ledger, principal W here)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from orderdesk.crypto import catalogue, errors, ledger, postings, pricing
from orderdesk.crypto.models.partner import RedeemInput, SubscribeInput
from orderdesk.crypto.orders.operation import (
    Draft,
    Operation,
    check_commission,
    check_places,
    read_commission,
    require_usd_asset,
)
from orderdesk.crypto.repositories import positions as repo
from orderdesk.crypto.validation import Fields
from orderdesk.platform.db import Connection


class InvestmentOperation(Operation):
    node_fields = ("investment", "commission")
    investment_fields: tuple[str, ...] = ("id",)

    def read_node(self, node: SubscribeInput | RedeemInput | None, draft: Draft) -> None:
        draft.values = {"investment": None, "full_amount": False}
        if node is None:
            return
        draft.values["investment"] = node.investment.id
        draft.values["full_amount"] = bool(getattr(node.investment, "full_amount", False))
        read_commission(node, draft)

    async def resolve(self, conn: Connection, draft: Draft, fields: Fields) -> None:
        code = draft.values["investment"]
        investment = await catalogue.investment(conn, code)
        if investment is None:
            fields.add((self.name, "investment", "id"), f"Unknown investment {code}.")
            return
        draft.found["investment"] = investment
        if draft.asset_currency != investment.quote_asset:
            fields.add(("asset", "currency"), f"Must be {investment.quote_asset} for investment {investment.id}.")
            return
        assert draft.asset is not None
        places = draft.asset.decimal_places
        check_places(fields, ("asset", "amount"), draft.asset_amount_raw, draft.asset.id, places)
        check_commission(fields, draft, (self.name,), draft.asset.id, places)

    def product(self, subject: Any) -> str:
        return "investments"

    async def permissions(self, conn: Connection, draft: Draft) -> None:
        investment: catalogue.Investment = draft.found["investment"]
        if not investment.enabled:
            raise errors.operation_forbidden(f"Investment {investment.id} is not enabled")
        await self.commission_permitted(draft)
        assert draft.asset is not None
        draft.found["quote_asset"] = await require_usd_asset(conn, draft.asset)
        draft.found["token_price"] = pricing.token_price(
            anchor_price=investment.anchor_price, apy=investment.apy, anchor_at=investment.anchor_at, at=draft.now
        )
        draft.found["priced_investment"] = pricing.Investment(
            investment.id,
            investment.decimal_places,
            investment.fee_value,
            investment.subscription_min,
            investment.subscription_max,
            investment.redemption_min,
            investment.redemption_max,
        )

    async def commission_permitted(self, draft: Draft) -> None:
        return None


async def position(conn: Connection, customer_id: str, investment_id: str) -> pricing.Position:
    tokens = await ledger.balance(conn, postings.customer(customer_id, investment_id, Decimal(0)).label)
    principal = await repo.stored_principal(conn, customer_id, investment_id, lock=False)
    return pricing.Position(tokens, principal if principal is not None else Decimal(0))


async def move_principal(
    conn: Connection, customer_id: str, investment_id: str, change: Decimal, now: datetime
) -> None:
    """Add `change` to the position's principal W. A redemption's `b` was priced against W at
    initiation; should another redemption have run since, W stops at zero, and a position
    without tokens has no principal."""
    stored = await repo.stored_principal(conn, customer_id, investment_id, lock=True)
    tokens = await ledger.balance(conn, postings.customer(customer_id, investment_id, Decimal(0)).label)
    principal = (stored if stored is not None else Decimal(0)) + change
    principal = Decimal(0) if tokens == 0 or principal < 0 else principal
    if stored is None:
        await repo.insert_position(conn, customer_id, investment_id, principal, now)
    else:
        await repo.update_principal(conn, customer_id, investment_id, principal, now)
