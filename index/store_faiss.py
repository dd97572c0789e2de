"""The embedded store: today's index directory (FAISS + bm25s), held in the process's memory.

It reads and writes the files `index.build` writes (`passages.jsonl`, `rows.jsonl`, `vectors.faiss`,
`lexical/`), with two additive fields a one-document directory does without: each row may carry its `doc`,
and `documents.json` lists the documents. A directory written by `index.build.build_index` opens as a store of
its one document.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Sequence
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any

import faiss
import numpy as np

from corpus.candidates import Candidate
from corpus.model import Passage

from .candidates import CANDIDATE_VECTORS, CANDIDATES, CandidateIndex, save_candidates
from .lexical import LexicalIndex
from .manifest import LEXICAL, PASSAGES, REBUILD_HINT, ROWS, VECTORS, BadIndex
from .store import DocumentInfo, Row, Scored, StoreError, check_add, no_candidates

DOCUMENTS = "documents.json"
# HNSW's search breadth: FAISS's default (16) keeps ~94% of the exact top 10 on 10^3 real-like rows.
HNSW_EF_SEARCH = 64


class FaissStore:
    """Rows in one FAISS index (`factory`: "Flat" is exact; "HNSW32" or "IVF…" approximate) and one BM25."""

    def __init__(self, dim: int, factory: str = "Flat") -> None:
        self._dim = dim
        self._index = faiss.index_factory(dim, factory, faiss.METRIC_INNER_PRODUCT)
        if isinstance(self._index, faiss.IndexHNSW):
            self._index.hnsw.efSearch = HNSW_EF_SEARCH
        self._rows: list[Row] = []
        self._passages: dict[str, list[Passage]] = {}
        self._by_id: dict[tuple[str, str], Passage] = {}
        self._documents: list[DocumentInfo] = []
        self._doc_rows: dict[str, np.ndarray] = {}
        self._candidates: dict[str, CandidateIndex] = {}
        self._lexical: LexicalIndex | None = None

    @property
    def dim(self) -> int:
        return self._dim

    @property
    def ntotal(self) -> int:
        return int(self._index.ntotal)

    def add(
        self,
        document: DocumentInfo,
        passages: Sequence[Passage],
        rows: Sequence[Row],
        vectors: np.ndarray,
        tokens: Sequence[list[str]],
        candidates: CandidateIndex | None = None,
    ) -> None:
        # The tokens are `index.lexical.tokenize`'s, which `LexicalIndex.build` applies to the rows' texts itself.
        vectors = check_add(document, passages, rows, vectors, tokens, self._dim, self._passages, candidates)
        if not self._index.is_trained:
            self._index.train(vectors)
        start = len(self._rows)
        self._index.add(vectors)
        self._rows.extend(replace(r, index=start + i) for i, r in enumerate(rows))
        self._lexical = None
        self._register(
            replace(document, passages=len(passages)),
            list(passages),
            np.arange(start, len(self._rows)),
            candidates or no_candidates(self._dim),
        )

    def _register(
        self, document: DocumentInfo, passages: list[Passage], row_ids: np.ndarray, candidates: CandidateIndex
    ) -> None:
        self._documents.append(document)
        self._candidates[document.symbol] = candidates
        self._passages[document.symbol] = passages
        self._by_id.update({(p.doc, p.id): p for p in passages})
        self._doc_rows[document.symbol] = row_ids.astype(np.int64)

    def _lexical_index(self) -> LexicalIndex:
        if self._lexical is None:
            self._lexical = LexicalIndex.build([r.text for r in self._rows])
        return self._lexical

    def _selector(self, docs: Collection[str] | None) -> np.ndarray | None:
        if docs is None:
            return None
        parts = [self._doc_rows[d] for d in docs if d in self._doc_rows]
        return np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)

    def dense_search(self, vector: np.ndarray, k: int, docs: Collection[str] | None = None) -> Scored:
        allowed = self._selector(docs)
        k = min(k, self.ntotal if allowed is None else len(allowed))
        if k <= 0:
            return []
        query = np.asarray(vector, dtype=np.float32).reshape(1, -1)
        if allowed is None:
            sims, idx = self._index.search(query, k)
        else:
            selector = faiss.IDSelectorBatch(allowed)
            sims, idx = self._index.search(query, k, params=_params(self._index, selector, k))
        # FAISS pads with -1 when it finds fewer than k rows.
        return [(self._rows[i], float(s)) for s, i in zip(sims[0], idx[0], strict=True) if i >= 0]

    def lexical_search(self, tokens: list[str], k: int, docs: Collection[str] | None = None) -> Scored:
        if not self._rows or k <= 0:
            return []
        scores = self._lexical_index().scores(tokens)
        allowed = self._selector(docs)
        if allowed is not None:
            mask = np.zeros(len(scores), dtype=bool)
            mask[allowed] = True
            scores = np.where(mask, scores, 0.0)
        top = np.argsort(-scores, kind="stable")[:k]
        return [(self._rows[i], float(scores[i])) for i in top if scores[i] > 0]

    def get_passage(self, doc: str, passage_id: str) -> Passage | None:
        return self._by_id.get((doc, passage_id))

    def passages(self, doc: str) -> list[Passage]:
        return list(self._passages.get(doc, []))

    def rows(self, doc: str) -> list[Row]:
        return [self._rows[i] for i in self._doc_rows.get(doc, [])]

    def documents(self) -> list[DocumentInfo]:
        return list(self._documents)

    def candidates(self, doc: str) -> CandidateIndex:
        return self._candidates.get(doc) or no_candidates(self._dim)

    def close(self) -> None:
        """Nothing to release: the store is the process's memory."""

    # The index directory ---------------------------------------------------------------------------------

    def save(self, directory: Path) -> None:
        """Write the store's files into `directory` (the caller adds the manifest and swaps it into place)."""
        directory.mkdir(parents=True, exist_ok=True)
        faiss.write_index(self._index, str(directory / VECTORS))
        self._lexical_index().save(directory / LEXICAL)
        _write_jsonl(
            directory / PASSAGES, [p.to_dict() for d in self._documents for p in self._passages[d.symbol]]
        )
        _write_jsonl(
            directory / ROWS, [{"passage_id": r.passage_id, "text": r.text, "doc": r.doc} for r in self._rows]
        )
        # One candidates file for every document, each record with its document (ids repeat across documents).
        parts = [(d.symbol, self.candidates(d.symbol)) for d in self._documents]
        save_candidates(
            directory,
            [{**c.to_dict(), "doc": doc} for doc, cands in parts for c in cands.items],
            np.concatenate([c.vectors for _, c in parts])
            if parts
            else np.zeros((0, self._dim), dtype=np.float32),
        )
        (directory / DOCUMENTS).write_text(
            json.dumps([asdict(d) for d in self._documents], ensure_ascii=False, indent=2), encoding="utf-8"
        )

    @classmethod
    def open(cls, directory: Path) -> FaissStore:
        """Load an index directory, whether written by `save` or by `index.build.build_index` (one document)."""
        try:
            passages = [Passage.from_dict(json.loads(line)) for line in _lines(directory / PASSAGES)]
            raw_rows = [json.loads(line) for line in _lines(directory / ROWS)]
            index = faiss.read_index(str(directory / VECTORS))
            lexical = LexicalIndex.load(directory / LEXICAL)
            raw_cands = [json.loads(line) for line in _lines(directory / CANDIDATES)]
            cand_vectors = np.load(directory / CANDIDATE_VECTORS, allow_pickle=False)
            listed = (
                json.loads((directory / DOCUMENTS).read_text(encoding="utf-8"))
                if (directory / DOCUMENTS).exists()
                else None
            )
        except (OSError, ValueError, RuntimeError, KeyError, TypeError) as exc:
            raise BadIndex(f"the index at {directory} is corrupt ({exc}); {REBUILD_HINT}") from exc
        by_doc: dict[str, list[Passage]] = {}
        for p in passages:
            by_doc.setdefault(p.doc, []).append(p)
        if any("doc" not in r for r in raw_rows) and len(by_doc) > 1:
            raise BadIndex(
                f"the rows at {directory} name no document but it holds {len(by_doc)}; {REBUILD_HINT}"
            )
        only = next(iter(by_doc), "")
        documents = (
            [DocumentInfo(**d) for d in listed]
            if listed is not None
            else [DocumentInfo(symbol=d, passages=len(ps)) for d, ps in by_doc.items()]
        )
        if index.ntotal != len(raw_rows):
            raise BadIndex(
                f"the index at {directory} has {index.ntotal} vectors for {len(raw_rows)} rows; "
                f"{REBUILD_HINT}"
            )
        store = cls(index.d)
        store._index = index
        store._rows = [Row(r.get("doc", only), r["passage_id"], r["text"], i) for i, r in enumerate(raw_rows)]
        store._lexical = lexical
        if cand_vectors.shape[0] != len(raw_cands):
            raise BadIndex(
                f"the index at {directory} has {cand_vectors.shape[0]} candidate vectors for "
                f"{len(raw_cands)} candidates; {REBUILD_HINT}"
            )
        # A directory of `build_index` names no document in its candidates: they are its one document's.
        cand_doc = np.array([c.pop("doc", only) for c in raw_cands], dtype=object)
        items = [Candidate.from_dict(c) for c in raw_cands]
        doc_of = np.array([r.doc for r in store._rows], dtype=object)
        for d in documents:
            if d.symbol not in by_doc:
                raise StoreError(f"{DOCUMENTS} at {directory} lists {d.symbol!r}, which has no passages")
            mine = np.flatnonzero(cand_doc == d.symbol)
            store._register(
                d,
                by_doc[d.symbol],
                np.flatnonzero(doc_of == d.symbol),
                CandidateIndex.of([items[i] for i in mine], cand_vectors[mine]),
            )
        return store


def _params(index: Any, selector: Any, k: int) -> Any:
    """Search parameters that keep to the selected rows (FAISS's type stubs lack these classes: Any)."""
    f: Any = faiss
    if isinstance(index, faiss.IndexHNSW):
        # Parameters replace the index's own efSearch, so carry it over.
        return f.SearchParametersHNSW(sel=selector, efSearch=max(k, index.hnsw.efSearch))
    if isinstance(index, faiss.IndexIVF):
        return f.SearchParametersIVF(sel=selector, nprobe=index.nprobe)
    return f.SearchParameters(sel=selector)


def _write_jsonl(path: Path, rows: list[dict[str, Any]]) -> None:
    with path.open("w", encoding="utf-8") as f:
        for row in rows:
            f.write(json.dumps(row, ensure_ascii=False) + "\n")


def _lines(path: Path) -> list[str]:
    return [line for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
