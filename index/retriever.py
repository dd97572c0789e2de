"""Load an index directory and answer queries: exact lookup first, then dense and lexical fused."""

from __future__ import annotations

import difflib
import json
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import faiss
import numpy as np

from corpus.glossary import expand
from corpus.ids import InvalidId, ancestors, find_ids, parse_id, parse_table_ref
from corpus.model import Passage
from corpus.symbols import find_symbol_mentions, mention_offsets, parse_symbol

from .batcher import MAX_PENDING, QueryBatcher
from .cache import LRU
from .candidates import CandidateIndex
from .embedder import Embedder, engine_of
from .fingerprint import code_sha256
from .lexical import LexicalIndex, load_tokenizer, tokenize
from .manifest import LEXICAL, PASSAGES, REBUILD_HINT, ROWS, VECTORS, IndexError_, Manifest, Wanted

# Reciprocal rank fusion (Cormack et al.) with a small k, so that rank 1 stands out in a corpus of a few hundred
# passages, and lexical ranks weighted up: exact terms (figures, symbols, names) decide most drafters'
# questions. Both chosen on eval/questions.jsonl (k 5/10/20/60, lexical weight 1/1.5/2; eval/REPORT.md).
RRF_K = 10
DENSE_WEIGHT = 1.0
LEXICAL_WEIGHT = 1.5
# A query that names a subprogramme wants its passages, not the four near-identical siblings'.
SCOPE_BOOST = 1.6
SCOPE_PENALTY = 0.6
_SCOPE_RE = re.compile(r"^次级方案\s*(\d+)\s*(.*)$")
TABLE_UNIT_BOOST = 1.6
_TABLE_UNIT = re.compile(r"千美元|thousands? of (?:US )?dollars|in thousands", re.I)
# A bare number is a paragraph id unless a unit follows it: "增长 4.1%" or "4.5 千美元" is not paragraph 4.1.
_NOT_AN_ID_AFTER = re.compile(r"^\s?(?:%|％|美元|千|万|亿|个|名|年|倍|million|percent|per\s?cent|dollars)")


class UnknownId(LookupError):
    def __init__(self, text: str, nearest: list[str]) -> None:
        super().__init__(f"no passage {text!r} in this document; nearest: {', '.join(nearest) or 'none'}")
        self.text = text
        self.nearest = nearest


class UnknownSymbol(LookupError):
    def __init__(self, symbol: str, nearest: list[str]) -> None:
        super().__init__(f"no passage cites {symbol!r}; symbols it cites that look alike: {', '.join(nearest) or 'none'}")
        self.symbol = symbol
        self.nearest = nearest


@dataclass(frozen=True)
class Hit:
    passage: Passage
    score: float
    dense: float  # best cosine of the passage's rows with the query
    lexical: float  # best BM25 of its rows, divided by the best BM25 of any row
    exact: bool  # named by id or by a symbol it cites


def normalise_query(text: str) -> str:
    return re.sub(r"\s+", " ", unicodedata.normalize("NFKC", text)).strip()


