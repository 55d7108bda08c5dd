"""The locked quote of an order (spec/crypto.md 8.2 step 13), stored as JSON in
`crypto_orders.quote` and read back at confirmation as the same frozen dataclass
`crypto.pricing` produced, so confirmation posts exactly what initiation priced.

Decimals are written as strings (never floats); the dataclass name is stored with them."""

from __future__ import annotations

import dataclasses
import functools
import typing
from decimal import Decimal
from typing import Any

import orjson

from orderdesk.crypto import pricing

QUOTE_TYPES: dict[str, type] = {cls.__name__: cls for cls in (
    pricing.BuyQuote, pricing.SellQuote, pricing.SwapQuote, pricing.SendQuote, pricing.SubscribeQuote,
    pricing.RedeemQuote)}


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return format(value, "f")
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {field.name: _plain(getattr(value, field.name)) for field in dataclasses.fields(value)}
    if isinstance(value, tuple | list):
        return [_plain(item) for item in value]
    return value


def dump(quote: Any) -> str:
    return orjson.dumps({"type": type(quote).__name__, "fields": _plain(quote)}).decode()


@functools.cache
def _field_types(cls: type) -> tuple[tuple[str, Any], ...]:
    """(name, type) of each field; resolving annotations is slow, so once per class."""
    hints = typing.get_type_hints(cls)
    return tuple((field.name, hints[field.name]) for field in dataclasses.fields(cls))


def _build(cls: type, data: dict[str, Any]) -> Any:
    return cls(**{name: _typed(hint, data[name]) for name, hint in _field_types(cls)})


def _typed(hint: Any, raw: Any) -> Any:
    if hint is Decimal:
        return Decimal(raw)
    if typing.get_origin(hint) is tuple:
        item = typing.get_args(hint)[0]
        return tuple(_build(item, element) for element in raw)
    return raw


def load(text: str) -> Any:
    stored = orjson.loads(text)
    return _build(QUOTE_TYPES[stored["type"]], stored["fields"])
