"""Property tests of the quote maths (spec/crypto.md 3.3, 8.4-8.10, 6.3).

For random prices, amounts and commissions: the customer never receives more, nor pays less,
than the exact rational (`Fraction`) result; every amount fits its currency's decimals and
formats; every posting sums to zero per currency and moves exactly the quoted amounts.
A refusal is only ever one of the contract's step-11 answers.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from fractions import Fraction as F
from typing import Any, TypeVar

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from orderdesk.crypto import postings
from orderdesk.crypto.amounts import (
    ceil_to,
    floor_to,
    format_amount,
    fraction_digits,
    from_units,
    to_units,
)
from orderdesk.crypto.pricing import (
    Asset,
    Commission,
    Investment,
    Position,
    Settlement,
    quote_buy,
    quote_redeem,
    quote_sell,
    quote_send,
    quote_subscribe,
    quote_swap,
)
from orderdesk.platform.errors import ApiError

PROPERTY = settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
CUSTOMER, PARTNER, RECEIVER = "c" * 32, "p" * 32, "r" * 32
UNLIMITED = Decimal("1E+60")
REFUSALS = {
    ("invalid_parameters", "The order amount is too small"),
    ("invalid_parameters", "The commission must be lower than the order amount"),
    ("invalid_parameters", "asset.amount must be greater than the network fee plus the commission"),
}
Q = TypeVar("Q")


def decimal_at(places: int, low: int = 1, high: int = 10**12) -> st.SearchStrategy[Decimal]:
    return st.integers(min_value=low, max_value=high).map(lambda n: Decimal(f"{n}E-{places}"))


places_st = st.integers(min_value=0, max_value=18)
price_st = decimal_at(8, 1, 10**15)  # 0.00000001 .. 10 000 000


@st.composite
def assets(draw: st.DrawFn, code: str = "AAA") -> Asset:
    bid, ask = sorted((draw(price_st), draw(price_st)))
    return Asset(code, draw(places_st), bid, ask, UNLIMITED)


@st.composite
def commissions(draw: st.DrawFn, fixed_places: int) -> Commission | None:
    kind = draw(st.sampled_from([None, "percentage", "fixed"]))
    if kind is None:
        return None
    if kind == "percentage":
        return Commission(kind, draw(st.integers(0, 999999).map(lambda n: Decimal(f"{n}E-4"))))
    return Commission(kind, draw(decimal_at(fixed_places, 0, 10**9)))


def rate(commission: Commission | None) -> F:
    return F(commission.value) / 100 if commission and commission.type != "fixed" else F(0)


def fixed(commission: Commission | None) -> F:
    return F(commission.value) if commission and commission.type == "fixed" else F(0)


def attempt(call: Callable[[], Q]) -> Q | None:
    try:
        return call()
    except ApiError as error:
        assert (error.code, error.message) in REFUSALS
        return None


def fits(amount: Decimal, places: int, *, fiat: bool = False) -> None:
    assert amount >= 0
    assert fraction_digits(amount) <= places
    text = format_amount(amount, places, fiat=fiat)
    assert Decimal(text) == amount and "E" not in text


def check_posting(entries: list[postings.Entry], moves: dict[str, Decimal]) -> None:
    assert postings.is_balanced(entries)
    assert all(entry.amount != 0 for entry in entries)
    by_label = {entry.label: entry.amount for entry in entries}
    for label, amount in moves.items():
        assert by_label.get(label, Decimal(0)) == amount


# ---------------------------------------------------------------- buy and sell


@PROPERTY
@given(asset=assets(), data=st.data())
def test_buy(asset: Asset, data: st.DataObject) -> None:
    usd = Settlement.usd(asset)
    commission = data.draw(commissions(2))
    by_asset = data.draw(st.booleans())
    amount = data.draw(decimal_at(asset.places) if by_asset else decimal_at(2))
    kwargs: dict[str, Any] = {"asset_amount": amount} if by_asset else {"settlement_amount": amount}
    quote = attempt(lambda: quote_buy(asset, usd, commission=commission, **kwargs))
    if quote is None:
        assert not by_asset
        return
    ask, q, s, c = F(asset.usd_ask), F(quote.asset_amount), F(quote.settlement_amount), F(quote.commission)
    if by_asset:  # the customer pays at least the exact price plus the exact commission
        assert s >= q * ask * (1 + rate(commission)) + fixed(commission)
    else:  # the customer receives at most what its settlement buys net of the exact commission
        assert q * ask <= s / (1 + rate(commission)) - fixed(commission)
        assert c >= s * rate(commission) / (1 + rate(commission))
    fits(quote.asset_amount, asset.places)
    fits(quote.settlement_amount, 2, fiat=True)
    fits(quote.commission, 2, fiat=True)
    check_posting(
        postings.buy_confirmed(quote, customer_id=CUSTOMER, partner_id=PARTNER),
        {
            f"customer:{CUSTOMER}:AAA": quote.asset_amount,
            f"settlement:{PARTNER}:USD": quote.settlement_amount.copy_negate(),
            f"commission:{PARTNER}:USD": quote.commission,
        },
    )


@PROPERTY
@given(asset=assets(), data=st.data())
def test_sell(asset: Asset, data: st.DataObject) -> None:
    usd = Settlement.usd(asset)
    commission = data.draw(commissions(2))
    by_asset = data.draw(st.booleans())
    amount = data.draw(decimal_at(asset.places) if by_asset else decimal_at(2))
    kwargs: dict[str, Any] = {"asset_amount": amount} if by_asset else {"settlement_amount": amount}
    quote = attempt(lambda: quote_sell(asset, usd, commission=commission, **kwargs))
    if quote is None:
        assert by_asset
        return
    bid, q, s = F(asset.usd_bid), F(quote.asset_amount), F(quote.settlement_amount)
    # Either way, what the partner's customer gets is at most the exact proceeds net of commission.
    assert s <= q * bid * (1 - rate(commission)) - fixed(commission)
    assert quote.commission < quote.gross
    fits(quote.asset_amount, asset.places)
    fits(quote.settlement_amount, 2, fiat=True)
    check_posting(
        postings.sell_confirmed(quote, customer_id=CUSTOMER, partner_id=PARTNER),
        {
            f"customer:{CUSTOMER}:AAA": quote.asset_amount.copy_negate(),
            f"settlement:{PARTNER}:USD": quote.settlement_amount,
            f"commission:{PARTNER}:USD": quote.commission,
        },
    )


# ---------------------------------------------------------------- swap and send


@PROPERTY
@given(source=assets("SRC"), destination=assets("DST"), data=st.data())
def test_swap(source: Asset, destination: Asset, data: st.DataObject) -> None:
    commission = data.draw(commissions(source.places))
    by_source = data.draw(st.booleans())
    amount = data.draw(decimal_at(source.places if by_source else destination.places))
    kwargs: dict[str, Any] = {"source_amount": amount} if by_source else {"destination_amount": amount}
    quote = attempt(lambda: quote_swap(source, destination, commission=commission, **kwargs))
    if quote is None:
        assert by_source
        return
    q_s, q_d = F(quote.source_amount), F(quote.destination_amount)
    worth = (q_s * (1 - rate(commission)) - fixed(commission)) * F(source.usd_bid)
    assert q_d * F(destination.usd_ask) <= worth
    assert F(quote.net) + F(quote.commission) == F(quote.source_amount)
    fits(quote.source_amount, source.places)
    fits(quote.destination_amount, destination.places)
    fits(quote.commission, source.places)
    check_posting(
        postings.swap_confirmed(quote, customer_id=CUSTOMER, partner_id=PARTNER),
        {
            f"customer:{CUSTOMER}:SRC": quote.source_amount.copy_negate(),
            f"customer:{CUSTOMER}:DST": quote.destination_amount,
            f"commission:{PARTNER}:SRC": quote.commission,
        },
    )


@PROPERTY
@given(asset=assets("AAA"), data=st.data())
def test_send(asset: Asset, data: st.DataObject) -> None:
    commission = data.draw(commissions(asset.places))
    fee = data.draw(decimal_at(asset.places, 0, 10**8))
    by_total = data.draw(st.booleans())
    amount = data.draw(decimal_at(asset.places))
    kwargs: dict[str, Any] = {"asset_amount": amount} if by_total else {"destination_amount": amount}
    quote = attempt(lambda: quote_send(asset, network_fee=fee, commission=commission, **kwargs))
    if quote is None:
        assert by_total
        return
    t, d = F(quote.total), F(quote.destination_amount)
    assert d > 0
    assert d <= (t - F(fee)) / (1 + rate(commission)) - fixed(commission)
    assert F(quote.destination_amount) + F(quote.network_fee) + F(quote.commission) == F(quote.total)
    for amount_out in (quote.total, quote.destination_amount, quote.commission, quote.network_fee):
        fits(amount_out, asset.places)
    debit = {f"customer:{CUSTOMER}:AAA": quote.total.copy_negate()}
    check_posting(postings.send_to_transit(quote, customer_id=CUSTOMER), debit)
    check_posting(postings.send_delivered(quote, partner_id=PARTNER), {"external:AAA": quote.destination_amount})
    check_posting(postings.send_refunded(quote, customer_id=CUSTOMER), {f"customer:{CUSTOMER}:AAA": quote.total})
    for from_transit in (False, True):
        check_posting(
            postings.internal_send_completed(
                quote, sender_id=CUSTOMER, receiver_id=RECEIVER, partner_id=PARTNER, from_transit=from_transit
            ),
            {f"customer:{RECEIVER}:AAA": quote.destination_amount},
        )


# ---------------------------------------------------------------- investments


def investment(places: int, fee: Decimal) -> Investment:
    return Investment("TOK", places, fee, Decimal("0.000001"), Decimal(0), Decimal("0.000001"), Decimal(0))


token_price_st = decimal_at(18, 5 * 10**17, 3 * 10**18)  # 0.5 .. 3


@PROPERTY
@given(stable=assets("STB"), price=token_price_st, token_places=st.integers(2, 18), data=st.data())
def test_subscribe(stable: Asset, price: Decimal, token_places: int, data: st.DataObject) -> None:
    commission = data.draw(commissions(stable.places))
    amount = data.draw(decimal_at(stable.places))
    product = investment(token_places, Decimal(10))
    try:
        quote = quote_subscribe(product, stable, amount=amount, token_price=price, commission=commission)
    except ApiError as error:
        assert (error.code, error.message) in REFUSALS or error.message.startswith("asset.amount is below")
        return
    assert F(quote.tokens) * F(price) <= F(amount) * (1 - rate(commission)) - fixed(commission)
    assert F(quote.net) + F(quote.commission) == F(quote.amount)
    fits(quote.tokens, token_places)
    fits(quote.commission, stable.places)
    assert len(quote.fees) == (commission is not None)
    check_posting(
        postings.subscribe_confirmed(quote, customer_id=CUSTOMER, partner_id=PARTNER),
        {f"customer:{CUSTOMER}:STB": amount.copy_negate(), f"customer:{CUSTOMER}:TOK": quote.tokens},
    )


def exact_net(r: F, held: F, principal: F, price: F, house: F, commission: Commission | None) -> F:
    gross = r * price
    earnings = max(F(0), gross - principal * r / held)
    if commission is None:
        partner = F(0)
    elif commission.type == "fixed":
        partner = F(commission.value)
    else:
        partner = (earnings if commission.type == "earnings_percentage" else gross) * F(commission.value) / 100
    return gross - earnings * house / 100 - partner


def spec_net(
    r: Decimal,
    held: Decimal,
    principal: Decimal,
    price: Decimal,
    house: Decimal,
    commission: Commission | None,
    places: int,
) -> F:
    """net(r) of 8.10, written out again independently of the implementation."""
    gross = F(floor_to(F(r) * F(price), places))
    base = F(principal) if r == held else F(floor_to(F(principal) * F(r) / F(held), places))
    earnings = max(F(0), gross - base)
    fee = F(ceil_to(earnings * F(house) / 100, places))
    if commission is None:
        partner = F(0)
    elif commission.type == "fixed":
        partner = F(commission.value)
    else:
        on = earnings if commission.type == "earnings_percentage" else gross
        partner = F(ceil_to(on * F(commission.value) / 100, places))
    return gross - fee - partner


@st.composite
def redemption_commissions(draw: st.DrawFn, places: int) -> Commission | None:
    kind = draw(st.sampled_from([None, "earnings_percentage", "percentage", "fixed"]))
    if kind is None:
        return None
    if kind == "fixed":
        return Commission(kind, draw(decimal_at(places, 0, 10**6)))
    return Commission(kind, draw(st.integers(0, 500000).map(lambda n: Decimal(f"{n}E-4"))))


@PROPERTY
@given(stable=assets("STB"), price=token_price_st, data=st.data())
def test_redeem(stable: Asset, price: Decimal, data: st.DataObject) -> None:
    token_places = data.draw(st.integers(2, 18))
    held = data.draw(decimal_at(token_places, 1, 10**12))
    principal = data.draw(decimal_at(stable.places, 0, 10**12))
    house = data.draw(st.integers(0, 40).map(Decimal))
    commission = data.draw(redemption_commissions(stable.places))
    full = data.draw(st.booleans())
    wanted = None if full else data.draw(decimal_at(stable.places))
    product = investment(token_places, house)
    try:
        quote = quote_redeem(
            product,
            stable,
            Position(held, principal),
            token_price=price,
            amount=wanted,
            full_amount=full,
            commission=commission,
        )
    except ApiError as error:
        assert error.code in {"invalid_parameters", "insufficient_funds", "full_amount_required"}
        return
    r = F(quote.tokens)
    assert 0 < r <= F(held)
    if full:
        assert quote.tokens == held and quote.principal == principal
    else:
        assert quote.amount == wanted
        one_less = F(quote.tokens) - F(1, 10**token_places)
        if one_less > 0:  # the fewest tokens that cover the amount
            assert spec_net(
                from_units(to_units(one_less, token_places), token_places),
                held,
                principal,
                price,
                house,
                commission,
                stable.places,
            ) < F(quote.amount)
    assert spec_net(quote.tokens, held, principal, price, house, commission, stable.places) == (
        F(quote.amount) + F(quote.residue)
    )
    assert quote.residue >= 0
    assert F(quote.amount) <= exact_net(r, F(held), F(principal), F(price), F(house), commission)
    assert F(quote.gross) - F(quote.house_fee) - F(quote.commission) - F(quote.residue) == F(quote.amount)
    for amount_out in (quote.amount, quote.gross, quote.house_fee, quote.commission, quote.earnings):
        fits(amount_out, stable.places)
    fits(quote.tokens, token_places)
    check_posting(
        postings.redeem_confirmed(quote, customer_id=CUSTOMER, partner_id=PARTNER),
        {f"customer:{CUSTOMER}:TOK": quote.tokens.copy_negate(), f"customer:{CUSTOMER}:STB": quote.amount},
    )
