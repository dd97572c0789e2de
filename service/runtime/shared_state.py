"""The state replicas share through Redis (`CITEQA_REDIS_URL`), and what happens while Redis is away.

One connection pool per process, bounded like the server's own connections, every command bounded by
`CITEQA_REDIS_TIMEOUT_S` and never retried: a request that cannot reach Redis at once does without it
(`Unavailable`), rather than wait. After a failure Redis is left alone for `RETRY_S`, then one request tries
it again; so a dead Redis costs one timeout every few seconds, not one per request. The log says so once
when Redis goes away and once when it is back.

The stores on top (`redis_conversations`, `redis_ratelimit`) use standalone Redis (or a Sentinel-fronted primary),
not Redis Cluster: their scripts touch keys of one store together.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import RedisError

from ..settings import Settings

log = logging.getLogger("citeqa.shared")
T = TypeVar("T")
RETRY_S = 5.0
# What /readyz says of the shared state: "local" (conversations.LOCAL: nothing shared), "redis" or "unavailable".
SHARED, UNAVAILABLE = "redis", "unavailable"


class Unavailable(Exception):
    """Redis did not answer (or is being left alone after it did not); the caller does without it."""


class SharedRedis:
    def __init__(self, client: Redis, prefix: str) -> None:
        self.client = client
        self.prefix = prefix
        self._down_since: float | None = None
        self._retry_at = 0.0
        self._lock = threading.Lock()

    @classmethod
    def connect(cls, settings: Settings) -> SharedRedis:
        """A client for `settings.redis_url`; no connection is made until the first command."""
        assert settings.redis_url
        client = Redis.from_url(
            settings.redis_url,
            socket_timeout=settings.redis_timeout_s,
            socket_connect_timeout=settings.redis_timeout_s,
            retry=Retry(NoBackoff(), 0),
            max_connections=settings.max_connections,
        )
        return cls(client, settings.redis_prefix)

    def key(self, *parts: str) -> str:
        return ":".join((self.prefix, *parts))

    @property
    def state(self) -> str:
        return UNAVAILABLE if self._down_since is not None else SHARED

    async def run(self, command: Callable[[Redis], Awaitable[T]]) -> T:
        """`command` on Redis, or `Unavailable` at once while Redis is away (one caller probes it every RETRY_S)."""
        with self._lock:
            if self._down_since is not None:
                now = time.monotonic()
                if now < self._retry_at:
                    raise Unavailable
                self._retry_at = now + RETRY_S  # this caller is the probe; the others keep doing without
        try:
            result = await command(self.client)
        except (RedisError, OSError) as exc:
            self._went_away(exc)
            raise Unavailable from exc
        self._answered()
        return result

    async def ping(self) -> str:
        """The state after trying Redis (within the same rules as any command)."""
        try:
            await self.run(lambda r: r.ping())
        except Unavailable:
            pass
        return self.state

    async def close(self) -> None:
        await self.client.aclose()

    def _went_away(self, exc: Exception) -> None:
        with self._lock:
            first = self._down_since is None
            if first:
                self._down_since = time.monotonic()
            self._retry_at = time.monotonic() + RETRY_S
        if first:
            # The error names host and port at most; the URL (which may hold a password) is never logged.
            log.warning(
                json.dumps(
                    {
                        "event": "shared_state_unavailable",
                        "error": f"{type(exc).__name__}: {exc}",
                        "meanwhile": "conversations are single turns; rate limits are per replica",
                    }
                )
            )

    def _answered(self) -> None:
        with self._lock:
            since, self._down_since = self._down_since, None
        if since is not None:
            log.warning(
                json.dumps({"event": "shared_state_back", "after_s": round(time.monotonic() - since, 1)})
            )
