"""The fast suite's one embedder: deterministic, and its vectors can be worked out by hand.

Bag of keywords: dimension i is 1 when keyword i occurs in the text (as a substring), then the vector is
L2-normalised, so the cosine of a query and a passage is |shared| / sqrt(|kw(q)| * |kw(p)|). A text with none of
the keywords gets one of two extra dimensions, one for passages and one for queries: a query that names no
keyword is similar to nothing (cosine 0 with every passage).
"""

from __future__ import annotations

import numpy as np


class KeywordEmbedder:
    def __init__(self, keywords: tuple[str, ...], model_id: str = "tiny-keywords") -> None:
        self.keywords = keywords
        self._model_id = model_id
        self.query_calls = 0  # how many times embed_queries ran (the retriever's cache should spare it)
        self.queries: list[str] = []

    @property
    def model_id(self) -> str:
        return self._model_id

    @property
    def dim(self) -> int:
        return len(self.keywords) + 2

    def vector(self, text: str, query: bool = True) -> np.ndarray:
        v = np.array([1.0 if k in text else 0.0 for k in self.keywords] + [0.0, 0.0], dtype=np.float32)
        if not v.any():
            v[-1 if query else -2] = 1.0
        return v / np.linalg.norm(v)

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        self.query_calls += 1
        self.queries.extend(texts)
        return np.stack([self.vector(t, query=True) for t in texts]).astype(np.float32)

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        return np.stack([self.vector(t, query=False) for t in texts]).astype(np.float32)
