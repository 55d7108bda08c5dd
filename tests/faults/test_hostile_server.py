"""The hostile rows whose answer depends on the real HTTP server (uvicorn + httptools), not
only on the application: body limits judged on Content-Length and on bytes read through a
socket, chunked bodies, 64 KiB header values, 10 KiB paths, a Content-Length that lies."""

from __future__ import annotations

import socket
import uuid
from collections.abc import Iterator

import httpx
import pytest

from tests.conftest import OPS_HEADERS
from tests.e2e.conftest import ServerFactory

pytestmark = pytest.mark.slow

LIMIT = 1_048_576


def oversized() -> Iterator[bytes]:
    yield b'{"vehicle_id": "'
    for _ in range(LIMIT // 65_536 + 1):
        yield b"x" * 65_536
    yield b'"}'


def raw_exchange(port: int, request: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        sock.sendall(request)  # the requests say Connection: close; the server ends the exchange
        chunks = []
        while chunk := sock.recv(65_536):
            chunks.append(chunk)
    return b"".join(chunks)


def test_hostile_requests_through_the_real_server(serve: ServerFactory) -> None:
    server = serve()
    created = httpx.post(server.base_url + "/ops/v1/auto/partners", json={"name": "Harbor"}, headers=OPS_HEADERS)
    key = created.json()["api_key"]
    headers = {"x-api-key": key, "Idempotency-Key": str(uuid.uuid4()), "Content-Type": "application/json"}
    with httpx.Client(base_url=server.base_url, timeout=30) as client:
        chunked = client.post("/auto/v1/orders", content=oversized(), headers=headers)
        assert chunked.status_code == 413 and chunked.json()["error"]["code"] == "payload_too_large"
        crypto = client.post("/crypto/v1/customers", content=oversized(), headers={"Authorization": "Bearer x"})
        assert crypto.status_code == 401  # authentication comes before the body (crypto 3.10)
        long_key = client.get("/auto/v1/vehicles", headers={"x-api-key": "lmn_stg_" + "a" * 65_536})
        assert long_key.status_code == 401 and long_key.json()["error"]["code"] == "invalid_api_key"
        filler = client.get("/auto/v1/vehicles", headers={"x-api-key": key, "X-Filler": "a" * 65_536})
        assert filler.status_code == 200
        long_path = client.get("/auto/v1/orders/" + "A" * 10_240, headers={"x-api-key": key})
        assert long_path.status_code == 404 and long_path.json()["error"]["code"] == "order_not_found"
        non_ascii = client.get("/auto/v1/vehicles/%EC%B0%A8%00", headers={"x-api-key": key})
        assert non_ascii.status_code == 404 and non_ascii.json()["error"]["code"] == "vehicle_not_found"

    declared = raw_exchange(
        server.port,
        b"POST /auto/v1/orders HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: application/json\r\n"
        + f"x-api-key: {key}\r\nIdempotency-Key: {uuid.uuid4()}\r\nContent-Length: {LIMIT + 1}\r\n\r\n".encode()
        + b"{}",
    )
    assert declared.startswith(b"HTTP/1.1 413 "), declared[:200]
    assert b'"payload_too_large"' in declared

    # A Content-Length shorter than what follows: the rest is read as a next request, which the
    # server refuses as malformed HTTP; nothing answers 5xx and the first request is judged alone.
    lying = raw_exchange(
        server.port,
        b"POST /auto/v1/orders HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: application/json\r\n"
        + f"x-api-key: {key}\r\nIdempotency-Key: {uuid.uuid4()}\r\nContent-Length: 2\r\n\r\n".encode()
        + b'{}{"vehicle_id": "x"}',
    )
    statuses = [int(line.split()[1]) for line in lying.split(b"\r\n") if line.startswith(b"HTTP/1.1 ")]
    assert statuses and statuses[0] == 400 and all(status < 500 for status in statuses), lying[:400]

    orders = httpx.get(server.base_url + "/ops/v1/auto/orders", headers=OPS_HEADERS)
    assert orders.status_code == 200 and orders.json()["data"] == []
    metrics = httpx.get(server.base_url + "/metrics").text
    assert 'status="5' not in metrics
