"""Column types that mean the same thing on PostgreSQL and SQLite.

Migrations declare columns with these; at run time both drivers hand back the same Python
types. On SQLite the declared type name selects a converter (sqlite3 PARSE_DECLTYPES):

| type          | PostgreSQL                 | SQLite (declared)  | Python            |
|---------------|----------------------------|--------------------|-------------------|
| `Timestamp()` | `TIMESTAMP WITH TIME ZONE` | `TEXT_UTC`         | aware UTC datetime |
| `Money()`     | `NUMERIC`                  | `TEXT_DEC`         | `Decimal`         |
| `Boolean()`   | `BOOLEAN`                  | `BOOLEAN` (0/1)    | `bool`            |

SQLite stores timestamps as fixed-width UTC text, so text order is time order and
comparisons in SQL work. Decimals are canonical text: never compare or sum them in SQL
on SQLite; do decimal arithmetic in Python.
"""

from __future__ import annotations

import functools
import sqlite3
from datetime import UTC, datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.types import UserDefinedType


class _SQLiteTimestamp(UserDefinedType):
    cache_ok = True

    def get_col_spec(self, **kw: object) -> str:
        return "TEXT_UTC"


class _SQLiteDecimal(UserDefinedType):
    cache_ok = True

    def get_col_spec(self, **kw: object) -> str:
        return "TEXT_DEC"


def Timestamp() -> sa.types.TypeEngine:  # noqa: N802 - reads like a type in migrations
    return sa.DateTime(timezone=True).with_variant(_SQLiteTimestamp(), "sqlite")


def Money() -> sa.types.TypeEngine:  # noqa: N802
    return sa.Numeric().with_variant(_SQLiteDecimal(), "sqlite")


def Boolean() -> sa.types.TypeEngine:  # noqa: N802
    return sa.Boolean()


def BigId() -> sa.types.TypeEngine:  # noqa: N802 - auto-increment key (INTEGER on SQLite = rowid)
    return sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _adapt_datetime(value: datetime) -> str:
    if value.tzinfo is None:
        raise ValueError("naive datetime given to the database; use the clock (aware UTC)")
    return value.astimezone(UTC).replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds")


def _convert_timestamp(raw: bytes) -> datetime:
    """Stored text is UTC without an offset: parsed with one appended, about half the cost of
    parsing and then replacing tzinfo (a page of orders converts ~200 of these). Any other text
    (a bare date, an offset of its own) is read as before: its wall time, as UTC."""
    try:
        parsed = datetime.fromisoformat((raw + b"+00:00").decode())
    except ValueError:
        parsed = None
    if parsed is not None and parsed.tzinfo is UTC:
        return parsed
    return datetime.fromisoformat(raw.decode()).replace(tzinfo=UTC)


# Rows repeat instants (an order's vehicle's auction date and cutoff, updated_at = created_at):
# each distinct stored text is parsed once. Datetimes are immutable, so sharing them is safe.
_convert_timestamp_cached = functools.lru_cache(maxsize=4096)(_convert_timestamp)


def _adapt_decimal(value: Decimal) -> str:
    return format(value, "f")


_registered = False


def register_sqlite_types() -> None:
    global _registered
    if _registered:
        return
    sqlite3.register_adapter(datetime, _adapt_datetime)
    sqlite3.register_adapter(Decimal, _adapt_decimal)
    sqlite3.register_converter("TEXT_UTC", _convert_timestamp_cached)
    sqlite3.register_converter("TEXT_DEC", lambda raw: Decimal(raw.decode()))
    sqlite3.register_converter("BOOLEAN", lambda raw: raw not in (b"0", b""))
    _registered = True
