"""The one `Retriever`: an index of one or more documents, each ranked by its own `DocumentRetriever`.

A search with no document ranks each document on its own and merges the hits by score (each document's scores
run 0..1 on the same scale); a lookup by id takes the document where the id alone is ambiguous (`AmbiguousId`
lists the documents that hold it). One `QueryEncoder` serves them all, so a query is embedded once.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from corpus.model import Passage

from .encoder import QueryEncoder
from .manifest import Manifest
from .query import AmbiguousId, Citing, Hit, Query, UnknownDocument, UnknownId, UnknownSymbol
from .ranking import DocumentRetriever
from .store import DocumentInfo


class Library:
    def __init__(
        self,
        manifest: Manifest,
        documents: list[DocumentInfo],
        views: dict[str, DocumentRetriever],
        encoder: QueryEncoder,
        on_close: Callable[[], None] | None = None,
    ) -> None:
        if not documents:
            raise LookupError("the index holds no document; run `citeqa build`")
        self._manifest = manifest
        self._documents = documents
        self.views = views
        self.encoder = encoder
        self._on_close = on_close

    @property
    def manifest(self) -> Manifest:
        return self._manifest

    @property
    def documents(self) -> list[DocumentInfo]:
        return list(self._documents)

    @property
    def symbols(self) -> list[str]:
        return [d.symbol for d in self._documents]

    @property
    def total_passages(self) -> int:
        """Passages in every document: how many a search across them all may return."""
        return sum(len(v.passages) for v in self.views.values())

    def view(self, doc: str | None = None) -> DocumentRetriever:
        if doc is None:
            return self.views[self.symbols[0]]
        if doc not in self.views:
            raise UnknownDocument(doc, self.symbols)
        return self.views[doc]

    def embed_query(self, q: Query) -> np.ndarray:
        return self.encoder.embed(q.text)

    def embed_text(self, text: str) -> np.ndarray:
        """A query's vector from its normalised text (`Query.text`), before the query is analysed."""
        return self.encoder.embed(text)

    def search(self, q: Query, top_k: int = 10, doc: str | None = None) -> list[Hit]:
        if doc is not None or len(self.views) == 1:
            return self.view(doc).search(q, top_k)
        vector = self.embed_query(q)
        merged: list[tuple[float, int, int, Hit]] = []
        for order, symbol in enumerate(self.symbols):
            hits = self.views[symbol].search(q, top_k, vector)
            merged.extend((-h.score, rank, order, h) for rank, h in enumerate(hits))
        merged.sort(key=lambda t: t[:3])
        return [t[3] for t in merged[:top_k]]

    def resolve(self, text: str, doc: str | None = None) -> Passage:
        if doc is not None or len(self.views) == 1:
            return self.view(doc).resolve(text)
        found: list[Passage] = []
        nearest: list[str] = []
        for view in self.views.values():
            try:
                found.append(view.resolve(text))
            except UnknownId as exc:
                nearest.extend(n for n in exc.nearest if n not in nearest)
        if len(found) > 1:
            raise AmbiguousId(text, [p.doc for p in found])
        if not found:
            raise UnknownId(text, nearest[:5])
        return found[0]

    def citing(self, symbol: str, doc: str | None = None) -> Citing:
        if doc is not None or len(self.views) == 1:
            return self.view(doc).citing(symbol)
        sym, found_all, url, misses = symbol, [], None, []
        for view in self.views.values():
            try:
                sym, found, link = view.citing(symbol)
            except UnknownSymbol as exc:
                misses.extend(exc.nearest)
                continue
            found_all.extend(found)
            url = url or link
        if not found_all:
            raise UnknownSymbol(symbol, list(dict.fromkeys(misses))[:5])
        return sym, found_all, url

    def close(self) -> None:
        """Stop the query worker and release the store (a Milvus connection): shutdown and /reload call it."""
        self.encoder.close()
        if self._on_close is not None:
            self._on_close()
