"""Word boundaries of Chinese text, from jieba's segmentation of the passage itself.

A highlight or a cut that falls inside a word misleads a reader: "武器" marked inside "轻武器", a snippet that starts
"家小武器管制委员" (mid-"国家", mid-"委员会"). Offsets here are always those of the passage text.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping, Sequence
from functools import lru_cache
from pathlib import Path

# The lexical index's own tokenizer, with the document's vocabulary (小武器, 次级方案): without it jieba reads
# 小武器 as 小 + 武器 and a highlight of 武器 would look whole.
from index.derived import cached
from index.lexical import word_spans

_CJK = re.compile(r"[\u3400-\u9fff]")


_FORMAT = hashlib.sha256(Path(__file__).read_bytes()).digest()  # a change to this module cuts anew
# Boundaries already cut, by text: a loaded index's (`warm`), kept by whoever loaded it (`reader.search.Searcher`).
Known = Mapping[str, frozenset[int]]
_NONE: Known = {}


def warm(texts: Sequence[str]) -> dict[str, frozenset[int]]:
    """Every text's boundaries, read from the disk cache (`index.derived`) or cut and kept there: cutting a
    passage costs about a millisecond, and a search box's first answers would pay it for every passage they
    show. Meant for a background thread at load; the caller keeps what it returns as long as its index."""
    texts = list(dict.fromkeys(texts))

    def cut() -> list[list[int]]:
        return [sorted(_cut(t)) for t in texts]

    found = cached("words", texts, cut, _FORMAT, lambda v: isinstance(v, list) and len(v) == len(texts))
    return {t: frozenset(b) for t, b in zip(texts, found, strict=True)}


def boundaries(text: str, known: Known = _NONE) -> frozenset[int]:
    """Every offset where a word starts or ends (jieba's accurate mode, which never yields sub-words), from
    `known` when it has the text.

    A line break between two hanzi is where the PDF wrapped a table cell ("国\n家小武器管制委员\n会"), not a word
    boundary: jieba reads the text with those breaks removed."""
    found = known.get(text)
    return found if found is not None else _cut(text)


@lru_cache(maxsize=4096)
def _cut(text: str) -> frozenset[int]:
    keep = [
        i
        for i, c in enumerate(text)
        if not (c == "\n" and 0 < i < len(text) - 1 and _CJK.match(text[i - 1]) and _CJK.match(text[i + 1]))
    ]
    joined = "".join(text[i] for i in keep)
    out = {0, len(text)}
    for _, start, end in word_spans(joined):
        for j in (start, end):
            if j == 0 or j == len(joined):
                continue
            out.add(keep[j])  # the start of the next character
            out.add(keep[j - 1] + 1)  # the end of the previous one (before any removed line break)
    return frozenset(out)


def on_boundaries(text: str, spans: list[tuple[int, int]], known: Known = _NONE) -> list[tuple[int, int]]:
    """The spans that start and end on word boundaries of `text`."""
    bounds = boundaries(text, known)
    return [(s, e) for s, e in spans if s in bounds and e in bounds]


def snap_back(text: str, pos: int, known: Known = _NONE) -> int:
    """The nearest word boundary at or before `pos`."""
    bounds = boundaries(text, known)
    pos = max(0, min(pos, len(text)))
    while pos not in bounds:
        pos -= 1
    return pos


def snap_forward(text: str, pos: int, known: Known = _NONE) -> int:
    """The nearest word boundary at or after `pos`."""
    bounds = boundaries(text, known)
    pos = max(0, min(pos, len(text)))
    while pos not in bounds:
        pos += 1
    return pos


def window(text: str, focus: int, size: int, lead: int, known: Known = _NONE) -> tuple[int, int]:
    """About `size` characters of `text` starting `lead` characters before `focus`, cut on word boundaries; at the
    end of the text the window moves back so it stays `size` long."""
    if len(text) <= size:
        return 0, len(text)
    start = max(0, min(focus - lead, len(text) - size))
    start = snap_back(text, start, known)
    end = snap_back(text, start + size, known)
    if end <= start:
        end = snap_forward(text, start + size, known)
    return start, end