class Retriever:
    def __init__(self, manifest: Manifest, passages: list[Passage], row_passage: list[str],
                 vectors: faiss.Index, lexical: LexicalIndex, embedder: Embedder, cache_size: int = 2048,
                 max_pending: int = MAX_PENDING, candidates: CandidateIndex | None = None) -> None:
        self.manifest = manifest
        self.passages = passages
        self.by_id = {p.id: p for p in passages}
        self.order = {p.id: i for i, p in enumerate(passages)}
        self.row_passage = row_passage
        self._vectors = vectors
        self._lexical = lexical
        self.embedder = embedder
        self._citing: dict[str, list[str]] = {}
        self.links: dict[str, str | None] = {}
        for p in passages:
            for s in p.symbols:
                self._citing.setdefault(s.symbol, []).append(p.id)
                self.links.setdefault(s.symbol, s.url)
        self.scopes = _scopes(passages)
        self.candidates = candidates or CandidateIndex([], np.zeros((0, embedder.dim), dtype=np.float32), {})
        self._vectors_cache: LRU[np.ndarray] = LRU(cache_size)
        self._batcher = QueryBatcher(embedder.embed_queries, max_pending=max_pending)
        load_tokenizer()

    def close(self) -> None:
        """Stop the query-embedding worker (an index swapped out by /reload); later queries get `Closed`."""
        self._batcher.close()

    @classmethod
    def load(cls, directory: Path, embedder: Embedder, query_prefix: str, passage_prefix: str,
             corpus_sha256: str, cache_size: int = 2048, *, doc: str | None = None,
             max_pending: int = MAX_PENDING) -> Retriever:
        """Open an index, refusing one built for other settings, code or query engine, or one that is damaged.

        `doc` (the document symbol the settings name) is checked when given.
        """
        manifest = Manifest.load(directory)
        manifest.check(Wanted(
            model_id=embedder.model_id, query_prefix=query_prefix, passage_prefix=passage_prefix,
            corpus_sha256=corpus_sha256, code_sha256=code_sha256(), doc=manifest.doc if doc is None else doc,
            query_engine=engine_of(embedder),
        ))
        manifest.verify(directory)
        try:
            passages = [Passage.from_dict(json.loads(line)) for line in _lines(directory / PASSAGES)]
            rows = [json.loads(line) for line in _lines(directory / ROWS)]
            vectors = faiss.read_index(str(directory / VECTORS))
            lexical = LexicalIndex.load(directory / LEXICAL)
            cands = CandidateIndex.load(directory)
        except (OSError, ValueError, RuntimeError, KeyError, TypeError) as exc:
            raise IndexError_(f"the index at {directory} is corrupt ({exc}); {REBUILD_HINT}") from exc
        if vectors.ntotal != len(rows) or len(rows) != manifest.rows or vectors.d != embedder.dim:
            raise IndexError_(
                f"the index at {directory} is inconsistent ({vectors.ntotal} vectors of dimension {vectors.d}, "
                f"{len(rows)} rows, manifest says {manifest.rows}; model dimension {embedder.dim}); {REBUILD_HINT}"
            )
        return cls(manifest, passages, [r["passage_id"] for r in rows], vectors,
                   lexical, embedder, cache_size, max_pending, cands)

    # Exact lookup ----------------------------------------------------------------------------------------

    def resolve(self, text: str) -> Passage:
        """Any id form of docs/DESIGN.md §1 → its passage, or UnknownId with the nearest valid ids."""
        try:
            canonical = parse_id(text)
        except InvalidId:
            canonical = normalise_query(text).replace(" ", "")
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

    def mentioned(self, query: str) -> list[Passage]:
        """Passages a query names: by id, or by a document symbol they cite."""
        out: list[str] = []
        for cid in find_ids(query):
            if cid in self.by_id and not self._is_quantity(query, cid):
                out.append(cid)
        for sym in find_symbol_mentions(query):
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

    @staticmethod
    def _is_quantity(query: str, cid: str) -> bool:
        if not re.fullmatch(r"\d+\.\d+", cid):
            return False
        text = unicodedata.normalize("NFKC", query)
        for m in re.finditer(re.escape(cid) + r"(?!\d)", text):
            if _NOT_AN_ID_AFTER.match(text[m.end():]) is None:
                return False
        return True

    # Ranked retrieval ------------------------------------------------------------------------------------

    def embed_query(self, query: str) -> np.ndarray:
        """The query vector, from a bounded LRU cache keyed on the normalised query."""
        key = normalise_query(query)
        return self._vectors_cache.get_or_compute(key, lambda: self._batcher.embed(key))

    def lexical_tokens(self, query: str) -> list[str]:
        tokens = tokenize(normalise_query(query))
        extra = expand(query)
        if extra:
            tokens += tokenize(" ".join(extra))
        return tokens

    def search(self, query: str, top_k: int = 10, vector: np.ndarray | None = None) -> list[Hit]:
        """Ranked passages: the ones the query names first, then dense and lexical ranks fused."""
        if vector is None:
            vector = self.embed_query(query)
        n = self._vectors.ntotal
        sims, idx = self._vectors.search(vector.reshape(1, -1).astype(np.float32), n)
        dense: dict[str, float] = {}
        for s, i in zip(sims[0], idx[0], strict=True):
            if i < 0:  # FAISS pads with -1 when asked for more rows than it holds
                continue
            pid = self.row_passage[i]
            if pid not in dense:
                dense[pid] = float(s)
        lex_scores = self._lexical.scores(self.lexical_tokens(query))
        top_lex = float(lex_scores.max()) if len(lex_scores) else 0.0
        lexical: dict[str, float] = {}
        for i in np.argsort(-lex_scores, kind="stable"):
            if lex_scores[i] <= 0:
                break
            lexical.setdefault(self.row_passage[i], float(lex_scores[i]) / top_lex)
        fused: dict[str, float] = {}
        for rank, pid in enumerate(sorted(dense, key=lambda p: (-dense[p], self.order[p]))):
            fused[pid] = DENSE_WEIGHT / (RRF_K + rank + 1)
        for rank, pid in enumerate(sorted(lexical, key=lambda p: (-lexical[p], self.order[p]))):
            fused[pid] = fused.get(pid, 0.0) + LEXICAL_WEIGHT / (RRF_K + rank + 1)
        wanted = self.scopes_of(query)
        if wanted:
            for pid in fused:
                heading = self.by_id[pid].heading
                under = {h for h in heading if h in self.scopes}
                if under & wanted:
                    fused[pid] *= SCOPE_BOOST
                elif under:
                    fused[pid] *= SCOPE_PENALTY
        if _TABLE_UNIT.search(query):
            # Amounts "in thousands of dollars" are printed only in tables and figures; paragraphs say 美元.
            for pid in fused:
                if self.by_id[pid].kind in ("table", "figure"):
                    fused[pid] *= TABLE_UNIT_BOOST
        exact = self.mentioned(query)
        exact_ids = {p.id for p in exact}
        ranked = [p.id for p in exact] + sorted(
            (p for p in fused if p not in exact_ids), key=lambda p: (-fused[p], self.order[p])
        )
        # Scores run 0..1: 1 is rank 1 in both lists inside a named scope, or an exact lookup (two boosts on
        # one passage are capped at 1 below).
        best_norm = (DENSE_WEIGHT + LEXICAL_WEIGHT) / (RRF_K + 1) * SCOPE_BOOST
        hits: list[Hit] = []
        kept: set[str] = set()
        kept_ancestors: set[str] = set()  # the paragraphs of the items kept, so an overlap test is two lookups
        for pid in ranked:
            if pid not in exact_ids and _overlaps(pid, kept, kept_ancestors):
                continue
            kept.add(pid)
            kept_ancestors.update(ancestors(pid))
            hits.append(Hit(
                passage=self.by_id[pid],
                score=1.0 if pid in exact_ids else round(min(1.0, fused.get(pid, 0.0) / best_norm), 6),
                dense=dense.get(pid, 0.0), lexical=lexical.get(pid, 0.0), exact=pid in exact_ids,
            ))
            if len(hits) >= top_k:
                break
        return hits

    def scopes_of(self, query: str) -> set[str]:
        """The subprogramme headings a query names, by number ("次级方案 3", "subprogramme 3") or by name."""
        text = unicodedata.normalize("NFKC", query).lower()
        return {h for h, scope in self.scopes.items() if any(p.search(text) for p in scope.patterns)}



