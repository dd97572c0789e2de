"""Feedback on answers (👍/👎, a comment, "the right passage is …"), kept so it can become evaluation questions.

Two parts, both bounded:

- `RecentAnswers`: every answer `/ask` and chat give is remembered in memory by its `answer_id` (random,
  unguessable), so the feedback row can hold the question and the answer it judges. At most `limit` answers (least
  recently used dropped first), each for `ttl_s`; nothing of it is written anywhere. Feedback on an answer that is
  not (or no longer) remembered is refused (404), as is feedback from another caller than the one answered.
- `FeedbackStore`: SQLite (WAL mode) at `CITEQA_FEEDBACK_DB`, opened on first use (a service nobody gives
  feedback to writes no file). One row per answer (a second verdict on the same answer is refused, 409), at most
  `per_day` rows per caller in 24 hours and `max_rows` in all; comments are cut to `comment_chars`.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from cachetools import TTLCache

from .keys import ANONYMOUS
from .middleware import CALLER_STATE

Verdict = Literal["up", "down"]
DAY_S = 86400.0


def caller_name(state: Mapping[str, Any]) -> str:
    """Who gave feedback, as stored and bounded per day: what the request middleware decided from the request
    (`CALLER_STATE` in the request's state) — the checked key's name when keys are required, else the caller's
    address — never whatever key the client sent (a fresh unchecked key per request would be a fresh caller)."""
    return str(state.get(CALLER_STATE) or ANONYMOUS)


@dataclass(frozen=True)
class RememberedAnswer:
    """What a feedback row keeps of the answer it judges."""

    question: str
    resolved_question: str | None
    lang: str
    answer: str
    abstained: bool
    citations: list[dict[str, Any]]  # [{"id", "quote", "cell"}], in the answer's order
    cited: list[str]  # the ids the answer text marks ([4.86]), the others are related passages
    doc: str
    owner: str  # caller_id of the caller answered ("" without a key)
    at: float = field(default_factory=time.time)


class RecentAnswers:
    def __init__(self, limit: int, ttl_s: float) -> None:
        self._items: TTLCache[str, RememberedAnswer] = TTLCache(limit, ttl_s, timer=time.monotonic)
        self._lock = threading.Lock()

    def remember(self, answer_id: str, answer: RememberedAnswer) -> None:
        with self._lock:
            self._items[answer_id] = answer

    def get(self, answer_id: str, owner: str) -> RememberedAnswer | None:
        """The answer, when it is remembered and was given to `owner`; None otherwise (the two are not told apart)."""
        with self._lock:
            found = self._items.get(answer_id)
        return found if found is not None and found.owner == owner else None

    def __len__(self) -> int:
        with self._lock:
            self._items.expire()
            return len(self._items)


class AlreadyGiven(Exception):
    """This answer has a verdict already."""


class TooMany(Exception):
    """A bound on stored feedback is reached; `retry_after` seconds (or None: not by waiting)."""

    def __init__(self, message: str, retry_after: int | None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


_SCHEMA = """
CREATE TABLE IF NOT EXISTS feedback (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    answer_id TEXT NOT NULL UNIQUE,
    created REAL NOT NULL,
    caller TEXT NOT NULL,
    doc TEXT NOT NULL,
    question TEXT NOT NULL,
    resolved_question TEXT,
    lang TEXT NOT NULL,
    answer TEXT NOT NULL,
    abstained INTEGER NOT NULL,
    citations TEXT NOT NULL,
    cited TEXT NOT NULL,
    verdict TEXT NOT NULL CHECK (verdict IN ('up', 'down')),
    comment TEXT NOT NULL DEFAULT '',
    passage TEXT
);
CREATE INDEX IF NOT EXISTS feedback_by_caller ON feedback (caller, created);
"""
COLUMNS = (
    "id",
    "created",
    "caller",
    "doc",
    "question",
    "resolved_question",
    "lang",
    "answer",
    "abstained",
    "citations",
    "cited",
    "verdict",
    "comment",
    "passage",
)


class FeedbackStore:
    """Feedback rows in SQLite. Each call opens its own connection (threads of the pool call it), WAL mode so that
    reading never blocks writing; a write checks the bounds and inserts in one IMMEDIATE transaction."""

    def __init__(self, path: Path, per_day: int, max_rows: int) -> None:
        self.path = Path(path)
        self.per_day = per_day
        self.max_rows = max_rows
        self._ready = False
        self._lock = threading.Lock()

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            if not self._ready:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                with closing(sqlite3.connect(self.path, timeout=5.0)) as db:
                    db.execute("PRAGMA journal_mode=WAL")
                    db.executescript(_SCHEMA)
                self._ready = True
        with closing(sqlite3.connect(self.path, timeout=5.0, isolation_level=None)) as db:
            db.row_factory = sqlite3.Row
            db.execute("PRAGMA busy_timeout=5000")
            yield db

    def add(
        self,
        answer_id: str,
        answer: RememberedAnswer,
        caller: str,
        verdict: Verdict,
        comment: str,
        passage: str | None,
        now: float | None = None,
    ) -> int:
        """Store one verdict; its row id. AlreadyGiven for a second verdict on one answer, TooMany past a bound."""
        now = time.time() if now is None else now
        with self._connect() as db:
            db.execute("BEGIN IMMEDIATE")
            try:
                if db.execute("SELECT 1 FROM feedback WHERE answer_id = ?", (answer_id,)).fetchone():
                    raise AlreadyGiven("feedback on this answer was already recorded; one verdict per answer")
                since = db.execute(
                    "SELECT COUNT(*), MIN(created) FROM feedback WHERE caller = ? AND created > ?",
                    (caller, now - DAY_S),
                ).fetchone()
                if since[0] >= self.per_day:
                    wait = max(1, int(since[1] + DAY_S - now) + 1)
                    raise TooMany(
                        f"at most {self.per_day} feedback items a day from one caller; retry in {wait} s",
                        wait,
                    )
                if db.execute("SELECT COUNT(*) FROM feedback").fetchone()[0] >= self.max_rows:
                    raise TooMany(
                        f"the feedback store is full ({self.max_rows} items); an administrator "
                        "exports and clears it",
                        None,
                    )
                cur = db.execute(
                    "INSERT INTO feedback (answer_id, created, caller, doc, question, resolved_question, lang, "
                    "answer, abstained, citations, cited, verdict, comment, passage) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        answer_id,
                        now,
                        caller,
                        answer.doc,
                        answer.question,
                        answer.resolved_question,
                        answer.lang,
                        answer.answer,
                        int(answer.abstained),
                        json.dumps(answer.citations, ensure_ascii=False),
                        json.dumps(answer.cited, ensure_ascii=False),
                        verdict,
                        comment,
                        passage,
                    ),
                )
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise
            return int(cur.lastrowid or 0)

    def page(
        self, offset: int, limit: int, verdict: Verdict | None = None
    ) -> tuple[list[dict[str, Any]], int]:
        """Rows oldest first from `offset` (at most `limit`), and how many there are in all."""
        if not self.path.exists():
            return [], 0
        where, args = ("WHERE verdict = ?", (verdict,)) if verdict else ("", ())
        with self._connect() as db:
            total = int(db.execute(f"SELECT COUNT(*) FROM feedback {where}", args).fetchone()[0])
            rows = db.execute(
                f"SELECT {', '.join(COLUMNS)} FROM feedback {where} ORDER BY id LIMIT ? OFFSET ?",
                (*args, limit, offset),
            ).fetchall()
        return [row_out(dict(r)) for r in rows], total


def row_out(row: dict[str, Any]) -> dict[str, Any]:
    """A stored row as the API and the export read it: JSON columns parsed, the flag a bool, the time in ISO 8601."""
    out = dict(row)
    out["citations"] = json.loads(out["citations"])
    out["cited"] = json.loads(out["cited"])
    out["abstained"] = bool(out["abstained"])
    out["created"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(float(out["created"])))
    return out
