"""The HTTP contract of DESIGN.md §2, as the models the routes return."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, Field


def _a_number(value: object) -> object:
    if isinstance(value, str | bool):
        raise ValueError("must be a JSON number, not a string or a boolean")
    return value


# An integer as JSON Schema has it (5 or 5.0, not "5" or true): what the schema calls invalid is refused.
JsonInt = Annotated[int, BeforeValidator(_a_number)]
Kind = Literal["paragraph", "item", "table", "figure", "foreword", "annex"]


class Citation(BaseModel):
    id: str
    doc: str
    kind: Kind
    heading: list[str]
    text: str
    quote: str = Field(description="a verbatim substring of `text`: the part that answers or matches")
    score: float
    url: str | None = Field(None, description="a link to the source the passage cites, where the document gives one")
    highlights: list[tuple[int, int]] = Field(
        default_factory=list, description="[start, end) character offsets into `text` of the matching parts"
    )


class AskRequest(BaseModel):
    question: str = Field(min_length=1, description="the question, in Chinese or English")
    top_k: JsonInt = Field(5, ge=1, le=50)
    conversation_id: str | None = Field(None, max_length=128)


class Answer(BaseModel):
    answer: str
    abstained: bool
    citations: list[Citation]
    conversation_id: str
    took_ms: float
    resolved_question: str | None = Field(None, description="the question as understood after a follow-up")


class SearchResults(BaseModel):
    results: list[Citation]
    took_ms: float


class SymbolLink(BaseModel):
    symbol: str
    url: str | None


class PassageOut(BaseModel):
    id: str
    doc: str
    kind: Kind
    text: str
    heading: list[str]
    parent: str | None
    children: list[str]
    symbols: list[SymbolLink]


class References(BaseModel):
    symbol: str
    url: str | None
    passages: list[PassageOut]


class Health(BaseModel):
    status: str
    passages: int | None = None
    model: str | None = None


class ErrorOut(BaseModel):
    detail: str
