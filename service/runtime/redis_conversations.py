"""`/ask` conversations in Redis, so a follow-up may reach any replica.

Bounded as the in-process store is (`conversations.Conversations`), now across every replica:

- `<prefix>:conv:<digest>`: one conversation's turns as JSON, under a digest of its owner and id (so neither a
  key digest nor a client's id is a Redis key name); it lives `conversation_ttl_s` after its last use;
- `<prefix>:conv-index`: a sorted set of those keys by last use, to drop the least recently used past
  `max_conversations`; it lives as long as its newest entry.

Each turn is cut to the question limit and each conversation to `conversation_turns` turns and
`conversation_max_bytes` bytes before it is written. Two turns of one conversation written at once from two
replicas: the later write wins (one person's conversation is sequential). While Redis is away a conversation is
a single turn: nothing is read, nothing is kept.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from typing import Any

from redis.asyncio import Redis

from reader.followups import Turn

from .conversations import Conversation, bounded
from .shared_state import SharedRedis, Unavailable

# Scores are Redis's clock in microseconds (exact in a double until the year 2255), so the order of use is the
# order of the calls. Reading touches: the time to live counts from the last use, as in memory.
_LOAD = """
local v = redis.call('GET', KEYS[1])
if v then
  local t = redis.call('TIME')
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  redis.call('ZADD', KEYS[2], 'XX', tonumber(t[1]) * 1000000 + tonumber(t[2]), KEYS[1])
  redis.call('PEXPIRE', KEYS[2], ARGV[1])
end
return v
"""
# Write, index, forget what expired, drop the least recently used past the limit: one atomic step.
_SAVE = """
local ttl = tonumber(ARGV[2])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
redis.call('SET', KEYS[1], ARGV[1], 'PX', ttl)
redis.call('ZADD', KEYS[2], now, KEYS[1])
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now - ttl * 1000)
-- At most 100 a call (a lowered limit is reached over a few writes; one DEL stays small).
local over = math.min(100, redis.call('ZCARD', KEYS[2]) - tonumber(ARGV[3]))
if over > 0 then
  local old = redis.call('ZRANGE', KEYS[2], 0, over - 1)
  redis.call('ZREMRANGEBYRANK', KEYS[2], 0, over - 1)
  redis.call('DEL', unpack(old))
end
redis.call('PEXPIRE', KEYS[2], ttl)
return over
"""


class RedisConversations:
    def __init__(
        self,
        shared: SharedRedis,
        limit: int,
        ttl_s: float,
        max_turns: int,
        max_chars: int = 2000,
        max_bytes: int = 32768,
    ) -> None:
        self._shared = shared
        self._limit = max(1, limit)
        self._ttl_ms = max(1, int(ttl_s * 1000))
        self._max_turns = max_turns
        self._max_chars = max_chars
        self._max_bytes = max_bytes
        self._index = shared.key("conv-index")
        self._load = shared.client.register_script(_LOAD)
        self._save = shared.client.register_script(_SAVE)

    @property
    def state(self) -> str:
        return self._shared.state

    def _key(self, conv: Conversation) -> str:
        return self._shared.key("conv", hashlib.sha256(f"{conv.owner}\0{conv.id}".encode()).hexdigest()[:32])

    async def begin(self, conversation_id: str | None, owner: str = "") -> Conversation:
        # An unknown or expired id starts afresh under that id, so a client's id stays stable.
        conv = Conversation(conversation_id or uuid.uuid4().hex, owner=owner)
        if not conversation_id:
            return conv
        keys = [self._key(conv), self._index]

        async def load(_: Redis) -> bytes | None:
            raw: bytes | None = await self._load(keys=keys, args=[self._ttl_ms])
            return raw

        try:
            raw = await self._shared.run(load)
        except Unavailable:
            return conv
        conv.turns = _turns(raw)[-self._max_turns :] if raw else []
        return conv

    async def keep(self, conv: Conversation, turn: Turn) -> None:
        conv.turns = bounded(conv.turns, turn, self._max_turns, self._max_chars, self._max_bytes)
        value = json.dumps([{"q": t.question, "c": t.cited} for t in conv.turns], ensure_ascii=False)
        keys = [self._key(conv), self._index]
        args: list[str | int] = [value, self._ttl_ms, self._limit]

        async def save(_: Redis) -> Any:
            return await self._save(keys=keys, args=args)

        try:
            await self._shared.run(save)
        except Unavailable:
            pass  # the answer is given all the same; the next turn will stand alone


def _turns(raw: bytes) -> list[Turn]:
    """Turns as written by `keep`; anything else (another program's value under our name) is no turns."""
    try:
        items = json.loads(raw)
    except ValueError:
        return []
    if not isinstance(items, list):
        return []
    return [
        Turn(i["q"], [c for c in i["c"] if isinstance(c, str)])
        for i in items
        if isinstance(i, dict) and isinstance(i.get("q"), str) and isinstance(i.get("c"), list)
    ]
