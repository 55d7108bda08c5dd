"""Ledger entries of each business event (spec/crypto.md 6.2-6.3), as pure functions.

An `Entry` names an account by (kind, owner, currency) and moves a signed amount:
positive credits, negative debits. The ledger (`crypto.ledger`) turns a list of entries
into one balanced posting; within one posting the entries of each currency sum to zero.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

from orderdesk.crypto.amounts import exactly, fraction_digits
from orderdesk.crypto.pricing import BuyQuote, RedeemQuote, SellQuote, SendQuote, SubscribeQuote, SwapQuote

# Account kinds (the label is "<kind>:<owner>:<currency>", or "<kind>:<currency>" when ownerless)
CUSTOMER = "customer"  # owner: customer id; never negative
SETTLEMENT = "settlement"  # owner: partner id; may be negative (owed by the partner)
COMMISSION = "commission"  # owner: partner id; only credited
HOUSE_TRADING = "house:trading"  # no owner; may be negative
HOUSE_FEES = "house:fees"  # no owner
HOUSE_IN_TRANSIT = "house:in_transit"  # no owner
HOUSE_INVESTMENTS = "house:investments"  # no owner; may be negative
EXTERNAL = "external"  # no owner; may be negative


@dataclass(frozen=True)
class Entry:
    kind: str
    owner: str | None
    currency: str
    amount: Decimal

    @property
    def label(self) -> str:
        owner = f"{self.owner}:" if self.owner else ""
        return f"{self.kind}:{owner}{self.currency}"


def customer(customer_id: str, currency: str, amount: Decimal) -> Entry:
    return Entry(CUSTOMER, customer_id, currency, amount)


def house(kind: str, currency: str, amount: Decimal) -> Entry:
    return Entry(kind, None, currency, amount)


# ---------------------------------------------------------------- the entries of each event (6.3)
# Amounts come from the quotes of `crypto.pricing`; every function returns the entries of one
# posting, zero amounts omitted, each currency summing to exactly zero. Negation uses
# `copy_negate` and sums go through exact rationals: a Decimal context never rounds them.

ExecutedQuote = BuyQuote | SellQuote | SwapQuote | SubscribeQuote | RedeemQuote


def _posting(*entries: Entry) -> list[Entry]:
    return [entry for entry in entries if entry.amount != 0]


def _sum(*amounts: Decimal) -> Decimal:
    total = sum((Fraction(amount) for amount in amounts), Fraction(0))
    return exactly(total, max(fraction_digits(amount) for amount in amounts))


def _credit(kind: str, owner: str | None, currency: str, amount: Decimal) -> Entry:
    return Entry(kind, owner, currency, amount)


def _debit(kind: str, owner: str | None, currency: str, amount: Decimal) -> Entry:
    return Entry(kind, owner, currency, amount.copy_negate())


def buy_confirmed(quote: BuyQuote, *, customer_id: str, partner_id: str) -> list[Entry]:
    fiat, asset = quote.settlement_currency, quote.asset
    return _posting(
        _debit(SETTLEMENT, partner_id, fiat, quote.settlement_amount),
        _credit(HOUSE_TRADING, None, fiat, quote.house_amount),
        _credit(COMMISSION, partner_id, fiat, quote.commission),
        _debit(HOUSE_TRADING, None, asset, quote.asset_amount),
        _credit(CUSTOMER, customer_id, asset, quote.asset_amount),
    )


def sell_confirmed(quote: SellQuote, *, customer_id: str, partner_id: str) -> list[Entry]:
    fiat, asset = quote.settlement_currency, quote.asset
    return _posting(
        _debit(CUSTOMER, customer_id, asset, quote.asset_amount),
        _credit(HOUSE_TRADING, None, asset, quote.asset_amount),
        _debit(HOUSE_TRADING, None, fiat, quote.gross),
        _credit(SETTLEMENT, partner_id, fiat, quote.settlement_amount),
        _credit(COMMISSION, partner_id, fiat, quote.commission),
    )


def swap_confirmed(quote: SwapQuote, *, customer_id: str, partner_id: str) -> list[Entry]:
    source, destination = quote.source, quote.destination
    return _posting(
        _debit(CUSTOMER, customer_id, source, quote.source_amount),
        _credit(COMMISSION, partner_id, source, quote.commission),
        _credit(HOUSE_TRADING, None, source, quote.net),
        _debit(HOUSE_TRADING, None, destination, quote.destination_amount),
        _credit(CUSTOMER, customer_id, destination, quote.destination_amount),
    )


def send_to_transit(quote: SendQuote, *, customer_id: str) -> list[Entry]:
    """An external send, or any send needing authorization, confirmed: `T` leaves the sender."""
    return _posting(
        _debit(CUSTOMER, customer_id, quote.asset, quote.total),
        _credit(HOUSE_IN_TRANSIT, None, quote.asset, quote.total),
    )


def send_delivered(quote: SendQuote, *, partner_id: str) -> list[Entry]:
    """An external send delivered on chain: `d` out, the network fee and the commission kept."""
    asset = quote.asset
    return _posting(
        _debit(HOUSE_IN_TRANSIT, None, asset, quote.total),
        _credit(EXTERNAL, None, asset, quote.destination_amount),
        _credit(HOUSE_FEES, None, asset, quote.network_fee),
        _credit(COMMISSION, partner_id, asset, quote.commission),
    )


def internal_send_completed(
    quote: SendQuote, *, sender_id: str, receiver_id: str, partner_id: str, from_transit: bool
) -> list[Entry]:
    """An internal send completed: straight from the sender at confirmation, or from
    in-transit when an approved authorization releases it. `partner_id` is the sender's."""
    asset = quote.asset
    source = (
        _debit(HOUSE_IN_TRANSIT, None, asset, quote.total)
        if from_transit
        else _debit(CUSTOMER, sender_id, asset, quote.total)
    )
    return _posting(
        source,
        _credit(CUSTOMER, receiver_id, asset, quote.destination_amount),
        _credit(COMMISSION, partner_id, asset, quote.commission),
        _credit(HOUSE_FEES, None, asset, quote.network_fee),  # 0 off chain; kept for balance
    )


