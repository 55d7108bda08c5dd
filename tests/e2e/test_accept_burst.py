"""Many connections opened at once against the real `orderdesk serve` (one process accepts
pending connections in batches, platform/listener.py; `--workers N` keeps uvloop's accept):
every one is served, with one and two workers, and SIGTERM in the middle of such a burst still
drains cleanly."""

from __future__ import annotations

import asyncio
import json
import os
import signal
from typing import Any

import httpx
import pytest

from tests.conftest import OPS_HEADERS
from tests.e2e.conftest import ServerFactory

pytestmark = pytest.mark.slow

CONNECTIONS = 200
Connection = tuple[asyncio.StreamReader, asyncio.StreamWriter]


def partner_list(server_url: str) -> tuple[bytes, Any]:
    """A request for a partner's order list (raw HTTP/1.1, kept alive) and the answer it must get."""
    created = httpx.post(server_url + "/ops/v1/auto/partners", json={"name": "Burst"}, headers=OPS_HEADERS)
    key = created.json()["api_key"]
    expected = httpx.get(server_url + "/auto/v1/orders", headers={"x-api-key": key})
    assert expected.status_code == 200
    request = f"GET /auto/v1/orders HTTP/1.1\r\nHost: test\r\nx-api-key: {key}\r\n\r\n".encode()
    return request, expected.json()


async def read_response(reader: asyncio.StreamReader) -> tuple[int, bytes] | None:
    """Status and body of one response; None if the server closed the connection before
    sending a byte of it. A response cut in the middle fails the test."""
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except asyncio.IncompleteReadError as exc:
        assert exc.partial == b"", f"response cut inside its headers: {exc.partial[:200]!r}"
        return None
    except ConnectionResetError:
        return None
    lines = head.decode("latin-1").split("\r\n")
    length = next(int(line.split(":", 1)[1]) for line in lines if line.lower().startswith("content-length:"))
    return int(lines[0].split()[1]), await reader.readexactly(length)


def is_answer(response: tuple[int, bytes] | None, expected: Any) -> bool:
    return response is not None and response[0] == 200 and json.loads(response[1]) == expected


async def open_all(port: int) -> list[Connection]:
    return list(await asyncio.gather(*(asyncio.open_connection("127.0.0.1", port) for _ in range(CONNECTIONS))))


async def send_all(connections: list[Connection], request: bytes) -> None:
    for _, writer in connections:
        writer.write(request)
    await asyncio.gather(*(writer.drain() for _, writer in connections))


def close_all(connections: list[Connection]) -> None:
    for _, writer in connections:
        writer.close()


@pytest.mark.parametrize("workers", [1, 2])
async def test_every_connection_of_a_burst_is_served(serve: ServerFactory, e2e_database_url: str, workers: int) -> None:
    if workers > 1 and e2e_database_url.startswith("sqlite"):
        pytest.skip("--workers > 1 needs PostgreSQL")
    extra = ("--workers", str(workers)) if workers > 1 else ()
    server = serve(*extra, ORDERDESK_RATE_LIMIT="")
    request, expected = partner_list(server.base_url)
    connections = await open_all(server.port)  # all 200 queued before any request is sent
    try:
        for _ in range(2):  # the first request of each connection, then one more on it
            await send_all(connections, request)
            responses = await asyncio.gather(*(read_response(reader) for reader, _ in connections))
            assert all(is_answer(response, expected) for response in responses)
    finally:
        close_all(connections)


async def test_sigterm_during_a_burst_drains_cleanly(serve: ServerFactory) -> None:
    server = serve(ORDERDESK_RATE_LIMIT="")
    assert server.process is not None
    request, expected = partner_list(server.base_url)
    connections = await open_all(server.port)
    try:
        await send_all(connections, request)  # every connection accepted and answered once
        first = await asyncio.gather(*(read_response(reader) for reader, _ in connections))
        assert all(is_answer(response, expected) for response in first)

        # A second request on each, and 200 new connections (queued, being accepted) with their
        # first: the signal lands in the middle of both.
        connections += await open_all(server.port)
        await send_all(connections, request)
        os.killpg(server.process.pid, signal.SIGTERM)
        second = await asyncio.gather(*(read_response(reader) for reader, _ in connections))
        # A request read before the signal is answered in full, then its connection closed; one
        # not yet read (or not yet accepted) finds its connection closed, never half an answer.
        for response in second:
            assert response is None or is_answer(response, expected)
        leftovers = await asyncio.gather(*(reader.read() for reader, _ in connections), return_exceptions=True)
        assert all(rest == b"" or isinstance(rest, ConnectionResetError) for rest in leftovers)
    finally:
        close_all(connections)
    assert await asyncio.to_thread(server.process.wait, 30) == -signal.SIGTERM  # uvicorn re-raises it when done
    log = server.log_path.read_text()
    assert "Traceback" not in log and "timeout graceful shutdown exceeded" not in log and "accept_failed" not in log
