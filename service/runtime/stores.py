"""Where the state requests share lives, chosen once in the lifespan: this process (the default), or Redis
when `CITEQA_REDIS_URL` is set, so that replicas share conversations and rate-limit buckets."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..settings import Settings
from .conversations import Conversations, ConversationStore
from .ratelimit import RateLimits

if TYPE_CHECKING:
    from .shared_state import SharedRedis


async def open_stores(settings: Settings, rate: RateLimits) -> tuple[ConversationStore, SharedRedis | None]:
    """The conversation store, and the Redis both stores use (None: none configured); `rate` is pointed at the
    same place. Redis away at start is not fatal: the service starts without it, and `/readyz` says so."""
    bounds = (
        settings.max_conversations,
        settings.conversation_ttl_s,
        settings.conversation_turns,
        settings.max_question_chars,
        settings.conversation_max_bytes,
    )
    if not settings.redis_url:
        rate.use(None)
        return Conversations(*bounds), None
    # Imported only here: one process on its own needs no Redis client.
    from .redis_conversations import RedisConversations
    from .redis_ratelimit import RedisLimiter
    from .shared_state import SharedRedis

    shared = SharedRedis.connect(settings)
    await shared.ping()  # logs once if Redis is away
    rate.use(RedisLimiter(shared, rate.local))
    return RedisConversations(shared, *bounds), shared


async def close_stores(shared: SharedRedis | None, rate: RateLimits) -> None:
    rate.use(None)
    if shared is not None:
        await shared.close()
