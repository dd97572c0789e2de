"""One document's passages ranked for a query: exact lookup first, then dense and lexical ranks fused.

`DocumentRetriever` holds the ranking rules once. It reads its rows through two small interfaces, a FAISS-like
dense index (`ntotal`, `search(x, k)`) and a lexical scorer (`scores(tokens)`): the index directory gives it
FAISS and `LexicalIndex` themselves, a store gives it views of one document's rows (`index.store_retriever`).
The query is a `Query` (`index.retriever`): its ids, symbols, subprogrammes and translations were read once,
by question analysis, and are never parsed here again.
"""

from __future__ import annotations

import difflib
import json
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import faiss
import numpy as np

from corpus.headings import subprogramme_heading
from corpus.ids import InvalidId, ancestors, parse_id, parse_table_ref
from corpus.model import Passage
from corpus.symbols import mention_offsets, parse_symbol
from corpus.text import normalise

from .candidates import CandidateIndex
from .encoder import QueryEncoder
from .lexical import LexicalIndex, load_tokenizer, tokenize
from .manifest import LEXICAL, PASSAGES, REBUILD_HINT, ROWS, VECTORS, BadIndex, Manifest
from .query import Hit, Query, UnknownId, UnknownSymbol

# Reciprocal rank fusion (Cormack et al.) with a small k, so that rank 1 stands out in a corpus of a few hundred
# passages, and lexical ranks weighted up: exact terms (figures, symbols, names) decide most drafters'
# questions. Both chosen on eval/questions.jsonl (k 5/10/20/60, lexical weight 1/1.5/2; eval/REPORT.md).
RRF_K = 10
DENSE_WEIGHT = 1.0
LEXICAL_WEIGHT = 1.5
# A query that names a subprogramme wants its passages, not the four near-identical siblings'.
SCOPE_BOOST = 1.6
SCOPE_PENALTY = 0.6
# Amounts "in thousands of dollars" are printed only in tables and figures; paragraphs say 美元.
TABLE_UNIT_BOOST = 1.6
# The best fused score a passage can have: rank 1 in both lists inside a named scope (scores are over this).
BEST_FUSED = (DENSE_WEIGHT + LEXICAL_WEIGHT) / (RRF_K + 1) * SCOPE_BOOST


class DenseRows(Protocol):
    """What ranking needs of a dense index: FAISS's `ntotal` and `search` (cosine on normalised vectors)."""

    ntotal: int

    def search(self, x: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]: ...


class LexicalRows(Protocol):
    def scores(self, tokens: list[str]) -> np.ndarray: ...


