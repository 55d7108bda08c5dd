"""A real HTTP webhook receiver on 127.0.0.1 for both products' tests: an asyncio server
speaking HTTP/1.1 through h11 (keep-alive included), recording every request as it arrives and
answering what the test says. Each product's signature check is a verifier function here."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

import h11
import jwt
import orjson


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    status: int  # what the receiver answered

    @property
    def event_id(self) -> str:
        return self.headers["x-lmn-event-id"]

    @property
    def json(self) -> Any:
        return orjson.loads(self.body)


#: `answer(received_so_far, headers, body)`: the status, or (status, seconds to wait before answering)
Answer = Callable[[list[Received], dict[str, str], bytes], int | tuple[int, float]]


def signature_is_valid(secret: str, body: bytes, header: str, timestamp: str) -> bool:
    """The check of spec 6.2 (without the clock tolerance, which the test applies to its clock)."""
    parts = dict(part.split("=", 1) for part in header.split(","))
    if parts.get("t") != timestamp:
        return False
    expected = hmac.new(secret.encode(), parts["t"].encode() + b"." + body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, parts.get("v1", ""))


def jwt_signature_is_valid(body: bytes, header: str, public_pem: str, issuer: str = "lirium-sandbox") -> bool:
    """The crypto receiver's check, as spec/crypto.md 9.3 gives it."""
    claims = jwt.decode(header, public_pem, algorithms=["RS512"], issuer=issuer)
    return bool(claims["digest"] == hashlib.sha256(body).hexdigest())


async def read_request(conn: h11.Connection, reader: asyncio.StreamReader) -> tuple[Any, bytes]:
    """The next request on a server connection and its body; (None, b"") when the client closed."""
    request, body = None, b""
    while True:
        event = conn.next_event()
        if event is h11.NEED_DATA:
            data = await reader.read(65536)
            conn.receive_data(data)
            if not data and request is None:
                return None, b""
            continue
        if isinstance(event, h11.Request):
            request = event
        elif isinstance(event, h11.Data):
            body += event.data
        elif isinstance(event, h11.EndOfMessage):
            return request, body
        elif isinstance(event, h11.ConnectionClosed):
            return None, b""


# a Location on every answer: a redirect the sender followed would show up as a request elsewhere
_RESPONSE_HEADERS = [
    ("content-length", "2"),
    ("content-type", "text/plain"),
    ("location", "http://127.0.0.1:9/elsewhere"),
]


@dataclass
class Receiver:
    """`answer` decides each response (200 by default); `delay` is the wait before answering
    when `answer` gives none."""

    path: str = "/hooks/lmn"
    answer: Answer = lambda seen, headers, body: 200
    delay: float = 0.0
    received: list[Received] = field(default_factory=list)
    in_flight: dict[str, int] = field(default_factory=dict)
    max_in_flight_per_event: int = 0
    port: int = 0
    _server: asyncio.Server | None = None
    _writers: set[asyncio.StreamWriter] = field(default_factory=set)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}{self.path}"

    def events(self) -> list[Any]:
        return [request.json for request in self.received]

    def actions(self) -> list[str]:
        return [event["action"] for event in self.events()]

    async def start(self) -> Receiver:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def close(self) -> None:
        """Stop listening and drop open keep-alive connections."""
        if self._server is not None:
            self._server.close()
            for writer in list(self._writers):
                writer.close()
            await self._server.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        conn = h11.Connection(h11.SERVER)
        self._writers.add(writer)
        try:
            while True:
                request, body = await read_request(conn, reader)
                if request is None:
                    return
                headers = {name.decode().lower(): value.decode() for name, value in request.headers}
                status = await self._respond(headers, body, request.target.decode())
                writer.write(conn.send(h11.Response(status_code=status, headers=_RESPONSE_HEADERS)))
                writer.write(conn.send(h11.Data(data=b"ok")))
                writer.write(conn.send(h11.EndOfMessage()))
                await writer.drain()
                if conn.our_state is h11.MUST_CLOSE:
                    return
                conn.start_next_cycle()
        except (ConnectionError, h11.RemoteProtocolError, asyncio.CancelledError):
            return  # the client gave up (timeout) or the test is over
        finally:
            self._writers.discard(writer)
            writer.close()

    async def _respond(self, headers: dict[str, str], body: bytes, path: str) -> int:
        event_id = headers.get("x-lmn-event-id", "")
        self.in_flight[event_id] = self.in_flight.get(event_id, 0) + 1
        self.max_in_flight_per_event = max(self.max_in_flight_per_event, self.in_flight[event_id])
        try:
            answered = self.answer(self.received, headers, body)
            status, delay = answered if isinstance(answered, tuple) else (answered, self.delay)
            self.received.append(Received(path, headers, body, status))
            if delay:
                await asyncio.sleep(delay)
            return status
        finally:
            self.in_flight[event_id] -= 1


@contextlib.asynccontextmanager
async def running_receiver(path: str = "/hooks/lmn") -> AsyncIterator[Receiver]:
    receiver = await Receiver(path=path).start()
    try:
        yield receiver
    finally:
        await receiver.close()
