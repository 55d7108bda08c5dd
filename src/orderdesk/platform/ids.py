"""Identifiers. ULIDs are time-ordered, so ids created later sort later."""

from __future__ import annotations

import os
import re

from ulid import ULID

ULID_PATTERN = re.compile(r"^[0-9A-HJKMNP-TV-Z]{26}$")
HEX32_PATTERN = re.compile(r"^[0-9a-f]{32}$")


def new_ulid() -> str:
    """26 upper-case Crockford base32 characters."""
    return str(ULID())


def new_hex_id() -> str:
    """32 lower-case hex characters: a ULID rendered as hex (still time-ordered)."""
    return ULID().hex


def random_hex(n_bytes: int) -> str:
    return os.urandom(n_bytes).hex()


def is_ulid(value: str) -> bool:
    return bool(ULID_PATTERN.match(value))


def is_hex32(value: str) -> bool:
    return bool(HEX32_PATTERN.match(value))
