"""Sentences and rows of a passage, the question's terms found in them, and the quote a citation shows.

Pure functions over text; no model. Every span returned is a pair of offsets into the passage text, so a quote
is always a verbatim substring of its passage.
"""

from __future__ import annotations

from dataclasses import dataclass

from corpus.candidates import sentence_spans

from .terms import length_weight, term_pattern


@dataclass(frozen=True)
class Span:
    start: int
    end: int
    score: float


def find_terms(text: str, terms: list[str]) -> list[tuple[int, int, str]]:
    found = []
    for term in terms:
        for m in term_pattern(term).finditer(text):
            found.append((m.start(), m.end(), term))
    return found


def highlights(text: str, terms: list[str]) -> list[tuple[int, int]]:
    """Merged [start, end) offsets of every occurrence of the terms in `text`."""
    marks = sorted((s, e) for s, e, _ in find_terms(text, terms) if e > s)
    merged: list[tuple[int, int]] = []
    for s, e in marks:
        if merged and s <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(e, merged[-1][1]))
        else:
            merged.append((s, e))
    return merged


def best_span(text: str, terms: list[str]) -> Span | None:
    """The sentence or row of `text` that holds most of the terms (longer terms say more), for a citation's
    quote where no answer chose one (search results, the nearest passages of an abstention). A long run-on span
    (a list of resolutions) matches many terms by sheer length, so length counts against it; among equals, the
    earlier, which usually states the fact."""
    best: Span | None = None
    # The spans the reader's candidates are cut on (one rule, in corpus/candidates.py).
    for s, e in sentence_spans(text):
        matched = {t for _, _, t in find_terms(text[s:e], terms)}
        score = sum(length_weight(t) for t in matched) / (1.0 + max(0, e - s - 150) / 300)
        if best is None or score > best.score:
            best = Span(s, e, score)
    return best
