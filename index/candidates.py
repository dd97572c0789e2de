"""Answer candidates embedded once at build time and stored beside the passages.

At query time the reader scores them with the query vector the retriever already computed: one matrix product
over the candidates of the top passages, no second model pass.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from corpus.candidates import Candidate, candidates
from corpus.model import Passage

from .embedder import Embedder, embed_passages_sorted

CANDIDATES = "candidates.jsonl"
CANDIDATE_VECTORS = "candidates.npy"
_BATCH = 32


def embed_candidates(passages: Sequence[Passage], embedder: Embedder) -> tuple[list[Candidate], np.ndarray]:
    """Every candidate of one document's passages, with its vector."""
    by_id = {p.id: p for p in passages}
    cands = candidates(passages)
    texts = [c.embed_text(c.text(by_id)) for c in cands]
    return cands, embed_passages_sorted(embedder, texts, _BATCH)


def write_candidates(passages: Sequence[Passage], embedder: Embedder, directory: Path) -> int:
    """Cut, embed and write every candidate into `directory`; returns how many."""
    cands, vectors = embed_candidates(passages, embedder)
    save_candidates(directory, [c.to_dict() for c in cands], vectors)
    return len(cands)


def save_candidates(directory: Path, records: Sequence[dict[str, Any]], vectors: np.ndarray) -> None:
    np.save(directory / CANDIDATE_VECTORS, vectors, allow_pickle=False)
    with (directory / CANDIDATES).open("w", encoding="utf-8") as f:
        for r in records:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")


@dataclass(frozen=True)
class CandidateIndex:
    """Candidates with their vectors, and for each passage the rows of its own candidates."""

    items: list[Candidate]
    vectors: np.ndarray
    of_passage: dict[str, list[int]]

    @classmethod
    def of(cls, items: list[Candidate], vectors: np.ndarray) -> CandidateIndex:
        if vectors.shape[0] != len(items):
            raise ValueError(f"{len(items)} candidates but {vectors.shape[0]} candidate vectors")
        of_passage: dict[str, list[int]] = {}
        for i, c in enumerate(items):
            of_passage.setdefault(c.passage_id, []).append(i)
        return cls(items, vectors, of_passage)

    @classmethod
    def load(cls, directory: Path) -> CandidateIndex:
        lines = (directory / CANDIDATES).read_text(encoding="utf-8").splitlines()
        items = [Candidate.from_dict(json.loads(line)) for line in lines if line.strip()]
        return cls.of(items, np.load(directory / CANDIDATE_VECTORS, allow_pickle=False))
