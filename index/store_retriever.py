"""A store's documents as retrievers: `DocumentRetriever`'s ranking rules unchanged, over any `Store`.

`DocumentRetriever` reads its rows through a FAISS-like dense index and a lexical scorer. `_DenseView` and
`_LexicalView` give it those over one document of a store, so fusion, scope boosts and exact lookup live in one
place (`index.ranking`) and the store only answers nearest rows and matching rows.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from corpus.model import Passage

from .embedder import Embedder, embed_passages_sorted
from .encoder import QueryEncoder
from .lexical import tokenize
from .library import Library
from .manifest import Manifest
from .ranking import DocumentRetriever
from .store import Row, Store

# Candidates asked of the store per query and side. Ranking reads every row; a corpus of one section (a few
# thousand rows) stays under the cap, so both stores rank it exactly as the directory does. 16384 is also
# Milvus's cap on one search's limit.
CANDIDATES = 16384


class _DenseView:
    """A FAISS-like index over one document's rows of a store (row numbers local to the document)."""

    def __init__(self, store: Store, doc: str, rows: Sequence[Row]) -> None:
        self._store = store
        self._doc = [doc]
        self._local = {r.index: i for i, r in enumerate(rows)}
        self.ntotal = len(rows)

    def search(self, x: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        hits = self._store.dense_search(x[0], min(k, CANDIDATES), self._doc)
        sims = np.zeros((1, k), dtype=np.float32)
        idx = np.full((1, k), -1, dtype=np.int64)
        for j, (row, score) in enumerate(hits[:k]):
            sims[0, j], idx[0, j] = score, self._local[row.index]
        return sims, idx


class _LexicalView:
    """A LexicalIndex-like scorer over one document's rows of a store: zero for rows that match no token."""

    def __init__(self, store: Store, doc: str, rows: Sequence[Row]) -> None:
        self._store = store
        self._doc = [doc]
        self._local = {r.index: i for i, r in enumerate(rows)}

    def scores(self, tokens: list[str]) -> np.ndarray:
        out = np.zeros(len(self._local), dtype=np.float32)
        for row, score in self._store.lexical_search(tokens, CANDIDATES, self._doc):
            out[self._local[row.index]] = score
        return out


def store_library(store: Store, manifest: Manifest, encoder: QueryEncoder) -> Library:
    """Every document of `store` as a `DocumentRetriever` on views of its rows; closing it closes the store."""
    documents = store.documents()
    views: dict[str, DocumentRetriever] = {}
    for d in documents:
        rows = store.rows(d.symbol)
        views[d.symbol] = DocumentRetriever(
            manifest,
            store.passages(d.symbol),
            [r.passage_id for r in rows],
            _DenseView(store, d.symbol, rows),
            _LexicalView(store, d.symbol, rows),
            encoder,
            store.candidates(d.symbol),
        )
    return Library(manifest, documents, views, encoder, on_close=store.close)


def store_rows(doc: str, passages: Sequence[Passage]) -> tuple[list[Row], list[list[str]]]:
    """A document's pieces as store rows, with the tokens `index.lexical` gives each (one rule for both stores)."""
    from corpus.split import pieces  # the splitter is needed to build, not to serve

    rows = [Row(doc, p.passage_id, p.text) for p in pieces(passages)]
    return rows, [tokenize(r.text) for r in rows]


def embed_rows(rows: Sequence[Row], embedder: Embedder, batch: int = 16) -> np.ndarray:
    """Every row's passage vector, batched as `index.build` batches them."""
    return embed_passages_sorted(embedder, [r.text for r in rows], batch)
