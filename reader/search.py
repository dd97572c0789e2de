"""The intranet search box: ranked passages, paged, filtered and faceted, each with a snippet and highlights on
word boundaries.

**What matches** (and so what `total` counts): a passage the query names (an id, a symbol it cites); a passage
whose text contains one of the query's words as `reader.searchwords` reads them (its own words, the Chinese of
its English, the last word completed, English slips corrected); or one whose dense similarity reaches
`DENSE_FLOOR`. Sub-words do not count: 小武器 matches passages that print 小武器, not every passage that prints
武器 (BM25 still sees the sub-words, for ranking). Below the floor with no word in the text is what a query the
document says nothing about looks like (`qwertyzzz`): the list is empty rather than the 10 least-unlike passages.

**Ranking** is the retriever's (`index.ranking.DocumentRetriever.fuse`: dense and BM25 ranks fused), with the
completions and translations added to what BM25 matches. An item is never listed beside its paragraph: of the
two, the one ranked first is listed (`total` counts what is listed, so paging through it ends at `total`).

**Filters and facets**: `kind`, `subprogramme`, `section` (the template section, `reader.template.section_of`)
and `doc` narrow the matches before the item/paragraph rule, several values of one filter meaning any of them.
A facet count is the `total` that filter value would give with the other filters as they are: the matches with
that value, under every *other* filter, after the item/paragraph rule (so a paragraph hidden by its item in the
unfiltered list still counts under `kind=paragraph`). Passages with no subprogramme or section (the overview,
part B's totals) have no value in those facets.

**Snippets** are centred on the query's rarest word in the passage: a symbol or id the query names first, then
the word the fewest passages print; the quote is the sentence that holds it.
"""

from __future__ import annotations

import bisect
import dataclasses
import math
import re
import threading
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np

from corpus.candidates import sentence_spans
from corpus.model import Passage
from corpus.text import normalise
from index.cache import LRU
from index.lexical import tokenize
from index.ranking import DocumentRetriever, Fused
from index.retriever import Retriever

from .compose import best_span
from .question import Question, analyse
from .reply import Found
from .searchwords import English, Vocabulary, Words, pattern, read
from .template import SECTION_OF_HEADING, Template, section_of
from .words import Known, snap_back, snap_forward, warm, window

# Chosen on the dev split of eval/questions.jsonl (147 questions as it then stood, an earlier and smaller set; never on test) with multilingual-e5-small:
# of the passages in a dev question's top 10 that share no word with it, none was a gold passage (0 of 49) and
# the most similar reached 0.886; every gold passage in a top 10 shared a word or was named (146 of 146). So dense
# similarity alone admits a passage only above what a wrong dense-only match reached on dev. Strings the document
# says nothing about reach 0.76-0.86 (qwertyzzz 0.797, 香蕉火车键盘 0.839, 的的的 0.863).
DENSE_FLOOR = 0.89
SNIPPET_CHARS = 160
QUOTE_CHARS = 200
KINDS = ("paragraph", "item", "table", "figure", "foreword", "annex")
FACETS = ("kind", "subprogramme", "section", "doc")
# The template sections a passage may sit in, in the template's order (`reader.template.section_of`).
SECTIONS: tuple[str, ...] = tuple(dict.fromkeys([*(s for _, s in SECTION_OF_HEADING), "资源"]))
# Their English names, as the English edition heads them (lower case; a filter value is matched case-blind).
SECTION_EN: dict[str, str] = {
    "objective": "目标",
    "strategy": "战略",
    "programme performance": "方案执行情况",
    "planned results": "计划成果",
    "lessons learned": "经验教训",
    "deliverables": "应交付产出",
    "evaluation activities": "评价活动",
    "evaluation": "评价活动",
    "mandate and background": "任务和背景",
    "external factors": "外部因素",
    "legislative mandates": "立法授权",
    "resources": "资源",
}
SUBPROGRAMME_FILTER = re.compile(r"(?:次级方案|[Ss]ubprogramme)?\s?(\d{1,2})")


class BadFilter(ValueError):
    """A filter value the search box does not know; the message lists the values it does."""


@dataclass(frozen=True)
class Filters:
    """What the matches are narrowed to; an empty set is no filter. Values as the facets name them."""

    kind: frozenset[str] = frozenset()
    subprogramme: frozenset[str] = frozenset()
    section: frozenset[str] = frozenset()
    doc: frozenset[str] = frozenset()

    def on(self) -> list[str]:
        return [name for name in FACETS if getattr(self, name)]

    def admits(self, values: Facets, skip: str | None = None) -> bool:
        if not (self.kind or self.subprogramme or self.section or self.doc):
            return True
        for name in FACETS:
            wanted: frozenset[str] = getattr(self, name)
            if wanted and name != skip and getattr(values, name) not in wanted:
                return False
        return True


