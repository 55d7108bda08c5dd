"""A webhook receiver that misbehaves on purpose, in its own thread: refuses connections
(not listening yet), answers 500, hangs past the sender's timeout, answers slowly, redirects,
or answers 200 with a huge body; `plan` decides per request. It records every request, and
how many attempts of one event were in flight at once (an attempt ends when the sender
hangs up)."""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import h11
import orjson

from bench.server import free_port
from tests.receiver import read_request


@dataclass
class Seen:
    event_id: str
    headers: dict[str, str]
    body: bytes
    action: str
    started: float
    ended: float = 0.0

    @property
    def json(self) -> Any:
        return orjson.loads(self.body)


Plan = Callable[[int], tuple[str, float]]  # request number (0-based) -> (action, argument)


def always_ok(_: int) -> tuple[str, float]:
    return ("ok", 0)


@dataclass
class MisbehavingReceiver:
    plan: Plan = always_ok
    port: int = field(default_factory=free_port)
    seen: list[Seen] = field(default_factory=list)
    in_flight: dict[str, int] = field(default_factory=dict)
    max_in_flight: int = 0
    _count: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _writers: set[asyncio.StreamWriter] = field(default_factory=set)

    def __post_init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self._server: asyncio.Server | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks"

    def listen(self) -> None:
        async def start() -> None:
            self._server = await asyncio.start_server(self._serve, "127.0.0.1", self.port)

        asyncio.run_coroutine_threadsafe(start(), self.loop).result(10)

    def close(self) -> None:
        async def stop() -> None:
            if self._server is not None:
                self._server.close()
            for writer in list(self._writers):
                writer.close()
            tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

        asyncio.run_coroutine_threadsafe(stop(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)

    def hanging_now(self) -> int:
        with self._lock:
            return sum(1 for s in self.seen if s.action == "hang" and not s.ended)

    def delivered(self) -> list[Seen]:
        with self._lock:
            return [s for s in self.seen if s.action in ("ok", "slow", "huge")]

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        conn = h11.Connection(h11.SERVER)
        self._writers.add(writer)
        try:
            while True:
                request, body = await read_request(conn, reader)
                if request is None:
                    return
                headers = {k.decode().lower(): v.decode() for k, v in request.headers}
                keep = await self._answer(conn, reader, writer, headers, body)
                if not keep or conn.our_state is h11.MUST_CLOSE:
                    return
                conn.start_next_cycle()
        except (ConnectionError, h11.RemoteProtocolError, asyncio.CancelledError):
            return
        finally:
            self._writers.discard(writer)
            writer.close()

    async def _answer(
        self,
        conn: h11.Connection,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        headers: dict[str, str],
        body: bytes,
    ) -> bool:
        with self._lock:
            action, argument = self.plan(self._count)
            self._count += 1
            event_id = headers.get("x-lmn-event-id", "")
            seen = Seen(event_id, headers, body, action, time.monotonic())
            self.seen.append(seen)
            self.in_flight[event_id] = self.in_flight.get(event_id, 0) + 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight[event_id])
        try:
            if action == "hang":  # until the sender gives up and hangs up (or `argument` s)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(reader.read(1), argument)
                return False
            status, extra, payload = 200, [], b"ok"
            if action == "slow":
                await asyncio.sleep(argument)
            elif action == "status":
                status = int(argument)
            elif action == "redirect":
                status, extra = 302, [("location", "http://127.0.0.1:9/elsewhere")]
            elif action == "huge":
                payload = b"x" * int(argument)
            response = h11.Response(status_code=status, headers=[("content-length", str(len(payload))), *extra])
            writer.write(conn.send(response))
            writer.write(conn.send(h11.Data(data=payload)))
            writer.write(conn.send(h11.EndOfMessage()))
            await writer.drain()
            return True
        finally:
            with self._lock:
                self.in_flight[event_id] -= 1
                seen.ended = time.monotonic()
