"""Follow-up questions: what a short question inherits from the turn before it, kept per conversation.

Bounded in count and age; one conversation never sees another's turns.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections import OrderedDict
from dataclasses import dataclass, field

# Resolution lives in service.followups; these names stay importable from here.
from .followups import Resolved, Turn, is_followup, resolve  # noqa: E402,F401


@dataclass
class Conversation:
    id: str
    turns: list[Turn] = field(default_factory=list)
    touched: float = field(default_factory=time.monotonic)


class Conversations:
    """Conversation state in memory: at most `limit` conversations, each forgotten `ttl_s` after its last turn."""

    def __init__(self, limit: int, ttl_s: float, max_turns: int) -> None:
        self._items: OrderedDict[str, Conversation] = OrderedDict()
        self._limit = limit
        self._ttl = ttl_s
        self._max_turns = max_turns
        self._lock = threading.Lock()

    def get_or_create(self, conversation_id: str | None) -> Conversation:
        now = time.monotonic()
        with self._lock:
            self._expire(now)
            if conversation_id and conversation_id in self._items:
                conv = self._items[conversation_id]
                self._items.move_to_end(conversation_id)
            else:
                # An unknown or expired id starts afresh under that id, so a client's id stays stable.
                conv = Conversation(conversation_id or uuid.uuid4().hex)
                self._items[conv.id] = conv
                while len(self._items) > self._limit:
                    self._items.popitem(last=False)
            conv.touched = now
            return conv

    def record(self, conv: Conversation, turn: Turn) -> None:
        with self._lock:
            conv.turns.append(turn)
            del conv.turns[: -self._max_turns]
            conv.touched = time.monotonic()

    def _expire(self, now: float) -> None:
        for cid in [cid for cid, c in self._items.items() if now - c.touched > self._ttl]:
            del self._items[cid]

    def __len__(self) -> int:
        return len(self._items)
