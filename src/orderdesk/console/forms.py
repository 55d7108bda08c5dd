"""Form values (always text) turned into the JSON values the contracts' own parsers read.

A field left blank is absent; a whole number becomes an int; anything else stays text, so
the contract's parser reports it in its own words (e.g. `must be an integer`)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

_INTEGER = re.compile(r"-?[0-9]{1,18}")


def text(form: Mapping[str, Any], name: str) -> str | None:
    value = form.get(name)
    if value is None:
        return None
    value = str(value).strip()
    return value or None


def number(form: Mapping[str, Any], name: str) -> int | str | None:
    value = text(form, name)
    if value is not None and _INTEGER.fullmatch(value):
        return int(value)
    return value


def text_list(form: Mapping[str, Any], name: str) -> list[str] | None:
    """Comma- or newline-separated entries; blank → None (the contract's null)."""
    value = text(form, name)
    if value is None:
        return None
    return [part.strip() for part in re.split(r"[,\n]", value) if part.strip()]


def present(values: dict[str, Any]) -> dict[str, Any]:
    return {name: value for name, value in values.items() if value is not None}
