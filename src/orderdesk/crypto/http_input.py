"""Reading crypto requests (was `crypto/requests.py`): JSON bodies (3.5), path ids (3.1) and
pagination (3.6)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypeVar

from fastapi import Request
from pydantic import TypeAdapter

from orderdesk.crypto import contract_errors, errors
from orderdesk.crypto.models.common import Paging, Query
from orderdesk.platform import http
from orderdesk.platform.http import loads_json, read_body
from orderdesk.platform.ids import is_hex32


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
    http.refuse_declared_oversize(request, request.app.state.runtime.settings.max_body_bytes)


def path_id(value: str) -> str | None:
    """A well-formed 32-hex id, or None (answered like an unknown id)."""
    return value if is_hex32(value) else None


@dataclass(frozen=True)
class Page:
    limit: int
    offset: int


PAGING = TypeAdapter(Paging)
Q = TypeVar("Q", bound=Query)


def query(request: Request, adapter: TypeAdapter[Q]) -> Q:
    """The query string read by its model: every refusal at once as `invalid_parameters`."""
    return contract_errors.validate(adapter, dict(request.query_params))


def page(request: Request) -> Page:
    """`limit` (1-100, default 50) and `offset` (>= 0, default 0)."""
    return page_of(query(request, PAGING))


def page_of(paging: Paging) -> Page:
    return Page(int(paging.limit), int(paging.offset))
