"""Amount places, rounding and formatting (spec/crypto.md 3.3)."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from orderdesk.crypto import formats
from orderdesk.crypto.amounts import (
    ceil_to,
    exactly,
    floor_to,
    format_amount,
    fraction_digits,
    to_units,
    unit,
)
from orderdesk.crypto.vocabulary import FIAT_PLACES


def test_fraction_digits_count_trailing_zeros() -> None:
    assert fraction_digits(Decimal("10.000")) == 3
    assert fraction_digits(Decimal("10")) == 0
    assert fraction_digits(Decimal("0.123456789")) == 9


def test_rounding_directions() -> None:
    assert floor_to(Fraction(Decimal("9852.21")) / Fraction(Decimal("65050.00")), 8) == Decimal("0.15145595")
    assert ceil_to(Fraction(20409, 100) / Fraction(3195), 18) == Decimal("0.063877934272300470")
    assert floor_to(Decimal("1.999"), 2) == Decimal("1.99")
    assert ceil_to(Decimal("1.001"), 2) == Decimal("1.01")
    assert ceil_to(Decimal("1.00"), 2) == Decimal("1.00")
    assert floor_to(Fraction(1, 3), 0) == 0


def test_rounding_is_exact_beyond_decimal_precision() -> None:
    # 60 significant digits: a precision-50 context would round before the floor.
    huge = Fraction(10**59 + 1, 10**18)
    assert floor_to(huge, 18) == Decimal("100000000000000000000000000000000000000000.000000000000000001")
    assert ceil_to(huge - Fraction(1, 10**30), 18) == floor_to(huge, 18)


def test_exactly_refuses_values_it_would_round() -> None:
    assert exactly(Decimal("1.5") + Decimal("0.25"), 2) == Decimal("1.75")
    with pytest.raises(ValueError):
        exactly(Decimal("1.555"), 2)


def test_unit() -> None:
    assert unit(6) == Decimal("0.000001")
    assert unit(0) == Decimal("1")


@pytest.mark.parametrize(
    ("value", "places", "text"),
    [
        ("0.15145595", 8, "0.15145595"),
        ("252.60", 6, "252.6"),
        ("0E-8", 8, "0"),
        ("0", 8, "0"),
        ("100", 8, "100"),
        ("1E+2", 8, "100"),
        ("0.063877934272300470", 18, "0.06387793427230047"),
        ("1019.874998", 6, "1019.874998"),
        ("5.000000", 6, "5"),
    ],
)
def test_format_crypto(value: str, places: int, text: str) -> None:
    assert format_amount(Decimal(value), places) == text


@pytest.mark.parametrize(
    ("value", "text"),
    [
        ("10000", "10000.00"),
        ("985.51", "985.51"),
        ("1E+4", "10000.00"),
        ("0", "0.00"),
        ("-10000.00", "-10000.00"),
        ("147.7900", "147.79"),
    ],
)
def test_format_fiat(value: str, text: str) -> None:
    assert format_amount(Decimal(value), FIAT_PLACES, fiat=True) == text


def test_format_refuses_to_round() -> None:
    with pytest.raises(ValueError):
        format_amount(Decimal("0.123456789"), 8)
    with pytest.raises(ValueError):
        format_amount(Decimal("1.001"), FIAT_PLACES, fiat=True)


@pytest.mark.parametrize(
    ("value", "text"),
    [
        ("65050.00", "65050.00"),
        ("65050", "65050.00"),
        ("0.9990", "0.999"),
        ("4", "4.00"),
        ("4.00", "4.00"),
        ("1.019803902718556966", "1.019803902718556966"),
        ("1E+3", "1000.00"),
        ("0.9985", "0.9985"),
    ],
)
def test_format_price(value: str, text: str) -> None:
    assert formats.price(Decimal(value)) == text


@pytest.mark.parametrize(
    ("value", "text"),
    [
        ("1.5", "1.5"),
        ("10", "10"),
        ("10.00", "10"),
        ("0.5000", "0.5"),
        ("1E+1", "10"),
        ("0", "0"),
        ("0.0001", "0.0001"),
    ],
)
def test_format_percent(value: str, text: str) -> None:
    assert formats.percent(Decimal(value)) == text


@given(st.integers(min_value=0, max_value=10**30), st.integers(min_value=0, max_value=18))
def test_format_round_trips_through_parse(scaled: int, places: int) -> None:
    value = Decimal(scaled).scaleb(-places)
    text = format_amount(value, places)
    assert "E" not in text and "e" not in text
    assert Decimal(text) == value
    if "." in text:
        assert not text.endswith("0") and len(text.split(".")[1]) <= places


@given(st.fractions(min_value=0, max_value=10**12), st.integers(min_value=0, max_value=18))
def test_floor_and_ceil_bracket_the_exact_value(value: Fraction, places: int) -> None:
    low, high = floor_to(value, places), ceil_to(value, places)
    assert Fraction(low) <= value <= Fraction(high)
    assert Fraction(high) - Fraction(low) in (0, Fraction(1, 10**places))
    assert fraction_digits(low) == places and fraction_digits(high) == places


def _decimal_from_digits(scaled: int, places: int) -> Decimal:
    """How the rounding helpers built their result before: sign, digits, exponent."""
    return Decimal((1 if scaled < 0 else 0, tuple(int(d) for d in str(abs(scaled))), -places))


AMOUNTS = st.one_of(
    st.fractions(),
    st.decimals(allow_nan=False, allow_infinity=False),
    st.integers(),
)


@given(AMOUNTS, st.integers(min_value=0, max_value=30))
def test_rounding_matches_the_exact_rationals(value: Decimal | Fraction | int, places: int) -> None:
    """Each helper against its definition on `fractions.Fraction`, digit for digit (the
    helpers compute on integer ratios; a Decimal result's exponent is always -places)."""
    scaled = Fraction(value) * 10**places
    floor, ceil = scaled.numerator // scaled.denominator, -(-scaled.numerator // scaled.denominator)
    for rounded, expected in ((floor_to(value, places), floor), (ceil_to(value, places), ceil)):
        assert rounded.as_tuple() == _decimal_from_digits(expected, places).as_tuple()
        assert str(rounded) == str(_decimal_from_digits(expected, places))
    if scaled.denominator == 1:
        assert exactly(value, places).as_tuple() == _decimal_from_digits(floor, places).as_tuple()
        assert to_units(value, places) == floor
    else:
        with pytest.raises(ValueError, match="does not fit"):
            exactly(value, places)
        with pytest.raises(ValueError, match="does not fit"):
            to_units(value, places)


def test_rounded_amounts_keep_every_digit() -> None:
    huge = 10**70 + 1  # more digits than any Decimal context keeps
    assert floor_to(Fraction(huge, 10**8), 8).as_tuple() == _decimal_from_digits(huge, 8).as_tuple()
    assert str(floor_to(Fraction(-5, 1000), 2)) == "-0.01"
    assert str(ceil_to(Fraction(-5, 1000), 2)) == "0.00"
    assert str(ceil_to(Fraction(0), 6)) == "0.000000"
    assert str(floor_to(Decimal("1E+3"), 2)) == "1000.00"
    assert str(exactly(Decimal("-0.10"), 2)) == "-0.10"
