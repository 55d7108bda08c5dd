"""Quotes of every partner order (spec/crypto.md 8.3-8.10, 8.15) as pure functions.

No database, no HTTP, no clock: the caller passes what the quote locks (prices, decimals,
limits, the token price) and gets back a frozen dataclass with every amount the order object
and the ledger postings (`crypto.postings`) need.

All arithmetic is exact (`fractions.Fraction`); the only roundings are the ⌊ ⌋ / ⌈ ⌉ the
formulas of section 8 write, and each goes against the customer: what the customer receives
is rounded down, what it pays (amounts, fees, commissions) is rounded up.

Business refusals raise `ApiError` with the contract's code and message (step 11 of 8.2):
`invalid_parameters` sentences, `quote_amount_too_high` with its extra fields,
`insufficient_funds` and `full_amount_required` for redemptions.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, fields
from datetime import datetime
from decimal import ROUND_HALF_EVEN, Context, Decimal
from fractions import Fraction
from typing import Any

from orderdesk.crypto import formats
from orderdesk.crypto.amounts import (
    ceil_to,
    exact,
    exactly,
    floor_to,
    format_amount,
    fraction_digits,
    from_units,
    to_units,
)
from orderdesk.crypto.vocabulary import FIAT_PLACES
from orderdesk.platform.errors import ApiError

PERCENTAGE = "percentage"
FIXED = "fixed"
EARNINGS_PERCENTAGE = "earnings_percentage"

USD = "USD"
SECONDS_PER_YEAR = 31536000
TOKEN_PRICE_PLACES = 18
VALUE_PLACES = 18  # a USD value that is not a terminating decimal is rounded up to this

TOO_SMALL = "The order amount is too small"
COMMISSION_TOO_HIGH = "The commission must be lower than the order amount"
SEND_BELOW_FEE = "asset.amount must be greater than the network fee plus the commission"
QUOTE_TOO_HIGH = "The requested amount exceeds the maximum allowed for one order"


# ---------------------------------------------------------------- inputs


@dataclass(frozen=True)
class Commission:
    """The partner commission of a request: `percentage` / `earnings_percentage` (value in
    percent, `0 <= value < 100`) or `fixed` (an amount in the currency 8.4 names)."""

    type: str
    value: Decimal

    @property
    def is_fixed(self) -> bool:
        return self.type == FIXED


@dataclass(frozen=True)
class Asset:
    """A crypto asset as a quote locks it: decimals, USD prices and the per-order cap (USD)."""

    code: str
    places: int
    usd_bid: Decimal
    usd_ask: Decimal
    max_order_value: Decimal = Decimal("100000")


@dataclass(frozen=True)
class Settlement:
    """A settlement (fiat, two decimals) currency and the asset's bid / ask in it."""

    code: str
    bid: Decimal
    ask: Decimal

    @classmethod
    def usd(cls, asset: Asset) -> Settlement:
        return cls(USD, asset.usd_bid, asset.usd_ask)


@dataclass(frozen=True)
class Investment:
    """An investment product: token decimals, the house fee `L` (earnings percentage) and the
    limits (`max` 0 = no maximum), all in the quote asset."""

    id: str
    places: int
    fee_percent: Decimal
    subscription_min: Decimal
    subscription_max: Decimal
    redemption_min: Decimal
    redemption_max: Decimal


@dataclass(frozen=True)
class Position:
    """A customer's holding of an investment: `tokens` (H) and `principal` (W)."""

    tokens: Decimal
    principal: Decimal


# ---------------------------------------------------------------- outputs


@dataclass(frozen=True)
class Fee:
    """One entry of an investment node's `fees[]` (8.10); `places` formats its amounts."""

    source: str  # lirium_commission | partner_commission
    type: str
    value: Decimal
    base_amount: Decimal
    base_operation: str  # earnings | redemption | subscription
    amount: Decimal
    places: int

    def to_json(self) -> dict[str, str]:
        value = format_amount(self.value, self.places) if self.type == FIXED else formats.percent(self.value)
        return {
            "source": self.source,
            "type": self.type,
            "value": value,
            "mode": "deducted",
            "base_amount": format_amount(self.base_amount, self.places),
            "base_operation": self.base_operation,
            "amount": format_amount(self.amount, self.places),
        }


