"""How the crypto API writes timestamps and numbers (spec/crypto.md 3.2, 3.3). Decimal in,
text out; exponent notation never appears."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from orderdesk.crypto.amounts import floor_to, plain, without_trailing_zeros
from orderdesk.crypto.vocabulary import FIAT_PLACES


def timestamp(value: datetime | None) -> str | None:
    """`2026-03-02T10:15:30.412907+00:00`: UTC, six fractional digits."""
    if value is None:
        return None
    return value.astimezone(UTC).isoformat(timespec="microseconds")


def quantum(places: int) -> Decimal:
    return Decimal(1).scaleb(-places)


def fiat(value: Decimal) -> str:
    """Fiat amounts: exactly two decimals (`"10000.00"`). Rounding, if ever needed, is exact
    (through rationals): no Decimal context limits the digits of a balance."""
    return plain(floor_to(value, FIAT_PLACES))


def crypto(value: Decimal, places: int) -> str:
    """Crypto and token amounts: at the currency's places, trailing zeros dropped."""
    return without_trailing_zeros(plain(floor_to(value, places)))


def price(value: Decimal) -> str:
    """Prices and APY: normalized, but at least two decimals (`"65050.00"`, `"0.999"`)."""
    text = without_trailing_zeros(plain(value))
    whole, _, fraction = text.partition(".")
    return f"{whole}.{fraction.ljust(2, '0')}"


def percent(value: Decimal) -> str:
    """Percentages: normalized without padding (`"1.5"`, `"10"`)."""
    return without_trailing_zeros(plain(value))


def places_of(text: str) -> int:
    """Fractional digits as written (trailing zeros count)."""
    return len(text.partition(".")[2])
