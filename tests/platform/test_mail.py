"""Mail rows are written in the transaction; SMTP delivery happens in the dispatcher."""

from __future__ import annotations

import socket
from datetime import timedelta

import pytest
from aiosmtpd.controller import Controller

from orderdesk.platform import mail
from orderdesk.platform.clock import ManualClock
from orderdesk.platform.db import Database
from orderdesk.platform.dispatcher import Dispatcher


class Inbox:
    def __init__(self) -> None:
        self.messages: list[tuple[str, list[str], bytes]] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd hook name
        self.messages.append((envelope.mail_from, envelope.rcpt_tos, envelope.content))
        return "250 OK"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def smtp_server():
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield controller, inbox
    controller.stop()


async def test_message_is_recorded_and_delivered(db: Database, clock: ManualClock, smtp_server) -> None:
    controller, inbox = smtp_server
    dispatcher = Dispatcher(db, clock)
    dispatcher.register(
        mail.KIND,
        mail.SmtpDelivery(
            db, f"smtp://127.0.0.1:{controller.port}", "orderdesk <no-reply@orderdesk.local>", (30,), clock.now
        ),
    )
    async with db.transaction() as conn:
        await mail.send(
            conn,
            to="Ana@Example.com",
            subject="Your security code",
            body="Your security code is 123456.",
            now=clock.now(),
            deliver=True,
        )
    await dispatcher.drain()
    assert len(inbox.messages) == 1
    sender, recipients, content = inbox.messages[0]
    assert sender == "no-reply@orderdesk.local" and recipients == ["Ana@Example.com"]
    assert b"Subject: Your security code" in content and b"Your security code is 123456." in content
    async with db.transaction(write=False) as conn:
        listed = await mail.list_messages(conn, "ana@example.COM", 50)
        assert await conn.fetchval("SELECT delivered_at FROM mail_messages") == clock.now()
    assert [m["subject"] for m in listed] == ["Your security code"]


async def test_unreachable_server_is_retried(db: Database, clock: ManualClock) -> None:
    dispatcher = Dispatcher(db, clock)
    dispatcher.register(mail.KIND, mail.SmtpDelivery(db, f"smtp://127.0.0.1:{free_port()}", "x@y.z", (30,), clock.now))
    async with db.transaction() as conn:
        await mail.send(conn, to="a@b.c", subject="s", body="b", now=clock.now(), deliver=True)
    await dispatcher.drain()
    async with db.transaction(write=False) as conn:
        row = await conn.fetchrow("SELECT state, attempts, due_at FROM outbox")
    assert (row["state"], row["attempts"]) == ("pending", 1)
    assert row["due_at"] == clock.now() + timedelta(seconds=30)
    clock.advance(seconds=30)
    await dispatcher.drain()
    async with db.transaction(write=False) as conn:
        assert await conn.fetchval("SELECT state FROM outbox") == "dead"  # schedule spent


async def test_without_smtp_only_the_row_is_written(db: Database, clock: ManualClock) -> None:
    async with db.transaction() as conn:
        await mail.send(conn, to="a@b.c", subject="s", body="b", now=clock.now(), deliver=False)
    async with db.transaction(write=False) as conn:
        assert await conn.fetchval("SELECT count(*) FROM outbox") == 0
        assert len(await mail.list_messages(conn, None, 50)) == 1


def test_smtp_urls() -> None:
    target = mail.parse_smtp_url("smtp://user%40x:p%2Fw@mail.example.com:2525")
    assert (target.host, target.port, target.implicit_tls, target.username, target.password) == (
        "mail.example.com",
        2525,
        False,
        "user@x",
        "p/w",
    )
    assert mail.parse_smtp_url("smtps://mail.example.com").port == 465
    with pytest.raises(ValueError):
        mail.parse_smtp_url("http://mail.example.com")
