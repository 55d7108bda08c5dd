"""uvloop, accepting new connections in batches.

libuv >= 1.45 (uvloop 0.23) accepts one connection per event-loop iteration ("unix: don't
accept() connections in a loop"). Under load an iteration takes 50-100 ms, so when a client
opens 64 connections at once the last ones wait seconds in the kernel's accept queue, and
their first requests are the p99 (docs/performance.md, changes 7 and 11). This loop serves
`create_server` with its own non-blocking listening sockets: a reader callback accepts up to
ACCEPT_BATCH connections per wake-up, as asyncio's selector loop does, and hands each to
uvloop with `connect_accepted_socket`. Transports and protocols are uvloop's as before.

`orderdesk serve` gives it to uvicorn by its `loop` setting, an import string naming a loop
factory (uvicorn >= 0.36): `orderdesk.platform.listener:new_event_loop`. Not with `--workers N`:
the workers share one listening socket, all wake for a new burst, and the first to run took
all of it (64 of 64 connections on one of two workers in most runs, with batches of 128 or 8);
libuv's one accept per iteration spreads them better (docs/performance.md, change 11).
"""

from __future__ import annotations

import asyncio
import errno
import socket
from collections.abc import Callable
from typing import Any

import structlog
import uvloop

log = structlog.get_logger("orderdesk.listener")

# Per wake-up: enough for a client's whole pool at once, few enough (each is one accept() and
# one task) to stay fair to the requests in flight on the loop.
ACCEPT_BATCH = 128
# After EMFILE and the like, stop accepting for a while instead of spinning (asyncio's delay).
ACCEPT_RETRY_DELAY = 1.0
# Errors of one connection (gone before it was accepted, or a network error Linux reports on
# accept): skip it and accept the next, as accept(2) advises.
_CONNECTION_ERRORS = frozenset(
    {
        errno.ECONNABORTED,
        errno.EPROTO,
        errno.EPERM,
        errno.ENETDOWN,
        errno.ENOPROTOOPT,
        errno.EHOSTDOWN,
        errno.EHOSTUNREACH,
        errno.EOPNOTSUPP,
        errno.ENETUNREACH,
    }
)

ProtocolFactory = Callable[[], asyncio.BaseProtocol]


