"""send (spec/crypto.md 8.8): `T` leaves the customer towards a blockchain address
(`crypto_currency_address`, `address_book`: asset must allow `send`, network fee `F`) or
another customer of any partner (`lirium_customer`: asset must allow `transfer`, off chain,
no fee). Confirmation is staged (8.12 step 10, 8.16): see `orders.send_stages`."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from orderdesk.crypto import address_book, addresses, catalogue, customers, formats, pricing
from orderdesk.crypto.models.partner import SendInput
from orderdesk.crypto.orders import send_stages
from orderdesk.crypto.orders.deposits import resolve_network
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
from orderdesk.crypto.orders.send_stages import check_receiver, destination_of
from orderdesk.crypto.validation import Fields
from orderdesk.crypto.vocabulary import DESTINATION_TYPES
from orderdesk.platform.db import Connection
from orderdesk.settings import Settings

ADDRESS, ADDRESS_BOOK, CUSTOMER = DESTINATION_TYPES


class Send(Operation):
    name = "send"
    node_fields = ("network", "destination", "commission")

    # ------------------------------------------------------------------ initiation

    def read_node(self, node: SendInput | None, draft: Draft) -> None:
        draft.values = {"network": None, "type": None, "value": None, "amount": None, "amount_raw": None}
        if node is None:
            return
        destination = node.destination
        draft.values.update(network=node.network, type=destination.type, value=destination.value)
        if destination.amount is not None:
            draft.values.update(amount=Decimal(destination.amount), amount_raw=destination.amount)
        read_commission(node, draft)

    def check_amounts(self, draft: Draft) -> None:
        exactly_one(draft.asset_amount, draft.values["amount"], "asset.amount or destination.amount")

    async def resolve(self, conn: Connection, draft: Draft, fields: Fields) -> None:
        asset = draft.asset
        assert asset is not None
        draft.values["network"] = resolve_network(fields, asset, draft.values["network"], ("send", "network"))
        places = asset.decimal_places
        check_places(fields, ("asset", "amount"), draft.asset_amount_raw, asset.id, places)
        check_places(fields, ("send", "destination", "amount"), draft.values["amount_raw"], asset.id, places)
        check_commission(fields, draft, ("send",), asset.id, places)

    def product(self, subject: Any) -> str:
        kind = subject.values["type"] if isinstance(subject, Draft) else destination_of(subject)["type"]
        return "crypto_transfer" if kind == CUSTOMER else "crypto_send"

    def allowed(self, draft: Draft) -> list[tuple[catalogue.Asset, str]]:
        assert draft.asset is not None
        return [(draft.asset, "transfer" if draft.values["type"] == CUSTOMER else "send")]

    async def permissions(self, conn: Connection, draft: Draft) -> None:
        assert draft.asset is not None
        draft.found["asset"] = await require_usd_asset(conn, draft.asset)

    async def destination(self, conn: Connection, draft: Draft) -> None:
        kind, value, network = draft.values["type"], draft.values["value"], draft.values["network"]
        if kind == ADDRESS:
            addresses.check_address(network, value)
        elif kind == ADDRESS_BOOK:  # the order keeps a copy of the address (7)
            draft.found["address"] = (await address_book.destination(conn, draft.customer_id, value, network)).address
        else:
            if value == draft.customer_id:
                raise address_book.invalid_destination("The destination customer cannot be the sender")
            if await customers.find(conn, value, None) is None:
                raise address_book.invalid_destination(f"Customer {value} not found")
            await check_receiver(conn, value, draft.settings)

    def quote(self, draft: Draft) -> pricing.SendQuote:
        assert draft.asset is not None
        fee = Decimal(0)
        if draft.values["type"] != CUSTOMER:
            network = draft.asset.network(draft.values["network"])
            assert network is not None
            fee = network.send_fee
        return pricing.quote_send(
            draft.found["asset"],
            network_fee=fee,
            asset_amount=draft.asset_amount,
            destination_amount=draft.values["amount"],
            commission=draft.commission,
        )

    def debit(self, quote: Any) -> tuple[str, Decimal]:
        return quote.asset, quote.total

    def columns(self, quote: Any, draft: Draft) -> Columns:
        return Columns(
            asset_amount=quote.total,
            usd_value=quote.value_usd,
            counter_currency=quote.asset,
            counter_amount=quote.destination_amount,
            commission_currency=quote.asset,
            commission_amount=quote.commission,
            fee_amount=quote.network_fee,
            network=draft.values["network"],
        )

    def node(self, quote: Any, draft: Draft) -> dict[str, Any]:
        kind = draft.values["type"]
        destination: dict[str, Any] = {
            "type": kind,
            "value": draft.values["value"],
            "amount": formats.crypto(quote.destination_amount, quote.places),
        }
        if kind == ADDRESS_BOOK:
            destination["address"] = draft.found["address"]
        if kind == CUSTOMER:
            destination["lirium_transfer"] = None
        else:
            destination["crypto_currency_transaction"] = None
        return {
            "network": draft.values["network"],
            "fees": formats.crypto(quote.network_fee, quote.places),
            "destination": destination,
            "authorizations": [],
        }

    def destination_type(self, draft: Draft) -> str | None:
        return str(draft.values["type"])

    # ------------------------------------------------------------------ confirmation

    async def recheck(self, conn: Connection, order: Any, quote: Any, settings: Settings) -> None:
        destination = destination_of(order)
        if destination["type"] == CUSTOMER:
            await check_receiver(conn, destination["value"], settings)

    def confirmation_event(self, order: Any, quote: Any, settings: Settings) -> str:
        return send_stages.confirmation_event(order, quote, settings)

    async def stage(
        self, conn: Connection, order: Any, quote: Any, now: datetime, settings: Settings
    ) -> dict[str, Any]:
        return await send_stages.stage(conn, order, quote, now, settings)

    async def execute(self, conn: Connection, order: Any, quote: Any, now: datetime, settings: Settings) -> None:
        await send_stages.execute(conn, order, quote, now, settings)


SEND = Send()