@dataclass(frozen=True)
class Facets:
    """A passage's value for each facet (None: it has none, e.g. no subprogramme in the overview)."""

    kind: str
    subprogramme: str | None
    section: str | None
    doc: str


@dataclass(slots=True)  # made for every match of every query: slots, and no frozen-dataclass setattr cost
class Match:
    passage: Passage
    score: float
    exact: bool
    facets: Facets
    found: Mapping[str, tuple[tuple[int, int], ...]]  # the query's words in its text, with their offsets
    key: tuple[str, str] = ("", "")  # (doc, id): ids repeat across documents
    up: tuple[tuple[str, str], ...] = ()  # the keys of its paragraph and item above it


@dataclass(frozen=True)
class Ranked:
    """Every match of one query, best first, before filters and the item/paragraph rule."""

    matches: list[Match]
    words: Words
    rarity: Mapping[str, tuple[int, int, int]]  # word -> sort key, rarest first


@dataclass(frozen=True)
class _Read:
    """A query read without its vector (`Searcher._read`)."""

    q: Question  # with the completions and corrected English as translations, for BM25
    words: Words
    found: list[dict[str, dict[int, tuple[tuple[int, int], ...]]]]  # per document: word -> passage -> offsets
    rarity: Mapping[str, tuple[int, int, int]]
    evidence: list[tuple[dict[str, float], list[Passage]]]  # per document: `DocumentRetriever.evidence`


# Reads queries while their callers embed them (`Searcher.page`): one for every index, so a reload leaks none.
_HELPER = ThreadPoolExecutor(max_workers=2, thread_name_prefix="citeqa-search")


@dataclass(frozen=True)
class Page:
    hits: list[Found]
    total: int
    facets: dict[str, dict[str, int]] = field(default_factory=dict)
    words: Words = field(default_factory=lambda: Words(()))


class _Document:
    """One document as the search box reads it: its passages' facet values, and its text for finding words."""

    def __init__(self, view: DocumentRetriever, template: Template) -> None:
        self.view = view
        self.template = template
        self.passages = view.passages
        self.facets = [
            Facets(p.kind, template.subprogramme_of(p), section_of(p), p.doc) for p in self.passages
        ]
        self.keys = [(p.doc, p.id) for p in self.passages]
        self.up = [tuple((p.doc, a) for a in view.ancestors[p.id]) for p in self.passages]
        # All texts end to end, so one regular-expression scan finds a word in every passage.
        self._text = "\x00".join(p.text for p in self.passages)
        self._starts: list[int] = []
        at = 0
        for p in self.passages:
            self._starts.append(at)
            at += len(p.text) + 1
        self._found: LRU[dict[int, tuple[tuple[int, int], ...]]] = LRU(8192)

    def match(
        self, i: int, score: float, exact: bool, found: Mapping[str, tuple[tuple[int, int], ...]]
    ) -> Match:
        return Match(self.passages[i], score, exact, self.facets[i], found, self.keys[i], self.up[i])

    def find(self, word: str) -> dict[int, tuple[tuple[int, int], ...]]:
        """Passage number -> offsets of `word` in its text (cached: a search box asks the same words often)."""

        def scan() -> dict[int, tuple[tuple[int, int], ...]]:
            out: dict[int, list[tuple[int, int]]] = {}
            for m in pattern(word).finditer(self._text):
                i = bisect.bisect_right(self._starts, m.start()) - 1
                base = self._starts[i]
                out.setdefault(i, []).append((m.start() - base, m.end() - base))
            return {i: tuple(v) for i, v in out.items()}

        return self._found.get_or_compute(word, scan)


