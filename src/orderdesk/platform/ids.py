"""Identifiers. ULIDs are time-ordered, so ids created later sort later."""

from __future__ import annotations

import os
import re
import threading
import time

ULID_PATTERN = re.compile(r"^[0-9A-HJKMNP-TV-Z]{26}$")
HEX32_PATTERN = re.compile(r"^[0-9a-f]{32}$")

_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
# Two base32 characters per 10 bits: a ULID's 130 bits (two leading zero bits) are 13 pairs.
_PAIRS = [first + second for first in _CROCKFORD for second in _CROCKFORD]
_PAIR_SHIFTS = range(120, -1, -10)
_RANDOM_BITS = 80


class _UlidClock:
    """ULIDs as python-ulid's default generator makes them (48-bit Unix milliseconds, 80 random
    bits; within one millisecond the random part of the previous one plus one, so ids made
    later sort later; ValueError once a millisecond's random part runs out), at about half
    its cost: it was ~8 µs of each POST /v1/orders."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._millis = -1
        self._random = 0

    def next(self) -> int:
        millis = time.time_ns() // 1_000_000
        with self._lock:
            if millis == self._millis:
                random = self._random + 1
                if random >> _RANDOM_BITS:
                    raise ValueError("Randomness within same millisecond exhausted")
            else:
                random = int.from_bytes(os.urandom(_RANDOM_BITS // 8), "big")
            self._millis, self._random = millis, random
        return millis << _RANDOM_BITS | random


_ulids = _UlidClock()


def new_ulid() -> str:
    """26 upper-case Crockford base32 characters."""
    value = _ulids.next()
    return "".join([_PAIRS[(value >> shift) & 1023] for shift in _PAIR_SHIFTS])


def new_hex_id() -> str:
    """32 lower-case hex characters: a ULID rendered as hex (still time-ordered)."""
    return f"{_ulids.next():032x}"


def random_hex(n_bytes: int) -> str:
    return os.urandom(n_bytes).hex()


def is_ulid(value: str) -> bool:
    return bool(ULID_PATTERN.match(value))


def is_hex32(value: str) -> bool:
    return bool(HEX32_PATTERN.match(value))
