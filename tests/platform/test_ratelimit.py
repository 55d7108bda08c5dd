"""Token buckets: capacity N, refilled continuously at N per period."""

from __future__ import annotations

import asyncio
import uuid

import pytest

from orderdesk.platform.ratelimit import MemoryRateLimiter, RateLimiter, RedisRateLimiter
from orderdesk.settings import RateLimit

REDIS_URL = "redis://127.0.0.1:6379/0"


@pytest.fixture(params=["memory", "redis"])
async def limiter(request: pytest.FixtureRequest):
    if request.param == "memory":
        yield MemoryRateLimiter()
        return
    redis_limiter = RedisRateLimiter(REDIS_URL)
    try:
        await asyncio.wait_for(redis_limiter._redis.ping(), 2)
    except Exception as exc:  # pragma: no cover - depends on the machine
        await redis_limiter.close()
        pytest.skip(f"Redis not reachable at {REDIS_URL}: {exc}")
    yield redis_limiter
    await redis_limiter.close()


async def test_burst_of_capacity_then_limited(limiter: RateLimiter) -> None:
    key, limit, now = uuid.uuid4().hex, RateLimit(5, 1.0), 1000.0
    assert [await limiter.hit(key, limit, now) for _ in range(5)] == [None] * 5
    assert await limiter.hit(key, limit, now) == 1


async def test_retry_after_is_time_until_next_token(limiter: RateLimiter) -> None:
    key, limit, now = uuid.uuid4().hex, RateLimit(3, 60.0), 5000.0
    for _ in range(3):
        assert await limiter.hit(key, limit, now) is None
    assert await limiter.hit(key, limit, now) == 20  # one token per 20 s
    assert await limiter.hit(key, limit, now + 5) == 15
    assert await limiter.hit(key, limit, now + 20) is None  # a token came back
    assert await limiter.hit(key, limit, now + 20) == 20


async def test_continuous_refill_and_keys_are_independent(limiter: RateLimiter) -> None:
    a, b, limit, now = uuid.uuid4().hex, uuid.uuid4().hex, RateLimit(2, 1.0), 100.0
    assert await limiter.hit(a, limit, now) is None
    assert await limiter.hit(a, limit, now) is None
    assert await limiter.hit(a, limit, now) is not None
    assert await limiter.hit(b, limit, now) is None
    assert await limiter.hit(a, limit, now + 0.5) is None
    # a long pause refills to capacity, never beyond it
    for _ in range(2):
        assert await limiter.hit(a, limit, now + 100) is None
    assert await limiter.hit(a, limit, now + 100) is not None


async def test_full_burst_at_a_real_unix_time(limiter: RateLimiter) -> None:
    # A Unix time with microseconds needs 16 significant digits; rounding the stored bucket
    # state would refuse the last token of a burst.
    key, limit, now = uuid.uuid4().hex, RateLimit(2, 60.0), 1778026467.123456
    assert [await limiter.hit(key, limit, now) for _ in range(3)] == [None, None, 30]


async def test_take_says_what_is_left(limiter: RateLimiter) -> None:
    key, limit, now = uuid.uuid4().hex, RateLimit(3, 60.0), 1_700_000_000.25
    first = await limiter.take(key, limit, now)
    assert (first.retry_after, first.remaining, first.reset) == (None, 2, 20)
    assert first.headers("auto") == {"RateLimit-Policy": '"auto";q=3;w=60', "RateLimit": '"auto";r=2;t=20'}
    await limiter.take(key, limit, now)
    third = await limiter.take(key, limit, now + 10)
    assert (third.retry_after, third.remaining, third.reset) == (None, 0, 50)
    refused = await limiter.take(key, limit, now + 10)
    assert (refused.retry_after, refused.remaining, refused.reset) == (10, 0, 50)
    later = await limiter.take(key, limit, now + 60)
    assert (later.retry_after, later.remaining, later.reset) == (None, 2, 20)  # full again, one taken
