"""A question's terms, once: its tokens, the words that say nothing about where the answer is, and term weights.

The tokens are the lexical index's own (`index.lexical.tokenize`), so a term found here is a term the index
matched. Scoring weighs terms by how few passages use them (IDF); quoting, which looks inside one passage, by
their length.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from functools import lru_cache

from corpus.model import Passage
from corpus.text import YEAR
from index.frequencies import document_frequencies
from index.lexical import tokenize

from .question import Question

# Question words and template words every passage shares: they say nothing about which passage or candidate
# answers, so they are neither weighed nor marked.
STOP = frozenset(
    {
        "什么",
        "多少",
        "哪些",
        "哪个",
        "哪",
        "哪里",
        "哪儿",
        "何时",
        "什么时候",
        "是否",
        "吗",
        "呢",
        "请问",
        "请",
        "如何",
        "怎样",
        "怎么",
        "为什么",
        "说",
        "讲",
        "内容",
        "给出",
        "一下",
        "介绍",
        "本款",
        "文件",
        "一段",
        "段",
        "几",
        "谁",
        "what",
        "whats",
        "which",
        "how",
        "when",
        "where",
        "who",
        "why",
        "does",
        "did",
        "many",
        "much",
        "is",
        "are",
        "say",
        "says",
        "tell",
        "me",
        "about",
        "please",
        "there",
    }
)


@lru_cache(maxsize=1024)
def _tokens(text: str, translations: tuple[str, ...]) -> tuple[str, ...]:
    tokens = tokenize(text) + (tokenize(" ".join(translations)) if translations else [])
    return tuple(dict.fromkeys(tokens))


def tokens(q: Question) -> tuple[str, ...]:
    """The question's tokens and its translations', each once: cut once per question, read by scoring, the clause
    pick and highlighting."""
    return _tokens(q.text, q.translations)


def terms(q: Question) -> list[str]:
    """The question's content terms: what a quote should hold and a highlight marks."""
    return [t for t in tokens(q) if t not in STOP]


def length_weight(term: str) -> float:
    """Inside one passage, longer terms say more; a year or a one-hanzi word says little."""
    if YEAR.fullmatch(term):
        return 0.6
    if term.isdigit() and len(term) <= 2:
        return 0.4
    return min(len(term), 6) ** 0.5 if not term.isascii() else 1.5


class TermWeights:
    """Term weights over a document: a term most passages use (次级方案, 2024) says little about which candidate
    answers."""

    def __init__(self, passages: Iterable[Passage]) -> None:
        texts = [p.text + " " + " ".join(p.heading) for p in passages]
        n = len(texts)
        # Counted once per document and kept on disk (`index.frequencies`): cutting every passage at each start
        # cost a third of a second.
        df = document_frequencies(texts)
        self.idf = {t: math.log((n + 1) / (d + 0.5)) for t, d in df.items()}
        self.share = {t: d / max(1, n) for t, d in df.items()}  # of passages that use the term

    def __contains__(self, token: str) -> bool:
        return token in self.idf

    def specific(self, q: Question, common: float = 0.1) -> list[str]:
        """The question's terms that few passages use (fewer than `common` of them): what narrows it to a
        subject, where 资源, 预算, 拟议 and the years are every passage's."""
        return [
            t
            for t in terms(q)
            if not YEAR.fullmatch(t) and not t.isdigit() and 0 < self.share.get(t, 1.0) < common
        ]

    def of(self, q: Question) -> dict[str, float]:
        """The question's content terms with their weight — an English question's through every Chinese term its
        phrases name; years are constraints, not terms."""
        words = (
            terms(q) + [t for t in _tokens(" ".join(q.senses), ()) if t not in STOP] if q.senses else terms(q)
        )
        return {
            t: self.idf[t] for t in dict.fromkeys(words) if not YEAR.fullmatch(t) and self.idf.get(t, 0.0) > 0
        }


def contains(text: str, token: str) -> bool:
    """A token in text: Latin tokens case- and space-blind (`gspl` in `GS (PL)`)."""
    if token.isascii():
        return token.lower() in text.lower().replace(" ", "")
    return token in text


@lru_cache(maxsize=4096)
def term_pattern(term: str) -> re.Pattern[str]:
    """A token as the index wrote it (`15232800`, `GSPL`) found back in text that prints it spaced.

    Cached: the same question terms are looked for in every sentence of every candidate passage."""
    if term.isdigit() or re.fullmatch(r"\d+\.\d+", term):
        return re.compile(r"(?<![\d.])" + r"\s?".join(re.escape(c) for c in term) + r"(?![\d])")
    if term.isascii():
        # `4.88B` was `4.88 (b)`, `GSPL` was `GS (PL)`: brackets and spaces may sit between the characters.
        return re.compile(r"[\s()（）]{0,2}".join(re.escape(c) for c in term if c not in "() "), re.I)
    return re.compile(re.escape(term))