def _overlaps(pid: str, kept: set[str], kept_ancestors: set[str]) -> bool:
    """An item whose paragraph is already listed, or a paragraph whose item is, adds nothing new."""
    return any(a in kept for a in ancestors(pid)) or pid in kept_ancestors


@dataclass(frozen=True)
class Scope:
    """A subprogramme heading ("次级方案 3 常规武器"), its number and name, and how a query may name it."""

    number: str
    name: str
    patterns: tuple[re.Pattern[str], ...]

    @property
    def names(self) -> list[str]:
        """How the document's sentences and table rows name it: "次级方案 3", "3. 常规武器", "常规武器"."""
        return [f"次级方案 {self.number}"] + ([f"{self.number}. {self.name}", self.name] if self.name else [])


def _scopes(passages: list[Passage]) -> dict[str, Scope]:
    out: dict[str, Scope] = {}
    for p in passages:
        for h in p.heading:
            m = _SCOPE_RE.match(h)
            if m and h not in out:
                patterns = [re.compile(rf"(?:次级方案|sub-?programme|subprogram)\s*{m[1]}(?!\d)")]
                if m[2]:
                    patterns.append(re.compile(re.escape(m[2].lower())))
                out[h] = Scope(m[1], m[2], tuple(patterns))
    return out


def _lines(path: Path) -> list[str]:
    return [line for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
