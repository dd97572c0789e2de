"""Follow-up questions: what a short question inherits from the turn before it, kept per conversation.

Bounded in count and age; one conversation never sees another's turns.
"""

from __future__ import annotations

import re
import threading
import time
import uuid
from dataclasses import dataclass, field

from cachetools import TTLCache

_SUBPROGRAMME = re.compile(r"(?:次级方案|sub-?programme|subprogram)\s*(\d+)", re.I)
_YEAR = re.compile(r"(?<!\d)(20\d\d)(?!\d)")
# "那次级方案 3 呢？", "what about 2023?", "它在哪一段？": short, or leaning on the previous turn.
# Said at the start or the end of a question, these lean on the previous turn whatever its length.
_FOLLOWUP_EDGE = re.compile(
    r"^(?:那|那么|而|还有|另外|它|其|这|该|此|同样)|呢[？?]?$|^(?:and|what about|how about|what of|same for)\b",
    re.I,
)
# Inside a question they only do in a short one: "这笔钱用于什么？", but not a full question that says "this".
_FOLLOWUP_WORD = re.compile(r"它|这笔|这些|这个|这项|该项|上述|\b(?:it|that|this|those|these|they|them)\b", re.I)
_SHORT_ZH = 20
_SHORT_EN = 7
_WHERE_CITED = re.compile(
    r"(?:在|出自|引自)?哪一?段|哪几段|出处|出自哪|which paragraph|what paragraph|(?:the )?source"
    r"|where (?:is|does) (?:it|that|this)(?: come)?(?: from)?",
    re.I,
)
# What is left of "它在哪一段？" / "which paragraph is that in?" once the where-words are gone: nothing to ask.
_WHERE_FILLER = re.compile(r"(?i)[它这那其该此是的呢吗？?。.，,\s]|\b(?:is|that|this|it|in|from|does|come|what|the)\b")


@dataclass
class Turn:
    question: str  # as resolved, so a chain of follow-ups keeps its subject
    cited: list[str]


@dataclass
class Conversation:
    id: str
    turns: list[Turn] = field(default_factory=list)
    owner: str = ""


@dataclass(frozen=True)
class Resolved:
    question: str  # what to search and answer
    refers_back: bool  # asks where the previous answer came from ("它在哪一段？")
    previous_cited: list[str]


def is_followup(question: str) -> bool:
    text = question.strip()
    zh = re.search(r"[\u4e00-\u9fff]", text) is not None
    very_short = len(text) <= 12 if zh else len(text.split()) <= 4
    short = len(text) <= _SHORT_ZH if zh else len(text.split()) <= _SHORT_EN
    return very_short or bool(_FOLLOWUP_EDGE.search(text)) or (short and bool(_FOLLOWUP_WORD.search(text)))


def resolve(question: str, previous: Turn | None) -> Resolved:
    """Carry over the subject, the subprogramme and the year of the previous turn into a follow-up."""
    if previous is None or not is_followup(question):
        return Resolved(question, False, [])
    if _WHERE_CITED.search(question) and previous.cited and not _WHERE_FILLER.sub("", _WHERE_CITED.sub("", question)):
        return Resolved(previous.question, True, previous.cited)
    merged = previous.question
    replaced = False
    if (m := _SUBPROGRAMME.search(question)) and _SUBPROGRAMME.search(merged):
        merged = _SUBPROGRAMME.sub(lambda old: old.group(0).replace(old.group(1), m.group(1)), merged, count=1)
        replaced = True
    years = _YEAR.findall(question)
    if years and _YEAR.search(merged) and len(years) == 1:
        old_years = _YEAR.findall(merged)
        # Replace the year the previous question turned on; with several, the last one is usually the subject.
        merged = re.sub(rf"(?<!\d){old_years[-1]}(?!\d)", years[0], merged)
        replaced = True
    if replaced and len(_strip_slots(question)) <= 4:
        return Resolved(merged, False, [])
    return Resolved(f"{previous.question} {question}", False, [])


def _strip_slots(question: str) -> str:
    """What a follow-up says beyond the slots it swaps ("那次级方案 3 呢？" says nothing else)."""
    text = _SUBPROGRAMME.sub("", question)
    text = _YEAR.sub("", text)
    text = re.sub(r"(?i)\b(?:what|how|about|and|in|for|of|the)\b", "", text)
    return re.sub(r"[\s那么呢吗？?，,。.年的]", "", text)


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
