"""Query text → vector: queries arriving together are embedded as one batch, repeats come from a bounded LRU.

One encoder serves every document of an index: a query is embedded once, whichever documents it searches.
Callers pass normalised text (`reader.question.Question.text`), which is also the cache key.
"""

from __future__ import annotations

import numpy as np

from .batcher import MAX_PENDING, QueryBatcher
from .cache import LRU
from .embedder import Embedder


class QueryEncoder:
    def __init__(self, embedder: Embedder, cache_size: int = 2048, max_pending: int = MAX_PENDING) -> None:
        self.embedder = embedder
        self._cache: LRU[np.ndarray] = LRU(cache_size)
        self._batcher = QueryBatcher(embedder.embed_queries, max_pending=max_pending)

    def embed(self, text: str) -> np.ndarray:
        return self._cache.get_or_compute(text, lambda: self._batcher.embed(text))

    def close(self) -> None:
        """Stop the batching worker (an index swapped out by /reload); later queries get `batcher.Closed`."""
        self._batcher.close()
