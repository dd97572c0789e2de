"""The rate limit's buckets in Redis, so a key's allowance is one across replicas (`ratelimit.py` says what a
bucket is and what the caller is told)."""

from __future__ import annotations

from redis.asyncio import Redis

from .ratelimit import Decision, LocalLimiter, burst_for, decide
from .shared_state import SharedRedis, Unavailable

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
