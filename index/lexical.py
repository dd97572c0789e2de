"""Chinese-aware lexical retrieval: BM25 (bm25s) over jieba search-mode tokens.

Document symbols (`77/71`, `A/77/7`), paragraph numbers (`4.88`), post grades (`P-4`, `GS (PL)`) and grouped
figures (`15 232 800`) are kept whole as single tokens: jieba would cut them into meaningless digits.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from pathlib import Path

import bm25s
import jieba
import numpy as np

jieba.setLogLevel(logging.WARNING)

_PROTECTED = re.compile(
    r"A/CONF\.\d+/\d+|NPT/CONF\.\d+/[A-Z.\d/]+\d|A/(?:S-)?\d+/\d+(?:/(?:Corr|Add)\.\d+)?|S-\d+/\d+"
    r"|\d{4}\s?\(\d{4}\)|\d{2,4}/\d{1,3}"
    r"|\b(?:USG|ASG|[PD]-\d|NPO|LL)\b|\bGS\s?\((?:PL|OL)\)"
    r"|\d+\.\d+\s?[(（][a-z][)）]|\d+\.\d+(?:\.\d+)?"
    r"|\d{1,3}(?: \d{3})+(?:\.\d+)?|\d+(?:\.\d+)?%?"
)
_THOUSANDS = re.compile(r"(\d),(\d{3})(?!\d)")
_WORD = re.compile(r"[A-Za-z]+(?:['-][A-Za-z]+)*|[\u3400-\u9fff]+")
_DROP = {"的", "了", "和", "与", "在", "是", "为", "及", "其", "将", "对", "有", "中", "由", "年",
         "the", "a", "an", "of", "to", "in", "and", "or", "for", "is", "are", "was", "what", "which", "how",
         "does", "do", "did", "on", "by", "with", "as", "at", "it", "its", "this", "that", "be", "much", "many"}


def _protected_token(text: str) -> str:
    return re.sub(r"[\s（）()]", "", text).upper()


def tokenize(text: str) -> list[str]:
    """Tokens for BM25: protected units whole, hanzi runs cut by jieba (search mode), Latin words lower-cased."""
    # "52,900" as English writes it is the document's "52 900".
    text = _THOUSANDS.sub(r"\1 \2", _THOUSANDS.sub(r"\1 \2", text))
    tokens: list[str] = []
    pos = 0
    for m in _PROTECTED.finditer(text):
        tokens.extend(_words(text[pos:m.start()]))
        tokens.append(_protected_token(m.group(0)))
        pos = m.end()
    tokens.extend(_words(text[pos:]))
    return [t for t in tokens if t and t not in _DROP]


def _words(text: str) -> Iterable[str]:
    for m in _WORD.finditer(text):
        word = m.group(0)
        if word.isascii():
            yield word.lower()
        else:
            yield from (w for w in jieba.cut_for_search(word) if w.strip())


def add_terms(terms: Iterable[str]) -> None:
    """Teach jieba this document's vocabulary so it does not cut `次级方案` or `重计费用` apart."""
    for term in terms:
        if not term.isascii():
            jieba.add_word(term, freq=20000)


class LexicalIndex:
    """BM25 over the same rows as the dense index: row i here is row i there."""

    def __init__(self, bm25: bm25s.BM25) -> None:
        self._bm25 = bm25
        self._vocab = set(bm25.vocab_dict)

    @classmethod
    def build(cls, texts: list[str]) -> LexicalIndex:
        bm25 = bm25s.BM25()
        bm25.index([tokenize(t) for t in texts], show_progress=False)
        return cls(bm25)

    def save(self, directory: Path) -> None:
        self._bm25.save(str(directory), show_progress=False)

    @classmethod
    def load(cls, directory: Path) -> LexicalIndex:
        return cls(bm25s.BM25.load(str(directory)))

    def scores(self, tokens: list[str], weights: dict[str, float] | None = None) -> np.ndarray:
        """BM25 score of every row; tokens the corpus never uses count for nothing."""
        known = [t for t in dict.fromkeys(tokens) if t in self._vocab and t]
        n = int(self._bm25.scores["num_docs"])
        total = np.zeros(n, dtype=np.float32)
        for token in known:
            total += self._bm25.get_scores([token]) * (weights or {}).get(token, 1.0)
        return total