class DocumentRetriever:
    """One document: its passages, exact lookup by id or cited symbol, and ranked retrieval."""

    def __init__(
        self,
        manifest: Manifest,
        passages: list[Passage],
        row_passage: list[str],
        dense: DenseRows,
        lexical: LexicalRows,
        encoder: QueryEncoder,
        candidates: CandidateIndex | None = None,
    ) -> None:
        self.manifest = manifest
        self.passages = passages
        self.doc = passages[0].doc if passages else manifest.doc
        self.by_id = {p.id: p for p in passages}
        self.order = {p.id: i for i, p in enumerate(passages)}
        self.row_passage = row_passage
        self.dense = dense
        self.lexical = lexical
        self.encoder = encoder
        self._citing: dict[str, list[str]] = {}
        self.links: dict[str, str | None] = {}
        for p in passages:
            for s in p.symbols:
                self._citing.setdefault(s.symbol, []).append(p.id)
                self.links.setdefault(s.symbol, s.url)
        # The subprogramme each heading opens ("次级方案 3 常规武器" → "3"): what a scope boost compares.
        self.scopes = {h: sp[0] for p in passages for h in p.heading if (sp := subprogramme_heading(h))}
        self._under = {
            p.id: frozenset(self.scopes[h] for h in p.heading if h in self.scopes) for p in passages
        }
        # Each passage's paragraph and item above it (`corpus.ids.ancestors`), read on every overlap test.
        self.ancestors = {p.id: tuple(ancestors(p.id)) for p in passages}
        self.candidates = candidates or CandidateIndex(
            [], np.zeros((0, encoder.embedder.dim), dtype=np.float32), {}
        )
        load_tokenizer()

    @classmethod
    def load(cls, directory: Path, manifest: Manifest, encoder: QueryEncoder) -> DocumentRetriever:
        """Open an index directory whose manifest was checked; a damaged one raises `BadIndex`."""
        try:
            passages = [Passage.from_dict(json.loads(line)) for line in _lines(directory / PASSAGES)]
            rows = [json.loads(line) for line in _lines(directory / ROWS)]
            vectors = faiss.read_index(str(directory / VECTORS))
            lexical = LexicalIndex.load(directory / LEXICAL)
            cands = CandidateIndex.load(directory)
        except (OSError, ValueError, RuntimeError, KeyError, TypeError) as exc:
            raise BadIndex(f"the index at {directory} is corrupt ({exc}); {REBUILD_HINT}") from exc
        dim = encoder.embedder.dim
        if vectors.ntotal != len(rows) or len(rows) != manifest.rows or vectors.d != dim:
            raise BadIndex(
                f"the index at {directory} is inconsistent ({vectors.ntotal} vectors of dimension {vectors.d}, "
                f"{len(rows)} rows, manifest says {manifest.rows}; model dimension {dim}); {REBUILD_HINT}"
            )
        return cls(manifest, passages, [r["passage_id"] for r in rows], vectors, lexical, encoder, cands)

    # Exact lookup ----------------------------------------------------------------------------------------

    def resolve(self, text: str) -> Passage:
        """Any id form of docs/DESIGN.md §1 → its passage, or UnknownId with the nearest valid ids."""
        try:
            canonical = parse_id(text)
        except InvalidId:
            canonical = normalise(text).replace(" ", "")
        if canonical in self.by_id:
            return self.by_id[canonical]
        if (ref := parse_table_ref(canonical)) and (table := self.by_id.get(ref.table)) and table.table:
            # A row or cell id resolves to its table passage; the caller reads the row or cell from the grid.
            if ref.row is not None and table.table.find(ref.row, ref.col) is not None:
                return table
            raise UnknownId(text, table.table.nearest(ref.row, ref.col))
        raise UnknownId(text, self.nearest_ids(canonical))

    def nearest_ids(self, text: str, n: int = 5) -> list[str]:
        return difflib.get_close_matches(text, list(self.by_id), n=n, cutoff=0.3)

    def citing(self, symbol: str) -> tuple[str, list[tuple[Passage, list[tuple[int, int]]]], str | None]:
        """The most specific passages mentioning a symbol, each with the offsets of its mentions in its text.

        A mention inside an item is the item's, not its paragraph's too (4.88(b)㈠ is listed, 4.88 is not, unless
        the paragraph's own lead-in also mentions it). Accepts `A/RES/77/71`, `第77/71号决议`, `resolution 77/71`.
        """
        sym = parse_symbol(unicodedata.normalize("NFKC", symbol))
        ids = self._citing.get(sym)
        if not ids:
            raise UnknownSymbol(symbol, difflib.get_close_matches(sym, list(self._citing), n=5, cutoff=0.5))
        out: list[tuple[Passage, list[tuple[int, int]]]] = []
        for pid in ids:
            p = self.by_id[pid]
            mentions = mention_offsets(p.text, sym)
            for child in (self.by_id[c] for c in p.children if c in ids and c in self.by_id):
                at = p.text.find(child.text)
                if at >= 0:
                    mentions = [(s, e) for s, e in mentions if not (at <= s and e <= at + len(child.text))]
            if mentions:
                out.append((p, mentions))
        return sym, out, self.links.get(sym)

    def mentioned(self, q: Query) -> list[Passage]:
        """Passages a query names: by id, or by a document symbol they cite."""
        out: list[str] = [cid for cid in q.ids if cid in self.by_id]
        for sym in q.symbols:
            citing = self._citing.get(sym) or self._printed(sym)
            for pid in citing:
                if not any(a in citing for a in ancestors(pid)):
                    out.append(pid)
        return [self.by_id[i] for i in dict.fromkeys(out)]

    def _printed(self, symbol: str) -> list[str]:
        """Passages that print a symbol the document gives no link for (`75/253 A`): found by its text."""
        if "/" not in symbol:
            return []
        pattern = re.compile(r"(?<![\d/])" + re.escape(symbol).replace(r"\ ", r"\s?") + r"(?![\d/])")
        return [p.id for p in self.passages if pattern.search(p.text)]

    # Ranked retrieval ------------------------------------------------------------------------------------

    def embed_query(self, q: Query) -> np.ndarray:
        return self.encoder.embed(q.text)

    def evidence(self, q: Query) -> tuple[dict[str, float], list[Passage]]:
        """What needs no query vector: each passage's lexical score (`_lexical`) and the passages it names."""
        return self._lexical(q), self.mentioned(q)

    def fuse(
        self,
        q: Query,
        vector: np.ndarray | None = None,
        evidence: tuple[dict[str, float], list[Passage]] | None = None,
    ) -> Fused:
        """Every passage's dense and lexical evidence and their fused score: the ranking before it is cut to a
        list (`search`), for callers that choose among all passages themselves (the search box). `evidence` is
        `evidence(q)` when the caller read it already (while the vector was being computed)."""
        lexical, exact = evidence if evidence is not None else self.evidence(q)
        if vector is None:
            vector = self.embed_query(q)
        n = self.dense.ntotal
        sims, idx = self.dense.search(vector.reshape(1, -1).astype(np.float32), n)
        dense: dict[str, float] = {}
        for s, i in zip(sims[0].tolist(), idx[0].tolist(), strict=True):
            if i < 0:  # FAISS pads with -1 when asked for more rows than it holds
                continue
            pid = self.row_passage[i]
            if pid not in dense:
                dense[pid] = s
        fused: dict[str, float] = {}
        for rank, pid in enumerate(sorted(dense, key=lambda p: (-dense[p], self.order[p]))):
            fused[pid] = DENSE_WEIGHT / (RRF_K + rank + 1)
        for rank, pid in enumerate(sorted(lexical, key=lambda p: (-lexical[p], self.order[p]))):
            fused[pid] = fused.get(pid, 0.0) + LEXICAL_WEIGHT / (RRF_K + rank + 1)
        # A subprogramme the document does not have scopes nothing (the reader says the document lacks it).
        wanted = set(q.subprogrammes) & set(self.scopes.values())
        if wanted:
            for pid in fused:
                under = self._under[pid]
                if under & wanted:
                    fused[pid] *= SCOPE_BOOST
                elif under:
                    fused[pid] *= SCOPE_PENALTY
        if q.thousands:
            for pid in fused:
                if self.by_id[pid].kind in ("table", "figure"):
                    fused[pid] *= TABLE_UNIT_BOOST
        return Fused(dense, lexical, fused, exact)

    def _lexical(self, q: Query) -> dict[str, float]:
        """Each passage's best BM25 over its rows, over the best of any row; passages above 0 only."""
        lex_scores = self.lexical.scores(lexical_tokens(q))
        top_lex = float(lex_scores.max()) if len(lex_scores) else 0.0
        lexical: dict[str, float] = {}
        for i in np.argsort(-lex_scores, kind="stable"):
            if lex_scores[i] <= 0:
                break
            lexical.setdefault(self.row_passage[i], float(lex_scores[i]) / top_lex)
        return lexical

    def search(self, q: Query, top_k: int = 10, vector: np.ndarray | None = None) -> list[Hit]:
        """Ranked passages: the ones the query names first, then dense and lexical ranks fused."""
        f = self.fuse(q, vector)
        exact_ids = {p.id for p in f.exact}
        ranked = [p.id for p in f.exact] + sorted(
            (p for p in f.fused if p not in exact_ids), key=lambda p: (-f.fused[p], self.order[p])
        )
        hits: list[Hit] = []
        kept: set[str] = set()
        kept_ancestors: set[str] = (
            set()
        )  # the paragraphs of the items kept, so an overlap test is two lookups
        for pid in ranked:
            if pid not in exact_ids and self.overlaps(pid, kept, kept_ancestors):
                continue
            kept.add(pid)
            kept_ancestors.update(self.ancestors[pid])
            hits.append(f.hit(self.by_id[pid], pid in exact_ids))
            if len(hits) >= top_k:
                break
        return hits

    def overlaps(self, pid: str, kept: set[str], kept_ancestors: set[str]) -> bool:
        """An item whose paragraph is already listed, or a paragraph whose item is, adds nothing new."""
        return pid in kept_ancestors or any(a in kept for a in self.ancestors[pid])


