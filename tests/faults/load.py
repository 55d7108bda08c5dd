"""Load for the fault tests, from threads with blocking clients (the server is a real process):
auto orders with unique Idempotency-Keys, crypto buy + confirm with unique reference_ids. Every
attempt is recorded with what the server answered, or that nothing came back."""

from __future__ import annotations

import itertools
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

import httpx
import jwt

from tests.auto.conftest import PALISADE
from tests.conftest import OPS_HEADERS
from tests.crypto.conftest import ANA, rsa_key

SOCKET_ERRORS = (httpx.TransportError,)


@dataclass
class Attempt:
    kind: str  # "auto.order" | "crypto.order" | "crypto.confirm"
    partner: int
    body: dict[str, Any]
    key: str  # Idempotency-Key, or the crypto reference_id
    status: int | None = None  # None: no answer (connection refused or cut)
    answer: dict[str, Any] | None = None
    error: str | None = None
    path: str = ""

    @property
    def acknowledged(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


def assert_envelope(response: httpx.Response) -> None:
    """A fault answer is the product's envelope, never a framework body or a stack trace."""
    assert response.headers.get("content-type") == "application/json", response.text[:300]
    body = response.json()
    if response.url.path.startswith("/crypto"):
        assert set(body) == {"error_code", "error_msg", "request_id"}, body
    else:
        assert set(body) == {"error"} and set(body["error"]) == {"code", "message", "request_id", "details"}, body


# --------------------------------------------------------------------------- the world the load runs in


@dataclass
class World:
    base_url: str
    auto_keys: list[str]
    auto_ids: list[str]
    vehicles: list[str]
    crypto: list[tuple[str, str, str]]  # (api_key, private_pem, customer_id)
    pairs: Iterator[tuple[int, str]] = field(init=False)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self.pairs = iter([(p, v) for v in self.vehicles for p in range(len(self.auto_keys))])

    def next_pair(self) -> tuple[int, str] | None:
        with self.lock:
            return next(self.pairs, None)


def build_world(base_url: str, partners: int = 8, vehicles: int = 150, crypto_partners: int = 2) -> World:
    with httpx.Client(base_url=base_url, headers=OPS_HEADERS, timeout=60) as ops:
        auto = [ops.post("/ops/v1/auto/partners", json={"name": f"Partner {i}"}).json() for i in range(partners)]
        names = [f"glovis-{uuid.uuid4().hex[:12]}" for _ in range(vehicles)]
        for name in names:
            created = ops.put(f"/ops/v1/auto/vehicles/{name}", json=auction_car())
            assert created.status_code == 201, created.text
        crypto = []
        for i in range(crypto_partners):
            private, public = rsa_key(i)
            created = ops.post("/ops/v1/crypto/partners", json={"name": f"Banco {i}", "public_key_pem": public}).json()
            client = CryptoClient(base_url, created["api_key"], private)
            customer = client.call("POST", "/customers", json={**ANA, "reference_id": f"cust-{i}"}).json()
            crypto.append((created["api_key"], private, customer["id"]))
    return World(base_url, [p["api_key"] for p in auto], [p["id"] for p in auto], names, crypto)


def auction_car() -> dict[str, Any]:
    """An auction car a week ahead of the real clock (the server runs on wall time here)."""
    kst = datetime.now(timezone(timedelta(hours=9))) + timedelta(days=7)
    return {**PALISADE, "auction_date": kst.replace(microsecond=0).isoformat(), "vin": None, "license_plate": None}


class CryptoClient:
    def __init__(self, base_url: str, api_key: str, private_pem: str, client: httpx.Client | None = None) -> None:
        self.base_url = base_url + "/crypto/v1"
        self.api_key = api_key
        self.private_pem = private_pem
        self.client = client or httpx.Client(timeout=30)
        self._token: tuple[int, str] = (0, "")

    def token(self) -> str:
        now = int(time.time())
        if now - self._token[0] > 60:
            self._token = (now, jwt.encode({"iss": self.api_key, "iat": now}, self.private_pem, algorithm="RS512"))
        return self._token[1]

    def call(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        headers = {"Authorization": f"Bearer {self.token()}"}
        return self.client.request(method, self.base_url + path, headers=headers, **kwargs)


# --------------------------------------------------------------------------- writers


def record(attempt: Attempt, send: Callable[..., httpx.Response], *args: Any, **kwargs: Any) -> Attempt:
    try:
        response = send(*args, **kwargs)
    except SOCKET_ERRORS as exc:
        attempt.error = type(exc).__name__
        return attempt
    attempt.status = response.status_code
    try:
        attempt.answer = response.json() if response.content else None
        if response.status_code >= 400:
            assert_envelope(response)
    except (ValueError, AssertionError):  # not JSON, or not the envelope: the test reports it
        attempt.error = "bad_body: " + response.text[:300]
        attempt.status = None
    return attempt


def auto_writer(world: World, stop: threading.Event, out: list[Attempt]) -> None:
    with httpx.Client(base_url=world.base_url, timeout=30) as client:
        while not stop.is_set():
            pair = world.next_pair()
            if pair is None:
                return
            partner, vehicle = pair
            body = {"vehicle_id": vehicle, "max_bid_amount_usd": 18000 + partner}
            attempt = Attempt("auto.order", partner, body, str(uuid.uuid4()), path="/auto/v1/orders")
            headers = {"x-api-key": world.auto_keys[partner], "Idempotency-Key": attempt.key}
            out.append(record(attempt, client.post, "/auto/v1/orders", json=body, headers=headers))
            if attempt.status is None:
                time.sleep(0.05)


BUY = {"operation": "buy", "asset": {"currency": "BTC"}, "buy": {"settlement": {"amount": "100.00"}}}


def crypto_writer(world: World, index: int, stop: threading.Event, out: list[Attempt]) -> None:
    api_key, private, customer_id = world.crypto[index % len(world.crypto)]
    with httpx.Client(timeout=30) as http:
        client = CryptoClient(world.base_url, api_key, private, http)
        orders = f"/customers/{customer_id}/orders"
        while not stop.is_set():
            body = {**BUY, "reference_id": f"ref-{uuid.uuid4().hex}"}
            created = record(
                Attempt("crypto.order", index, body, body["reference_id"], path=orders),
                client.call,
                "POST",
                orders,
                json=body,
            )
            out.append(created)
            if created.status != 201 or created.answer is None:
                if created.status is None:
                    time.sleep(0.05)
                continue
            path = f"{orders}/{created.answer['id']}/confirm"
            confirm = Attempt("crypto.confirm", index, {}, created.answer["id"], path=path)
            out.append(record(confirm, client.call, "POST", path))


def run_load(
    world: World,
    seconds: float,
    *,
    auto_threads: int = 6,
    crypto_threads: int = 4,
    stop_early: Callable[[], None] | None = None,
) -> list[Attempt]:
    """Run the writers for `seconds` (calling `stop_early` meanwhile, e.g. to kill the server)."""
    stop = threading.Event()
    out: list[Attempt] = []
    threads = [threading.Thread(target=auto_writer, args=(world, stop, out)) for _ in range(auto_threads)]
    threads += [threading.Thread(target=crypto_writer, args=(world, i, stop, out)) for i in range(crypto_threads)]
    for thread in threads:
        thread.start()
    if stop_early is not None:
        stop_early()
    time.sleep(max(0.0, seconds))
    stop.set()
    for thread in threads:
        thread.join(60)
    return out


def counts(attempts: list[Attempt]) -> dict[str, int]:
    by = itertools.groupby(sorted(attempts, key=lambda a: a.kind), key=lambda a: a.kind)
    return {kind: sum(1 for a in group if a.acknowledged) for kind, group in by}
