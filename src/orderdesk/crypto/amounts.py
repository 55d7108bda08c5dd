"""Amounts (spec/crypto.md 3.3): decimal places, exact rounding, formatting.

Strings in, strings out, `Decimal` in between, never a float. Rounding goes through exact
rationals (`fractions.Fraction`), so `floor_to` / `ceil_to` are the true ⌊x⌋ / ⌈x⌉ of the
formulas in section 8 however many digits the operands carry: no intermediate result is
ever rounded by a Decimal context.
"""

from __future__ import annotations

import math
from decimal import Decimal
from fractions import Fraction

from orderdesk.crypto.vocabulary import FIAT_PLACES

PERCENT_PLACES = 4
PERCENT_RANGE = "Must be greater than or equal to 0 and less than 100."

Number = Decimal | Fraction | int


# ---------------------------------------------------------------- places


def fraction_digits(value: Decimal) -> int:
    """Fractional digits as written: `Decimal("10.000")` has 3."""
    exponent = value.as_tuple().exponent
    assert isinstance(exponent, int), "amounts are finite"
    return max(0, -exponent)


# ---------------------------------------------------------------- exact rounding


def exact(value: Number) -> Fraction:
    return value if isinstance(value, Fraction) else Fraction(value)


def _decimal_of(scaled: int, places: int) -> Decimal:
    """`scaled × 10^-places` as a Decimal with exactly that exponent. Built from text in
    scientific notation: the constructor keeps every digit (no context rounds it), like the
    (sign, digits, exponent) tuple it replaces at a sixth of the cost."""
    return Decimal(f"{scaled}E{-places}")


def floor_to(value: Number, places: int) -> Decimal:
    """⌊value⌋ at `places` decimals (ROUND_DOWN for the positive amounts of section 8)."""
    return _decimal_of(math.floor(exact(value) * 10**places), places)


def ceil_to(value: Number, places: int) -> Decimal:
    """⌈value⌉ at `places` decimals (ROUND_UP for the positive amounts of section 8)."""
    return _decimal_of(math.ceil(exact(value) * 10**places), places)


def exactly(value: Number, places: int) -> Decimal:
    """`value`, which must be representable at `places` decimals, as a Decimal at that
    scale (sums and differences of quantized amounts)."""
    result = floor_to(value, places)
    if Fraction(result) != exact(value):
        raise ValueError(f"{value} does not fit {places} decimal places")
    return result


def from_units(count: int, places: int) -> Decimal:
    """`count` smallest units of a currency with `places` decimals (`from_units(15, 2)` = 0.15)."""
    return _decimal_of(count, places)


def to_units(value: Number, places: int) -> int:
    """How many smallest units `value` is; it must fit `places` decimals."""
    scaled = exact(value) * 10**places
    if scaled.denominator != 1:
        raise ValueError(f"{value} does not fit {places} decimal places")
    return scaled.numerator


def unit(places: int) -> Decimal:
    """The smallest amount of a currency with `places` decimals."""
    return _decimal_of(1, places)


# ---------------------------------------------------------------- formatting


def plain(value: Decimal) -> str:
    """Fixed-point text of `value`, never exponent notation."""
    return format(value, "f")


def without_trailing_zeros(text: str) -> str:
    """Fixed-point text without trailing fractional zeros or a trailing point; `"0"` for zero."""
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("", "-0") else text


def _fit(value: Decimal, places: int) -> Decimal:
    """`value` at exactly `places` decimals; refuses to round (a value with more precision
    than its currency is a bug upstream, not something to hide in the output)."""
    return exactly(value, places)


def format_amount(value: Decimal, places: int, *, fiat: bool = False) -> str:
    """An amount for output: fiat with exactly two decimals (`"10000.00"`), crypto and
    tokens at most `places` decimals with trailing zeros removed (`"252.6"`, `"0"`)."""
    if fiat:
        return plain(_fit(value, FIAT_PLACES))
    return without_trailing_zeros(plain(_fit(value, places)))
