"""What reading returns: domain values the service maps to its HTTP schemas (`service.api.present`)."""

from __future__ import annotations

from dataclasses import dataclass, field

from corpus.model import Passage

from .followups import Turn
from .question import Question


@dataclass(frozen=True)
class Cited:
    """A passage cited: the span quoted (offsets into its text), the parts that match, and for an answer read
    from a table cell, the cell's id."""

    passage: Passage
    score: float
    quote: tuple[int, int]
    highlights: list[tuple[int, int]] = field(default_factory=list)
    cell: str | None = None

    @property
    def quote_text(self) -> str:
        return self.passage.text[self.quote[0] : self.quote[1]]


@dataclass(frozen=True)
class Found(Cited):
    """A search result: a cited passage with a window of its text around the best match."""

    snippet: tuple[int, int] = (0, 0)
    snippet_highlights: list[tuple[int, int]] = field(default_factory=list)  # offsets into the window


@dataclass(frozen=True)
class Reply:
    """An answer, or an abstention with the nearest passages; `turn` is what a conversation keeps of it."""

    answer: str
    abstained: bool
    citations: list[Cited]
    asked: str  # the question as sent
    understood: str  # the question as resolved after a follow-up
    turn: Turn
    question: Question  # the resolved question, analysed: what the answer had to meet
    reason: str | None = None  # why it abstained, in one line
    matched: tuple[str, ...] = field(default=())  # the requirements the answer was checked against

    @property
    def resolved_question(self) -> str | None:
        return self.understood if self.understood != self.asked else None
