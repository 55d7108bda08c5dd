"""Keyset pagination cursors, bound to their sort order and filters.

Format (fixed by the auto contract, section 2.8): unpadded base64url of compact JSON
`{"v":1,"s":<sort>,"h":<filters hash>,"k":<key of the last row>}`.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Mapping
from typing import Any

import orjson

MAX_CURSOR_LENGTH = 1024


class InvalidCursor(Exception):
    pass


def filters_hash(filters: Mapping[str, Any]) -> str:
    """First 8 hex digits of SHA-256 over the canonical JSON (sorted keys, no whitespace)."""
    canonical = orjson.dumps(dict(filters), option=orjson.OPT_SORT_KEYS)
    return hashlib.sha256(canonical).hexdigest()[:8]


def encode(sort: str, filters_digest: str, key: list[Any]) -> str:
    payload = orjson.dumps({"v": 1, "s": sort, "h": filters_digest, "k": key})
    return base64.urlsafe_b64encode(payload).rstrip(b"=").decode()


def decode(cursor: str, sort: str, filters_digest: str) -> list[Any]:
    """The key list of a cursor made under this sort and these filters, else InvalidCursor.
    The caller still checks the key's element types."""
    if len(cursor) > MAX_CURSOR_LENGTH:
        raise InvalidCursor("too long")
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        data = orjson.loads(raw)
    except (binascii.Error, ValueError, orjson.JSONDecodeError) as exc:
        raise InvalidCursor("undecodable") from exc
    if not isinstance(data, dict) or set(data) != {"v", "s", "h", "k"}:
        raise InvalidCursor("wrong shape")
    if data["v"] != 1 or isinstance(data["v"], bool):
        raise InvalidCursor("unknown version")
    if data["s"] != sort or data["h"] != filters_digest:
        raise InvalidCursor("made for another query")
    if not isinstance(data["k"], list):
        raise InvalidCursor("wrong key")
    return data["k"]
