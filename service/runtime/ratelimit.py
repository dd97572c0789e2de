"""Rate limits: a token bucket per caller, in the process or shared by every replica through Redis
(`redis_ratelimit.py`).

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

import math
import threading
import time
from dataclasses import dataclass
from typing import Protocol

from cachetools import TTLCache


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


class RateLimits:
    """The app's rate limiting: the in-process limiter until the lifespan shares it through Redis."""

    def __init__(self) -> None:
        self.local = LocalLimiter()
        self.limiter: Limiter = self.local

    def use(self, limiter: Limiter | None) -> None:
        """The limiter requests go through from now on; None: back to the in-process one."""
        self.limiter = limiter or self.local

    async def take(self, bucket: str, per_min: int, burst: int) -> Decision:
        return await self.limiter.take(bucket, per_min, burst)