class Searcher:
    """The search box over an index of one or more documents; one per loaded index (its caches go with it)."""

    def __init__(
        self,
        retriever: Retriever,
        templates: Mapping[str, Template],
        vocabularies: Mapping[str, Mapping[str, float]],
        cache_size: int = 2048,
        english: English | None = None,
    ) -> None:
        self.retriever = retriever
        self.documents = {
            d.symbol: _Document(retriever.view(d.symbol), templates[d.symbol]) for d in retriever.documents
        }
        self.template = templates[retriever.documents[0].symbol]
        merged: dict[str, float] = {}
        for idf in vocabularies.values():
            for w, v in idf.items():
                merged[w] = min(v, merged.get(w, v))
        self.vocabulary = Vocabulary(merged)
        self.english = english or English()
        # Word boundaries of every passage, off the start's path: read from disk, or cut once and kept there; kept
        # here, so they go with this index (cut on demand until the thread is done).
        self.boundaries: Known = {}
        texts = [p.text for d in self.documents.values() for p in d.passages]
        threading.Thread(target=self._warm, args=(texts,), name="citeqa-words", daemon=True).start()
        # The search box asks the same thing on every keystroke pause and page; the ranking is kept whole, and
        # the list and facets under each set of filters.
        self._ranked: LRU[Ranked] = LRU(cache_size)
        self._facets: LRU[tuple[list[Match], dict[str, dict[str, int]]]] = LRU(cache_size)
        # The facets whose value an item always shares with its paragraph (all but kind, in this template).
        self._stable = {
            name
            for name in FACETS
            if all(
                getattr(d.facets[i], name) == getattr(d.facets[d.view.order[a]], name)
                for d in self.documents.values()
                for i, p in enumerate(d.passages)
                for a in d.view.ancestors[p.id]
                if a in d.view.order
            )
        }

    def _warm(self, texts: list[str]) -> None:
        self.boundaries = warm(texts)

    def analyse(self, query: str) -> Question:
        return analyse(query, self.template)

    def words(self, q: Question) -> Words:
        return read(q, self.vocabulary, self.english)

    # Filters ----------------------------------------------------------------------------------------------

    @staticmethod
    def filters(
        kind: Iterable[str] = (),
        subprogramme: Iterable[str] = (),
        section: Iterable[str] = (),
        doc: str | None = None,
    ) -> Filters:
        """Filters from what a caller sent: kinds as named, a subprogramme by number (`3`, `次级方案 3`,
        `subprogramme 3`; one the document lacks lists nothing), a section by its Chinese name (目标) or its English
        one (objective, deliverables); `BadFilter` names the accepted values otherwise."""
        kinds = set()
        for k in kind:
            if k not in KINDS:
                raise BadFilter(f"kind {k!r} is not one of {', '.join(KINDS)}")
            kinds.add(k)
        numbers = set()
        for text in subprogramme:
            if not (m := SUBPROGRAMME_FILTER.fullmatch(text.strip())):
                raise BadFilter(
                    f"subprogramme {text!r} is not a subprogramme number (3, 次级方案 3, subprogramme 3)"
                )
            numbers.add(str(int(m[1])))
        sections = set()
        for text in section:
            name = text.strip() if text.strip() in SECTIONS else SECTION_EN.get(text.strip().lower())
            if name is None:
                raise BadFilter(
                    f"section {text!r} is not one of {', '.join(SECTIONS)} or {', '.join(SECTION_EN)}"
                )
            sections.add(name)
        return Filters(
            frozenset(kinds), frozenset(numbers), frozenset(sections), frozenset([doc] if doc else [])
        )

    # Searching --------------------------------------------------------------------------------------------

    def ranked(self, q: Question) -> Ranked:
        """Every match in every document, best first (cached per query text). A document's passages rank the same
        whether or not others are searched beside it, so `doc` is a filter like the others (and has a facet)."""
        return self._ranked.get_or_compute(
            q.text, lambda: self._rank(self._read(q), self.retriever.embed_query(q))
        )

    def _read(self, q: Question) -> _Read:
        """All of a query's work that needs no vector: its words, where they stand, their rarity, and each
        document's lexical scores and named passages."""
        words = self.words(q)
        docs = list(self.documents.values())
        found = [{w: d.find(w) for w in words.words} for d in docs]
        named = set(tokenize(" ".join([*q.symbols, *q.ids]))) if (q.symbols or q.ids) else set()
        rarity = {w: (0 if w in named else 1, sum(len(f[w]) for f in found), -len(w)) for w in words.words}
        widened = dataclasses.replace(q, translations=words.translations)
        return _Read(widened, words, found, rarity, [d.view.evidence(widened) for d in docs])

    def _rank(self, read: _Read, vector: np.ndarray) -> Ranked:
        merged: list[tuple[float, int, int, Match]] = []
        docs = list(self.documents.values())
        for order, (d, where, evidence) in enumerate(zip(docs, read.found, read.evidence, strict=True)):
            f = d.view.fuse(read.q, vector, evidence)
            for rank, m in enumerate(self._matches(d, f, where)):
                merged.append((-m.score, rank, order, m))
        merged.sort(key=lambda t: t[:3])
        return Ranked([t[3] for t in merged], read.words, read.rarity)

    @staticmethod
    def _matches(
        d: _Document, f: Fused, where: Mapping[str, dict[int, tuple[tuple[int, int], ...]]]
    ) -> list[Match]:
        exact = {p.id for p in f.exact}
        holding: dict[int, dict[str, tuple[tuple[int, int], ...]]] = {}
        for w, places in where.items():
            for i, offsets in places.items():
                holding.setdefault(i, {})[w] = offsets
        order = d.view.order
        out: list[Match] = [d.match(order[p.id], 1.0, True, holding.get(order[p.id], {})) for p in f.exact]
        dense, fused = f.dense, f.fused
        rest = [
            i
            for i, p in enumerate(d.passages)
            if p.id not in exact and (i in holding or dense.get(p.id, 0.0) >= DENSE_FLOOR)
        ]
        rest.sort(key=lambda i: (-fused.get(d.passages[i].id, 0.0), i))
        out.extend(d.match(i, f.score(d.passages[i].id), False, holding.get(i, {})) for i in rest)
        return out

    def page(
        self,
        query: str,
        top_k: int,
        offset: int = 0,
        min_score: float = 0.0,
        doc: str | None = None,
        filters: Filters | None = None,
    ) -> Page:
        filters = filters or Filters()
        if doc is not None:
            filters = dataclasses.replace(filters, doc=frozenset([doc]))
        text = normalise(query)  # what `analyse` makes of it: the cache key and what is embedded
        cached = self._ranked.get(text)
        if cached is None:
            # A helper thread reads the query (analysis, words, BM25) while this one embeds it: the engine
            # releases the GIL, and this thread embeds with no hop to another when the engine is idle.
            reading = _HELPER.submit(lambda: self._read(self.analyse(query)))
            try:
                vector = self.retriever.embed_text(text)
            except BaseException:
                reading.cancel()
                raise
            read = reading.result()
            cached = self._ranked.get_or_compute(text, lambda: self._rank(read, vector))
        ranked = cached
        listed, facets = self._facets.get_or_compute(
            (text, filters, min_score), lambda: self._listed_and_facets(ranked, filters, min_score)
        )
        hits = [
            result(m, ranked.rarity, self.vocabulary, self.boundaries)
            for m in listed[offset : offset + top_k]
        ]
        return Page(hits, len(listed), facets, ranked.words)

    def _listed_and_facets(
        self, ranked: Ranked, filters: Filters, min_score: float
    ) -> tuple[list[Match], dict[str, dict[str, int]]]:
        scored = ranked.matches if min_score <= 0 else [m for m in ranked.matches if m.score >= min_score]
        active = filters.on()
        listed = _listed([m for m in scored if filters.admits(m.facets)] if active else scored)
        facets: dict[str, dict[str, int]] = {}
        for name in FACETS:
            others = [a for a in active if a != name]
            base = [m for m in scored if filters.admits(m.facets, name)] if others else scored
            if name in self._stable:
                # An item and its paragraph share this value: grouping the list is filtering before the rule.
                over = listed if name not in active else _listed(base)
                facets[name] = _counted(getattr(m.facets, name) for m in over)
            else:
                facets[name] = self._facet(name, base)
        return listed, facets

    @staticmethod
    def _facet(name: str, matches: list[Match]) -> dict[str, int]:
        """For each value of a facet, how many passages its filter would list: the matches of that value, an item
        never beside its paragraph."""
        by_value: dict[str, list[Match]] = {}
        for m in matches:
            value = getattr(m.facets, name)
            if value is not None:
                by_value.setdefault(value, []).append(m)
        return _sorted_counts({value: len(_listed(group)) for value, group in by_value.items()})


