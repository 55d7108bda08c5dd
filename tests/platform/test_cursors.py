from __future__ import annotations

import base64

import orjson
import pytest

from orderdesk.platform import cursors


def test_round_trip_and_format() -> None:
    digest = cursors.filters_hash({"status": "proceed"})
    token = cursors.encode("auction_date_asc", digest, [False, "2026-05-12T04:30:00+00:00", "01KQ"])
    assert "=" not in token
    decoded = orjson.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    assert decoded == {"v": 1, "s": "auction_date_asc", "h": digest, "k": [False, "2026-05-12T04:30:00+00:00", "01KQ"]}
    assert cursors.decode(token, "auction_date_asc", digest) == [False, "2026-05-12T04:30:00+00:00", "01KQ"]


def test_filters_hash_is_order_independent_and_filter_sensitive() -> None:
    assert cursors.filters_hash({"a": "1", "b": "2"}) == cursors.filters_hash({"b": "2", "a": "1"})
    assert cursors.filters_hash({"a": "1"}) != cursors.filters_hash({"a": "2"})
    assert len(cursors.filters_hash({})) == 8


def _raw(obj: object) -> str:
    return base64.urlsafe_b64encode(orjson.dumps(obj)).rstrip(b"=").decode()


@pytest.mark.parametrize(
    "token",
    [
        "not base64 !!!",
        _raw([1, 2]),
        _raw({"v": 2, "s": "created_desc", "h": "x", "k": []}),
        _raw({"v": True, "s": "created_desc", "h": "x", "k": []}),
        _raw({"v": 1, "s": "created_asc", "h": "x", "k": []}),
        _raw({"v": 1, "s": "created_desc", "h": "y", "k": []}),
        _raw({"v": 1, "s": "created_desc", "h": "x", "k": "no"}),
        _raw({"v": 1, "s": "created_desc", "h": "x", "k": [], "extra": 1}),
        "A" * 1025,
    ],
)
def test_invalid_cursors(token: str) -> None:
    with pytest.raises(cursors.InvalidCursor):
        cursors.decode(token, "created_desc", "x")
