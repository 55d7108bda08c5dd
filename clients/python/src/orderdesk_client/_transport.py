"""One request, with the retry rules shared by both products and both flavours (sync, async).

A `Call` describes a request and how to read its answer; `SyncTransport` and `AsyncTransport`
run it. Retried: connection errors, timeouts, 429 (after `Retry-After`), 5xx and auto's 409
`idempotency_key_in_use`, with capped exponential backoff and full jitter; never another 4xx.
A call whose repetition is not harmless is marked `UNSENT_ONLY`: it is retried only when the
first try cannot have been processed (no connection, 429, 5xx — the server rolls back)."""

from __future__ import annotations

import asyncio
import enum
import random
import time
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

import httpx

from orderdesk_client.errors import APIConnectionError, APIError, parse_error

T = TypeVar("T")
USER_AGENT = "orderdesk-client-python/0.1.0"
DEFAULT_TIMEOUT = 30.0


@dataclass(frozen=True)
class RetryPolicy:
    """`max_attempts` counts the first try. The n-th retry waits a random time in
    [0, min(max_delay, base_delay * 2**(n-1))], or the server's `Retry-After` when it gave one
    (at most `max_retry_after`)."""

    max_attempts: int = 4
    base_delay: float = 0.5
    max_delay: float = 8.0
    max_retry_after: float = 60.0

    def delay(self, retry: int, retry_after: float | None) -> float:
        if retry_after is not None:
            return min(retry_after, self.max_retry_after)
        return random.uniform(0.0, min(self.max_delay, self.base_delay * 2 ** (retry - 1)))


class Safety(enum.Enum):
    ALWAYS = "always"  # repeating the request is harmless (reads, Idempotency-Key, reference_id)
    UNSENT_ONLY = "unsent_only"


class NoRecovery(Exception):
    """Raised by a recovery call's parser: the lookup did not find what the retry made."""


@dataclass
class Call(Generic[T]):
    method: str
    path: str
    parse: Callable[[Any], T]
    params: Mapping[str, Any] | None = None
    json: Any = None
    files: Mapping[str, Any] | None = None
    data: Mapping[str, Any] | None = None
    headers: Mapping[str, str] = field(default_factory=dict)
    safety: Safety = Safety.ALWAYS
    authenticated: bool = True
    # After a retry of a request that may have been processed answered an error, a lookup
    # whose result is returned instead (e.g. the order made by the first try).
    recover: Callable[[APIError], Call[T] | None] | None = None


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    next: str | int | None  # the cursor (auto) or offset (crypto) of the next page; None at the end
    total: int | None = None


class _Attempts:
    """The retry decisions of one call."""

    def __init__(self, policy: RetryPolicy, safety: Safety) -> None:
        self.policy = policy
        self.safety = safety
        self.count = 0
        self.maybe_processed = False

    def after_transport_error(self, exc: httpx.TransportError) -> float | None:
        unsent = isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout | httpx.PoolTimeout)
        if not unsent and self.safety is Safety.UNSENT_ONLY:
            return None
        self.maybe_processed = self.maybe_processed or not unsent
        return self._next(None)

    def after_error(self, error: APIError) -> float | None:
        retryable = error.status == 429 or error.status >= 500 or error.code == "idempotency_key_in_use"
        if not retryable:
            return None
        if error.status >= 500 and error.status != 503:
            self.maybe_processed = True  # a gateway may have passed it on
        return self._next(error.retry_after)

    def _next(self, retry_after: float | None) -> float | None:
        if self.count >= self.policy.max_attempts:
            return None
        return self.policy.delay(self.count, retry_after)


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("retry-after")
    try:
        return max(0.0, float(value)) if value is not None else None
    except ValueError:
        return None


def _body(response: httpx.Response) -> Any:
    if response.status_code == 204 or not response.content:
        return None
    try:
        return response.json()
    except ValueError:
        return None


def _error(response: httpx.Response) -> APIError:
    return parse_error(
        response.status_code, _body(response), response.headers.get("x-request-id"), _retry_after(response)
    )


