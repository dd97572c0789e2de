"""Rate limits: a token bucket per caller, in the process or shared by every replica through Redis.

A caller is a key (by name: its own `rate_limit_per_min`, else the service's) or, with no key, an address. A
bucket holds `burst` requests (the service's `rate_limit_burst`, at most a minute's worth of the caller's
rate) and refills at the caller's rate. Every limited response says where the caller stands, in the IETF
draft's separate fields (draft-ietf-httpapi-ratelimit-headers, the form most clients read):

    RateLimit-Limit: 100       the bucket's size: requests that may be sent at once
    RateLimit-Remaining: 42    requests left in it now
    RateLimit-Reset: 35        seconds until it is full again

and a 429 adds `Retry-After`, the seconds until the next request is allowed.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from dataclasses import dataclass
from typing import Protocol

from cachetools import TTLCache
from redis.asyncio import Redis

from .shared_state import SharedRedis, Unavailable

log = logging.getLogger("citeqa.ratelimit")


@dataclass(frozen=True)
class Decision:
    allowed: bool
    limit: int
    remaining: int
    reset_s: int  # until the bucket is full
    retry_after_s: int  # until one request is allowed (0 when one is)

    def headers(self) -> list[tuple[bytes, bytes]]:
        out = [
            (b"ratelimit-limit", str(self.limit).encode()),
            (b"ratelimit-remaining", str(self.remaining).encode()),
            (b"ratelimit-reset", str(self.reset_s).encode()),
        ]
        if not self.allowed:
            out.append((b"retry-after", str(self.retry_after_s).encode()))
        return out


def burst_for(per_min: int, burst: int) -> int:
    """A bucket never holds more than a minute of its rate, so a slow key's limit means what it says."""
    return max(1, min(burst, per_min))


def decide(tokens: float, allowed: bool, rate_per_s: float, burst: int) -> Decision:
    """What a bucket holding `tokens` (after this request's take, if allowed) tells the caller."""
    return Decision(
        allowed,
        burst,
        max(0, math.floor(tokens)),
        math.ceil(max(0.0, burst - tokens) / rate_per_s),
        0 if allowed else max(1, math.ceil((1 - tokens) / rate_per_s)),
    )


class Limiter(Protocol):
    async def take(self, bucket: str, per_min: int, burst: int) -> Decision:
        """One request from `bucket`, at `per_min` a minute with bursts of `burst` (per_min > 0)."""
        ...


class LocalLimiter:
    """Buckets in this process, in a bounded TTL cache: a flood of new callers costs bounded memory, and a bucket
    forgotten after a quiet minute would have refilled anyway (a bucket is at most a minute's worth)."""

    def __init__(self, callers: int = 10000) -> None:
        self._buckets: TTLCache[str, tuple[float, float]] = TTLCache(callers, ttl=60.0, timer=time.monotonic)
        self._lock = threading.Lock()

    async def take(self, bucket: str, per_min: int, burst: int) -> Decision:
        return self.take_now(bucket, per_min, burst)

    def take_now(self, bucket: str, per_min: int, burst: int) -> Decision:
        rate, burst = per_min / 60.0, burst_for(per_min, burst)
        now = time.monotonic()
        with self._lock:
            tokens, then = self._buckets.get(bucket, (float(burst), now))
            tokens = min(float(burst), tokens + (now - then) * rate)
            allowed = tokens >= 1
            if allowed:
                tokens -= 1
            self._buckets[bucket] = (tokens, now)
        return decide(tokens, allowed, rate, burst)


# Atomic in Redis: read, refill, take and write back in one script, on Redis's clock (replicas' clocks may
# differ). The key lives until the bucket would be full again: an absent key is a full bucket.
_TAKE = """
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local b = redis.call('HMGET', KEYS[1], 'tokens', 'ts')
local tokens = tonumber(b[1])
local ts = tonumber(b[2])
if tokens == nil or ts == nil then
  tokens = burst
  ts = now
end
tokens = math.min(burst, tokens + math.max(0, now - ts) * rate)
local allowed = 0
if tokens >= 1 then
  tokens = tokens - 1
  allowed = 1
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'ts', tostring(now))
redis.call('PEXPIRE', KEYS[1], math.ceil((burst - tokens) / rate * 1000) + 1000)
return {allowed, tostring(tokens)}
"""


class RedisLimiter:
    """Buckets in Redis, so a key's allowance is one across replicas; the in-process limiter while Redis is away."""

    def __init__(self, shared: SharedRedis, fallback: LocalLimiter) -> None:
        self._shared = shared
        self._fallback = fallback
        self._script = shared.client.register_script(_TAKE)

    async def take(self, bucket: str, per_min: int, burst: int) -> Decision:
        rate, burst = per_min / 60.0, burst_for(per_min, burst)
        key = self._shared.key("rate", bucket)

        async def command(_: Redis) -> list[bytes]:
            result: list[bytes] = await self._script(keys=[key], args=[repr(rate), burst])
            return result

        try:
            allowed, tokens = await self._shared.run(command)
        except Unavailable:
            return self._fallback.take_now(bucket, per_min, burst)
        return decide(float(tokens), bool(int(allowed)), rate, burst)


class RateLimits:
    """The app's rate limiting: the in-process limiter until the lifespan shares it through Redis."""

    def __init__(self) -> None:
        self.local = LocalLimiter()
        self.limiter: Limiter = self.local

    def share(self, shared: SharedRedis | None) -> None:
        self.limiter = RedisLimiter(shared, self.local) if shared is not None else self.local

    async def take(self, bucket: str, per_min: int, burst: int) -> Decision:
        return await self.limiter.take(bucket, per_min, burst)
