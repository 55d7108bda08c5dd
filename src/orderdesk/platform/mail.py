"""Outgoing e-mail. Every message is a row in `mail_messages`, written in the transaction
that causes it (the operator reads them at GET /ops/v1/mail). When ORDERDESK_SMTP_URL is
set, the dispatcher also delivers each one over SMTP, retrying on failure."""

from __future__ import annotations

import asyncio
import smtplib
import ssl
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from urllib.parse import unquote, urlparse

from orderdesk.platform import ids, outbox
from orderdesk.platform.db import Connection, Database
from orderdesk.platform.dispatcher import Job, Outcome
from orderdesk.platform.outbound import next_attempt_at

KIND = "mail"


@dataclass(frozen=True)
class SmtpTarget:
    host: str
    port: int
    implicit_tls: bool
    username: str | None
    password: str | None


def parse_smtp_url(url: str) -> SmtpTarget:
    parsed = urlparse(url)
    if parsed.scheme not in ("smtp", "smtps") or not parsed.hostname:
        raise ValueError("expected smtp://user:pass@host:port or smtps://...")
    implicit = parsed.scheme == "smtps"
    return SmtpTarget(
        host=parsed.hostname,
        port=parsed.port or (465 if implicit else 587),
        implicit_tls=implicit,
        username=unquote(parsed.username) if parsed.username else None,
        password=unquote(parsed.password) if parsed.password else None,
    )


async def send(conn: Connection, *, to: str, subject: str, body: str, now: datetime, deliver: bool) -> str:
    """Record a message (and queue its SMTP delivery when `deliver`). Returns its id."""
    message_id = ids.new_hex_id()
    await conn.execute(
        "INSERT INTO mail_messages (id, to_address, to_lower, subject, body, sent_at)"
        " VALUES (:id, :to, :to_lower, :subject, :body, :now)",
        {"id": message_id, "to": to, "to_lower": to.lower(), "subject": subject, "body": body, "now": now},
    )
    if deliver:
        await outbox.enqueue(conn, KIND, ref=message_id, due_at=now, now=now)
    return message_id


async def list_messages(conn: Connection, to: str | None, limit: int) -> list[dict[str, object]]:
    where = "WHERE to_lower = :to_lower " if to else ""
    rows = await conn.fetch(
        f"SELECT id, to_address, subject, body, sent_at FROM mail_messages {where}"
        "ORDER BY sent_at DESC, id DESC LIMIT :limit",
        {"to_lower": (to or "").lower(), "limit": limit},
    )
    return [
        {"id": r["id"], "to": r["to_address"], "subject": r["subject"], "body": r["body"], "sent_at": r["sent_at"]}
        for r in rows
    ]


class SmtpDelivery:
    """Dispatcher handler for `mail` rows."""

    def __init__(
        self, db: Database, smtp_url: str, sender: str, schedule: tuple[float, ...], clock_now: Callable[[], datetime]
    ) -> None:
        self.db = db
        self.target = parse_smtp_url(smtp_url)
        self.sender = sender
        self.schedule = schedule
        self.now = clock_now

    async def __call__(self, job: Job) -> Outcome:
        async with self.db.transaction(write=False) as conn:
            row = await conn.fetchrow(
                "SELECT to_address, subject, body FROM mail_messages WHERE id = :id", {"id": job.ref}
            )
        if row is None:
            return Outcome.dead(error="message not found")
        message = EmailMessage()
        message["From"] = self.sender
        message["To"] = row["to_address"]
        message["Subject"] = row["subject"]
        message.set_content(row["body"])
        try:
            await asyncio.to_thread(self._deliver, message)
        except (OSError, smtplib.SMTPException) as exc:
            retry_at = next_attempt_at(self.schedule, job.attempts + 1, self.now())
            error = f"{type(exc).__name__}: {exc}"[:500]
            return Outcome.dead(error=error) if retry_at is None else Outcome.retry(retry_at, error=error)
        delivered_at = self.now()

        async def record(conn: Connection) -> None:
            await conn.execute(
                "UPDATE mail_messages SET delivered_at = :at WHERE id = :id", {"at": delivered_at, "id": job.ref}
            )

        return Outcome.done(record)

    def _deliver(self, message: EmailMessage) -> None:
        target = self.target
        if target.implicit_tls:
            client: smtplib.SMTP = smtplib.SMTP_SSL(
                target.host, target.port, timeout=30, context=ssl.create_default_context()
            )
        else:
            client = smtplib.SMTP(target.host, target.port, timeout=30)
        with client:
            if not target.implicit_tls:
                client.ehlo()
                if client.has_extn("starttls"):
                    client.starttls(context=ssl.create_default_context())
                    client.ehlo()
            if target.username:
                client.login(target.username, target.password or "")
            client.send_message(message)