def _request_args(call: Call[Any], auth: Mapping[str, str]) -> dict[str, Any]:
    args: dict[str, Any] = {"headers": {**auth, **call.headers}}
    if call.params:
        args["params"] = {k: v for k, v in call.params.items() if v is not None}
    if call.json is not None:
        args["json"] = call.json
    if call.files is not None:
        args["files"] = call.files
        args["data"] = call.data
    return args


class SyncTransport:
    def __init__(
        self,
        base_url: str,
        auth: Callable[[], Mapping[str, str]],
        *,
        timeout: float = DEFAULT_TIMEOUT,
        retry: RetryPolicy | None = None,
        http_client: httpx.Client | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.auth = auth
        self.retry = retry or RetryPolicy()
        self.sleep = sleep
        self.http = http_client or httpx.Client(
            base_url=base_url, timeout=timeout, headers={"User-Agent": USER_AGENT}, follow_redirects=False
        )

    def _args(self, call: Call[Any]) -> dict[str, Any]:
        return _request_args(call, self.auth() if call.authenticated else {})

    def send(self, call: Call[T]) -> T:
        attempts = _Attempts(self.retry, call.safety)
        while True:
            attempts.count += 1
            try:
                response = self.http.request(call.method, call.path, **self._args(call))
            except httpx.TransportError as exc:
                delay = attempts.after_transport_error(exc)
                if delay is None:
                    raise APIConnectionError(f"{call.method} {call.path}: {exc!r}") from exc
                self.sleep(delay)
                continue
            if response.is_success:
                return call.parse(_body(response))
            error = _error(response)
            delay = attempts.after_error(error)
            if delay is not None:
                self.sleep(delay)
                continue
            follow = call.recover(error) if attempts.maybe_processed and call.recover else None
            if follow is None:
                raise error
            try:
                return self.send(follow)
            except NoRecovery:
                raise error from None

    def pages(self, make: Callable[[str | int | None], Call[Page[T]]]) -> Iterator[T]:
        token: str | int | None = None
        while True:
            page = self.send(make(token))
            yield from page.items
            if page.next is None or not page.items:
                return
            token = page.next

    def close(self) -> None:
        self.http.close()


class AsyncTransport:
    def __init__(
        self,
        base_url: str,
        auth: Callable[[], Mapping[str, str]],
        *,
        timeout: float = DEFAULT_TIMEOUT,
        retry: RetryPolicy | None = None,
        http_client: httpx.AsyncClient | None = None,
    ) -> None:
        self.auth = auth
        self.retry = retry or RetryPolicy()
        self.http = http_client or httpx.AsyncClient(
            base_url=base_url, timeout=timeout, headers={"User-Agent": USER_AGENT}, follow_redirects=False
        )

    def _args(self, call: Call[Any]) -> dict[str, Any]:
        return _request_args(call, self.auth() if call.authenticated else {})

    async def send(self, call: Call[T]) -> T:
        attempts = _Attempts(self.retry, call.safety)
        while True:
            attempts.count += 1
            try:
                response = await self.http.request(call.method, call.path, **self._args(call))
            except httpx.TransportError as exc:
                delay = attempts.after_transport_error(exc)
                if delay is None:
                    raise APIConnectionError(f"{call.method} {call.path}: {exc!r}") from exc
                await asyncio.sleep(delay)
                continue
            if response.is_success:
                return call.parse(_body(response))
            error = _error(response)
            delay = attempts.after_error(error)
            if delay is not None:
                await asyncio.sleep(delay)
                continue
            follow = call.recover(error) if attempts.maybe_processed and call.recover else None
            if follow is None:
                raise error
            try:
                return await self.send(follow)
            except NoRecovery:
                raise error from None

    async def pages(self, make: Callable[[str | int | None], Call[Page[T]]]) -> AsyncIterator[T]:
        token: str | int | None = None
        while True:
            page = await self.send(make(token))
            for item in page.items:
                yield item
            if page.next is None or not page.items:
                return
            token = page.next

    async def close(self) -> None:
        await self.http.aclose()