@dataclass(frozen=True)
class BuyQuote:
    asset: str
    asset_places: int
    settlement_currency: str
    price: Decimal  # A: ask in the settlement currency
    asset_amount: Decimal  # q, credited to the customer
    settlement_amount: Decimal  # s, debited from the partner's settlement account
    commission: Decimal  # c, credited to the partner's commission account
    value_usd: Decimal  # V (8.3)

    @property
    def house_amount(self) -> Decimal:
        """What house trading receives in fiat for `q`: `s − c`."""
        return exactly(exact(self.settlement_amount) - exact(self.commission), FIAT_PLACES)


@dataclass(frozen=True)
class SellQuote:
    asset: str
    asset_places: int
    settlement_currency: str
    price: Decimal  # B: bid in the settlement currency
    asset_amount: Decimal  # q, debited from the customer
    settlement_amount: Decimal  # s, credited to the partner's settlement account
    commission: Decimal  # c
    value_usd: Decimal

    @property
    def gross(self) -> Decimal:
        """What house trading pays in fiat for `q`: `s + c`."""
        return exactly(exact(self.settlement_amount) + exact(self.commission), FIAT_PLACES)


@dataclass(frozen=True)
class SwapQuote:
    source: str
    source_places: int
    destination: str
    destination_places: int
    source_price: Decimal  # bS: USD bid of the source
    destination_price: Decimal  # aD: USD ask of the destination
    source_amount: Decimal  # q_s, debited from the customer
    commission: Decimal  # c, in the source asset
    net: Decimal  # n = q_s − c, to house trading
    destination_amount: Decimal  # q_d, credited to the customer
    value_usd: Decimal


@dataclass(frozen=True)
class SendQuote:
    asset: str
    places: int
    network_fee: Decimal  # F (0 off chain)
    total: Decimal  # T = asset.amount, debited from the sender
    commission: Decimal  # c
    destination_amount: Decimal  # d, what the destination receives
    value_usd: Decimal


@dataclass(frozen=True)
class SubscribeQuote:
    investment: str
    token_places: int
    quote_asset: str
    quote_places: int
    token_price: Decimal  # P, locked
    amount: Decimal  # q, debited from the customer (quote asset)
    commission: Decimal  # c
    net: Decimal  # n = q − c, added to the position's principal
    tokens: Decimal  # t, credited to the customer
    value_usd: Decimal
    fees: tuple[Fee, ...]


@dataclass(frozen=True)
class RedeemQuote:
    investment: str
    token_places: int
    quote_asset: str
    quote_places: int
    token_price: Decimal  # P, locked
    full_amount: bool
    tokens: Decimal  # r, debited from the customer
    gross: Decimal  # g
    principal: Decimal  # b, taken off the position's principal
    earnings: Decimal  # e
    house_fee: Decimal  # l
    commission: Decimal  # k
    amount: Decimal  # N, credited to the customer (asset.amount)
    residue: Decimal  # net(r) − N, to house fees
    remaining_tokens: Decimal  # H − r
    value_usd: Decimal
    fees: tuple[Fee, ...]


# ---------------------------------------------------------------- errors


def _invalid(message: str) -> ApiError:
    return ApiError(400, "invalid_parameters", message)


def _too_high(max_amount: str, requested_amount: str) -> ApiError:
    return ApiError(
        400,
        "quote_amount_too_high",
        QUOTE_TOO_HIGH,
        extra={"max_amount": max_amount, "requested_amount": requested_amount},
    )


def _insufficient(currency: str) -> ApiError:
    return ApiError(400, "insufficient_funds", f"The customer's {currency} balance is insufficient for this order")


# ---------------------------------------------------------------- shared maths


