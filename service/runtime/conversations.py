"""The turns of each `/ask` conversation, kept so a follow-up can be resolved against the turn before it
(`reader.followups`). Bounded in count and age; one conversation never sees another's turns.

Two stores behind one interface (`ConversationStore`), chosen in the lifespan: this process's memory (the
default), or Redis (`service.runtime.redis_conversations`), where every replica sees the same turns.
"""

from __future__ import annotations

import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Protocol

from cachetools import TTLCache

from reader.followups import Turn

# Where conversations and rate limits live, as /readyz says: in this process. (Redis's own states are in
# shared_state.py, which is imported only when CITEQA_REDIS_URL is set: a process on its own needs no Redis client.)
LOCAL = "local"


@dataclass
class Conversation:
    id: str
    turns: list[Turn] = field(default_factory=list)
    owner: str = ""


class ConversationStore(Protocol):
    """Where `/ask` keeps conversations."""

    @property
    def state(self) -> str:
        """What `/readyz` reports as `shared_state`: `local`, `redis` or `unavailable`."""
        ...

    async def begin(self, conversation_id: str | None, owner: str = "") -> Conversation:
        """The conversation `owner` named (its turns so far), or a new one: under that id, or a fresh id."""
        ...

    async def keep(self, conv: Conversation, turn: Turn) -> None:
        """Add a turn, within the bounds."""
        ...


def bounded(turns: list[Turn], turn: Turn, max_turns: int, max_chars: int, max_bytes: int) -> list[Turn]:
    """`turns` and the new `turn`, within the bounds: each question cut to `max_chars` and `max_bytes`, keeping
    the start (where a chain of follow-ups keeps its subject); at most `max_turns`; at most `max_bytes` of
    question text in all, oldest turns dropped first."""
    question = turn.question[:max_chars].encode()[:max_bytes].decode(errors="ignore")
    out = [*turns, Turn(question, turn.cited[:8])][-max_turns:]
    while len(out) > 1 and sum(len(t.question.encode()) for t in out) > max_bytes:
        del out[0]
    return out


class Conversations:
    """Conversation state in memory, bounded every way: at most `limit` conversations (least recently used
    dropped first), each forgotten `ttl_s` after its last turn, keeping at most `max_turns` turns, each turn's
    question cut to `max_chars`, and at most `max_bytes` of question text (UTF-8) in all.

    A conversation belongs to its caller (`owner`, a digest of the caller's key): another caller naming the same
    id gets a conversation of its own. Ids the server issues are random (uuid4), so not guessable.
    """

    state = LOCAL  # nothing shared: each replica keeps its own

    def __init__(
        self, limit: int, ttl_s: float, max_turns: int, max_chars: int = 2000, max_bytes: int = 32768
    ) -> None:
        self._items: TTLCache[tuple[str, str], Conversation] = TTLCache(
            limit, ttl_s, timer=lambda: time.monotonic()
        )
        self._max_turns = max_turns
        self._max_chars = max_chars
        self._max_bytes = max_bytes
        self._lock = threading.Lock()

    async def begin(self, conversation_id: str | None, owner: str = "") -> Conversation:
        return self.get_or_create(conversation_id, owner)

    async def keep(self, conv: Conversation, turn: Turn) -> None:
        self.record(conv, turn)

    def get_or_create(self, conversation_id: str | None, owner: str = "") -> Conversation:
        with self._lock:
            key = (owner, conversation_id or "")
            conv = self._items.get(key) if conversation_id else None
            if conv is None:
                # An unknown or expired id starts afresh under that id, so a client's id stays stable.
                conv = Conversation(conversation_id or uuid.uuid4().hex, owner=owner)
                key = (owner, conv.id)
            self._items[key] = conv  # set again: the time to live counts from the last use
            return conv

    def record(self, conv: Conversation, turn: Turn) -> None:
        with self._lock:
            conv.turns[:] = bounded(conv.turns, turn, self._max_turns, self._max_chars, self._max_bytes)
            self._items[(conv.owner, conv.id)] = conv

    def size_bytes(self, conv: Conversation) -> int:
        """The question text a conversation holds, in UTF-8 bytes."""
        return sum(len(t.question.encode()) for t in conv.turns)

    def __len__(self) -> int:
        with self._lock:
            self._items.expire()
            return len(self._items)