def _listed(matches: Iterable[Match]) -> list[Match]:
    """The matches in order, an item never beside its paragraph (the one ranked first stays); a passage the query
    names always stays."""
    out: list[Match] = []
    kept: set[tuple[str, str]] = set()
    kept_up: set[tuple[str, str]] = set()  # the paragraphs and items above those kept
    for m in matches:
        if not m.exact and (m.key in kept_up or any(a in kept for a in m.up)):
            continue
        kept.add(m.key)
        kept_up.update(m.up)
        out.append(m)
    return out


def _counted(values: Iterable[str | None]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for v in values:
        if v is not None:
            counts[v] = counts.get(v, 0) + 1
    return _sorted_counts(counts)


def _sorted_counts(counts: dict[str, int]) -> dict[str, int]:
    return dict(sorted(counts.items(), key=lambda kv: (-kv[1], _natural(kv[0]))))


def _natural(value: str) -> tuple[int, str]:
    return (int(value), "") if value.isdigit() else (1 << 30, value)


# One result ---------------------------------------------------------------------------------------------------


# A word of jieba's this long is a name or a phrase the lexicon keeps whole (小武器和轻武器, a treaty's title): a
# match inside it is widened to the shortest word of the document's vocabulary around it, not to the whole name.
LONG_WORD = 5


def _whole(
    text: str, start: int, end: int, vocabulary: Vocabulary | None = None, known: Known | None = None
) -> tuple[int, int]:
    """A match widened to the word it falls in: 武器 found inside 轻武器 marks 轻武器, never half a word; inside a
    long name, the shortest word of the document around it (小武器 inside 《…非法小武器和轻武器国际文书》)."""
    known = known or {}
    s, e = snap_back(text, start, known), snap_forward(text, end, known)
    if vocabulary is None or (s, e) == (start, end) or e - s < LONG_WORD:
        return s, e
    for length in range(max(3, end - start), e - s):
        for a in range(max(s, end - length), min(start, e - length) + 1):
            if text[a : a + length] in vocabulary:
                return a, a + length
    return s, e


@lru_cache(maxsize=4096)
def spans(text: str) -> list[tuple[int, int]]:
    """A passage's sentences and rows (`corpus.candidates.sentence_spans`), cut once per passage."""
    return sentence_spans(text)


def _merged(marks: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for s, e in sorted(marks):
        if out and s <= out[-1][1]:
            out[-1] = (out[-1][0], max(e, out[-1][1]))
        else:
            out.append((s, e))
    return out


def result(
    m: Match,
    rarity: Mapping[str, tuple[int, int, int]],
    vocabulary: Vocabulary | None = None,
    known: Known | None = None,
) -> Found:
    """One result: every word of the query marked on word boundaries (`known`: the boundaries already cut), the
    quote the sentence holding its rarest word, the snippet centred on that word."""
    p = m.passage
    text = p.text
    known = known or {}
    marks = _merged(_whole(text, s, e, vocabulary, known) for offsets in m.found.values() for s, e in offsets)
    if m.found:
        rarest = min(m.found, key=lambda w: rarity.get(w, (1, 1 << 30, 0)))
        focus = _whole(text, *_best_place(text, m.found, rarest, rarity), vocabulary, known)
        sentence = next(((s, e) for s, e in spans(text) if s <= focus[0] < e), (focus[0], focus[1]))
        q_start = snap_back(text, sentence[0], known)
        q_end = snap_forward(text, max(sentence[1], focus[1]), known)
    else:
        span = best_span(text, [])
        q_start, q_end = (
            (span.start, span.end) if span else (0, snap_back(text, QUOTE_CHARS, known) or len(text))
        )
        focus = (q_start, q_start)
    lead = max(0, (SNIPPET_CHARS - (focus[1] - focus[0])) // 2)
    start, end = window(text, focus[0], SNIPPET_CHARS, lead, known)
    inside = [(s - start, e - start) for s, e in marks if start <= s and e <= end]
    return Found(p, round(float(m.score), 4), (q_start, q_end), marks, None, (start, end), inside)


def _best_place(
    text: str,
    found: Mapping[str, Sequence[tuple[int, int]]],
    word: str,
    rarity: Mapping[str, tuple[int, int, int]],
) -> tuple[int, int]:
    """Of the places `word` stands, the one whose sentence holds most of the other words (rarer words weigh
    more, a long run-on sentence less); the first among equals."""
    places = found[word]
    if len(places) == 1:
        return places[0]
    weight = {w: 1.0 / math.log(2 + rarity.get(w, (1, 1, 0))[1]) for w in found}
    sentences = spans(text)
    best, best_score = places[0], -1.0
    for s, e in places:
        sent = next(((a, b) for a, b in sentences if a <= s < b), (s, e))
        held = {w for w, offs in found.items() if any(sent[0] <= a and b <= sent[1] for a, b in offs)}
        score = sum(weight[w] for w in held) / (1.0 + max(0, sent[1] - sent[0] - 150) / 300)
        if score > best_score:
            best, best_score = (s, e), score
    return best