def _as_value(value: Fraction) -> Decimal:
    """A USD value as a Decimal: exact when it terminates (every product of prices and
    amounts does), else rounded up at 18 decimals (only a non-USD settlement converts)."""
    places = _terminating_places(value.denominator)
    return exactly(value, places) if places is not None else ceil_to(value, VALUE_PLACES)


def _terminating_places(denominator: int) -> int | None:
    """Decimals needed to write 1/denominator exactly, or None when it does not terminate."""
    twos = fives = 0
    while denominator % 2 == 0:
        denominator, twos = denominator // 2, twos + 1
    while denominator % 5 == 0:
        denominator, fives = denominator // 5, fives + 1
    return max(twos, fives) if denominator == 1 else None


def _percent(commission: Commission | None, *types: str) -> Fraction:
    if commission is None or commission.type not in types:
        return Fraction(0)
    return exact(commission.value) / 100


def _fixed(commission: Commission | None) -> Fraction:
    return exact(commission.value) if commission is not None and commission.is_fixed else Fraction(0)


def _check_order_limit(
    value_usd: Fraction, max_order_value: Decimal, requested: Decimal, places: int, *, fiat: bool
) -> None:
    """8.3: `V > max_order_value` → `quote_amount_too_high`, speaking in the currency of the
    amount the partner sent."""
    if value_usd <= exact(max_order_value):
        return
    # In USD the requested amount is V itself, so this is the limit; otherwise its equivalent.
    max_amount = exact(max_order_value) * exact(requested) / value_usd
    raise _too_high(
        format_amount(floor_to(max_amount, places), places, fiat=fiat), format_amount(requested, places, fiat=fiat)
    )


def _given(first: Decimal | None, second: Decimal | None) -> tuple[bool, Decimal]:
    """(whether the first amount is the one given, that amount). The HTTP layer answers the
    seed's sentences when neither or both are sent; reaching here so is a caller bug."""
    if first is not None and second is None:
        return True, first
    if first is None and second is not None:
        return False, second
    raise ValueError("exactly one of the two amounts must be given")


# ---------------------------------------------------------------- buy, sell, swap (8.5-8.7)


def quote_buy(
    asset: Asset,
    settlement: Settlement,
    *,
    asset_amount: Decimal | None = None,
    settlement_amount: Decimal | None = None,
    commission: Commission | None = None,
) -> BuyQuote:
    """8.5. Fixed commissions are in the settlement currency."""
    by_asset, amount = _given(asset_amount, settlement_amount)
    price = exact(settlement.ask)
    p, fixed = _percent(commission, PERCENTAGE), bool(commission and commission.is_fixed)
    if by_asset:
        q = amount
        gross = ceil_to(exact(q) * price, FIAT_PLACES)
        c = exactly(_fixed(commission), FIAT_PLACES) if fixed else ceil_to(exact(gross) * p, FIAT_PLACES)
        s = exactly(exact(gross) + exact(c), FIAT_PLACES)
        value = exact(q) * exact(asset.usd_ask)
        _check_order_limit(value, asset.max_order_value, q, asset.places, fiat=False)
    else:
        s = amount
        c = exactly(_fixed(commission), FIAT_PLACES) if fixed else ceil_to(exact(s) * p / (1 + p), FIAT_PLACES)
        if c >= s:
            raise _invalid(COMMISSION_TOO_HIGH)
        q = floor_to((exact(s) - exact(c)) / price, asset.places)
        if q == 0:
            raise _invalid(TOO_SMALL)
        value = exact(s) * exact(asset.usd_ask) / price  # the settlement amount, in USD
        _check_order_limit(value, asset.max_order_value, s, FIAT_PLACES, fiat=True)
    return BuyQuote(
        asset=asset.code,
        asset_places=asset.places,
        settlement_currency=settlement.code,
        price=settlement.ask,
        asset_amount=q,
        settlement_amount=s,
        commission=c,
        value_usd=_as_value(value),
    )


