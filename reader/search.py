"""The intranet search box: ranked passages, paged, each with a snippet and highlights on word boundaries.

Which passages match at all: one the query names (an id, a symbol it cites), one that shares a word with the
query (BM25 > 0, glossary translations of English words included), or one whose dense similarity reaches
`DENSE_FLOOR`. Below the floor with no shared word is what a query the document says nothing about looks like
(`qwertyzzz`): the list is empty rather than the 10 least-unlike passages.
"""

from __future__ import annotations

from dataclasses import dataclass

from corpus.model import Passage
from index.cache import LRU
from index.query import Hit
from index.retriever import Retriever

from .compose import best_span, highlights
from .question import Question, analyse
from .reply import Found
from .template import Template
from .terms import whole_terms
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
    hits: list[Found]
    total: int


def matches(hit: Hit, floor: float = DENSE_FLOOR) -> bool:
    return hit.exact or hit.lexical > 0 or hit.dense >= floor


def result(p: Passage, score: float, terms: list[str]) -> Found:
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
    start, end = window(p.text, focus, SNIPPET_CHARS, SNIPPET_LEAD)
    inside = [(s - start, e - start) for s, e in marks if start <= s and e <= end]
    return Found(p, round(float(score), 4), (q_start, q_end), marks, None, (start, end), inside)


class Searcher:
    """The search box over an index of one or more documents; one per loaded index (its cache goes with it)."""

    def __init__(self, retriever: Retriever, template: Template, cache_size: int = 2048) -> None:
        self.retriever = retriever
        self.template = template
        # The search box asks the same thing on every keystroke pause and page; the ranking is kept whole.
        self._ranked: LRU[list[Hit]] = LRU(cache_size)

    def analyse(self, query: str) -> Question:
        return analyse(query, self.template)

    def ranked(self, q: Question, doc: str | None = None) -> list[Hit]:
        """Every matching passage, best first."""

        def compute() -> list[Hit]:
            everything = self.retriever.total_passages if doc is None else len(self.retriever.view(doc).passages)
            return [h for h in self.retriever.search(q, everything, doc) if matches(h)]

        return self._ranked.get_or_compute((q.text, doc), compute)

    def page(self, query: str, top_k: int, offset: int = 0, min_score: float = 0.0, doc: str | None = None) -> Page:
        q = self.analyse(query)
        hits = [h for h in self.ranked(q, doc) if h.score >= min_score]
        terms = whole_terms(q)
        return Page([result(h.passage, h.score, terms) for h in hits[offset : offset + top_k]], len(hits))
