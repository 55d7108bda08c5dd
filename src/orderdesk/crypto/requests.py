"""Reading crypto requests: JSON bodies (3.5), path ids (3.1) and pagination (3.6)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from fastapi import Request

from orderdesk.crypto import errors
from orderdesk.crypto.validation import NOT_INTEGER
from orderdesk.platform.errors import PayloadTooLarge
from orderdesk.platform.http import loads_json, read_body
from orderdesk.platform.ids import is_hex32

_QUERY_INTEGER = re.compile(r"^-?[0-9]{1,18}$")
DEFAULT_LIMIT = 50
MAX_LIMIT = 100


async def json_body(request: Request, *, empty_is_object: bool = False) -> dict[str, Any]:
    """The body as a JSON object: 413 over the size limit, else 400 `body_parse_error` when it
    is not UTF-8 JSON with an object at the top. Duplicate keys: the last one wins (orjson)."""
    raw = await read_body(request, request.app.state.runtime.settings.max_body_bytes)
    if not raw.strip() and empty_is_object:
        return {}
    try:
        data = loads_json(raw)
    except ValueError:
        raise errors.body_parse_error() from None
    if not isinstance(data, dict):
        raise errors.body_parse_error()
    return data


def refuse_declared_oversize(request: Request) -> None:
    """Body size for endpoints that read no body: judged on Content-Length."""
    limit = request.app.state.runtime.settings.max_body_bytes
    declared = request.headers.get("content-length")
    if declared is not None and declared.strip().isdigit() and int(declared) > limit:
        raise PayloadTooLarge(limit)


def path_id(value: str) -> str | None:
    """A well-formed 32-hex id, or None (answered like an unknown id)."""
    return value if is_hex32(value) else None


@dataclass(frozen=True)
class Page:
    limit: int
    offset: int


def page(request: Request, tree: dict[Any, Any] | None = None) -> Page:
    """`limit` (1-100, default 50) and `offset` (>= 0, default 0). Errors go into `tree` when
    the caller collects more query errors, else they are raised here."""
    own = tree if tree is not None else {}
    limit = _query_int(request, "limit", DEFAULT_LIMIT, own)
    offset = _query_int(request, "offset", 0, own)
    if limit is not None and "limit" not in own and not 1 <= limit <= MAX_LIMIT:
        own["limit"] = ["Must be between 1 and 100."]
    if offset is not None and "offset" not in own and offset < 0:
        own["offset"] = ["Must be greater than or equal to 0."]
    if tree is None and own:
        raise errors.field_errors(own)
    return Page(limit or DEFAULT_LIMIT, offset or 0)


def _query_int(request: Request, name: str, default: int, tree: dict[Any, Any]) -> int | None:
    text = request.query_params.get(name)
    if text is None:
        return default
    if not _QUERY_INTEGER.fullmatch(text):
        tree[name] = [NOT_INTEGER]
        return None
    return int(text)
