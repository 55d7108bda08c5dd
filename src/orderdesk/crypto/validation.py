"""Collecting field errors (spec/crypto.md 3.3-3.7).

A `Fields` collects every field error of one validation pass as a nested dict that follows
the JSON path; `raise_if_any()` answers them together as one `invalid_parameters`:

    fields = Fields()
    if too_many_places_in_amount:
        fields.add(("asset", "amount"), too_many_places("BTC", 8))
    fields.raise_if_any()
"""

from __future__ import annotations

from typing import Any

from orderdesk.crypto import contract_errors, errors

Path = tuple[Any, ...]


class Fields:
    def __init__(self) -> None:
        self.tree: dict[Any, Any] = {}

    def add(self, path: Path, message: str) -> None:
        contract_errors.add(self.tree, path, message)

    def has_errors_under(self, path: Path) -> bool:
        return contract_errors.has_errors_under(self.tree, path)

    def __bool__(self) -> bool:
        return bool(self.tree)

    def raise_if_any(self) -> None:
        if self.tree:
            raise errors.field_errors(self.tree)
