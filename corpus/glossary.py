"""The bilingual glossary of this document's terms, kept as data, used to widen English queries."""

from __future__ import annotations

import json
import re
from functools import lru_cache
from pathlib import Path

GLOSSARY = Path(__file__).parent / "data" / "glossary.json"


@lru_cache(maxsize=4)
def load_glossary(path: Path = GLOSSARY) -> tuple[tuple[tuple[str, ...], tuple[str, ...]], ...]:
    entries = json.loads(path.read_text(encoding="utf-8"))
    return tuple((tuple(e["en"]), tuple(e["zh"])) for e in entries)


@lru_cache(maxsize=4)
def load_places(path: Path = GLOSSARY) -> dict[str, tuple[str, ...]]:
    """Place names the document uses (entries of kind "place"), Chinese spelling -> English spellings."""
    entries = json.loads(path.read_text(encoding="utf-8"))
    return {zh: tuple(e["en"]) for e in entries if e.get("kind") == "place" for zh in e["zh"]}


def chinese_terms(path: Path = GLOSSARY) -> list[str]:
    return [zh for _, terms in load_glossary(path) for zh in terms]


@lru_cache(maxsize=4)
def _phrase_patterns(path: Path = GLOSSARY) -> tuple[tuple[re.Pattern[str], tuple[str, ...]], ...]:
    """Every English phrase as a whole-word pattern with its Chinese terms, longest first so `small arms` is
    taken before `arms`; compiled once per glossary rather than per question."""
    phrases = sorted(((en, zh) for ens, zh in load_glossary(path) for en in ens), key=lambda p: -len(p[0]))
    return tuple((re.compile(r"(?<![a-z])" + re.escape(en) + r"(?![a-z])"), zh) for en, zh in phrases)


def expand(query: str, path: Path = GLOSSARY) -> list[str]:
    """Chinese terms for the English phrases in `query`, longest phrases first so `small arms` beats `arms`."""
    text = query.lower()
    found: list[str] = []
    for pattern, zh in _phrase_patterns(path):
        if pattern.search(text):
            text = pattern.sub(" ", text)
            found.extend(t for t in zh if t not in found)
    return found


_EN_WORD = re.compile(r"[a-z][a-z'-]{3,}")
_EN_COMMON = {
    "what", "which", "when", "where", "whom", "whose", "does", "that", "this", "these", "those", "with", "from",
    "into", "about", "there", "their", "they", "have", "been", "were", "will", "would", "should", "could", "much",
    "many", "more", "most", "than", "also", "under", "over", "each", "give", "tell", "show", "says", "said",
    "year", "years", "paragraph", "paragraphs", "section", "document", "mentioned", "according", "listed",
    "amount", "proposed", "planned", "estimated", "expected", "new", "cited", "cite", "refer",
}


def unmatched_words(query: str, path: Path = GLOSSARY) -> list[str]:
    """English content words of `query` that no glossary phrase covers: words the Chinese text cannot match."""
    text = query.lower()
    for pattern, _ in _phrase_patterns(path):
        text = pattern.sub(" ", text)
    return [w for w in _EN_WORD.findall(text) if w not in _EN_COMMON]


_NAME = re.compile(r"(?<![.?!]\s)(?<!^)\b(?:[A-Z][a-z]+(?:[\s-]+(?:of|for|the|on|and)?\s*)?){2,}")


def unknown_names(query: str, path: Path = GLOSSARY) -> list[str]:
    """Capitalised names in an English question ("World Health Organization") that the glossary cannot
    translate: an organisation or a person this document does not know."""
    out = []
    for m in _NAME.finditer(query):
        name = m.group(0).strip()
        leftover = unmatched_words(name, path)
        if len(leftover) >= 2:
            out.append(name)
    return out
