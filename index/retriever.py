"""The one interface `reader/` and `service/` see of an opened index: `Retriever`.

`index.library.Library` implements it over one `index.ranking.DocumentRetriever` per document, whether the
index is a directory (FAISS + BM25 files) or a store (Milvus, or several documents); `index.open` builds it from
the settings. What a search takes and gives is in `index.query`.
"""

from __future__ import annotations

from typing import Protocol

import numpy as np

from corpus.model import Passage

from .manifest import Manifest
from .query import Citing, Hit, Query
from .ranking import DocumentRetriever
from .store import DocumentInfo


class Retriever(Protocol):
    """An opened index of one or more documents. `doc=None` means the only document, or every document where a
    question can span them (search); an unknown `doc` raises `UnknownDocument`."""

    @property
    def manifest(self) -> Manifest: ...

    @property
    def documents(self) -> list[DocumentInfo]: ...

    @property
    def total_passages(self) -> int: ...

    def view(self, doc: str | None = None) -> DocumentRetriever:
        """One document's retriever: `doc`, or the first document."""
        ...

    def search(self, q: Query, top_k: int = 10, doc: str | None = None) -> list[Hit]: ...

    def resolve(self, text: str, doc: str | None = None) -> Passage: ...

    def citing(self, symbol: str, doc: str | None = None) -> Citing: ...

    def embed_query(self, q: Query) -> np.ndarray: ...

    def embed_text(self, text: str) -> np.ndarray:
        """A query's vector from its normalised text (`Query.text`), before the query is analysed."""
        ...

    def close(self) -> None: ...
