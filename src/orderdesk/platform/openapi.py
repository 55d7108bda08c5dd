"""OpenAPI building blocks both products' partner documents share."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


def responses_with_errors(
    status: int,
    example: Any,
    description: str,
    codes: tuple[str, ...],
    status_of: Callable[[str], int],
    error_body: Callable[[str], dict[str, Any]],
) -> dict[int | str, dict[str, Any]]:
    """The success answer with its example, then every error code grouped by HTTP status."""
    answer: dict[int | str, dict[str, Any]] = {
        status: {"description": description, "content": {"application/json": {"example": example}}}
    }
    for code in codes:
        empty = {"description": "", "content": {"application/json": {"examples": {}}}}
        entry = answer.setdefault(status_of(code), empty)
        entry["content"]["application/json"]["examples"][code] = {"value": error_body(code)}
        entry["description"] = ", ".join(entry["content"]["application/json"]["examples"])
    return answer


def query_parameter(name: str, description: str, schema: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "name": name,
        "in": "query",
        "required": False,
        "description": description,
        "schema": schema or {"type": "string"},
    }


def path_parameter(name: str) -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
