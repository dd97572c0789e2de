"""Chinese-aware lexical retrieval: BM25 (bm25s) over jieba search-mode tokens.

Document symbols (`77/71`, `A/77/7`), paragraph numbers (`4.88`), post grades (`P-4`, `GS (PL)`) and grouped
figures (`15 232 800`) are kept whole as single tokens: jieba would cut them into meaningless digits.

Words are cut by a private `jieba.Tokenizer` that knows the glossary's Chinese terms (`次级方案`, `重计费用`), so
`tokenize` gives the same tokens whether or not an index has been loaded, and jieba's process-wide dictionary
is left as other code expects it.
"""

from __future__ import annotations

import json
import logging
import re
import threading
from collections.abc import Iterable
from pathlib import Path

import jieba
import numpy as np

from corpus.glossary import chinese_terms

from .jieba_dict import lazy_tokenizer

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
_DROP = {
    "的",
    "了",
    "和",
    "与",
    "在",
    "是",
    "为",
    "及",
    "其",
    "将",
    "对",
    "有",
    "中",
    "由",
    "年",
    "the",
    "a",
    "an",
    "of",
    "to",
    "in",
    "and",
    "or",
    "for",
    "is",
    "are",
    "was",
    "what",
    "which",
    "how",
    "does",
    "do",
    "did",
    "on",
    "by",
    "with",
    "as",
    "at",
    "it",
    "its",
    "this",
    "that",
    "be",
    "much",
    "many",
}
# High enough that jieba keeps a glossary term whole against any split its own dictionary prefers.
_TERM_FREQ = 20000


class WordCutter:
    """A jieba tokenizer of our own with the document's vocabulary added, made on first use; its dictionary is
    read a first character at a time (`index.jieba_dict`), so making it costs milliseconds."""

    def __init__(self, terms: Iterable[str] | None = None) -> None:
        self._terms = terms
        self._jieba: jieba.Tokenizer | None = None
        self._lock = threading.Lock()

    def _tokenizer(self) -> jieba.Tokenizer:
        if self._jieba is None:
            with self._lock:
                if self._jieba is None:
                    tk = lazy_tokenizer()
                    for term in chinese_terms() if self._terms is None else self._terms:
                        if not term.isascii():
                            tk.add_word(term, freq=_TERM_FREQ)
                    self._jieba = tk
        return self._jieba

    def load(self) -> None:
        """Load the dictionary now (at service start) rather than on the first query."""
        self._tokenizer()

    def cut(self, hanzi: str) -> Iterable[str]:
        words: Iterable[str] = self._tokenizer().cut_for_search(hanzi)  # jieba is untyped
        return words

    def spans(self, text: str) -> Iterable[tuple[str, int, int]]:
        """Words of `text` with their offsets, in accurate mode (no sub-words): where words start and end."""
        found: Iterable[tuple[str, int, int]] = self._tokenizer().tokenize(text)
        return found


_CUTTER = WordCutter()


def _protected_token(text: str) -> str:
    return re.sub(r"[\s（）()]", "", text).upper()


def tokenize(text: str, cutter: WordCutter = _CUTTER) -> list[str]:
    """Tokens for BM25: protected units whole, hanzi runs cut by jieba (search mode), Latin words lower-cased."""
    # "52,900" as English writes it is the document's "52 900".
    text = _THOUSANDS.sub(r"\1 \2", _THOUSANDS.sub(r"\1 \2", text))
    tokens: list[str] = []
    pos = 0
    for m in _PROTECTED.finditer(text):
        tokens.extend(_words(text[pos : m.start()], cutter))
        tokens.append(_protected_token(m.group(0)))
        pos = m.end()
    tokens.extend(_words(text[pos:], cutter))
    return [t for t in tokens if t and t not in _DROP]


def word_spans(text: str) -> Iterable[tuple[str, int, int]]:
    """Words of `text` and their offsets, cut by the same tokenizer (and vocabulary) as the lexical index."""
    return _CUTTER.spans(text)


def load_tokenizer() -> None:
    """Load the default tokenizer's dictionary now."""
    _CUTTER.load()


def _words(text: str, cutter: WordCutter) -> Iterable[str]:
    for m in _WORD.finditer(text):
        word = m.group(0)
        if word.isascii():
            yield word.lower()
        else:
            yield from (w for w in cutter.cut(word) if w.strip())


class LexicalIndex:
    """BM25 over the same rows as the dense index: row i here is row i there.

    bm25s builds and saves it; loading reads bm25s's saved arrays directly (so serving imports neither bm25s
    nor scipy), and scoring reads its token-major sparse matrix: a query touches only the rows its few tokens
    occur in, instead of one full-length score array per token.
    """

    _PARAMS, _VOCAB = "params.index.json", "vocab.index.json"
    _ARRAYS = ("data.csc.index.npy", "indices.csc.index.npy", "indptr.csc.index.npy")

    def __init__(
        self,
        ids: dict[str, int],
        data: np.ndarray,
        indices: np.ndarray,
        indptr: np.ndarray,
        rows: int,
        bm25: object | None = None,
    ) -> None:
        self._ids = ids
        self._data = np.asarray(data, dtype=np.float32)
        self._indices = np.asarray(indices)
        self._indptr = np.asarray(indptr)
        self.rows = rows
        self._bm25 = bm25  # kept by `build` for `save`

    @classmethod
    def build(cls, texts: list[str]) -> LexicalIndex:
        import bm25s

        bm25 = bm25s.BM25()
        bm25.index([tokenize(t) for t in texts], show_progress=False)
        s = bm25.scores
        return cls(
            {t: int(i) for t, i in bm25.vocab_dict.items()},
            s["data"],
            s["indices"],
            s["indptr"],
            int(s["num_docs"]),
            bm25,
        )

    def save(self, directory: Path) -> None:
        if self._bm25 is None:
            raise ValueError("only a LexicalIndex made by build() can be saved")
        self._bm25.save(str(directory), show_progress=False)  # type: ignore[attr-defined]

    @classmethod
    def load(cls, directory: Path) -> LexicalIndex:
        params = json.loads((directory / cls._PARAMS).read_text(encoding="utf-8"))
        if params.get("method") != "lucene":
            # Other BM25 variants add a score for absent terms that this reader does not apply.
            raise ValueError(f"lexical index built with method {params.get('method')!r}, expected 'lucene'")
        vocab = json.loads((directory / cls._VOCAB).read_text(encoding="utf-8"))
        data, indices, indptr = (np.load(directory / name, allow_pickle=False) for name in cls._ARRAYS)
        return cls({t: int(i) for t, i in vocab.items()}, data, indices, indptr, int(params["num_docs"]))

    def scores(self, tokens: list[str]) -> np.ndarray:
        """BM25 score of every row; tokens the corpus never uses count for nothing, repeats count once."""
        total = np.zeros(self.rows, dtype=np.float32)
        for token in dict.fromkeys(tokens):
            tid = self._ids.get(token) if token else None
            if tid is None:
                continue
            # A token's rows are distinct, so this is the scatter-add bm25s does, in the same float32 order.
            start, end = self._indptr[tid], self._indptr[tid + 1]
            total[self._indices[start:end]] += self._data[start:end]
        return total