def quote_sell(
    asset: Asset,
    settlement: Settlement,
    *,
    asset_amount: Decimal | None = None,
    settlement_amount: Decimal | None = None,
    commission: Commission | None = None,
) -> SellQuote:
    """8.6. Fixed commissions are in the settlement currency."""
    by_asset, amount = _given(asset_amount, settlement_amount)
    price = exact(settlement.bid)
    p, fixed = _percent(commission, PERCENTAGE), bool(commission and commission.is_fixed)
    if by_asset:
        q = amount
        gross = floor_to(exact(q) * price, FIAT_PLACES)
        if gross == 0:
            raise _invalid(TOO_SMALL)
        c = exactly(_fixed(commission), FIAT_PLACES) if fixed else ceil_to(exact(gross) * p, FIAT_PLACES)
        if c >= gross:
            raise _invalid(COMMISSION_TOO_HIGH)
        s = exactly(exact(gross) - exact(c), FIAT_PLACES)
        value = exact(q) * exact(asset.usd_bid)
        _check_order_limit(value, asset.max_order_value, q, asset.places, fiat=False)
    else:
        s = amount
        c = exactly(_fixed(commission), FIAT_PLACES) if fixed else ceil_to(exact(s) * p / (1 - p), FIAT_PLACES)
        q = ceil_to((exact(s) + exact(c)) / price, asset.places)
        value = exact(s) * exact(asset.usd_bid) / price
        _check_order_limit(value, asset.max_order_value, s, FIAT_PLACES, fiat=True)
    return SellQuote(
        asset=asset.code,
        asset_places=asset.places,
        settlement_currency=settlement.code,
        price=settlement.bid,
        asset_amount=q,
        settlement_amount=s,
        commission=c,
        value_usd=_as_value(value),
    )


def quote_swap(
    source: Asset,
    destination: Asset,
    *,
    source_amount: Decimal | None = None,
    destination_amount: Decimal | None = None,
    commission: Commission | None = None,
) -> SwapQuote:
    """8.7, at the USD bid of the source and the USD ask of the destination. Fixed commissions
    are in the source asset; the order limit is the source asset's."""
    by_source, amount = _given(source_amount, destination_amount)
    rate = exact(source.usd_bid) / exact(destination.usd_ask)
    p, fixed = _percent(commission, PERCENTAGE), bool(commission and commission.is_fixed)
    if by_source:
        q_s = amount
        c = exactly(_fixed(commission), source.places) if fixed else ceil_to(exact(q_s) * p, source.places)
        if c >= q_s:
            raise _invalid(COMMISSION_TOO_HIGH)
        n = exactly(exact(q_s) - exact(c), source.places)
        q_d = floor_to(exact(n) * rate, destination.places)
        if q_d == 0:
            raise _invalid(TOO_SMALL)
        requested, req_places = q_s, source.places
    else:
        q_d = amount
        n = ceil_to(exact(q_d) / rate, source.places)
        c = exactly(_fixed(commission), source.places) if fixed else ceil_to(exact(n) * p / (1 - p), source.places)
        q_s = exactly(exact(n) + exact(c), source.places)
        requested, req_places = q_d, destination.places
    value = exact(q_s) * exact(source.usd_bid)
    _check_order_limit(value, source.max_order_value, requested, req_places, fiat=False)
    return SwapQuote(
        source=source.code,
        source_places=source.places,
        destination=destination.code,
        destination_places=destination.places,
        source_price=source.usd_bid,
        destination_price=destination.usd_ask,
        source_amount=q_s,
        commission=c,
        net=n,
        destination_amount=q_d,
        value_usd=_as_value(value),
    )


# ---------------------------------------------------------------- send (8.8)


