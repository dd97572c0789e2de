"""Sentences and rows of a passage, the question's terms found in them, and the quote a citation shows.

Pure functions over text; no model. Every span returned is a pair of offsets into the passage text, so a quote
is always a verbatim substring of its passage.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from corpus.candidates import sentence_spans

# Question words say nothing about where the answer is; they are not terms to match.
QUESTION_WORDS = {
    "什么", "多少", "哪些", "哪个", "哪", "哪里", "哪儿", "何时", "什么时候", "是否", "吗", "呢", "请问", "请", "如何",
    "怎样", "怎么", "为什么", "说", "讲", "内容", "给出", "一下", "介绍", "本款", "文件", "一段", "段", "几", "谁",
    "whats", "who", "where", "when", "why", "does", "say", "says", "tell", "me", "about", "please", "there",
}


@dataclass(frozen=True)
class Span:
    start: int
    end: int
    score: float


def spans(text: str) -> list[tuple[int, int]]:
    """Sentences, clauses before an item list, items and table rows, as offsets with surrounding space trimmed:
    the same spans the reader's candidates are cut on (one rule, in corpus/candidates.py)."""
    return sentence_spans(text)


@lru_cache(maxsize=4096)
def _term_pattern(term: str) -> re.Pattern[str]:
    """A token as the index wrote it (`15232800`, `GSPL`) found back in text that prints it spaced.

    Cached: the same question terms are looked for in every sentence of every candidate passage."""
    if term.isdigit() or re.fullmatch(r"\d+\.\d+", term):
        return re.compile(r"(?<![\d.])" + r"\s?".join(re.escape(c) for c in term) + r"(?![\d])")
    if term.isascii():
        # `4.88B` was `4.88 (b)`, `GSPL` was `GS (PL)`: brackets and spaces may sit between the characters.
        return re.compile(r"[\s()（）]{0,2}".join(re.escape(c) for c in term if c not in "() "), re.I)
    return re.compile(re.escape(term))


def find_terms(text: str, terms: list[str]) -> list[tuple[int, int, str]]:
    found = []
    for term in terms:
        for m in _term_pattern(term).finditer(text):
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


def term_weight(term: str) -> float:
    """Longer terms say more; a year or a one-hanzi word says little."""
    if re.fullmatch(r"20\d\d", term):
        return 0.6
    if term.isdigit() and len(term) <= 2:
        return 0.4
    return min(len(term), 6) ** 0.5 if not term.isascii() else 1.5


def best_span(text: str, terms: list[str]) -> Span | None:
    """The sentence or row of `text` that holds most of the terms (longer terms say more), for a citation's
    quote where no answer chose one (search results, the nearest passages of an abstention). A long run-on span
    (a list of resolutions) matches many terms by sheer length, so length counts against it; among equals, the
    earlier, which usually states the fact."""
    best: Span | None = None
    for s, e in spans(text):
        matched = {t for _, _, t in find_terms(text[s:e], terms)}
        score = sum(term_weight(t) for t in matched) / (1.0 + max(0, e - s - 150) / 300)
        if best is None or score > best.score:
            best = Span(s, e, score)
    return best
