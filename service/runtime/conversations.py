"""The turns of each `/ask` conversation, kept so a follow-up can be resolved against the turn before it
(`reader.followups`). Bounded in count and age; one conversation never sees another's turns.
"""

from __future__ import annotations

import threading
import time
import uuid
from dataclasses import dataclass, field

from cachetools import TTLCache

from reader.followups import Turn


@dataclass
class Conversation:
    id: str
    turns: list[Turn] = field(default_factory=list)
    owner: str = ""


class Conversations:
    """Conversation state in memory, bounded every way: at most `limit` conversations (least recently used
    dropped first), each forgotten `ttl_s` after its last turn, keeping at most `max_turns` turns, each turn's
    question cut to `max_chars`, and at most `max_bytes` of question text (UTF-8) in all.

    A conversation belongs to its caller (`owner`, a digest of the caller's key): another caller naming the same
    id gets a conversation of its own. Ids the server issues are random (uuid4), so not guessable.
    """

    def __init__(self, limit: int, ttl_s: float, max_turns: int, max_chars: int = 2000,
                 max_bytes: int = 32768) -> None:
        self._items: TTLCache[tuple[str, str], Conversation] = TTLCache(limit, ttl_s, timer=lambda: time.monotonic())
        self._max_turns = max_turns
        self._max_chars = max_chars
        self._max_bytes = max_bytes
        self._lock = threading.Lock()

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
        # Cut to the limits, keeping the start: that is where a chain of follow-ups keeps its subject.
        question = turn.question[: self._max_chars].encode()[: self._max_bytes].decode(errors="ignore")
        with self._lock:
            conv.turns.append(Turn(question, turn.cited[:8]))
            del conv.turns[: -self._max_turns]
            while len(conv.turns) > 1 and self.size_bytes(conv) > self._max_bytes:
                del conv.turns[0]
            self._items[(conv.owner, conv.id)] = conv

    def size_bytes(self, conv: Conversation) -> int:
        """The question text a conversation holds, in UTF-8 bytes."""
        return sum(len(t.question.encode()) for t in conv.turns)

    def __len__(self) -> int:
        with self._lock:
            self._items.expire()
            return len(self._items)
