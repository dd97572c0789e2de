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


def chinese_terms(path: Path = GLOSSARY) -> list[str]:
    return [zh for _, terms in load_glossary(path) for zh in terms]


def expand(query: str, path: Path = GLOSSARY) -> list[str]:
    """Chinese terms for the English phrases in `query`, longest phrases first so `small arms` beats `arms`."""
    text = query.lower()
    found: list[str] = []
    phrases = sorted(((en, zh) for ens, zh in load_glossary(path) for en in ens), key=lambda p: -len(p[0]))
    for en, zh in phrases:
        pattern = r"(?<![a-z])" + re.escape(en) + r"(?![a-z])"
        if re.search(pattern, text):
            text = re.sub(pattern, " ", text)
            found.extend(t for t in zh if t not in found)
    return found