def quote_send(
    asset: Asset,
    *,
    network_fee: Decimal,
    asset_amount: Decimal | None = None,
    destination_amount: Decimal | None = None,
    commission: Commission | None = None,
) -> SendQuote:
    """8.8. `network_fee` is the network's `send_fee`, 0 for a `lirium_customer` send. Fixed
    commissions are in the sent asset. `V` is valued on the total debit `T` at the USD bid."""
    by_total, amount = _given(asset_amount, destination_amount)
    places, fee = asset.places, exact(network_fee)
    p, fixed = _percent(commission, PERCENTAGE), bool(commission and commission.is_fixed)
    if not by_total:
        d = amount
        c = exactly(_fixed(commission), places) if fixed else ceil_to(exact(d) * p, places)
        total = exactly(exact(d) + fee + exact(c), places)
        requested = d
    else:
        total = amount
        if total <= network_fee:
            raise _invalid(SEND_BELOW_FEE)
        c = exactly(_fixed(commission), places) if fixed else ceil_to((exact(total) - fee) * p / (1 + p), places)
        d = exactly(exact(total) - fee - exact(c), places)
        if d <= 0:
            raise _invalid(SEND_BELOW_FEE)
        requested = total
    value = exact(total) * exact(asset.usd_bid)
    _check_order_limit(value, asset.max_order_value, requested, places, fiat=False)
    return SendQuote(
        asset=asset.code,
        places=places,
        network_fee=exactly(fee, places),
        total=total,
        commission=c,
        destination_amount=d,
        value_usd=_as_value(value),
    )


# ---------------------------------------------------------------- investments (8.9, 8.10)


def token_price(*, anchor_price: Decimal, apy: Decimal, anchor_at: datetime, at: datetime) -> Decimal:
    """4.1: `P(t) = P_a × (1 + apy/100) ^ ((t − t_a) / 31536000 s)` at precision 50,
    quantized down to 18 decimals."""
    elapsed = at - anchor_at
    micros = (elapsed.days * 86400 + elapsed.seconds) * 1_000_000 + elapsed.microseconds
    ctx = Context(prec=50, rounding=ROUND_HALF_EVEN)
    years = ctx.divide(Decimal(micros), Decimal(SECONDS_PER_YEAR * 1_000_000))
    growth = ctx.power(ctx.add(1, ctx.divide(apy, 100)), years)
    return floor_to(ctx.multiply(anchor_price, growth), TOKEN_PRICE_PLACES)


def _format_limit(limit: Decimal, places: int) -> str:
    """An investment limit in the quote asset's format; a limit written with more decimals
    than the asset has (the catalogue does not allow it, but a stored value may predate a
    change) keeps its own digits instead of failing."""
    return format_amount(limit, max(places, fraction_digits(limit)))


def _min_message(which: str, minimum: Decimal, currency: str, places: int) -> str:
    return f"asset.amount is below the minimum {which} amount ({_format_limit(minimum, places)} {currency})"


def quote_subscribe(
    investment: Investment,
    quote_asset: Asset,
    *,
    amount: Decimal,
    token_price: Decimal,
    commission: Commission | None = None,
) -> SubscribeQuote:
    """8.9. `amount` is `q` in the quote asset; fixed commissions are in the quote asset."""
    places = quote_asset.places
    fixed = bool(commission and commission.is_fixed)
    q = amount
    # The limits bear on the amount as sent, so they answer before the maths (as for redemptions).
    if q < investment.subscription_min:
        raise _invalid(_min_message("subscription", investment.subscription_min, quote_asset.code, places))
    if investment.subscription_max and q > investment.subscription_max:
        raise _too_high(_format_limit(investment.subscription_max, places), format_amount(q, places))
    c = exactly(_fixed(commission), places) if fixed else ceil_to(exact(q) * _percent(commission, PERCENTAGE), places)
    if c >= q:
        raise _invalid(COMMISSION_TOO_HIGH)
    n = exactly(exact(q) - exact(c), places)
    t = floor_to(exact(n) / exact(token_price), investment.places)
    if t == 0:
        raise _invalid(TOO_SMALL)
    fees: tuple[Fee, ...] = ()
    if commission is not None:
        fees = (Fee("partner_commission", commission.type, commission.value, q, "subscription", c, places),)
    return SubscribeQuote(
        investment=investment.id,
        token_places=investment.places,
        quote_asset=quote_asset.code,
        quote_places=places,
        token_price=token_price,
        amount=q,
        commission=c,
        net=n,
        tokens=t,
        value_usd=_as_value(exact(q) * exact(quote_asset.usd_bid)),
        fees=fees,
    )


