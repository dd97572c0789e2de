"""The store interface: where passages, their pieces' vectors and their lexical tokens live, behind one API.

Two implementations: `store_faiss.FaissStore`, today's index directory (FAISS + bm25s, loaded into each
process), and `store_milvus.MilvusStore`, Milvus through pymilvus (Milvus Lite on a local `*.db` file, or a
Milvus server at `http://host:19530`). The retriever's ranking rules (fusion, scopes, exact lookup) stay in
`index.retriever`; a store only answers "these rows are nearest" and "these rows match these tokens".

Rows are numbered store-wide in insertion order (`Row.index`), so the rows of one document are contiguous
when documents are added one at a time.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

import numpy as np

from corpus.model import Passage

from .candidates import CandidateIndex


@dataclass(frozen=True)
class Row:
    """One embedded piece of a passage: what dense and lexical search rank."""

    doc: str
    passage_id: str
    text: str
    index: int = -1  # store-wide row number; assigned by the store on `add`


@dataclass(frozen=True)
class DocumentInfo:
    """A document the store holds: its symbol (`A/78/6 (Sect. 4)`), language and source file."""

    symbol: str
    language: str = "zh"
    source: str = ""
    passages: int = 0


class StoreError(RuntimeError):
    """The store is unreachable, empty or inconsistent; the message says what to do."""


class StoreMissing(StoreError):
    """The store has no index at all (no collections under the name): the one case `citeqa serve` builds for."""


class DuplicateDocument(StoreError):
    pass


Scored = list[tuple[Row, float]]


@runtime_checkable
class Store(Protocol):
    """What the retriever needs from wherever the index lives. `docs=None` means every document."""

    @property
    def dim(self) -> int: ...

    def add(
        self,
        document: DocumentInfo,
        passages: Sequence[Passage],
        rows: Sequence[Row],
        vectors: np.ndarray,
        tokens: Sequence[list[str]],
        candidates: CandidateIndex | None = None,
    ) -> None:
        """Add one document: its passages, its pieces (rows) with one vector and one token list per row, and the
        reader's answer candidates with their vectors (`index.candidates`; none: the reader abstains on it)."""
        ...

    def candidates(self, doc: str) -> CandidateIndex:
        """A document's answer candidates, in the order they were added."""
        ...

    def dense_search(self, vector: np.ndarray, k: int, docs: Collection[str] | None = None) -> Scored:
        """The k rows whose vectors have the highest inner product with `vector`, best first."""
        ...

    def lexical_search(self, tokens: list[str], k: int, docs: Collection[str] | None = None) -> Scored:
        """The k rows with the highest BM25 score for `tokens` (rows that match no token are left out)."""
        ...

    def get_passage(self, doc: str, passage_id: str) -> Passage | None: ...

    def passages(self, doc: str) -> list[Passage]:
        """A document's passages in reading order."""
        ...

    def rows(self, doc: str) -> list[Row]:
        """A document's rows in row order."""
        ...

    def documents(self) -> list[DocumentInfo]:
        """What the store holds, in the order the documents were added."""
        ...

    def close(self) -> None: ...


def check_add(
    document: DocumentInfo,
    passages: Sequence[Passage],
    rows: Sequence[Row],
    vectors: np.ndarray,
    tokens: Sequence[list[str]],
    dim: int,
    held: Collection[str],
    candidates: CandidateIndex | None = None,
) -> np.ndarray:
    """The checks every store makes before `add`: one rule for both, so both refuse the same input."""
    if document.symbol in held:
        raise DuplicateDocument(
            f"the store already holds {document.symbol!r}; build into a new store to replace it"
        )
    vectors = np.ascontiguousarray(vectors, dtype=np.float32)
    if vectors.ndim != 2 or vectors.shape[0] != len(rows) or vectors.shape[1] != dim:
        raise StoreError(
            f"{len(rows)} rows need {len(rows)} vectors of dimension {dim}, got shape {vectors.shape}"
        )
    if len(tokens) != len(rows):
        raise StoreError(f"{len(rows)} rows need {len(rows)} token lists, got {len(tokens)}")
    ids = [p.id for p in passages]
    if len(set(ids)) != len(ids):
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        raise StoreError(
            f"passage ids must be unique within {document.symbol!r}; repeated: {', '.join(dupes)}"
        )
    known = set(ids)
    wrong = [r for r in rows if r.doc != document.symbol or r.passage_id not in known]
    if wrong:
        raise StoreError(f"row {wrong[0]} belongs to no passage of {document.symbol!r}")
    if any(p.doc != document.symbol for p in passages):
        raise StoreError(f"every passage added with {document.symbol!r} must carry that doc")
    if candidates is not None:
        if candidates.vectors.shape != (len(candidates.items), dim):
            raise StoreError(
                f"{len(candidates.items)} candidates need as many vectors of dimension {dim}, got "
                f"shape {candidates.vectors.shape}"
            )
        stray = [c.passage_id for c in candidates.items if c.passage_id not in known]
        if stray:
            raise StoreError(f"candidate of passage {stray[0]!r}, which {document.symbol!r} does not have")
    return vectors


def no_candidates(dim: int) -> CandidateIndex:
    return CandidateIndex([], np.zeros((0, dim), dtype=np.float32), {})
