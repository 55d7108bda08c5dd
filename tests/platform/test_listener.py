"""The batch-accepting listener (platform/listener.py): how many connections one wake-up takes,
and what an accept error does to the server (never stops it: skip, or back off and resume)."""

from __future__ import annotations

import asyncio
import errno
import socket
from collections.abc import Callable, Coroutine
from typing import Any

import pytest

from orderdesk.platform import listener
from orderdesk.platform.listener import ACCEPT_BATCH, ACCEPT_RETRY_DELAY, BatchAcceptServer


def run_on_listener_loop(main: Coroutine[Any, Any, None]) -> None:
    with asyncio.Runner(loop_factory=listener.new_event_loop) as runner:
        runner.run(main)


class Counting(asyncio.Protocol):
    made: list[asyncio.BaseTransport]

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.made.append(transport)


async def accepting_by_hand(
    loop: asyncio.AbstractEventLoop, factory: Any, backlog: int
) -> tuple[BatchAcceptServer, socket.socket]:
    """A listening server whose `accept` the test calls itself (the loop does not watch it)."""
    server = await loop.create_server(factory, "127.0.0.1", 0, start_serving=False)
    assert isinstance(server, BatchAcceptServer)
    sock = server.sockets[0]
    sock.listen(backlog)
    server._serving = True
    return server, sock


def test_one_wake_up_accepts_a_batch_and_the_next_the_rest() -> None:
    async def main() -> None:
        made: list[asyncio.BaseTransport] = []
        Counting.made = made
        loop = asyncio.get_running_loop()
        server, sock = await accepting_by_hand(loop, Counting, 1024)
        clients = [socket.create_connection(sock.getsockname()) for _ in range(ACCEPT_BATCH + 72)]
        try:
            server.accept(sock)
            await asyncio.sleep(0.05)  # the hand-overs run, then connection_made
            assert len(made) == ACCEPT_BATCH
            server.accept(sock)  # the rest, then the queue is empty: it stops without error
            await asyncio.sleep(0.05)
            assert len(made) == ACCEPT_BATCH + 72
            server.accept(sock)  # nothing pending: returns at once
        finally:
            for transport in made:
                transport.close()
            for client in clients:
                client.close()
            server.close()
            await server.wait_closed()

    run_on_listener_loop(main())


