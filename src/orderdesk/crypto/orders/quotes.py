"""The locked quote of an order (spec/crypto.md 8.2 step 13) as the text stored in
`crypto_orders.quote`: `pricing.dump_quote` / `load_quote` as compact JSON, so confirmation
posts exactly the dataclass initiation priced (decimals as exact strings, never floats)."""

from __future__ import annotations

from typing import Any

import orjson

from orderdesk.crypto import pricing


def dump(quote: Any) -> str:
    return orjson.dumps(pricing.dump_quote(quote)).decode()


def load(text: str) -> Any:
    return pricing.load_quote(orjson.loads(text))
