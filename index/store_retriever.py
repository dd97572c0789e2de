"""The retriever on a store: `Retriever`'s ranking rules unchanged, over any `Store`, one view per document.

`Retriever.search` reads its rows through two small duck-typed objects, a FAISS index (`ntotal`,
`search(x, k)`) and a `LexicalIndex` (`scores(tokens)`). `_DenseView` and `_LexicalView` give it those over
one document of a store, so fusion, scope boosts and exact lookup live in one place (`index.retriever`) and
the store only answers nearest rows and matching rows.

Across documents: a lookup by id takes the document where the id alone is ambiguous (`AmbiguousId` lists
the documents that hold it); a search with no document ranks each document on its own and merges the hits
by score (each document's scores run 0..1 on the same scale).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from corpus.model import Passage

from .batcher import MAX_PENDING
from .embedder import Embedder, embed_passages_sorted
from .lexical import tokenize
from .manifest import Manifest
from .retriever import Hit, Retriever, UnknownId, UnknownSymbol
from .store import DocumentInfo, Row, Store

# Candidates asked of the store per query and side. Today's retriever ranks every row; a corpus of one
# section (a few thousand rows) stays under the cap, so both stores rank it exactly as the directory does.
# 16384 is also Milvus's cap on one search's limit.
CANDIDATES = 16384


class AmbiguousId(LookupError):
    def __init__(self, text: str, docs: list[str]) -> None:
        super().__init__(f"passage {text!r} exists in {len(docs)} documents; say which with doc=: "
                         + "; ".join(docs))
        self.text = text
        self.docs = docs


class UnknownDocument(LookupError):
    def __init__(self, doc: str, known: list[str]) -> None:
        super().__init__(f"no document {doc!r}; the documents are: " + "; ".join(known))
        self.doc = doc
        self.known = known


class _DenseView:
    """A FAISS-like index over one document's rows of a store (row numbers local to the document)."""

    def __init__(self, store: Store, doc: str, rows: Sequence[Row]) -> None:
        self._store = store
        self._doc = [doc]
        self._local = {r.index: i for i, r in enumerate(rows)}
        self.ntotal = len(rows)
        self.d = store.dim

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

    def scores(self, tokens: list[str], weights: dict[str, float] | None = None) -> np.ndarray:
        out = np.zeros(len(self._local), dtype=np.float32)
        for row, score in self._store.lexical_search(tokens, CANDIDATES, self._doc):
            out[self._local[row.index]] = score
        return out


def _view(store: Store, doc: str, manifest: Manifest, embedder: Embedder, cache_size: int,
          max_pending: int) -> Retriever:
    rows = store.rows(doc)
    return Retriever(manifest, store.passages(doc), [r.passage_id for r in rows],
                     _DenseView(store, doc, rows), _LexicalView(store, doc, rows),  # type: ignore[arg-type]
                     embedder, cache_size, max_pending, store.candidates(doc))


class StoreRetriever(Retriever):
    """A `Retriever` for the first document of a store (so every route works as today), with every document's
    view in `views`; `search`, `resolve` and `citing` take an optional `doc`."""

    def __init__(self, store: Store, embedder: Embedder, manifest: Manifest, cache_size: int = 2048,
                 max_pending: int = MAX_PENDING) -> None:
        self.store = store
        self.documents: list[DocumentInfo] = store.documents()
        if not self.documents:
            raise LookupError("the store holds no document; run `citeqa build`")
        # Every document its own plain Retriever: a view's `search` keeps to its document, where this object's
        # `search` without `doc` spans them all.
        self.views: dict[str, Retriever] = {
            d.symbol: _view(store, d.symbol, manifest, embedder, cache_size, max_pending) for d in self.documents}
        first = self.views[self.documents[0].symbol]
        super().__init__(manifest, first.passages, first.row_passage, first._vectors,
                         first._lexical, embedder, cache_size, max_pending, first.candidates)
        # One query queue and vector cache for all: a query is embedded once, whichever documents it searches.
        for view in self.views.values():
            view.close()
            view._batcher, view._vectors_cache = self._batcher, self._vectors_cache

    @property
    def total_passages(self) -> int:
        """Passages in every document: how many a search across them all may return."""
        return sum(len(v.passages) for v in self.views.values())

    def close(self) -> None:
        """Stop the query worker and release the store (a Milvus connection): shutdown and /reload call it."""
        super().close()
        self.store.close()

    @property
    def symbols(self) -> list[str]:
        return [d.symbol for d in self.documents]

    def view(self, doc: str) -> Retriever:
        if doc not in self.views:
            raise UnknownDocument(doc, self.symbols)
        return self.views[doc]

    def search(self, query: str, top_k: int = 10, vector: np.ndarray | None = None,
               doc: str | None = None) -> list[Hit]:
        if doc is None and len(self.views) == 1:
            doc = self.symbols[0]
        if doc is not None:
            return self.view(doc).search(query, top_k, vector)
        if vector is None:
            vector = self.embed_query(query)
        merged: list[tuple[float, int, int, Hit]] = []
        for order, symbol in enumerate(self.symbols):
            hits = self.views[symbol].search(query, top_k, vector)
            merged.extend((-h.score, rank, order, h) for rank, h in enumerate(hits))
        merged.sort(key=lambda t: t[:3])
        return [t[3] for t in merged[:top_k]]

    def resolve(self, text: str, doc: str | None = None) -> Passage:
        if doc is not None:
            return self.view(doc).resolve(text)
        if len(self.views) == 1:
            return super().resolve(text)
        found: list[Passage] = []
        nearest: list[str] = []
        for symbol in self.symbols:
            try:
                found.append(self.views[symbol].resolve(text))
            except UnknownId as exc:
                nearest.extend(n for n in exc.nearest if n not in nearest)
        if len(found) > 1:
            raise AmbiguousId(text, [p.doc for p in found])
        if not found:
            raise UnknownId(text, nearest[:5])
        return found[0]

    def citing(self, symbol: str, doc: str | None = None
               ) -> tuple[str, list[tuple[Passage, list[tuple[int, int]]]], str | None]:
        if doc is not None or len(self.views) == 1:
            return self.view(doc or self.symbols[0]).citing(symbol)
        sym, found_all, url, misses = symbol, [], None, []
        for name in self.symbols:
            try:
                sym, found, link = self.views[name].citing(symbol)
            except UnknownSymbol as exc:
                misses.extend(exc.nearest)
                continue
            found_all.extend(found)
            url = url or link
        if not found_all:
            raise UnknownSymbol(symbol, list(dict.fromkeys(misses))[:5])
        return sym, found_all, url


def store_rows(doc: str, passages: Sequence[Passage]) -> tuple[list[Row], list[list[str]]]:
    """A document's pieces as store rows, with the tokens `index.lexical` gives each (one rule for both stores)."""
    from corpus.split import pieces  # the splitter is needed to build, not to serve

    rows = [Row(doc, p.passage_id, p.text) for p in pieces(passages)]
    return rows, [tokenize(r.text) for r in rows]


def embed_rows(rows: Sequence[Row], embedder: Embedder, batch: int = 16) -> np.ndarray:
    """Every row's passage vector, batched as `index.build` batches them."""
    return embed_passages_sorted(embedder, [r.text for r in rows], batch)
