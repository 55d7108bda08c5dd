"""Identifiers: ULIDs as python-ulid writes them, made later sort later."""

from __future__ import annotations

import time

import pytest
from ulid import ULID

from orderdesk.platform import ids


def test_ulids_are_crockford_base32_of_the_current_millisecond() -> None:
    before = time.time_ns() // 1_000_000
    made = ids.new_ulid()
    after = time.time_ns() // 1_000_000
    assert ids.is_ulid(made)
    parsed = ULID.from_str(made)
    assert str(parsed) == made
    assert before <= parsed.milliseconds <= after


def test_hex_ids_are_ulids_in_lower_case_hex() -> None:
    made = ids.new_hex_id()
    assert ids.is_hex32(made)
    assert ULID.from_hex(made).hex == made


def test_ids_made_later_sort_later_within_one_millisecond(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ids.time, "time_ns", lambda: 1_796_000_000_000_000_000)
    made = [ids.new_ulid() for _ in range(1000)]
    assert made == sorted(made) and len(set(made)) == len(made)
    assert [int(ULID.from_str(one)) for one in made[1:]] == [int(ULID.from_str(one)) + 1 for one in made[:-1]]
    hex_ids = [ids.new_hex_id() for _ in range(100)]
    assert hex_ids == sorted(hex_ids) and int(hex_ids[0], 16) == int(ULID.from_str(made[-1])) + 1


def test_a_millisecond_whose_random_part_runs_out_refuses(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ids.time, "time_ns", lambda: 1_796_000_000_001_000_000)
    clock = ids._UlidClock()
    clock.next()
    clock._random = 2**80 - 1
    with pytest.raises(ValueError, match="exhausted"):
        clock.next()