class BatchAcceptServer(asyncio.AbstractServer):
    """Listening sockets whose pending connections are accepted in batches."""

    def __init__(
        self, loop: asyncio.AbstractEventLoop, sockets: list[socket.socket], factory: ProtocolFactory, backlog: int
    ) -> None:
        self._loop = loop
        self._sockets = sockets
        self._factory = factory
        self._backlog = backlog
        self._serving = False
        self._closed = False
        self._handovers: set[asyncio.Task[None]] = set()
        self._retries: dict[socket.socket, asyncio.TimerHandle] = {}
        self._forever: asyncio.Future[None] | None = None
        for sock in sockets:
            sock.setblocking(False)

    @property
    def sockets(self) -> tuple[socket.socket, ...]:
        return tuple(self._sockets)

    def get_loop(self) -> asyncio.AbstractEventLoop:
        return self._loop

    def is_serving(self) -> bool:
        return self._serving

    async def start_serving(self) -> None:
        self.start()

    def start(self) -> None:
        if self._serving or self._closed:
            return
        self._serving = True
        for sock in self._sockets:
            sock.listen(self._backlog)
            self._loop.add_reader(sock.fileno(), self.accept, sock)

    async def serve_forever(self) -> None:
        """Serve until closed or cancelled (then raises CancelledError, as asyncio's does)."""
        self.start()
        self._forever = self._loop.create_future()
        try:
            await self._forever
        finally:
            self.close()
            await self.wait_closed()

    def close(self) -> None:
        """Stop accepting and close the listening sockets; connections queued in the kernel
        are reset, accepted ones are left to their protocol (as asyncio's and uvloop's close)."""
        if self._closed:
            return
        self._closed = True
        self._serving = False
        for retry in self._retries.values():
            retry.cancel()
        if self._forever is not None:
            self._forever.cancel()
        for sock in self._sockets:
            if sock.fileno() != -1:  # a socket handed in (sock=...) may have been closed by its owner
                self._loop.remove_reader(sock.fileno())
                sock.close()

    async def wait_closed(self) -> None:
        if self._handovers:
            await asyncio.gather(*self._handovers, return_exceptions=True)

    def accept(self, sock: socket.socket) -> None:
        """The reader callback: accept until the queue is empty or ACCEPT_BATCH were taken."""
        if not self._serving:  # a wake-up already under way when close() ran
            return
        for _ in range(ACCEPT_BATCH):
            try:
                conn, _ = sock.accept()
            except (BlockingIOError, InterruptedError):
                return
            except OSError as exc:
                if exc.errno in _CONNECTION_ERRORS:
                    continue
                self._back_off(sock, exc)
                return
            conn.setblocking(False)
            task = self._loop.create_task(self._hand_over(conn))
            self._handovers.add(task)
            task.add_done_callback(self._handovers.discard)

    def _back_off(self, sock: socket.socket, exc: OSError) -> None:
        """Out of descriptors or memory: the queue stays full, so stop watching it for a while
        (requests in flight go on) instead of waking up again at once."""
        log.error("accept_failed", error=str(exc), retry_in_seconds=ACCEPT_RETRY_DELAY)
        self._loop.remove_reader(sock.fileno())
        self._retries[sock] = self._loop.call_later(ACCEPT_RETRY_DELAY, self._resume, sock)

    def _resume(self, sock: socket.socket) -> None:
        self._retries.pop(sock, None)
        if self._serving:
            self._loop.add_reader(sock.fileno(), self.accept, sock)

    async def _hand_over(self, conn: socket.socket) -> None:
        if self._closed:  # closed since the accept: end it, as the kernel ends a queued one
            conn.close()
            return
        try:
            _, protocol = await self._loop.connect_accepted_socket(self._factory, conn)
        except Exception as exc:
            log.warning("connection_setup_failed", error=str(exc))
            conn.close()  # a no-op once uvloop took (and closed) the socket
            return
        if self._closed:
            # Closed while this connection was being set up: uvicorn's shutdown asked the
            # connections it knew to finish (Server.shutdown → protocol.shutdown()) before this
            # one's connection_made ran; ask it too, or it idles until the graceful timeout.
            # Depends on uvicorn's HTTP protocols having shutdown() (0.55: httptools, h11).
            shutdown = getattr(protocol, "shutdown", None)
            if callable(shutdown):
                shutdown()


class Loop(uvloop.Loop):
    """uvloop whose TCP servers accept in batches (see the module docstring)."""

    async def create_server(  # type: ignore[override]
        self,
        protocol_factory: ProtocolFactory,
        host: str | None = None,
        port: int | None = None,
        *,
        family: int = socket.AF_UNSPEC,
        flags: int = socket.AI_PASSIVE,
        sock: socket.socket | None = None,
        backlog: int = 100,
        start_serving: bool = True,
        **options: Any,
    ) -> asyncio.AbstractServer:
        if any(value is not None for value in options.values()):  # TLS, SO_REUSEPORT, ...: uvloop's own
            uvloop_create_server: Any = super().create_server
            return await uvloop_create_server(
                protocol_factory,
                host,
                port,
                family=family,
                flags=flags,
                sock=sock,
                backlog=backlog,
                start_serving=start_serving,
                **options,
            )
        if sock is not None and (host is not None or port is not None):
            raise ValueError("host/port and sock can not be specified at the same time")
        sockets = [sock] if sock is not None else await self._bind(host or None, port, family, flags)
        server = BatchAcceptServer(self, sockets, protocol_factory, backlog)
        if start_serving:
            server.start()
        return server

    async def _bind(self, host: str | None, port: int | None, family: int, flags: int) -> list[socket.socket]:
        """One listening socket per address `host` resolves to, as asyncio and uvloop bind them."""
        infos = await self.getaddrinfo(host, port, family=family, type=socket.SOCK_STREAM, flags=flags)
        if not infos:
            raise OSError("getaddrinfo() returned empty list")
        sockets: list[socket.socket] = []
        try:
            for af, kind, proto, _, address in dict.fromkeys(infos):
                sock = socket.socket(af, kind, proto)
                sockets.append(sock)
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                if af == socket.AF_INET6:
                    sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
                try:
                    sock.bind(address)
                except OSError as exc:
                    reason = f"error while attempting to bind on address {address!r}: {(exc.strerror or '').lower()}"
                    raise OSError(exc.errno, reason) from None
        except BaseException:
            for sock in sockets:
                sock.close()
            raise
        return sockets


def new_event_loop() -> Loop:
    return Loop()