def send_refunded(quote: SendQuote, *, customer_id: str) -> list[Entry]:
    """A send cancelled after confirmation (authorization rejected or expired, send failed)."""
    return _posting(
        _debit(HOUSE_IN_TRANSIT, None, quote.asset, quote.total),
        _credit(CUSTOMER, customer_id, quote.asset, quote.total),
    )


def subscribe_confirmed(quote: SubscribeQuote, *, customer_id: str, partner_id: str) -> list[Entry]:
    stable, token = quote.quote_asset, quote.investment
    return _posting(
        _debit(CUSTOMER, customer_id, stable, quote.amount),
        _credit(COMMISSION, partner_id, stable, quote.commission),
        _credit(HOUSE_INVESTMENTS, None, stable, quote.net),
        _debit(HOUSE_INVESTMENTS, None, token, quote.tokens),
        _credit(CUSTOMER, customer_id, token, quote.tokens),
    )


def redeem_confirmed(quote: RedeemQuote, *, customer_id: str, partner_id: str) -> list[Entry]:
    stable, token = quote.quote_asset, quote.investment
    return _posting(
        _debit(CUSTOMER, customer_id, token, quote.tokens),
        _credit(HOUSE_INVESTMENTS, None, token, quote.tokens),
        _debit(HOUSE_INVESTMENTS, None, stable, quote.gross),
        _credit(CUSTOMER, customer_id, stable, quote.amount),
        _credit(HOUSE_FEES, None, stable, _sum(quote.house_fee, quote.residue)),
        _credit(COMMISSION, partner_id, stable, quote.commission),
    )


def deposit(customer_id: str, currency: str, amount: Decimal, fee: Decimal) -> list[Entry]:
    """An operator deposit (11.5): `amount` arrives from outside, `fee` stays with the house."""
    return _posting(
        _debit(EXTERNAL, None, currency, amount),
        _credit(CUSTOMER, customer_id, currency, _sum(amount, fee.copy_negate())),
        _credit(HOUSE_FEES, None, currency, fee),
    )


def confirmation_entries(quote: ExecutedQuote, *, customer_id: str, partner_id: str) -> list[Entry]:
    """The posting that executes a confirmed buy, sell, swap, subscribe or redeem (sends go
    through the send_* functions: they have stages)."""
    if isinstance(quote, BuyQuote):
        return buy_confirmed(quote, customer_id=customer_id, partner_id=partner_id)
    if isinstance(quote, SellQuote):
        return sell_confirmed(quote, customer_id=customer_id, partner_id=partner_id)
    if isinstance(quote, SwapQuote):
        return swap_confirmed(quote, customer_id=customer_id, partner_id=partner_id)
    if isinstance(quote, SubscribeQuote):
        return subscribe_confirmed(quote, customer_id=customer_id, partner_id=partner_id)
    return redeem_confirmed(quote, customer_id=customer_id, partner_id=partner_id)


def sums_by_currency(entries: list[Entry]) -> dict[str, Fraction]:
    """The exact sum of the entries of each currency (all zero in a balanced posting)."""
    sums: dict[str, Fraction] = {}
    for entry in entries:
        sums[entry.currency] = sums.get(entry.currency, Fraction(0)) + Fraction(entry.amount)
    return sums


def is_balanced(entries: list[Entry]) -> bool:
    return all(total == 0 for total in sums_by_currency(entries).values())
