"""Outbound webhook HTTP: one POST attempt with a hard time limit, no redirects.

Products sign the request (auto: HMAC; crypto: JWT) and decide what an outcome means.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime, timedelta

import httpx

USER_AGENT = "orderdesk-webhooks/1"


@dataclass(frozen=True)
class AttemptResult:
    status_code: int | None  # None when nothing answered (timeout, connection or TLS error)
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def make_client() -> httpx.AsyncClient:
    limits = httpx.Limits(max_connections=100, max_keepalive_connections=100)
    return httpx.AsyncClient(follow_redirects=False, limits=limits, timeout=None, trust_env=False,
                             headers={"User-Agent": USER_AGENT})


async def post(
    client: httpx.AsyncClient, url: str, body: bytes, headers: dict[str, str], timeout: float,
) -> AttemptResult:
    """POST `body` to `url`; `timeout` bounds the whole exchange, connect to last byte."""
    try:
        async with asyncio.timeout(timeout):
            response = await client.post(url, content=body, headers={
                "Content-Type": "application/json", "User-Agent": USER_AGENT, **headers})
            await response.aread()
        return AttemptResult(response.status_code)
    except TimeoutError:
        return AttemptResult(None, "timeout")
    except httpx.HTTPError as exc:
        return AttemptResult(None, f"{type(exc).__name__}: {exc}"[:500])


def next_attempt_at(schedule: tuple[float, ...], attempts_made: int, failed_at: datetime) -> datetime | None:
    """When to try again after `attempts_made` failed attempts; None when the schedule is spent."""
    if attempts_made - 1 >= len(schedule):
        return None
    return failed_at + timedelta(seconds=schedule[attempts_made - 1])
