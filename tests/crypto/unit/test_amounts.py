"""Amount parsing, places, rounding and formatting (spec/crypto.md 3.3)."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from orderdesk.crypto.amounts import (
    AmountError,
    ceil_to,
    check_percentage,
    check_places,
    exactly,
    floor_to,
    format_amount,
    format_fiat,
    format_percent,
    format_price,
    fraction_digits,
    parse_amount,
    unit,
)


@pytest.mark.parametrize("raw", ["1", "0.5", "10.000", "0001.10", "9" * 40, "1." + "0" * 38])
def test_parse_accepts_plain_decimal_strings(raw: str) -> None:
    assert parse_amount(raw) == Decimal(raw)
    assert str(parse_amount(raw)) == str(Decimal(raw))


@pytest.mark.parametrize("raw", [1, 1.5, None, True, ["1"], {"a": 1}])
def test_parse_rejects_non_strings(raw: object) -> None:
    with pytest.raises(AmountError) as err:
        parse_amount(raw)
    assert err.value.message == "Not a valid string."


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "1.",
        ".5",
        "-1",
        "+1",
        "1e5",
        "1E5",
        " 1",
        "1 ",
        "1\n",
        "1,5",
        "0x10",
        "NaN",
        "Infinity",
        "١",
        "1.2.3",
        "9" * 41,
        "1." + "0" * 39,
    ],
)
def test_parse_rejects_malformed_strings(raw: str) -> None:
    with pytest.raises(AmountError) as err:
        parse_amount(raw)
    assert err.value.message == "Not a valid decimal."


@pytest.mark.parametrize("raw", ["0", "0.0", "000.00000000"])
def test_zero_is_not_an_amount_but_is_a_commission(raw: str) -> None:
    with pytest.raises(AmountError) as err:
        parse_amount(raw)
    assert err.value.message == "Must be greater than 0."
    assert parse_amount(raw, allow_zero=True) == 0


def test_fraction_digits_count_trailing_zeros() -> None:
    assert fraction_digits(Decimal("10.000")) == 3
    assert fraction_digits(Decimal("10")) == 0
    assert fraction_digits(Decimal("0.123456789")) == 9


def test_too_many_places_message_is_the_contracts() -> None:
    with pytest.raises(AmountError) as err:
        check_places(Decimal("0.123456789"), "BTC", 8)
    assert err.value.message == "Too many decimal places for BTC (maximum 8)."
    with pytest.raises(AmountError) as err:
        check_places(Decimal("10.000"), "USD", 2)
    assert err.value.message == "Too many decimal places for USD (maximum 2)."
    check_places(Decimal("0.12345678"), "BTC", 8)
    check_places(Decimal("10.00"), "USD", 2)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("100", "Must be greater than or equal to 0 and less than 100."),
        ("100.0001", "Must be greater than or equal to 0 and less than 100."),
        ("1.00001", "Too many decimal places (maximum 4)."),
    ],
)
def test_percentage_rules(value: str, message: str) -> None:
    with pytest.raises(AmountError) as err:
        check_percentage(Decimal(value))
    assert err.value.message == message


@pytest.mark.parametrize("value", ["0", "99.9999", "1.5", "0.0001"])
def test_percentage_in_range(value: str) -> None:
    check_percentage(Decimal(value))


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
    assert format_fiat(Decimal(value)) == text


def test_format_refuses_to_round() -> None:
    with pytest.raises(ValueError):
        format_amount(Decimal("0.123456789"), 8)
    with pytest.raises(ValueError):
        format_fiat(Decimal("1.001"))


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
    assert format_price(Decimal(value)) == text


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
    assert format_percent(Decimal(value)) == text


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
