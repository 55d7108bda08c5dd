"""Timestamps as the auto contract writes and reads them (spec 2.5).

Output: `YYYY-MM-DDTHH:MM:SS+09:00`, whole seconds (truncated). Input: ISO 8601 date-time
with an explicit `±HH:MM` offset; `Z`, no offset or a bare date are refused.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta, timezone

import orjson

KST = timezone(timedelta(hours=9))

_TIMESTAMP = re.compile(
    r"^([0-9]{4})-([0-9]{2})-([0-9]{2})T([0-9]{2}):([0-9]{2}):([0-9]{2})(?:\.([0-9]+))?([+-])([0-9]{2}):([0-9]{2})$"
)
_DATE = re.compile(r"^([0-9]{4})-([0-9]{2})-([0-9]{2})$")


# Instant -> its text, for the instants written again and again: orders share their vehicle's
# auction date and cutoff, and most were never updated (updated_at = created_at). Equal keys are
# the same instant (aware datetimes compare by instant), so they have the same text.
_KST_TEXT: dict[datetime, str] = {}
_KST_TEXT_SIZE = 4096


def kst(instant: datetime) -> str:
    """An instant written in +09:00, whole seconds (truncated). orjson formats it: several
    times cheaper than isoformat(), and a page of orders writes four per order."""
    text = _KST_TEXT.get(instant)
    if text is None:
        if len(_KST_TEXT) >= _KST_TEXT_SIZE:
            _KST_TEXT.clear()
        text = _KST_TEXT[instant] = orjson.dumps(instant.astimezone(KST), option=orjson.OPT_OMIT_MICROSECONDS)[
            1:-1
        ].decode()
    return text


def kst_or_none(instant: datetime | None) -> str | None:
    return None if instant is None else kst(instant)


def utc_key(instant: datetime) -> str:
    """How a stored instant appears in a cursor key: UTC ISO text with its microseconds."""
    return instant.astimezone(UTC).isoformat()


def parse_timestamp(text: str) -> datetime | None:
    """An aware datetime (offset kept, fraction truncated), or None when `text` is not a
    date-time with an explicit ±HH:MM offset."""
    match = _TIMESTAMP.fullmatch(text)
    if not match:
        return None
    year, month, day, hour, minute, second, _fraction, sign, off_h, off_m = match.groups()
    if int(off_h) > 23 or int(off_m) > 59:
        return None
    offset = timedelta(hours=int(off_h), minutes=int(off_m))
    try:
        return datetime(
            int(year),
            int(month),
            int(day),
            int(hour),
            int(minute),
            int(second),
            tzinfo=timezone(-offset if sign == "-" else offset),
        )
    except ValueError:
        return None


def parse_date(text: str) -> date | None:
    match = _DATE.fullmatch(text)
    if not match:
        return None
    try:
        return date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
    except ValueError:
        return None


def kst_midnight(day: date) -> datetime:
    """00:00:00+09:00 of a calendar day, as an aware UTC instant."""
    return datetime(day.year, day.month, day.day, tzinfo=KST).astimezone(UTC)
