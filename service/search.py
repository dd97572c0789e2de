"""The intranet search box: ranked passages, paged, each with a snippet and highlights on word boundaries.

Which passages match at all: one the query names (an id, a symbol it cites), one that shares a word with the
query (BM25 > 0, glossary translations of English words included), or one whose dense similarity reaches
`DENSE_FLOOR`. Below the floor with no shared word is what a query the document says nothing about looks like
(`qwertyzzz`): the list is empty rather than the 10 least-unlike passages.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass

from corpus.glossary import expand
from corpus.model import Passage
from index.cache import LRU
from index.lexical import tokenize
from index.retriever import Hit, Retriever, normalise_query

from .citations import citation_extras, first_cited_link
from .compose import QUESTION_WORDS, best_span, highlights
from .schemas import SearchHit, Snippet
from .words import on_boundaries, snap_back, snap_forward, window

# Chosen on the dev split of eval/questions.jsonl (147 questions; never on test) with multilingual-e5-small:
# of the passages in a dev question's top 10 that share no word with it, none was a gold passage (0 of 49) and
# the most similar reached 0.886; every gold passage in a top 10 shared a word or was named (146 of 146). So dense
# similarity alone admits a passage only above what a wrong dense-only match reached on dev. Strings the document
# says nothing about reach 0.76-0.86 (qwertyzzz 0.797, 香蕉火车键盘 0.839, 的的的 0.863).
DENSE_FLOOR = 0.89
SNIPPET_CHARS = 160
SNIPPET_LEAD = 40
QUOTE_CHARS = 200


@dataclass(frozen=True)
class Page:
    hits: list[SearchHit]
    total: int


def search_terms(query: str) -> list[str]:
    """The words to mark: the query's tokens, and for English words the Chinese terms the glossary translates
    them to; without the sub-words jieba's search mode adds for recall (小武器 → 武器), which would mark 武器
    wherever it stands alone when the query asked for 小武器."""
    terms = [t for t in tokenize(query) if t not in QUESTION_WORDS]
    extra = expand(query)
    if extra:
        terms += [t for t in tokenize(" ".join(extra)) if t not in QUESTION_WORDS]
    unique = list(dict.fromkeys(terms))
    return [t for t in unique if not any(t != other and t in other for other in unique)]


def matches(hit: Hit, floor: float = DENSE_FLOOR) -> bool:
    return hit.exact or hit.lexical > 0 or hit.dense >= floor


def snippet(text: str, marks: list[tuple[int, int]], focus: int) -> Snippet:
    start, end = window(text, focus, SNIPPET_CHARS, SNIPPET_LEAD)
    inside = [(s - start, e - start) for s, e in marks if start <= s and e <= end]
    return Snippet(text=text[start:end], start=start, end=end, highlights=inside)


def result(p: Passage, score: float, terms: list[str]) -> SearchHit:
    """One result: the best-matching sentence as the quote, highlights on word boundaries, a snippet around them."""
    marks = on_boundaries(p.text, highlights(p.text, terms))
    span = best_span(p.text, terms)
    if span is not None:
        # A sentence of a table is a line of it, and a line may break inside a word: widen it to whole words.
        q_start, q_end = snap_back(p.text, span.start), snap_forward(p.text, span.end)
    else:
        q_start, q_end = 0, snap_back(p.text, QUOTE_CHARS) or min(len(p.text), QUOTE_CHARS)
    # The best match: the first highlight inside the quote, else the first anywhere, else the quote itself.
    focus = next((s for s, e in marks if q_start <= s and e <= q_end), marks[0][0] if marks else q_start)
    return SearchHit(
        id=p.id, doc=p.doc, kind=p.kind, heading=p.heading, text=p.text, quote=p.text[q_start:q_end],
        score=round(float(score), 4), url=first_cited_link(p), highlights=marks,
        snippet=snippet(p.text, marks, focus), **citation_extras(p),
    )


class Searcher:
    def __init__(self, retriever: Retriever, cache_size: int = 2048) -> None:
        self.retriever = retriever
        # The search box asks the same thing on every keystroke pause and page; the ranking is kept whole.
        self._ranked: LRU[list[Hit]] = LRU(cache_size)

    def ranked(self, query: str) -> list[Hit]:
        """Every matching passage, best first."""
        def compute() -> list[Hit]:
            # A store of several documents ranks them all (`StoreRetriever.total_passages`).
            everything = getattr(self.retriever, "total_passages", len(self.retriever.passages))
            hits = self.retriever.search(query, everything)
            return [h for h in hits if matches(h)]

        return self._ranked.get_or_compute(normalise_query(query), compute)

    def page(self, query: str, top_k: int, offset: int = 0, min_score: float = 0.0) -> Page:
        hits = [h for h in self.ranked(query) if h.score >= min_score]
        terms = search_terms(query)
        shown = [result(h.passage, h.score, terms) for h in hits[offset : offset + top_k]]
        return Page(shown, len(hits))


_searchers: weakref.WeakKeyDictionary[Retriever, Searcher] = weakref.WeakKeyDictionary()


def searcher_for(retriever: Retriever, cache_size: int = 2048) -> Searcher:
    """One searcher (and its cache) per loaded index: `POST /reload` brings a new retriever, so a new cache."""
    found = _searchers.get(retriever)
    if found is None:
        found = _searchers[retriever] = Searcher(retriever, cache_size)
    return found
