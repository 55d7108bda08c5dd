"""Keyset pagination for the auto lists (spec 2.8): each sort is a total order ending with the
id, and a cursor carries the last row's key. A nullable sort column (ascending, nulls last)
contributes `[is_null, value]` to the key.

A page of a nullable sort is read in at most two index range scans: first the rows whose
column is set, then, once those run out, the rows where it is null (ordered by id).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from orderdesk.auto.timefmt import utc_key

KeyKind = Literal["timestamp", "int"]


@dataclass(frozen=True)
class Sort:
    name: str
    field: str  # first sort column as the result row names it
    column: str  # the same column as the SQL names it (qualified when joined)
    id_column: str
    descending: bool
    nullable: bool  # nulls last; only used with ascending sorts
    kind: KeyKind

    @property
    def _direction(self) -> str:
        return "DESC" if self.descending else "ASC"

    # ---------------------------------------------------------------- keys

    def key_of(self, row: Any) -> list[Any]:
        value = row[self.field]
        if self.kind == "timestamp" and value is not None:
            value = utc_key(value)
        if self.nullable:
            return [value is None, value, row["id"]]
        return [value, row["id"]]

    def parse_key(self, key: list[Any]) -> tuple[bool, Any, str] | None:
        """(is_null, value, id) from a cursor key, or None when the key has the wrong shape."""
        if self.nullable:
            if len(key) != 3 or not isinstance(key[0], bool):
                return None
            is_null, value, last_id = key
            if is_null and value is not None:
                return None
        else:
            if len(key) != 2:
                return None
            is_null, (value, last_id) = False, key
        if not isinstance(last_id, str):
            return None
        if is_null:
            return True, None, last_id
        parsed = self._parse_value(value)
        return None if parsed is None else (False, parsed, last_id)

    def _parse_value(self, value: Any) -> Any:
        if self.kind == "int":
            return value if isinstance(value, int) and not isinstance(value, bool) and abs(value) < 2**62 else None
        if not isinstance(value, str):
            return None
        try:
            instant = datetime.fromisoformat(value)
        except ValueError:
            return None
        return instant if instant.tzinfo is not None else None

    # ---------------------------------------------------------------- SQL

    def _after(self, value: Any, last_id: str) -> tuple[str, dict[str, Any]]:
        op = "<" if self.descending else ">"
        return (f"({self.column}, {self.id_column}) {op} (:k_value, :k_id)", {"k_value": value, "k_id": last_id})

    def one_scan(self, after: tuple[bool, Any, str] | None) -> bool:
        """Whether `page` reads with one statement (which then sees one snapshot on its own)."""
        return not self.nullable or (after is not None and after[0])

    async def page(
        self,
        fetch: Callable[[str, dict[str, Any], str, int], Awaitable[list[Any]]],
        after: tuple[bool, Any, str] | None,
        limit: int,
    ) -> list[Any]:
        """Up to `limit` rows after the cursor position. `fetch(condition, params, order_by,
        limit)` runs the caller's query with one more condition ANDed to its filters."""
        if not self.nullable:
            if after is None:
                return await fetch("", {}, self._order_set(), limit)
            condition, params = self._after(after[1], after[2])
            return await fetch(condition, params, self._order_set(), limit)
        rows: list[Any] = []
        if after is None or not after[0]:
            condition, params = f"{self.column} IS NOT NULL", {}
            if after is not None:
                more, params = self._after(after[1], after[2])
                condition += " AND " + more
            rows = await fetch(condition, params, self._order_set(), limit)
            if len(rows) >= limit:
                return rows
        null_condition = f"{self.column} IS NULL"
        null_params: dict[str, Any] = {}
        if after is not None and after[0]:
            null_condition += f" AND {self.id_column} > :k_id"
            null_params = {"k_id": after[2]}
        return rows + await fetch(null_condition, null_params, f"{self.id_column} ASC", limit - len(rows))

    def _order_set(self) -> str:
        return f"{self.column} {self._direction}, {self.id_column} {self._direction}"
