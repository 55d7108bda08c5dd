"""Reading JSON input into field errors (spec/crypto.md 3.3-3.7).

A `Fields` collects every field error of one validation pass as a nested dict that follows
the JSON path; `raise_if_any()` answers them together as one `invalid_parameters`:

    fields = Fields()
    body = fields.object_root(data, allowed={"name", "email"})
    name = fields.string(body, "name", required=True)
    fields.raise_if_any()

Every reader takes the parent object and the key, returns the parsed value or None (absent,
null, or invalid: the error is recorded), and never raises.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Iterable, Mapping
from datetime import date
from decimal import Decimal
from typing import Any

from orderdesk.crypto import errors
from orderdesk.crypto.errors import CANNOT_CHANGE, REQUIRED, UNKNOWN_FIELD
from orderdesk.crypto.formats import places_of

AMOUNT = re.compile(r"^[0-9]+(\.[0-9]+)?$")
MAX_AMOUNT_CHARS = 40
PRINTABLE = re.compile(r"^[\x20-\x7e]+$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
PHONE = re.compile(r"^\+[1-9][0-9]{6,14}$")
COUNTRY = re.compile(r"^[A-Z]{2}$")
CURRENCY = re.compile(r"^[A-Z]{3}$")
DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")

NOT_STRING = "Not a valid string."
NOT_BOOLEAN = "Not a valid boolean."
NOT_INTEGER = "Not a valid integer."
NOT_OBJECT = "Not a valid object."
NOT_LIST = "Not a valid list."
NOT_DECIMAL = "Not a valid decimal."
NOT_POSITIVE = "Must be greater than 0."

Path = tuple[Any, ...]


def _is_string(value: Any) -> bool:
    return isinstance(value, str)


def one_of(values: Iterable[str]) -> str:
    return "Must be one of: " + ", ".join(values) + "."


def length_message(low: int, high: int) -> str:
    return f"Length must be between {low} and {high}."


def too_many_places(currency: str, places: int) -> str:
    return f"Too many decimal places for {currency} (maximum {places})."


class Node:
    """A JSON object being read, with its path from the body's root."""

    __slots__ = ("data", "path")

    def __init__(self, data: Mapping[str, Any], path: Path) -> None:
        self.data = data
        self.path = path

    def present(self, key: str) -> bool:
        return self.data.get(key) is not None

    def raw(self, key: str) -> Any:
        return self.data.get(key)