@dataclass(frozen=True)
class _Redemption:
    """The amounts of redeeming `r` tokens (8.10)."""

    tokens: Decimal
    gross: Decimal
    principal: Decimal
    earnings: Decimal
    house_fee: Decimal
    commission: Decimal
    net: Decimal


class _RedeemMaths:
    def __init__(
        self,
        investment: Investment,
        places: int,
        position: Position,
        token_price: Decimal,
        commission: Commission | None,
    ) -> None:
        self.places = places
        self.held, self.principal = position.tokens, position.principal
        self.price = exact(token_price)
        self.house_rate = exact(investment.fee_percent) / 100
        self.commission = commission

    def at(self, r: Decimal) -> _Redemption:
        q = self.places
        g = floor_to(exact(r) * self.price, q)
        b = self.principal if r == self.held else floor_to(exact(self.principal) * exact(r) / exact(self.held), q)
        e = exactly(max(Fraction(0), exact(g) - exact(b)), q)
        l_fee = ceil_to(exact(e) * self.house_rate, q)
        k = self._commission(g, e)
        net = exactly(exact(g) - exact(l_fee) - exact(k), q)
        return _Redemption(r, g, exactly(exact(b), q), e, l_fee, k, net)

    def _commission(self, g: Decimal, e: Decimal) -> Decimal:
        commission, q = self.commission, self.places
        if commission is None:
            return exactly(0, q)
        if commission.type == FIXED:
            return exactly(exact(commission.value), q)
        base = e if commission.type == EARNINGS_PERCENTAGE else g
        return ceil_to(exact(base) * exact(commission.value) / 100, q)

    def first_guess(self, wanted: Decimal, token_places: int) -> Decimal:
        """`⌈(N + f)/u⌉I` with `u` the net per token before rounding (8.10)."""
        p_e = _percent(self.commission, EARNINGS_PERCENTAGE)
        p_g = _percent(self.commission, PERCENTAGE)
        earnings_per_token = max(Fraction(0), self.price - exact(self.principal) / exact(self.held))
        u = self.price - earnings_per_token * (self.house_rate + p_e) - self.price * p_g
        if u <= 0:
            return self.held
        return min(self.held, ceil_to((exact(wanted) + _fixed(self.commission)) / u, token_places))


# The 8.10 search walks one token unit at a time; that is a few steps when the token and
# the quote asset have the same decimals, but up to 10^k steps when the token has k more
# (its gross only moves every 10^k units). After this many single steps the walk continues
# with a galloping binary search for the same boundary.
_LOCAL_STEPS = 64


def _redeem_tokens_for(maths: _RedeemMaths, wanted: Decimal, token_places: int, token: str) -> _Redemption:
    """The tokens to redeem for a net of `wanted` (8.10): from the first guess, up while the
    net falls short, then down while one unit less still covers it; `r > H` →
    `insufficient_funds`."""
    held = to_units(maths.held, token_places)

    def at(count: int) -> _Redemption:
        return maths.at(from_units(count, token_places))

    count = max(to_units(maths.first_guess(wanted, token_places), token_places), 1)
    current, steps = at(count), 0
    while current.net < wanted:
        if count >= held:
            raise _insufficient(token)
        if steps == _LOCAL_STEPS:
            count = _first_covering_above(at, count, held, wanted, token)
            return at(count)
        count, steps = count + 1, steps + 1
        current = at(count)
    steps = 0
    while count > 1:
        lower = at(count - 1)
        if lower.net < wanted:
            break
        if steps == _LOCAL_STEPS:
            return at(_first_covering_below(at, count, wanted))
        count, current, steps = count - 1, lower, steps + 1
    return current


