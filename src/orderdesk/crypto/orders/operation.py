"""What an order operation plugs into the shared create and confirm pipelines
(`orders.create`, `orders.confirm`; spec/crypto.md 8.2, 8.12).

The pipelines own the order of checks; an `Operation` answers the operation-specific part
of each step. A new operation (send, 8.8) is one more subclass registered in
`orders.registry`, with no change to the pipelines:

| step (8.2) | hook |
|---|---|
| 5 schema | `require` (beyond the `NewOrder` model), `read_node` (the typed node into `draft.values`) |
| 6 amount presence | `check_amounts` |
| 7 catalogue references, decimals, percentage range | `resolve` |
| 9 permissions | `product`, `allowed` (asset operations), `permissions` (the rest) |
| 10 destination | `destination` |
| 11 pricing, limits | `quote` |
| 12 balance | `debit` |
| 13 persist | `columns`, `node`, `destination_type` |

| step (8.12) | hook |
|---|---|
| 8 re-check | `product`, `recheck` |
| 10 execute | `confirmation_event` (the state-machine event), `stage` (columns set with it), `execute` (ledger) |

Confirmation changes the order first and posts the ledger last, so the account locks
(hot rows: house and settlement accounts) are held only for the posting and the commit.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from orderdesk.crypto import catalogue, errors, ledger, postings, pricing
from orderdesk.crypto.amounts import PERCENT_PLACES, PERCENT_RANGE
from orderdesk.crypto.auth import Partner
from orderdesk.crypto.formats import places_of
from orderdesk.crypto.models.types import too_many_places
from orderdesk.crypto.validation import Fields
from orderdesk.platform.db import Connection
from orderdesk.settings import Settings


@dataclass
class Draft:
    """An order being initiated: what the request said and what the steps found."""

    partner: Partner
    customer: Any  # the customer row
    operation: str
    now: datetime
    settings: Settings
    asset_currency: str = ""
    asset_amount: Decimal | None = None
    asset_amount_raw: str | None = None
    reference_id: str | None = None
    values: dict[str, Any] = field(default_factory=dict)  # the node's parsed fields
    commission: pricing.Commission | None = None
    commission_raw: str | None = None
    asset: catalogue.Asset | None = None
    found: dict[str, Any] = field(default_factory=dict)  # catalogue objects and prices the steps looked up

    @property
    def customer_id(self) -> str:
        return str(self.customer["id"])


@dataclass(frozen=True)
class Columns:
    """The amounts an order stores as columns beside its locked quote."""

    asset_amount: Decimal
    usd_value: Decimal
    settlement_currency: str | None = None
    settlement_amount: Decimal | None = None
    counter_currency: str | None = None
    counter_amount: Decimal | None = None
    commission_currency: str | None = None
    commission_amount: Decimal | None = None
    fee_amount: Decimal | None = None
    network: str | None = None


class Operation:
    name: str = ""
    node_required: bool = True

    @property
    def scope(self) -> str:
        return f"operation_{self.name}"

    # ------------------------------------------------------------------ initiation (8.2)

    def require(self, body: dict[str, Any], tree: dict[Any, Any]) -> None:
        """Field errors of step 5 the `NewOrder` model cannot know (they depend on `operation`)."""
        return None

    def read_node(self, node: Any, draft: Draft) -> None:
        """The validated node model (None when absent) into `draft.values`."""
        raise NotImplementedError

    def check_amounts(self, draft: Draft) -> None:
        raise NotImplementedError

    async def resolve(self, conn: Connection, draft: Draft, fields: Fields) -> None:
        raise NotImplementedError

    def product(self, draft_or_order: Any) -> str:
        raise NotImplementedError

    def allowed(self, draft: Draft) -> list[tuple[catalogue.Asset, str]]:
        """(asset, allowed_operations entry) pairs step 9 checks, in order."""
        return []

    async def permissions(self, conn: Connection, draft: Draft) -> None:
        return None

    async def destination(self, conn: Connection, draft: Draft) -> None:
        return None

    def quote(self, draft: Draft) -> Any:
        raise NotImplementedError

    def debit(self, quote: Any) -> tuple[str, Decimal] | None:
        """(currency, amount) the confirmation takes from the customer, checked at step 12."""
        return None

    def columns(self, quote: Any, draft: Draft) -> Columns:
        raise NotImplementedError

    def node(self, quote: Any, draft: Draft) -> dict[str, Any]:
        """The operation node as answered, without `expires_at` / `requires_confirmation_code`."""
        raise NotImplementedError

    def destination_type(self, draft: Draft) -> str | None:
        return None

    # ------------------------------------------------------------------ confirmation (8.12)

    # `settings`: a send's stages depend on its delay, authorization threshold and lifetime (13).

    async def recheck(self, conn: Connection, order: Any, quote: Any, settings: Settings) -> None:
        return None

    def confirmation_event(self, order: Any, quote: Any, settings: Settings) -> str:
        """The state-machine event (8.16) a confirmation of this order causes."""
        return "execute"

    async def stage(
        self, conn: Connection, order: Any, quote: Any, now: datetime, settings: Settings
    ) -> dict[str, Any]:
        """Columns the confirmation's state change also sets (a send: its node, so the answer
        and the order-updated event show its authorization or transfer)."""
        return {}

    async def execute(self, conn: Connection, order: Any, quote: Any, now: datetime, settings: Settings) -> None:
        """Post the ledger for a confirmed order (8.12 step 10)."""
        await post(
            conn,
            postings.confirmation_entries(quote, customer_id=order["customer_id"], partner_id=order["partner_id"]),
            order,
            now,
        )


async def post(
    conn: Connection, entries: list[postings.Entry], order: Any, now: datetime, *, kind: str | None = None
) -> None:
    try:
        await ledger.post(conn, entries, kind=kind or f"{order['operation']}_confirmed", order_id=order["id"], now=now)
    except ledger.InsufficientFunds as exc:
        raise errors.insufficient_funds(exc.currency) from None


# ---------------------------------------------------------------------- shared readers


def read_commission(node: Any, draft: Draft) -> None:
    """`commission: {type, value}` (8.4), validated by the model; value may be 0."""
    commission = getattr(node, "commission", None) if node is not None else None
    if commission is not None:
        draft.commission = pricing.Commission(commission.type, Decimal(commission.value))
        draft.commission_raw = commission.value


def check_commission(
    fields: Fields, draft: Draft, path: tuple[str, ...], fixed_currency: str | None, fixed_places: int | None
) -> None:
    """Step 7 for the commission: a fixed value within its currency's decimals, a percentage
    within 4 decimals and 0 ≤ p < 100."""
    commission, raw = draft.commission, draft.commission_raw
    if commission is None or raw is None:
        return
    where = (*path, "commission", "value")
    if commission.is_fixed:
        if fixed_places is not None and places_of(raw) > fixed_places:
            fields.add(where, too_many_places(fixed_currency or "", fixed_places))
    elif places_of(raw) > PERCENT_PLACES:
        fields.add(where, f"Too many decimal places (maximum {PERCENT_PLACES}).")
    elif not Decimal(0) <= commission.value < 100:
        fields.add(where, PERCENT_RANGE)


def check_places(fields: Fields, path: tuple[str, ...], raw: str | None, currency: str, places: int) -> None:
    if raw is not None and places_of(raw) > places:
        fields.add(path, too_many_places(currency, places))


def exactly_one(first: Any, second: Any, names: str) -> None:
    """The seed's two amount sentences (step 6), `names` like `asset.amount or settlement.amount`."""
    if first is None and second is None:
        raise errors.invalid_parameters(f"{names} is required")
    if first is not None and second is not None:
        raise errors.invalid_parameters(f"Either {names} can be sent, but not both")


async def usd_pricing_asset(conn: Connection, asset: catalogue.Asset) -> pricing.Asset | None:
    """The asset as a quote locks it, with its USD prices (None: no USD price)."""
    return _priced(asset, await catalogue.price(conn, asset.id, pricing.USD))


def _priced(asset: catalogue.Asset, usd: catalogue.Price | None) -> pricing.Asset | None:
    if usd is None:
        return None
    return pricing.Asset(asset.id, asset.decimal_places, usd.bid, usd.ask, asset.max_order_value)


def no_price(currency: str, quote_currency: str) -> Exception:
    return errors.operation_forbidden(f"No {currency} price is available in {quote_currency}")


async def require_usd_asset(conn: Connection, asset: catalogue.Asset) -> pricing.Asset:
    return usd_asset(asset, await catalogue.price(conn, asset.id, pricing.USD))


def usd_asset(asset: catalogue.Asset, usd: catalogue.Price | None) -> pricing.Asset:
    """`require_usd_asset` with the USD price already read."""
    priced = _priced(asset, usd)
    if priced is None:
        raise no_price(asset.id, pricing.USD)
    return priced
