"""A real HTTP webhook receiver for tests: uvicorn serving a bare ASGI app on a free local
port, in the test's event loop. It records every request and answers what its `answer`
callback says (status, and an optional delay before answering)."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import socket
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

import jwt
import orjson
import uvicorn


@dataclass(frozen=True)
class Received:
    path: str
    headers: dict[str, str]
    body: bytes

    @property
    def event(self) -> dict[str, Any]:
        parsed: dict[str, Any] = orjson.loads(self.body)
        return parsed


Answer = Callable[[Received, int], tuple[int, float]]  # (request, how many came before it) -> (status, delay)


def always_ok(_request: Received, _index: int) -> tuple[int, float]:
    return 200, 0.0


class Receiver:
    def __init__(self) -> None:
        self.received: list[Received] = []
        self.answer: Answer = always_ok
        self.port = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks/crypto"

    def events(self) -> list[dict[str, Any]]:
        return [request.event for request in self.received]

    def actions(self) -> list[str]:
        return [event["action"] for event in self.events()]

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        assert scope["type"] == "http"
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        request = Received(
            scope["path"], {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}, body
        )
        status, delay = self.answer(request, len(self.received))
        self.received.append(request)
        if delay:
            await asyncio.sleep(delay)
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [(b"content-type", b"text/plain"), (b"location", b"http://127.0.0.1:9/elsewhere")],
            }
        )
        await send({"type": "http.response.body", "body": b"ok"})


@contextlib.asynccontextmanager
async def running_receiver() -> AsyncIterator[Receiver]:
    receiver = Receiver()
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    receiver.port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(receiver, lifespan="off", log_level="warning", access_log=False))
    task = asyncio.create_task(server.serve(sockets=[sock]))
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.01)
    try:
        yield receiver
    finally:
        server.should_exit = True
        await task
        sock.close()


def verify(body: bytes, header: str, public_pem: str, issuer: str = "lirium-sandbox") -> bool:
    """The receiver's check, as spec/crypto.md 9.3 gives it."""
    claims = jwt.decode(header, public_pem, algorithms=["RS512"], issuer=issuer)
    return bool(claims["digest"] == hashlib.sha256(body).hexdigest())
