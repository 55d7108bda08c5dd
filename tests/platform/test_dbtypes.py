"""SQLite's text for instants: fixed-width UTC, whatever zone or object the value comes in."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from orderdesk.platform.dbtypes import _adapt_datetime


def _stored_text(value: datetime) -> str:
    """The stored form as first written: UTC, no offset, six fractional digits."""
    return value.astimezone(UTC).replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds")


INSTANTS = [
    datetime(2026, 3, 2, 10, 15, 30, 412907, tzinfo=UTC),
    datetime(2026, 3, 2, 10, 15, 30, tzinfo=UTC),  # no fraction: still six digits
    datetime(1, 1, 1, tzinfo=UTC),
    datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
    datetime(2026, 3, 2, 19, 15, 30, 5, tzinfo=timezone(timedelta(hours=9))),
    datetime(2026, 3, 2, 1, 15, 30, 5, tzinfo=timezone(timedelta(hours=-9, minutes=-30))),
    datetime(2026, 3, 2, 10, 15, 30, 5, tzinfo=ZoneInfo("UTC")),
    datetime(2026, 10, 25, 1, 30, tzinfo=ZoneInfo("Europe/Berlin"), fold=1),
]


@pytest.mark.parametrize("value", INSTANTS, ids=str)
def test_instants_are_stored_as_utc_text(value: datetime) -> None:
    assert _adapt_datetime(value) == _stored_text(value)
    assert _adapt_datetime(value) == _stored_text(value)  # again: the same object


def test_equal_objects_and_alternating_values_get_their_own_text() -> None:
    first, second = datetime(2026, 1, 1, tzinfo=UTC), datetime(2027, 1, 1, tzinfo=UTC)
    texts = [_adapt_datetime(value) for value in (first, second, first, second.replace(), first.replace())]
    assert texts == [_stored_text(value) for value in (first, second, first, second, first)]


def test_naive_instants_are_refused() -> None:
    with pytest.raises(ValueError, match="naive"):
        _adapt_datetime(datetime(2026, 1, 1))
    aware = datetime(2026, 1, 1, tzinfo=UTC)
    _adapt_datetime(aware)
    with pytest.raises(ValueError, match="naive"):
        _adapt_datetime(aware.replace(tzinfo=None))
