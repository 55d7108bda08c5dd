"""Per-key token buckets (GCRA: one stored number per key, the bucket's "theoretical
arrival time"). In process memory by default, in Redis when ORDERDESK_REDIS_URL is set so
that every process shares the counts.

Why not the `limits` library: it offers fixed, moving and sliding windows, but the contract
is a token bucket refilled continuously, with Retry-After = time until the next token.
"""

from __future__ import annotations

import contextlib
import math
import time
from typing import Protocol

import structlog
from redis.exceptions import RedisError

from orderdesk.platform import metrics
from orderdesk.settings import RateLimit

log = structlog.get_logger("orderdesk.ratelimit")

#: Redis answers a rate-limit check within this many seconds or is treated as away.
REDIS_TIMEOUT = 0.25
#: After a failure, how long the process counts on its own before trying Redis again.
REDIS_RETRY = 1.0


class RateLimiter(Protocol):
    async def hit(self, key: str, limit: RateLimit, now: float) -> int | None:
        """Take one token. None when allowed, else whole seconds (>= 1) until a token."""
        ...

    async def close(self) -> None: ...


def _retry_after(seconds: float) -> int:
    return max(1, math.ceil(seconds - 1e-9))


class MemoryRateLimiter:
    def __init__(self) -> None:
        self._tat: dict[str, float] = {}

    async def hit(self, key: str, limit: RateLimit, now: float) -> int | None:
        interval = limit.seconds_per_token
        tat = max(self._tat.get(key, now), now)
        new_tat = tat + interval
        wait = new_tat - now - limit.period
        if wait > 1e-9:
            return _retry_after(wait)
        self._tat[key] = new_tat
        if len(self._tat) > 100_000:  # forget buckets that are full again
            self._tat = {k: v for k, v in self._tat.items() if v > now}
        return None

    async def close(self) -> None:
        return None


_GCRA_LUA = """
local tat = tonumber(redis.call('GET', KEYS[1]) or ARGV[1])
local now = tonumber(ARGV[1])
local interval = tonumber(ARGV[2])
local period = tonumber(ARGV[3])
if tat < now then tat = now end
local new_tat = tat + interval
local wait = new_tat - now - period
if wait > 0.000001 then return tostring(wait) end
-- tostring() keeps 14 significant digits, which rounds a Unix time's fraction: keep microseconds.
redis.call('SET', KEYS[1], string.format('%.6f', new_tat), 'PX', math.ceil(period * 1000) + 1000)
return false
"""


class RedisRateLimiter:
    """Shared buckets in Redis. While Redis cannot be reached the limiter fails open to this
    process's own buckets (the same limit, counted per process) rather than refusing partners
    or failing their requests: rate limiting protects the service, an outage of its counter
    store must not take the service down. Redis is tried again after REDIS_RETRY seconds;
    each fallback is counted in orderdesk_ratelimit_redis_errors_total and logged once per outage."""

    def __init__(self, url: str) -> None:
        import redis.asyncio as redis

        self._redis = redis.from_url(url, socket_connect_timeout=REDIS_TIMEOUT, socket_timeout=REDIS_TIMEOUT)
        self._script = self._redis.register_script(_GCRA_LUA)
        self._fallback = MemoryRateLimiter()
        self._down_until = 0.0

    async def hit(self, key: str, limit: RateLimit, now: float) -> int | None:
        if time.monotonic() < self._down_until:
            return await self._fallback.hit(key, limit, now)
        try:
            wait = await self._script(
                keys=[f"orderdesk:rl:{key}"], args=[repr(now), repr(limit.seconds_per_token), repr(limit.period)]
            )
        except (RedisError, OSError, TimeoutError) as exc:
            self._redis_failed(exc)
            return await self._fallback.hit(key, limit, now)
        if self._down_until:
            self._down_until = 0.0
            log.info("rate_limit_redis_back")
        return None if wait is None else _retry_after(float(wait))

    def _redis_failed(self, exc: BaseException) -> None:
        metrics.observe_ratelimit_redis_error()
        if not self._down_until:
            log.warning("rate_limit_redis_unavailable", error=f"{type(exc).__name__}: {exc}"[:300])
        self._down_until = time.monotonic() + REDIS_RETRY

    async def close(self) -> None:
        with contextlib.suppress(RedisError, OSError):
            await self._redis.aclose()


def make_rate_limiter(redis_url: str | None) -> RateLimiter:
    return RedisRateLimiter(redis_url) if redis_url else MemoryRateLimiter()
