"""What a search takes and gives: a `Query` in, `Hit`s out, and the lookups that can fail (an unknown id, symbol
or document; an id several documents hold)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from corpus.model import Passage

Citing = tuple[str, list[tuple[Passage, list[tuple[int, int]]]], str | None]


class Query(Protocol):
    """A question as retrieval reads it, analysed once by `reader.question.analyse`."""

    @property
    def text(self) -> str: ...  # normalised: NFKC, whitespace squashed

    @property
    def ids(self) -> Sequence[str]: ...  # passage ids it names (not figures such as "9.1%")

    @property
    def symbols(self) -> Sequence[str]: ...  # document symbols it names (77/71)

    @property
    def subprogrammes(self) -> Sequence[str]: ...  # the numbers of the subprogrammes it names

    @property
    def translations(self) -> Sequence[str]: ...  # Chinese terms for its English words

    @property
    def thousands(self) -> bool: ...  # asks for amounts in thousands of dollars (printed only in tables)


@dataclass(frozen=True)
class Hit:
    passage: Passage
    score: float
    dense: float  # best cosine of the passage's rows with the query
    lexical: float  # best BM25 of its rows, divided by the best BM25 of any row
    exact: bool  # named by id or by a symbol it cites


class UnknownId(LookupError):
    def __init__(self, text: str, nearest: list[str]) -> None:
        super().__init__(f"no passage {text!r} in this document; nearest: {', '.join(nearest) or 'none'}")
        self.text = text
        self.nearest = nearest


class UnknownSymbol(LookupError):
    def __init__(self, symbol: str, nearest: list[str]) -> None:
        super().__init__(
            f"no passage cites {symbol!r}; symbols it cites that look alike: {', '.join(nearest) or 'none'}"
        )
        self.symbol = symbol
        self.nearest = nearest


class AmbiguousId(LookupError):
    def __init__(self, text: str, docs: list[str]) -> None:
        super().__init__(
            f"passage {text!r} exists in {len(docs)} documents; say which with doc=: " + "; ".join(docs)
        )
        self.text = text
        self.docs = docs


class UnknownDocument(LookupError):
    def __init__(self, doc: str, known: list[str]) -> None:
        super().__init__(f"no document {doc!r}; the documents are: " + "; ".join(known))
        self.doc = doc
        self.known = known
