"""The glossary: the lexicon (`corpus.lexicon`, `data/lexicon.json`) as query expansion sees it, the entries marked
`search` (`search_view`): widening every query with all ~700 entries lost English answers in the evaluation
(generic words such as "other" or "number" pulled in unrelated passages), so query expansion keeps to the entries
chosen for it. English phrases of a question become the document's Chinese terms; words no such entry covers mark
a question about something else.

One data file serves both this and the English framing of answers; these functions keep the shapes their callers
had (lower-case English, Chinese forms as printed)."""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

from .lexicon import LEXICON, load_lexicon, search_view


@lru_cache(maxsize=4)
def load_places(path: Path = LEXICON) -> dict[str, tuple[str, ...]]:
    """Place names the document uses (entries of kind "place"), Chinese spelling -> English spellings."""
    return {
        zh: tuple(dict.fromkeys(e.lower() for e in t.en))
        for t in load_lexicon(path).terms
        if t.kind == "place"
        for zh in t.zh
    }


def chinese_terms(path: Path = LEXICON) -> list[str]:
    """The Chinese forms the lexical tokenizer keeps whole: those of the entries marked `search`."""
    return [zh for t in search_view(path).terms for zh in t.zh]


def expand(query: str, path: Path = LEXICON) -> list[str]:
    """Chinese terms for the English phrases in `query` that entries marked `search` use, longest phrases first
    so `small arms` beats `arms`."""
    return search_view(path).chinese_for(query)


_EN_WORD = re.compile(r"[a-z][a-z'-]{3,}")
_EN_COMMON = {
    "what",
    "which",
    "when",
    "where",
    "whom",
    "whose",
    "does",
    "that",
    "this",
    "these",
    "those",
    "with",
    "from",
    "into",
    "about",
    "there",
    "their",
    "they",
    "have",
    "been",
    "were",
    "will",
    "would",
    "should",
    "could",
    "much",
    "many",
    "more",
    "most",
    "than",
    "also",
    "under",
    "over",
    "each",
    "give",
    "tell",
    "show",
    "says",
    "said",
    "year",
    "years",
    "paragraph",
    "paragraphs",
    "section",
    "document",
    "mentioned",
    "according",
    "listed",
    "amount",
    "proposed",
    "planned",
    "estimated",
    "expected",
    "new",
    "cited",
    "cite",
    "refer",
}


def unmatched_words(query: str, path: Path = LEXICON) -> list[str]:
    """English content words of `query` that no phrase of an entry marked `search` covers: words query expansion
    cannot carry to the Chinese text."""
    return [w for w in _EN_WORD.findall(search_view(path).unmatched(query)) if w not in _EN_COMMON]


_NAME = re.compile(r"(?<![.?!]\s)(?<!^)\b(?:[A-Z][a-z]+(?:[\s-]+(?:of|for|the|on|and)?\s*)?){2,}")


def unknown_names(query: str, path: Path = LEXICON) -> list[str]:
    """Capitalised names in an English question ("World Health Organization") that the lexicon cannot
    translate: an organisation or a person this document does not know."""
    out = []
    for m in _NAME.finditer(query):
        name = m.group(0).strip()
        leftover = unmatched_words(name, path)
        if len(leftover) >= 2:
            out.append(name)
    return out