def _first_covering_above(at: Any, short: int, held: int, wanted: Decimal, token: str) -> int:
    """Gallop up from `short` (net below `wanted`) to a count that covers it, then bisect."""
    step, covering = 1, min(short + 1, held)
    while at(covering).net < wanted:
        if covering >= held:
            raise _insufficient(token)
        short, step = covering, step * 2
        covering = min(short + step, held)
    return _bisect(at, short, covering, wanted)


def _first_covering_below(at: Any, covering: int, wanted: Decimal) -> int:
    """Gallop down from `covering` to a count whose net is short of `wanted` (0 always is),
    then bisect."""
    step, short = 1, covering - 1
    while short > 0 and at(short).net >= wanted:
        covering, step = short, step * 2
        short = max(covering - step, 0)
    return _bisect(at, short, covering, wanted)


def _bisect(at: Any, short: int, covering: int, wanted: Decimal) -> int:
    while covering - short > 1:
        middle = (short + covering) // 2
        if at(middle).net >= wanted:
            covering = middle
        else:
            short = middle
    return covering


def quote_redeem(
    investment: Investment,
    quote_asset: Asset,
    position: Position,
    *,
    token_price: Decimal,
    amount: Decimal | None = None,
    full_amount: bool = False,
    commission: Commission | None = None,
) -> RedeemQuote:
    """8.10. `amount` is `N`, what the customer receives after every fee; with `full_amount`
    the whole position is redeemed and `N` is computed. Fixed commissions are in the quote
    asset."""
    if full_amount == (amount is not None):
        raise ValueError("give either amount or full_amount")
    places, token = quote_asset.places, investment.id
    maths = _RedeemMaths(investment, places, position, token_price, commission)
    if full_amount:
        if position.tokens == 0:
            raise _insufficient(token)
        redemption = maths.at(position.tokens)
        wanted = redemption.net
        if wanted <= 0:
            raise _invalid(TOO_SMALL)
        _check_redemption_limits(investment, wanted, quote_asset.code, places)
    else:
        assert amount is not None
        wanted = amount
        _check_redemption_limits(investment, wanted, quote_asset.code, places)
        if position.tokens == 0:
            raise _insufficient(token)
        redemption = _redeem_tokens_for(maths, wanted, investment.places, token)
        _check_remaining(investment, position, redemption.tokens, maths.price, quote_asset.code, places)
    return _redeem_quote(investment, quote_asset, position, token_price, commission, redemption, wanted, full_amount)


def _check_redemption_limits(investment: Investment, wanted: Decimal, currency: str, places: int) -> None:
    if wanted < investment.redemption_min:
        raise _invalid(_min_message("redemption", investment.redemption_min, currency, places))
    if investment.redemption_max and wanted > investment.redemption_max:
        raise _too_high(_format_limit(investment.redemption_max, places), format_amount(wanted, places))


def _check_remaining(
    investment: Investment, position: Position, tokens: Decimal, price: Fraction, currency: str, places: int
) -> None:
    remaining = exact(position.tokens) - exact(tokens)
    if remaining > 0 and floor_to(remaining * price, places) < investment.redemption_min:
        minimum = _format_limit(investment.redemption_min, places)
        raise ApiError(
            400,
            "full_amount_required",
            f"The remaining position would be below the minimum redemption amount "
            f"({minimum} {currency}); redeem the full amount",
        )


