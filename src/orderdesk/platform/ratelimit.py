"""Per-key token buckets (GCRA: one stored number per key, the bucket's "theoretical
arrival time"). In process memory by default, in Redis when ORDERDESK_REDIS_URL is set so
that every process shares the counts.

Why not the `limits` library: it offers fixed, moving and sliding windows, but the contract
is a token bucket refilled continuously, with Retry-After = time until the next token.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Protocol

from orderdesk.settings import RateLimit


@dataclass(frozen=True)
class Quota:
    """What one `take` found: refused (`retry_after` seconds until a token) or allowed, with the
    tokens left and the whole seconds until the bucket is full again."""

    limit: RateLimit
    retry_after: int | None
    remaining: int
    reset: int

    def headers(self, policy: str) -> dict[str, str]:
        """The IETF fields (draft-ietf-httpapi-ratelimit-headers): the policy, then the quota now."""
        window = math.ceil(self.limit.period)
        return {
            "RateLimit-Policy": f'"{policy}";q={self.limit.capacity};w={window}',
            "RateLimit": f'"{policy}";r={self.remaining};t={self.reset}',
        }


class RateLimiter(Protocol):
    async def take(self, key: str, limit: RateLimit, now: float) -> Quota:
        """Take one token if there is one; say what is left either way."""
        ...

    async def hit(self, key: str, limit: RateLimit, now: float) -> int | None:
        """`take`, answering only the seconds to wait (None when allowed)."""
        ...

    async def close(self) -> None: ...


def _retry_after(seconds: float) -> int:
    return max(1, math.ceil(seconds - 1e-9))


def _quota(limit: RateLimit, tat: float, now: float, wait: float | None) -> Quota:
    """`tat` is the bucket's theoretical arrival time after this request (GCRA)."""
    ahead = max(0.0, tat - now)
    remaining = max(0, math.floor((limit.period - ahead) / limit.seconds_per_token + 1e-9))
    reset = math.ceil(ahead - 1e-9) if ahead > 1e-9 else 0
    return Quota(limit, None if wait is None else _retry_after(wait), remaining, reset)


async def hit(limiter: RateLimiter, key: str, limit: RateLimit, now: float) -> int | None:
    """Take one token. None when allowed, else whole seconds (>= 1) until a token."""
    return (await limiter.take(key, limit, now)).retry_after


class MemoryRateLimiter:
    def __init__(self) -> None:
        self._tat: dict[str, float] = {}

    async def take(self, key: str, limit: RateLimit, now: float) -> Quota:
        interval = limit.seconds_per_token
        tat = max(self._tat.get(key, now), now)
        new_tat = tat + interval
        wait = new_tat - now - limit.period
        if wait > 1e-9:
            return _quota(limit, tat, now, wait)
        self._tat[key] = new_tat
        if len(self._tat) > 100_000:  # forget buckets that are full again
            self._tat = {k: v for k, v in self._tat.items() if v > now}
        return _quota(limit, new_tat, now, None)

    async def hit(self, key: str, limit: RateLimit, now: float) -> int | None:
        return await hit(self, key, limit, now)

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
-- tostring() keeps 14 significant digits, which rounds a Unix time's fraction: keep microseconds.
if wait > 0.000001 then return {'0', tostring(wait), string.format('%.6f', tat)} end
redis.call('SET', KEYS[1], string.format('%.6f', new_tat), 'PX', math.ceil(period * 1000) + 1000)
return {'1', '0', string.format('%.6f', new_tat)}
"""


class RedisRateLimiter:
    def __init__(self, url: str) -> None:
        import redis.asyncio as redis

        self._redis = redis.from_url(url)
        self._script = self._redis.register_script(_GCRA_LUA)

    async def take(self, key: str, limit: RateLimit, now: float) -> Quota:
        allowed, wait, tat = await self._script(
            keys=[f"orderdesk:rl:{key}"], args=[repr(now), repr(limit.seconds_per_token), repr(limit.period)]
        )
        return _quota(limit, float(tat), now, None if allowed == b"1" else float(wait))

    async def hit(self, key: str, limit: RateLimit, now: float) -> int | None:
        return await hit(self, key, limit, now)

    async def close(self) -> None:
        await self._redis.aclose()


def make_rate_limiter(redis_url: str | None) -> RateLimiter:
    return RedisRateLimiter(redis_url) if redis_url else MemoryRateLimiter()