class Fields:
    def __init__(self) -> None:
        self.tree: dict[Any, Any] = {}

    # ----------------------------------------------------------------- recording

    def add(self, path: Path, message: str) -> None:
        node = self.tree
        for key in path[:-1]:
            child = node.setdefault(key, {})
            if not isinstance(child, dict):  # a leaf already holds a message for this path
                return
            node = child
        leaf = node.setdefault(path[-1], [])
        if isinstance(leaf, list) and message not in leaf:
            leaf.append(message)

    def has_errors_under(self, path: Path) -> bool:
        node: Any = self.tree
        for key in path:
            if not isinstance(node, dict) or key not in node:
                return False
            node = node[key]
        return True

    def __bool__(self) -> bool:
        return bool(self.tree)

    def raise_if_any(self) -> None:
        if self.tree:
            raise errors.field_errors(self.tree)

    # ----------------------------------------------------------------- objects

    def root(self, data: Mapping[str, Any], allowed: Collection[str], immutable: Collection[str] = ()) -> Node:
        node = Node(data, ())
        self.unknown(node, allowed, immutable)
        return node

    def unknown(self, node: Node, allowed: Collection[str], immutable: Collection[str] = ()) -> None:
        for key in node.data:
            if key in immutable:
                self.add((*node.path, key), CANNOT_CHANGE)
            elif key not in allowed:
                self.add((*node.path, key), UNKNOWN_FIELD)

    def object(
        self,
        parent: Node,
        key: str,
        *,
        required: bool = False,
        allowed: Collection[str] | None = None,
        immutable: Collection[str] = (),
    ) -> Node | None:
        found = self._typed(parent, key, required, lambda v: isinstance(v, dict), NOT_OBJECT)
        if found is None:
            return None
        node = Node(*found)
        if allowed is not None:
            self.unknown(node, allowed, immutable)
        return node

    def list(self, parent: Node, key: str, *, required: bool = False) -> list[Any] | None:
        found = self._typed(parent, key, required, lambda v: isinstance(v, list), NOT_LIST)
        return None if found is None else found[0]

    def _typed(
        self, parent: Node, key: str, required: bool, is_type: Callable[[Any], bool], message: str
    ) -> tuple[Any, Path] | None:
        """The value at `key` and its path when it is present and of the right type; otherwise
        None, with a missing required value or a wrong type recorded."""
        value = self._value(parent, key, required)
        if value is None:
            return None
        path = (*parent.path, key)
        if not is_type(value):
            self.add(path, message)
            return None
        return value, path

    def _value(self, parent: Node, key: str, required: bool) -> Any:
        value = parent.data.get(key)
        if value is None and required:
            self.add((*parent.path, key), REQUIRED)
        return value

    # ----------------------------------------------------------------- scalars

    def string(
        self,
        parent: Node,
        key: str,
        *,
        required: bool = False,
        min_length: int = 1,
        max_length: int = 255,
        pattern: re.Pattern[str] | None = None,
        pattern_message: str = "",
        printable: bool = False,
    ) -> str | None:
        found = self._typed(parent, key, required, _is_string, NOT_STRING)
        if found is None:
            return None
        value, path = found
        if not min_length <= len(value) <= max_length:
            self.add(path, length_message(min_length, max_length))
            return None
        if printable and not PRINTABLE.fullmatch(value):
            self.add(path, "Must contain printable ASCII characters only.")
            return None
        if pattern is not None and not pattern.fullmatch(value):
            self.add(path, pattern_message)
            return None
        return value

    def choice(self, parent: Node, key: str, values: Iterable[str], *, required: bool = False) -> str | None:
        options = list(values)
        found = self._typed(parent, key, required, _is_string, NOT_STRING)
        if found is None:
            return None
        value, path = found
        if value not in options:
            self.add(path, one_of(options))
            return None
        return value

    def boolean(self, parent: Node, key: str, *, required: bool = False) -> bool | None:
        found = self._typed(parent, key, required, lambda v: isinstance(v, bool), NOT_BOOLEAN)
        return None if found is None else found[0]

    def integer(self, parent: Node, key: str, *, required: bool = False) -> int | None:
        found = self._typed(parent, key, required, lambda v: type(v) is int, NOT_INTEGER)
        return None if found is None else found[0]

    def amount(
        self,
        parent: Node,
        key: str,
        *,
        required: bool = False,
        positive: bool = True,
        currency: str | None = None,
        places: int | None = None,
    ) -> Decimal | None:
        """An amount string (3.3). With `places`, also its fractional digits as written."""
        value = self._value(parent, key, required)
        if value is None:
            return None
        return self.amount_value(value, (*parent.path, key), positive=positive, currency=currency, places=places)

    def amount_value(
        self, value: Any, path: Path, *, positive: bool = True, currency: str | None = None, places: int | None = None
    ) -> Decimal | None:
        if not isinstance(value, str):
            self.add(path, NOT_STRING)
            return None
        if len(value) > MAX_AMOUNT_CHARS or not AMOUNT.fullmatch(value):
            self.add(path, NOT_DECIMAL)
            return None
        amount = Decimal(value)
        if positive and amount <= 0:
            self.add(path, NOT_POSITIVE)
            return None
        if places is not None and places_of(value) > places:
            self.add(path, too_many_places(currency or "", places))
            return None
        return amount

    def date(
        self,
        parent: Node,
        key: str,
        *,
        required: bool = False,
        earliest: date | None = None,
        latest: date | None = None,
    ) -> str | None:
        found = self._typed(parent, key, required, _is_string, NOT_STRING)
        if found is None:
            return None
        value, path = found
        try:
            parsed = date.fromisoformat(value) if DATE.fullmatch(value) else None
        except ValueError:
            parsed = None
        if parsed is None or (earliest and parsed < earliest) or (latest and parsed > latest):
            self.add(path, "Not a valid date.")
            return None
        return value
