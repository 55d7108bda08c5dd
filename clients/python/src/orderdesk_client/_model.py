"""The base of every response model: a frozen dataclass built from the wire JSON by its type
hints. A field without a default is one the contract always sends (its value may be null); a
field with a default may be absent (crypto's operation nodes). Keys the SDK does not know yet
are kept in `extra`, so a newer server never breaks an older SDK."""

from __future__ import annotations

import dataclasses
import types
import typing
from collections.abc import Mapping
from typing import Any, ClassVar, TypeVar, Union

M = TypeVar("M", bound="Model")


@dataclasses.dataclass(frozen=True, kw_only=True)
class Model:
    WIRE_EXCLUDED: ClassVar[frozenset[str]] = frozenset({"extra"})
    extra: dict[str, Any] = dataclasses.field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_dict(cls: type[M], data: Mapping[str, Any]) -> M:
        hints = _hints(cls)
        values: dict[str, Any] = {}
        for f in dataclasses.fields(cls):
            if f.name in cls.WIRE_EXCLUDED:
                continue
            if f.name in data:
                values[f.name] = _build(hints[f.name], data[f.name])
            elif f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
                values[f.name] = None  # a server bug (every field is always sent); stay readable
        known = wire_fields(cls)
        extra = {k: v for k, v in data.items() if k not in known}
        return cls(**values, extra=extra)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for f in dataclasses.fields(self):
            if f.name in self.WIRE_EXCLUDED:
                continue
            out[f.name] = _dump(getattr(self, f.name))
        return out


def wire_fields(cls: type[Model]) -> frozenset[str]:
    return frozenset(f.name for f in dataclasses.fields(cls) if f.name not in cls.WIRE_EXCLUDED)


def always_sent(cls: type[Model]) -> frozenset[str]:
    return frozenset(
        f.name
        for f in dataclasses.fields(cls)
        if f.name not in cls.WIRE_EXCLUDED
        and f.default is dataclasses.MISSING
        and f.default_factory is dataclasses.MISSING
    )


_HINTS: dict[type[Model], dict[str, Any]] = {}


def _hints(cls: type[Model]) -> dict[str, Any]:
    found = _HINTS.get(cls)
    if found is None:
        found = _HINTS[cls] = typing.get_type_hints(cls)
    return found


def _build(tp: Any, value: Any) -> Any:
    if value is None:
        return None
    origin = typing.get_origin(tp)
    if origin in (Union, types.UnionType):
        options = [a for a in typing.get_args(tp) if a is not type(None)]
        return _build(options[0], value) if len(options) == 1 else value
    if origin is list:
        (item,) = typing.get_args(tp)
        return [_build(item, v) for v in value] if isinstance(value, list) else value
    if isinstance(tp, type) and issubclass(tp, Model) and isinstance(value, Mapping):
        return tp.from_dict(value)
    return value


def _dump(value: Any) -> Any:
    if isinstance(value, Model):
        return value.to_dict()
    if isinstance(value, list):
        return [_dump(v) for v in value]
    return value


def model_type(tp: Any) -> type[Model] | None:
    """The Model inside `X`, `X | None` or `list[X]` (for the contract test's recursion)."""
    origin = typing.get_origin(tp)
    if origin in (Union, types.UnionType, list):
        for arg in typing.get_args(tp):
            found = model_type(arg)
            if found is not None:
                return found
        return None
    return tp if isinstance(tp, type) and issubclass(tp, Model) else None


def field_hints(cls: type[Model]) -> dict[str, Any]:
    return {name: hint for name, hint in _hints(cls).items() if name in wire_fields(cls)}
