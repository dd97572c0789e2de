"""A deterministic embedder whose vectors can be worked out by hand.

Bag of keywords: dimension i is 1 when keyword i occurs in the text (as a substring), then the vector is
L2-normalised; a text with none of the keywords gets the unit vector of the extra last dimension ("none").
So the cosine of two texts is |shared keywords| / sqrt(|keywords of one| * |keywords of the other|).
"""

from __future__ import annotations

import numpy as np

DEFAULT_VOCAB = ("外层空间", "培训", "小武器", "资源", "决议")


class FakeEmbedder:
    def __init__(self, vocab: tuple[str, ...] = DEFAULT_VOCAB, model_id: str = "fake-keywords") -> None:
        self.vocab = vocab
        self._model_id = model_id
        self.query_calls = 0  # how many times embed_queries ran (the retriever's cache should spare it)
        self.queries: list[str] = []

    @property
    def model_id(self) -> str:
        return self._model_id

    @property
    def dim(self) -> int:
        return len(self.vocab) + 1

    def vector(self, text: str) -> np.ndarray:
        v = np.zeros(self.dim, dtype=np.float32)
        for i, word in enumerate(self.vocab):
            if word in text:
                v[i] = 1.0
        if not v.any():
            v[-1] = 1.0
        return v / np.linalg.norm(v)

    def _embed(self, texts: list[str]) -> np.ndarray:
        return np.stack([self.vector(t) for t in texts]).astype(np.float32)

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        self.query_calls += 1
        self.queries.extend(texts)
        return self._embed(texts)

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        return self._embed(texts)
