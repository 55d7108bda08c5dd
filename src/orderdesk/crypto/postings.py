"""Ledger entries of each business event (spec/crypto.md 6.2-6.3), as pure functions.

An `Entry` names an account by (kind, owner, currency) and moves a signed amount:
positive credits, negative debits. The ledger (`crypto.ledger`) turns a list of entries
into one balanced posting; within one posting the entries of each currency sum to zero.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

# Account kinds (the label is "<kind>:<owner>:<currency>", or "<kind>:<currency>" when ownerless)
CUSTOMER = "customer"                    # owner: customer id; never negative
SETTLEMENT = "settlement"                # owner: partner id; may be negative (owed by the partner)
COMMISSION = "commission"                # owner: partner id; only credited
HOUSE_TRADING = "house:trading"          # no owner; may be negative
HOUSE_FEES = "house:fees"                # no owner
HOUSE_IN_TRANSIT = "house:in_transit"    # no owner
HOUSE_INVESTMENTS = "house:investments"  # no owner; may be negative
EXTERNAL = "external"                    # no owner; may be negative


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


def deposit(customer_id: str, currency: str, amount: Decimal, fee: Decimal) -> list[Entry]:
    """Operator deposit (6.3): external:A −a; customer:A +(a − fee); house:fees:A +fee."""
    return [house(EXTERNAL, currency, -amount), customer(customer_id, currency, amount - fee),
            house(HOUSE_FEES, currency, fee)]
