"""Picking the part of a passage that answers: sentences and table rows scored against the question.

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
_NUMBER_Q = re.compile(r"多少|几|数额|金额|总额|总数|百分比|比例|how (?:many|much)|what (?:percentage|share|amount|number)"
                       r"|amount|total|number of|percentage|rate", re.I)
_DATE_Q = re.compile(r"何时|什么时候|哪一年|哪年|哪天|哪一天|日期|when|what (?:date|year)|which year", re.I)
_PLACE_Q = re.compile(r"哪里|在哪|哪个城市|何地|where|which city|located", re.I)
_FIGURE = re.compile(r"\d[\d ]*(?:\.\d+)?\s?(?:美元|%|个|名|次|项|周|天|人)|\d{1,3}(?: \d{3})+|\d+(?:\.\d+)?%")
_DATE = re.compile(r"\d{4}\s?年(?:\s?\d{1,2}\s?月)?(?:\s?\d{1,2}\s?日)?|\d{1,2}\s?月\s?\d{1,2}\s?日")
CELL_SEP = " | "
_PLACES = re.compile(r"日内瓦|纽约|维也纳|洛美|利马|加德满都|海牙|[\u4e00-\u9fff]{2,4}(?:市|国)")


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


def rank_spans(text: str, question: str, terms: list[str], scope: list[str] | None = None,
               weights: dict[str, float] | None = None) -> list[Span]:
    """Sentences and rows, best answer first: the question's terms (rare ones count more), the subprogramme it
    names, and the kind of fact it asks for (a figure, a date, a place)."""
    wants_number = bool(_NUMBER_Q.search(question))
    wants_date = bool(_DATE_Q.search(question))
    wants_place = bool(_PLACE_Q.search(question))
    ranked: list[Span] = []
    for s, e in spans(text):
        sentence = text[s:e]
        is_row = CELL_SEP in sentence
        matched = {t for _, _, t in find_terms(sentence, terms)}
        score = sum((weights or {}).get(t, term_weight(t)) for t in matched)
        in_table = "\n" in text
        if scope and any(name in sentence for name in scope) and (is_row or not in_table):
            score += 3.0
        if wants_number and (is_row or _FIGURE.search(sentence)):
            score += 1.5
        if in_table and not is_row:
            score -= 1.5  # a table's caption or header line holds no figure to answer with
        if wants_date and _DATE.search(sentence):
            score += 1.5
        if wants_place and _PLACES.search(sentence):
            score += 1.5
        # A long run-on span (a list of resolutions) matches many terms by sheer length; prefer the short one.
        score /= 1.0 + max(0, e - s - 150) / 300
        # Among equals, prefer the earlier: the first sentence usually states the fact.
        score -= 0.0001 * s
        ranked.append(Span(s, e, score))
    ranked.sort(key=lambda sp: (-sp.score, sp.start))
    return ranked


def with_figure(text: str, question: str, span: Span, ordered: list[tuple[int, int]]) -> Span:
    """A span that names its subject but not the figure asked for ("(b) 次级方案 2，大规模毁灭性武器。") runs on
    into the next sentence, which states it."""
    wants = _NUMBER_Q.search(question) is not None
    if not wants or _FIGURE.search(text[span.start : span.end]) or CELL_SEP in text[span.start : span.end]:
        return span
    following = [s for s in ordered if s[0] >= span.end]
    if following and _FIGURE.search(text[following[0][0] : following[0][1]]):
        return Span(span.start, following[0][1], span.score)
    return span


def best_span(text: str, question: str, terms: list[str], scope: list[str] | None = None,
              weights: dict[str, float] | None = None) -> Span | None:
    ranked = rank_spans(text, question, terms, scope, weights)
    return ranked[0] if ranked else None


def coverage(text: str, terms: list[str]) -> float:
    """Share of the question's term weight that the text contains: how much of the question it speaks to."""
    total = sum(term_weight(t) for t in terms)
    if not total:
        return 0.0
    present = {t for _, _, t in find_terms(text, terms)}
    return sum(term_weight(t) for t in present) / total