def _redeem_quote(
    investment: Investment,
    quote_asset: Asset,
    position: Position,
    token_price: Decimal,
    commission: Commission | None,
    redemption: _Redemption,
    wanted: Decimal,
    full_amount: bool,
) -> RedeemQuote:
    places = quote_asset.places
    return RedeemQuote(
        investment=investment.id,
        token_places=investment.places,
        quote_asset=quote_asset.code,
        quote_places=places,
        token_price=token_price,
        full_amount=full_amount,
        tokens=redemption.tokens,
        gross=redemption.gross,
        principal=redemption.principal,
        earnings=redemption.earnings,
        house_fee=redemption.house_fee,
        commission=redemption.commission,
        amount=wanted,
        residue=exactly(exact(redemption.net) - exact(wanted), places),
        remaining_tokens=exactly(exact(position.tokens) - exact(redemption.tokens), investment.places),
        value_usd=_as_value(exact(wanted) * exact(quote_asset.usd_bid)),
        fees=_redemption_fees(investment, commission, redemption, places),
    )


def _redemption_fees(
    investment: Investment, commission: Commission | None, redemption: _Redemption, places: int
) -> tuple[Fee, ...]:
    fees = []
    if investment.fee_percent > 0:
        fees.append(
            Fee(
                "lirium_commission",
                EARNINGS_PERCENTAGE,
                investment.fee_percent,
                redemption.earnings,
                "earnings",
                redemption.house_fee,
                places,
            )
        )
    if commission is not None:
        on_earnings = commission.type == EARNINGS_PERCENTAGE
        fees.append(
            Fee(
                "partner_commission",
                commission.type,
                commission.value,
                redemption.earnings if on_earnings else redemption.gross,
                "earnings" if on_earnings else "redemption",
                redemption.commission,
                places,
            )
        )
    return tuple(fees)


# ---------------------------------------------------------------- code and authorization (8.3, 8.15)


def requires_security_code(
    *,
    operation: str,
    value_usd: Decimal,
    threshold_usd: Decimal,
    code_operations: Collection[str],
    destination_type: str | None = None,
) -> bool:
    """8.3: the operation is one of the partner's `security_code_operations` (for `send`
    only towards `crypto_currency_address` / `address_book`), or `V` exceeds the threshold."""
    if operation in code_operations and (operation != "send" or destination_type != "lirium_customer"):
        return True
    return value_usd > threshold_usd


def needs_partner_authorization(*, operation: str, value_usd: Decimal, threshold_usd: Decimal) -> bool:
    """8.3 / 8.15: a send whose `V` exceeds `ORDERDESK_CRYPTO_SEND_AUTH_THRESHOLD_USD` gets a
    partner authorization at confirmation."""
    return operation == "send" and value_usd > threshold_usd


def fees_json(fees: tuple[Fee, ...]) -> list[dict[str, Any]] | None:
    """The `fees` array of an investment node, or None when it must be omitted."""
    return [fee.to_json() for fee in fees] or None


# ---------------------------------------------------------------- storing a locked quote

Quote = BuyQuote | SellQuote | SwapQuote | SendQuote | SubscribeQuote | RedeemQuote
_QUOTE_TYPES: dict[str, type[Any]] = {
    cls.__name__: cls for cls in (BuyQuote, SellQuote, SwapQuote, SendQuote, SubscribeQuote, RedeemQuote)
}


def dump_quote(quote: Quote) -> dict[str, Any]:
    """A JSON-ready dict of a quote (decimals as exact strings) to lock it with the order."""
    return {"type": type(quote).__name__, **_dump_fields(quote)}


def load_quote(data: dict[str, Any]) -> Quote:
    """The quote `dump_quote` stored, equal to the original."""
    cls = _QUOTE_TYPES[data["type"]]
    return cls(**_load_fields(cls, data))  # type: ignore[no-any-return]


def _dump_fields(obj: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for field in fields(obj):
        value = getattr(obj, field.name)
        if isinstance(value, Decimal):
            value = str(value)
        elif isinstance(value, tuple):
            value = [_dump_fields(item) for item in value]
        out[field.name] = value
    return out


def _load_fields(cls: type[Any], data: dict[str, Any]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for field in fields(cls):
        raw = data[field.name]
        if field.type == "Decimal":
            raw = Decimal(raw)
        elif field.type == "tuple[Fee, ...]":
            raw = tuple(Fee(**_load_fields(Fee, item)) for item in raw)
        values[field.name] = raw
    return values