def test_served_through_a_started_server() -> None:
    class Echo(asyncio.Protocol):
        def connection_made(self, transport: Any) -> None:  # uvloop's TCPTransport
            self.transport = transport

        def data_received(self, data: bytes) -> None:
            self.transport.write(data.upper())

    async def main() -> None:
        loop = asyncio.get_running_loop()
        server = await loop.create_server(Echo, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        writers = []
        for _ in range(3):
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.write(b"ping")
            assert await reader.readexactly(4) == b"PING"
            writers.append(writer)
        server.close()
        await server.wait_closed()
        assert not server.is_serving()
        with pytest.raises(OSError):
            await asyncio.open_connection("127.0.0.1", port)
        for writer in writers:
            writer.close()

    run_on_listener_loop(main())


class Finishing(asyncio.Protocol):
    """Like uvicorn's HTTP protocols: shutdown() ends the connection once its response is done."""

    instances: list[Finishing] = []

    def __init__(self) -> None:
        self.shut_down = False
        self.made = False
        Finishing.instances.append(self)

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.made = True
        self.transport = transport

    def shutdown(self) -> None:
        self.shut_down = True
        self.transport.close()


def test_closing_while_connections_are_handed_over() -> None:
    """A connection accepted before close() but not yet handed over is closed; one whose
    connection_made runs after close() (the server's owner already told the connections it knew
    to finish) is told to shut down too."""

    async def main() -> None:
        Finishing.instances = []
        loop = asyncio.get_running_loop()
        server, sock = await accepting_by_hand(loop, Finishing, 16)
        early = socket.create_connection(sock.getsockname())
        server.accept(sock)
        await asyncio.sleep(0)  # the hand-over started: transport open, connection_made pending
        assert Finishing.instances and not Finishing.instances[0].made
        late = socket.create_connection(sock.getsockname())
        server.accept(sock)  # accepted, hand-over not started yet
        server.close()
        await server.wait_closed()
        [protocol] = Finishing.instances  # the late one never got a protocol
        assert protocol.made and protocol.shut_down
        for client in (early, late):
            client.settimeout(5)
            assert client.recv(1) == b""  # closed by the server
            client.close()

    run_on_listener_loop(main())


class FakeSocket:
    """accept() plays a script: a connection (a real socket pair's end), or an exception."""

    def __init__(self, script: list[BaseException | None]) -> None:
        self.script = script
        self.closed = False
        self.accepted: list[socket.socket] = []

    def fileno(self) -> int:
        return -1 if self.closed else 7

    def close(self) -> None:
        self.closed = True

    def setblocking(self, flag: bool) -> None:
        pass

    def accept(self) -> tuple[socket.socket, Any]:
        outcome = self.script.pop(0) if self.script else BlockingIOError(errno.EAGAIN, "again")
        if outcome is not None:
            raise outcome
        ours, theirs = socket.socketpair()
        theirs.close()
        self.accepted.append(ours)
        return ours, None


class FakeHandle:
    def cancel(self) -> None:
        pass

    def add_done_callback(self, callback: Callable[..., None]) -> None:
        pass


class FakeLoop:
    def __init__(self) -> None:
        self.readers: dict[int, Callable[..., None]] = {}
        self.timers: list[tuple[float, Callable[..., None], tuple[Any, ...]]] = []
        self.tasks: list[Any] = []

    def add_reader(self, fd: int, callback: Callable[..., None], *args: Any) -> None:
        self.readers[fd] = callback

    def remove_reader(self, fd: int) -> bool:
        return self.readers.pop(fd, None) is not None

    def call_later(self, delay: float, callback: Callable[..., None], *args: Any) -> Any:
        self.timers.append((delay, callback, args))
        return FakeHandle()

    def create_task(self, coro: Any) -> Any:
        coro.close()  # not run: the test counts hand-overs only
        self.tasks.append(coro)
        return FakeHandle()


def fake_server(script: list[BaseException | None]) -> tuple[BatchAcceptServer, FakeSocket, FakeLoop]:
    sock, loop = FakeSocket(script), FakeLoop()
    server = BatchAcceptServer(loop, [sock], Counting, 100)  # type: ignore[arg-type,list-item]
    server._serving = True
    loop.add_reader(sock.fileno(), server.accept, sock)
    return server, sock, loop


def test_a_connection_gone_before_accept_is_skipped_and_the_batch_goes_on() -> None:
    aborted = ConnectionAbortedError(errno.ECONNABORTED, "aborted")
    server, sock, loop = fake_server([None, aborted, OSError(errno.EPROTO, "proto"), None, None])
    server.accept(sock)  # type: ignore[arg-type]
    assert len(loop.tasks) == 3 and 7 in loop.readers and not loop.timers
    for conn in sock.accepted:
        conn.close()


def test_the_batch_is_capped() -> None:
    server, sock, loop = fake_server([None] * (ACCEPT_BATCH + 5))
    server.accept(sock)  # type: ignore[arg-type]
    assert len(loop.tasks) == ACCEPT_BATCH and len(sock.script) == 5
    for conn in sock.accepted:
        conn.close()


@pytest.mark.parametrize("code", [errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM, errno.EBADF])
def test_out_of_descriptors_backs_off_then_resumes(code: int) -> None:
    server, sock, loop = fake_server([None, OSError(code, "no"), None])
    server.accept(sock)  # type: ignore[arg-type]
    assert len(loop.tasks) == 1
    assert 7 not in loop.readers  # not woken again while the queue stays full
    [(delay, resume, args)] = loop.timers
    assert delay == ACCEPT_RETRY_DELAY
    resume(*args)
    assert 7 in loop.readers  # accepting again
    for conn in sock.accepted:
        conn.close()


def test_no_resume_after_close() -> None:
    server, sock, loop = fake_server([OSError(errno.EMFILE, "no")])
    server.accept(sock)  # type: ignore[arg-type]
    [(_, resume, args)] = loop.timers
    server.close()
    assert sock.closed
    resume(*args)  # had its timer fired anyway
    assert not loop.readers
