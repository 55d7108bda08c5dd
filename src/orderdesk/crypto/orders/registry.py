"""The operations partners can create (spec/crypto.md 8.2 step 2), by name. Adding one (send)
is one import and one entry here."""

from __future__ import annotations

from orderdesk.crypto.orders.buy import BUY
from orderdesk.crypto.orders.operation import Operation
from orderdesk.crypto.orders.redeem import REDEEM
from orderdesk.crypto.orders.sell import SELL
from orderdesk.crypto.orders.send import SEND
from orderdesk.crypto.orders.subscribe import SUBSCRIBE
from orderdesk.crypto.orders.swap import SWAP

OPERATIONS: dict[str, Operation] = {op.name: op for op in (BUY, SELL, SWAP, SEND, SUBSCRIBE, REDEEM)}
