"""Security codes (spec/crypto.md 8.3, 8.12, 8.13): six random digits, stored only as the
SHA-256 of `<order_id>:<code>`, compared in constant time, mailed to the customer's current
`contact.email` through the platform mail outbox in the transaction that issues them."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime
from typing import Any

from orderdesk.crypto.repositories import orders as repo
from orderdesk.platform import mail
from orderdesk.platform.db import Connection
from orderdesk.settings import Settings

SUBJECT = "Your security code"


def new_code() -> str:
    return f"{secrets.randbelow(10**6):06d}"


def code_hash(order_id: str, code: str) -> str:
    return hashlib.sha256(f"{order_id}:{code}".encode()).hexdigest()


def matches(order_id: str, code: str, stored_hash: str | None) -> bool:
    if stored_hash is None:
        return False
    return hmac.compare_digest(code_hash(order_id, code), stored_hash)


def mail_body(code: str, order: dict[str, Any]) -> str:
    """The two lines of 8.3; `order` is the order as answered (amounts already formatted)."""
    asset = order["asset"]
    expires_at = order[order["operation"]]["expires_at"]
    return (
        f"Your security code is {code}.\n"
        f"It confirms order {order['id']} ({order['operation']} {asset['amount']} {asset['currency']})"
        f" and expires at {expires_at}."
    )


async def issue(conn: Connection, order: dict[str, Any], email: str, now: datetime, settings: Settings) -> str:
    """Store a fresh code's hash on the order (the previous code stops working) and mail it."""
    code = new_code()
    await repo.set_code_hash(conn, order["id"], code_hash(order["id"], code))
    await mail.send(
        conn, to=email, subject=SUBJECT, body=mail_body(code, order), now=now, deliver=bool(settings.smtp_url)
    )
    return code
