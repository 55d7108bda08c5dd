"""swap (spec/crypto.md 8.7): source `asset.currency` (must allow `sell`) into `swap.currency`
(must allow `buy`), both at their USD prices; fixed commissions are in the source asset."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from orderdesk.crypto import catalogue, formats, pricing
from orderdesk.crypto.models.partner import SwapInput
from orderdesk.crypto.orders.operation import (
    Columns,
    Draft,
    Operation,
    check_commission,
    check_places,
    exactly_one,
    read_commission,
    require_usd_asset,
)
from orderdesk.crypto.validation import Fields
from orderdesk.platform.db import Connection


class Swap(Operation):
    name = "swap"
    node_fields = ("currency", "amount", "commission")

    def read_node(self, node: SwapInput | None, draft: Draft) -> None:
        draft.values = {"currency": None, "amount": None, "amount_raw": None}
        if node is None:
            return
        draft.values["currency"] = node.currency
        if node.amount is not None:
            draft.values.update(amount=Decimal(node.amount), amount_raw=node.amount)
        read_commission(node, draft)

    def check_amounts(self, draft: Draft) -> None:
        exactly_one(draft.asset_amount, draft.values["amount"], "asset.amount or swap.amount")

    async def resolve(self, conn: Connection, draft: Draft, fields: Fields) -> None:
        source = draft.asset
        assert source is not None
        code = draft.values["currency"]
        destination = await catalogue.asset(conn, code)
        if destination is None:
            fields.add(("swap", "currency"), f"Unknown currency {code}.")
        elif destination.id == source.id:
            fields.add(("swap", "currency"), "Must be different from asset.currency.")
        else:
            draft.found["destination_asset"] = destination
            check_places(
                fields, ("swap", "amount"), draft.values["amount_raw"], destination.id, destination.decimal_places
            )
        check_places(fields, ("asset", "amount"), draft.asset_amount_raw, source.id, source.decimal_places)
        check_commission(fields, draft, ("swap",), source.id, source.decimal_places)

    def product(self, subject: Any) -> str:
        return "crypto_swap"

    def allowed(self, draft: Draft) -> list[tuple[catalogue.Asset, str]]:
        assert draft.asset is not None
        return [(draft.asset, "sell"), (draft.found["destination_asset"], "buy")]

    async def permissions(self, conn: Connection, draft: Draft) -> None:
        assert draft.asset is not None
        draft.found["source"] = await require_usd_asset(conn, draft.asset)
        draft.found["destination"] = await require_usd_asset(conn, draft.found["destination_asset"])

    def quote(self, draft: Draft) -> pricing.SwapQuote:
        return pricing.quote_swap(
            draft.found["source"],
            draft.found["destination"],
            commission=draft.commission,
            source_amount=draft.asset_amount,
            destination_amount=draft.values["amount"],
        )

    def debit(self, quote: Any) -> tuple[str, Decimal]:
        return quote.source, quote.source_amount

    def columns(self, quote: Any, draft: Draft) -> Columns:
        return Columns(
            asset_amount=quote.source_amount,
            usd_value=quote.value_usd,
            counter_currency=quote.destination,
            counter_amount=quote.destination_amount,
            commission_currency=quote.source,
            commission_amount=quote.commission,
        )

    def node(self, quote: Any, draft: Draft) -> dict[str, Any]:
        return {
            "currency": quote.destination,
            "amount": formats.crypto(quote.destination_amount, quote.destination_places),
        }


SWAP = Swap()
