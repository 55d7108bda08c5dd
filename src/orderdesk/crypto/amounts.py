"""Amounts (spec/crypto.md 3.3): parsing, decimal places, exact rounding, formatting.

Strings in, strings out, `Decimal` in between, never a float. Rounding goes through exact
rationals (`fractions.Fraction`), so `floor_to` / `ceil_to` are the true ⌊x⌋ / ⌈x⌉ of the
formulas in section 8 however many digits the operands carry: no intermediate result is
ever rounded by a Decimal context.

Validation functions raise `AmountError` with the contract's leaf message; the HTTP layer
puts it under the field's path (`{'asset': {'amount': [message]}}`).
"""

from __future__ import annotations

import math
import re
from decimal import Decimal
from fractions import Fraction

from orderdesk.crypto.vocabulary import FIAT_PLACES

PERCENT_PLACES = 4
MAX_AMOUNT_CHARS = 40

NOT_A_STRING = "Not a valid string."
NOT_A_DECIMAL = "Not a valid decimal."
NOT_POSITIVE = "Must be greater than 0."
PERCENT_RANGE = "Must be greater than or equal to 0 and less than 100."

_AMOUNT = re.compile(r"[0-9]+(?:\.[0-9]+)?")

Number = Decimal | Fraction | int


class AmountError(ValueError):
    """A malformed amount; `message` is the contract's leaf message."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


# ---------------------------------------------------------------- parsing and validation


def parse_amount(raw: object, *, allow_zero: bool = False) -> Decimal:
    """A request amount: a JSON string of ASCII digits with an optional fraction, at most 40
    characters, `> 0` (`>= 0` with `allow_zero`, for commission values)."""
    if not isinstance(raw, str):
        raise AmountError(NOT_A_STRING)
    if len(raw) > MAX_AMOUNT_CHARS or not _AMOUNT.fullmatch(raw):
        raise AmountError(NOT_A_DECIMAL)
    value = Decimal(raw)
    if value == 0 and not allow_zero:
        raise AmountError(NOT_POSITIVE)
    return value


def fraction_digits(value: Decimal) -> int:
    """Fractional digits as written: `Decimal("10.000")` has 3."""
    exponent = value.as_tuple().exponent
    assert isinstance(exponent, int), "amounts are finite"
    return max(0, -exponent)


def too_many_places_message(currency: str, places: int) -> str:
    return f"Too many decimal places for {currency} (maximum {places})."


def check_places(value: Decimal, currency: str, places: int) -> None:
    """Reject an amount written with more fractional digits than `currency` has."""
    if fraction_digits(value) > places:
        raise AmountError(too_many_places_message(currency, places))


def check_percentage(value: Decimal) -> None:
    """A commission or fee percentage: `0 <= value < 100`, at most 4 decimals. Range first:
    `"100.00001"` is out of range before it is too precise."""
    if not 0 <= value < 100:
        raise AmountError(PERCENT_RANGE)
    if fraction_digits(value) > PERCENT_PLACES:
        raise AmountError(f"Too many decimal places (maximum {PERCENT_PLACES}).")


# ---------------------------------------------------------------- exact rounding


def exact(value: Number) -> Fraction:
    return value if isinstance(value, Fraction) else Fraction(value)


def _decimal_of(scaled: int, places: int) -> Decimal:
    """`scaled × 10^-places` as a Decimal, built from digits (never rounded by a context)."""
    sign = 1 if scaled < 0 else 0
    digits = tuple(int(d) for d in str(abs(scaled)))
    return Decimal((sign, digits, -places))


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


def _plain(value: Decimal) -> str:
    """Fixed-point text of `value`, never exponent notation."""
    return format(value, "f")


def _strip_fraction(text: str, keep: int = 0) -> str:
    """Remove trailing fractional zeros (keeping `keep` decimals) and a trailing point."""
    if "." not in text:
        return text + ("." + "0" * keep if keep else "")
    whole, fraction = text.split(".")
    fraction = fraction.rstrip("0").ljust(keep, "0")
    return f"{whole}.{fraction}" if fraction else whole


def _fit(value: Decimal, places: int) -> Decimal:
    """`value` at exactly `places` decimals; refuses to round (a value with more precision
    than its currency is a bug upstream, not something to hide in the output)."""
    return exactly(value, places)


def format_amount(value: Decimal, places: int, *, fiat: bool = False) -> str:
    """An amount for output: fiat with exactly two decimals (`"10000.00"`), crypto and
    tokens at most `places` decimals with trailing zeros removed (`"252.6"`, `"0"`)."""
    if fiat:
        return _plain(_fit(value, FIAT_PLACES))
    text = _strip_fraction(_plain(_fit(value, places)))
    return "0" if text in ("-0", "") else text


def format_fiat(value: Decimal) -> str:
    return format_amount(value, FIAT_PLACES, fiat=True)


def format_price(value: Decimal) -> str:
    """Prices and APY: normalized, keeping at least two decimals (`"65050.00"`, `"0.999"`)."""
    return _strip_fraction(_plain(value), keep=2)


def format_percent(value: Decimal) -> str:
    """Commission and fee percentages: normalized without padding (`"1.5"`, `"10"`)."""
    text = _strip_fraction(_plain(value))
    return "0" if text == "-0" else text
