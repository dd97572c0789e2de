"""Two retrieval baselines a user might build instead of citeqa, behind one small interface.

* :class:`ChunkBaseline` — the document's raw text cut into fixed-size chunks by langchain's
  ``RecursiveCharacterTextSplitter`` (500 characters, 50 overlap), embedded with the same model as citeqa and
  searched in a FAISS flat inner-product index. Chunks have no passage ids, so a retrieved chunk counts as a hit
  when it contains the gold answer string (whitespace-insensitive): ``match == "text"``.
* :class:`BM25Baseline` — BM25 (bm25s) over plain ``jieba.cut_for_search`` tokens of the parsed passages: no
  protected tokens, no glossary, a private jieba dictionary so citeqa's added vocabulary does not leak in.
  Hits are passage ids, scored like citeqa's citations: ``match == "id"``.

Neither gives answer text nor ever abstains; the runner reads its top-1 text as its answer.
Both are built in-process at evaluation time; the chunk vectors are cached on disk, keyed by corpus, chunks and
model, so a second run does not re-embed.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, Protocol

import numpy as np

from corpus.model import Passage
from index.embedder import Embedder

log = logging.getLogger(__name__)

CHUNK_SIZE = 500
CHUNK_OVERLAP = 50
_BATCH = 32


@dataclass(frozen=True)
class Retrieved:
    """One ranked unit: a passage id (or a chunk label) with its text and score."""

    id: str
    text: str
    score: float


class Baseline(Protocol):
    """Question → ranked units. `match` says how a unit is checked against gold: by id or by answer text."""

    name: str
    label: str
    match: Literal["id", "text"]

    def search(self, question: str, k: int) -> list[Retrieved]: ...


def split_chunks(text: str, size: int = CHUNK_SIZE, overlap: int = CHUNK_OVERLAP) -> list[str]:
    """The text as langchain's default recursive splitter cuts it (paragraphs, lines, spaces, characters)."""
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    return RecursiveCharacterTextSplitter(chunk_size=size, chunk_overlap=overlap).split_text(text)


def chunk_cache_key(corpus_sha256: str, model_id: str, passage_prefix: str, chunks: Sequence[str]) -> str:
    """Changes whenever the corpus, the chunks (size, overlap, splitter version) or the model would."""
    h = hashlib.sha256()
    for part in (corpus_sha256, model_id, passage_prefix, str(len(chunks)), *chunks):
        h.update(part.encode("utf-8"))
        h.update(b"\x00")
    return h.hexdigest()[:20]


class ChunkBaseline:
    name = "chunks"
    label = f"fixed chunks {CHUNK_SIZE}/{CHUNK_OVERLAP} + FAISS"
    match: Literal["id", "text"] = "text"

    def __init__(self, chunks: Sequence[str], vectors: np.ndarray, embedder: Embedder) -> None:
        import faiss

        if len(chunks) != len(vectors):
            raise ValueError(f"{len(chunks)} chunks but {len(vectors)} vectors")
        self.chunks = list(chunks)
        self.embedder = embedder
        self._index = faiss.IndexFlatIP(vectors.shape[1])
        self._index.add(np.ascontiguousarray(vectors, dtype=np.float32))

    @classmethod
    def build(
        cls, text: str, embedder: Embedder, corpus_sha256: str, passage_prefix: str, cache_dir: Path | None
    ) -> ChunkBaseline:
        """Split `text`, then embed the chunks, or read their vectors from `cache_dir` when cached."""
        chunks = split_chunks(text)
        path = None
        if cache_dir is not None:
            key = chunk_cache_key(corpus_sha256, embedder.model_id, passage_prefix, chunks)
            path = cache_dir / f"chunks-{key}.npy"
            if path.exists():
                vectors = np.load(path)
                if vectors.shape == (len(chunks), embedder.dim):
                    return cls(chunks, vectors, embedder)
                log.warning("ignoring chunk vectors of shape %s at %s", vectors.shape, path)
        vectors = np.zeros((len(chunks), embedder.dim), dtype=np.float32)
        for start in range(0, len(chunks), _BATCH):
            vectors[start : start + _BATCH] = embedder.embed_passages(chunks[start : start + _BATCH])
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_name(path.name + ".tmp.npy")
            np.save(tmp, vectors)
            tmp.replace(path)
        return cls(chunks, vectors, embedder)

    def search(self, question: str, k: int) -> list[Retrieved]:
        vector = self.embedder.embed_queries([question]).astype(np.float32)
        sims, idx = self._index.search(vector, min(k, len(self.chunks)))
        return [
            Retrieved(f"chunk-{i}", self.chunks[i], float(s))
            for s, i in zip(sims[0], idx[0], strict=True)
            if i >= 0
        ]


_WORDLIKE = re.compile(r"\w")


class BM25Baseline:
    name = "bm25"
    label = "BM25 over jieba tokens"
    match: Literal["id", "text"] = "id"

    def __init__(self, passages: Sequence[Passage]) -> None:
        import bm25s
        import jieba

        jieba.setLogLevel(logging.WARNING)
        # A private tokenizer: the default one has citeqa's glossary terms added once a retriever is loaded.
        self._jieba = jieba.Tokenizer()
        self.passages = list(passages)
        self._bm25 = bm25s.BM25()
        self._bm25.index([self.tokenize(p.text) for p in self.passages], show_progress=False)
        self._vocab = set(self._bm25.vocab_dict)

    def tokenize(self, text: str) -> list[str]:
        """Plain jieba search-mode tokens, lower-cased; whitespace and punctuation dropped."""
        return [t.lower() for t in self._jieba.cut_for_search(text) if _WORDLIKE.search(t)]

    def search(self, question: str, k: int) -> list[Retrieved]:
        tokens = [t for t in dict.fromkeys(self.tokenize(question)) if t in self._vocab]
        if not tokens:
            return []
        scores = self._bm25.get_scores(tokens)
        order = np.argsort(-scores, kind="stable")[:k]
        return [
            Retrieved(self.passages[i].id, self.passages[i].text, float(scores[i]))
            for i in order
            if scores[i] > 0
        ]