@dataclass(frozen=True)
class Fused:
    """One query's evidence for every passage of a document (`DocumentRetriever.fuse`)."""

    dense: dict[str, float]  # best cosine of each passage's rows with the query
    lexical: dict[str, float]  # best BM25 of its rows over the best of any row; only passages above 0
    fused: dict[str, float]  # RRF of the two ranks, with the scope and table-unit boosts
    exact: list[Passage]  # named by id or by a symbol they cite, in the order named

    def score(self, pid: str, exact: bool = False) -> float:
        """0..1: 1 is rank 1 in both lists inside a named scope, or an exact lookup (two boosts on one passage are
        capped at 1)."""
        return 1.0 if exact else round(min(1.0, self.fused.get(pid, 0.0) / BEST_FUSED), 6)

    def hit(self, p: Passage, exact: bool) -> Hit:
        return Hit(
            passage=p,
            score=self.score(p.id, exact),
            dense=self.dense.get(p.id, 0.0),
            lexical=self.lexical.get(p.id, 0.0),
            exact=exact,
        )


def lexical_tokens(q: Query) -> list[str]:
    """What BM25 matches: the question's tokens, and the Chinese terms its English words translate to."""
    tokens = tokenize(q.text)
    if q.translations:
        tokens += tokenize(" ".join(q.translations))
    return tokens


def _lines(path: Path) -> list[str]:
    return [line for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
