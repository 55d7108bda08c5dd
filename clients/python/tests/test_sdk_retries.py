"""Retry rules, against a scripted standard-library server: each request gets the next scripted
answer — `DROP` closes the connection without answering, a tuple is (status, headers, body)."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from orderdesk_client import (
    APIConnectionError,
    AsyncAutoClient,
    AutoClient,
    CryptoClient,
    IdempotencyKeyReused,
    InternalError,
    ReferenceIdAlreadyUsed,
    RetryPolicy,
    ValidationError,
)
from orderdesk_client._transport import SyncTransport
from orderdesk_client.auto import AutoCalls

from conftest import free_port

DROP = "drop"
RETRY = RetryPolicy(max_attempts=4, base_delay=0.01, max_delay=0.05)
ORDER = {
    "id": "01KQXA5KNRPQNMCMYXC47R2PCT",
    "vehicle_id": "glovis-20260512-0418",
    "status": "proceed",
    "max_bid_amount_usd": 18200,
    "is_highest_bid": True,
    "current_max_bid_usd": 18200,
    "amounts": {"purchase_price_usd": None, "auction_fee_usd": None},
    "auction_date": "2026-05-12T13:30:00+09:00",
    "order_cutoff_at": "2026-05-11T00:00:00+09:00",
    "failure_reason": None,
    "cancellation_reason": None,
    "fulfillment_detail": None,
    "shipment": None,
    "created_at": "2026-05-06T09:14:27+09:00",
    "updated_at": "2026-05-06T09:14:27+09:00",
}
SEND = {
    "id": "5b0c1f2e9d7a4c3e8f6a2b1d0c9e8f7a",
    "customer_id": "ab1e7f3e8bf44259b6c293e0f00bdac7",
    "reference_id": "wd-1",
    "operation": "send",
    "state": "pending",
    "cancel_reason": None,
    "asset": {"currency": "BTC", "amount": "0.2"},
    "customer": None,
    "send": {"network": "bitcoin", "requires_confirmation_code": True},
    "created_at": "2026-03-02T10:40:01.503317+00:00",
    "submitted_at": None,
    "last_updated_at": "2026-03-02T10:40:01.503317+00:00",
}


def auto_error(status: int, code: str, **details: Any) -> tuple[int, dict[str, str], Any]:
    body = {"error": {"code": code, "message": code, "request_id": "req_0123456789abcdef01234567", "details": details}}
    return status, {}, body


@dataclass
class Seen:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Scripted:
    url: str
    script: list[Any]
    seen: list[Seen] = field(default_factory=list)

    def created(self) -> int:
        """How many requests got a 201 (orders the fake server "created")."""
        return sum(1 for answer in self.script[: len(self.seen)] if isinstance(answer, tuple) and answer[0] == 201)


@pytest.fixture
def scripted() -> Iterator[Any]:
    servers: list[ThreadingHTTPServer] = []

    def start(*script: Any) -> Scripted:
        port = free_port()
        state = Scripted(f"http://127.0.0.1:{port}", list(script))
        lock = threading.Lock()

        class Handler(BaseHTTPRequestHandler):
            def handle_any(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                with lock:
                    state.seen.append(Seen(self.command, self.path, dict(self.headers.items()), body))
                    answer = state.script[len(state.seen) - 1]
                if answer == DROP:
                    self.close_connection = True
                    return  # no status line: the client sees the connection closed
                status, headers, payload = answer
                data = json.dumps(payload).encode()
                self.send_response(status)
                for name, value in {"Content-Type": "application/json", **headers}.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_DELETE = do_PATCH = handle_any

            def log_message(self, *args: Any) -> None:
                pass

        httpd = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        servers.append(httpd)
        threading.Thread(target=httpd.serve_forever, daemon=True).start()
        return state

    yield start
    for httpd in servers:
        httpd.shutdown()
        httpd.server_close()


def keys_of(seen: list[Seen]) -> set[str]:
    return {s.headers["Idempotency-Key"] for s in seen}


def test_dropped_connection_then_503_then_201_is_one_order_under_one_key(scripted: Any) -> None:
    server = scripted(DROP, (503, {}, {"error": {"code": "internal_error"}}), (201, {}, ORDER))
    with AutoClient("lmn_stg_" + "x" * 28, server.url, retry=RETRY) as client:
        order = client.place_order("glovis-20260512-0418", 18200)
    assert order.id == ORDER["id"]
    assert [s.method for s in server.seen] == ["POST", "POST", "POST"]
    assert len(keys_of(server.seen)) == 1  # one key on every try
    assert {json.loads(s.body)["vehicle_id"] for s in server.seen} == {"glovis-20260512-0418"}
    assert server.created() == 1


def test_the_async_client_retries_alike(scripted: Any) -> None:
    server = scripted(
        DROP, (502, {}, {}), (429, {"Retry-After": "0"}, auto_error(429, "rate_limited")[2]), (200, {}, ORDER)
    )

    async def cancel() -> Any:
        async with AsyncAutoClient("lmn_stg_" + "x" * 28, server.url, retry=RETRY) as client:
            return await client.cancel_order(ORDER["id"], idempotency_key="8d6a3c1e-3f0e-4a55-9b3c-2f1d0e9c8b7a")

    assert asyncio.run(cancel()).id == ORDER["id"]
    assert keys_of(server.seen) == {"8d6a3c1e-3f0e-4a55-9b3c-2f1d0e9c8b7a"}
    assert len(server.seen) == 4


def test_idempotency_key_in_use_is_retried_after_retry_after(scripted: Any) -> None:
    server = scripted(auto_error(409, "idempotency_key_in_use"), (200, {}, ORDER))
    server.script[0] = (409, {"Retry-After": "0"}, server.script[0][2])
    with AutoClient("lmn_stg_" + "x" * 28, server.url, retry=RETRY) as client:
        assert client.place_order("glovis-20260512-0418", 18200).id == ORDER["id"]
    assert len(server.seen) == 2 and len(keys_of(server.seen)) == 1


@pytest.mark.parametrize(
    ("answer", "error"),
    [
        (auto_error(422, "idempotency_key_reused", original_vehicle_id="sk-1"), IdempotencyKeyReused),
        (auto_error(400, "validation_error", issues=[]), ValidationError),
    ],
)
def test_other_4xx_are_never_retried(scripted: Any, answer: Any, error: type[Exception]) -> None:
    server = scripted(answer, (201, {}, ORDER))
    with AutoClient("lmn_stg_" + "x" * 28, server.url, retry=RETRY) as client, pytest.raises(error) as raised:
        client.place_order("glovis-20260512-0418", 18200)
    assert len(server.seen) == 1
    assert raised.value.status == answer[0]  # type: ignore[attr-defined]
    assert raised.value.request_id == "req_0123456789abcdef01234567"  # type: ignore[attr-defined]


def test_retries_stop_after_max_attempts(scripted: Any) -> None:
    server = scripted(*[auto_error(500, "internal_error")] * 5)
    with AutoClient("lmn_stg_" + "x" * 28, server.url, retry=RETRY) as client, pytest.raises(InternalError):
        client.get_order(ORDER["id"])
    assert len(server.seen) == RETRY.max_attempts


def test_nothing_listening_is_a_connection_error() -> None:
    url = f"http://127.0.0.1:{free_port()}"
    with AutoClient("lmn_stg_" + "x" * 28, url, retry=RETRY) as client, pytest.raises(APIConnectionError):
        client.get_order(ORDER["id"])


def test_retry_after_is_honoured_and_backoff_is_capped() -> None:
    policy = RetryPolicy(base_delay=0.5, max_delay=2.0, max_retry_after=30.0)
    assert policy.delay(1, 7.0) == 7.0
    assert policy.delay(1, 90.0) == 30.0
    assert all(0.0 <= policy.delay(n, None) <= min(2.0, 0.5 * 2 ** (n - 1)) for n in range(1, 10) for _ in range(20))


def private_key() -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


def test_a_replayed_crypto_create_answers_the_first_order(scripted: Any) -> None:
    """The first try went through but its answer was lost; the retry is refused as a reused
    reference_id, so the SDK returns the order the first try made (spec crypto 8.17)."""
    refused = {"error_code": "reference_id_already_used", "error_msg": "used", "request_id": "e" * 32}
    server = scripted(DROP, (409, {}, refused), (200, {}, {"orders": [SEND], "total": 1}))
    with CryptoClient("a" * 32, private_key(), server.url, retry=RETRY) as client:
        order = client.create_order(SEND["customer_id"], "send", "BTC", "0.2", destination={"value": "x"})
    assert order.id == SEND["id"]
    posts = [json.loads(s.body) for s in server.seen if s.method == "POST"]
    assert len(posts) == 2 and posts[0] == posts[1] and posts[0]["reference_id"].startswith("sdk-")
    lookup = server.seen[2]
    assert lookup.method == "GET" and f"reference_id={posts[0]['reference_id']}" in lookup.path
    tokens = {s.headers["Authorization"] for s in server.seen}
    assert all(t.startswith("Bearer ") for t in tokens)


def test_a_crypto_reference_id_reused_on_the_first_try_is_raised(scripted: Any) -> None:
    refused = {"error_code": "reference_id_already_used", "error_msg": "used", "request_id": "e" * 32}
    server = scripted((409, {}, refused))
    client = CryptoClient("a" * 32, private_key(), server.url, retry=RETRY)
    with client, pytest.raises(ReferenceIdAlreadyUsed) as raised:
        client.create_order(SEND["customer_id"], "send", "BTC", "0.2", reference_id="wd-1")
    assert raised.value.status == 409
    assert len(server.seen) == 1


def test_resend_code_is_not_repeated_after_an_ambiguous_failure(scripted: Any) -> None:
    server = scripted(DROP, (200, {}, SEND))
    client = CryptoClient("a" * 32, private_key(), server.url, retry=RETRY)
    with client, pytest.raises(APIConnectionError):
        client.resend_code(SEND["customer_id"], SEND["id"])
    assert len(server.seen) == 1


def test_the_transport_waits_what_retry_after_says(scripted: Any) -> None:
    limited = auto_error(429, "rate_limited")
    server = scripted((429, {"Retry-After": "3"}, limited[2]), (200, {}, ORDER))
    waited: list[float] = []
    transport = SyncTransport(server.url, lambda: {"x-api-key": "k"}, retry=RETRY, sleep=waited.append)
    call = AutoCalls.order(ORDER["id"])
    assert transport.send(call).id == ORDER["id"]
    assert waited == [3.0] and len(server.seen) == 2
    transport.close()
