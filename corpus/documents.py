"""A corpus is a set of documents: each a source text with its symbol and language.

`CITEQA_CORPUS` names it one of three ways:

- one file (today's default, the bundled `A-78-6-Sect4.zh.txt`): one document, symbol `CITEQA_DOC_SYMBOL`;
- a directory: every `*.txt` in it, in name order;
- a JSON list of file paths (`["a.zh.txt", "b.zh.txt"]`), in that order.

For a file among several, the symbol and language come from a sidecar next to it, `NAME.json` beside
`NAME.txt` (`{"symbol": "A/78/6 (Sect. 9)", "language": "zh"}`, either key optional). Without one, the language
is the file name's second suffix (`.zh.txt`, `.en.txt`; else zh) and the symbol is that of the programme budget
series the bundled document belongs to, `A/78/6 (Sect. N)`, N read from the document's own paragraph numbers
(its first paragraph is N.1). A sidecar is the way to name any other document.

Passage ids are unique within a document (the parser guarantees it: 9.1, 9.2(a), 表9.1), not across
documents: two sections both have a 前言 and an 附件一, so a lookup takes the document where an id alone is
ambiguous.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

from .model import Passage
from .parser import DEFAULT_SOURCE, DEFAULT_SYMBOL, load_document

SERIES = "A/78/6 (Sect. {section})"
SIDECAR_KEYS = {"symbol", "language"}
_FIRST_PARAGRAPH = re.compile(r"^(\d+)\.1$")


class CorpusError(ValueError):
    """The corpus setting names no document, or documents that clash; the message says which."""


@dataclass(frozen=True)
class Document:
    symbol: str
    language: str
    source: Path

    def passages(self) -> tuple[Passage, ...]:
        return load_document(self.source, self.symbol)


def corpus_paths(spec: str | Path) -> list[Path]:
    """The files a corpus setting names: one file, a directory's `*.txt`, or a JSON list of paths."""
    text = str(spec).strip()
    if text.startswith("["):
        try:
            listed = json.loads(text)
        except ValueError as exc:
            raise CorpusError(f"CITEQA_CORPUS looks like a JSON list but is not one ({exc})") from exc
        if not isinstance(listed, list) or not listed or not all(isinstance(p, str) for p in listed):
            raise CorpusError("CITEQA_CORPUS as JSON must be a non-empty list of file paths")
        paths = [Path(p).expanduser() for p in listed]
    else:
        path = Path(text).expanduser()
        paths = sorted(path.glob("*.txt")) if path.is_dir() else [path]
        if path.is_dir() and not paths:
            raise CorpusError(f"the corpus directory {path} holds no *.txt document")
    missing = [str(p) for p in paths if not p.is_file()]
    if missing:
        raise CorpusError(f"no such corpus file: {', '.join(missing)}")
    return paths


def is_single(spec: str | Path) -> bool:
    """Whether the setting names exactly one file: the case that keeps today's behaviour and symbol setting."""
    text = str(spec).strip()
    return not text.startswith("[") and not Path(text).expanduser().is_dir()


def load_corpus(spec: str | Path = DEFAULT_SOURCE, default_symbol: str = DEFAULT_SYMBOL) -> list[Document]:
    """The documents of a corpus setting; one file keeps `default_symbol` unless a sidecar names another."""
    paths = corpus_paths(spec)
    single = is_single(spec)
    docs = [_document(p, default_symbol if single else None) for p in paths]
    seen: dict[str, Path] = {}
    for d in docs:
        if d.symbol in seen:
            raise CorpusError(
                f"{seen[d.symbol]} and {d.source} are both {d.symbol!r}; give one a sidecar "
                f"{d.source.with_suffix('.json').name} with its own symbol"
            )
        seen[d.symbol] = d.source
    return docs


def _document(path: Path, default_symbol: str | None) -> Document:
    sidecar = _sidecar(path)
    language = sidecar.get("language") or _language(path)
    symbol = sidecar.get("symbol") or default_symbol or _series_symbol(path)
    return Document(symbol=symbol, language=language, source=path)


def _sidecar(path: Path) -> dict[str, str]:
    side = path.with_suffix(".json")
    if not side.exists():
        return {}
    try:
        data = json.loads(side.read_text(encoding="utf-8"))
    except ValueError as exc:
        raise CorpusError(f"{side} is not JSON ({exc})") from exc
    if (
        not isinstance(data, dict)
        or set(data) - SIDECAR_KEYS
        or not all(isinstance(v, str) for v in data.values())
    ):
        raise CorpusError(f"{side} must be an object with string keys among {sorted(SIDECAR_KEYS)}")
    return data


def _language(path: Path) -> str:
    suffixes = path.suffixes
    return suffixes[-2].lstrip(".") if len(suffixes) >= 2 and len(suffixes[-2]) == 3 else "zh"


def _series_symbol(path: Path) -> str:
    try:
        passages = load_document(path, "")
    except ValueError as exc:
        raise CorpusError(f"{path} is not in the programme-budget template the parser reads ({exc})") from exc
    for p in passages:
        if m := _FIRST_PARAGRAPH.match(p.id):
            return SERIES.format(section=m[1])
    raise CorpusError(
        f"{path}: no paragraph N.1 to read the section from; give it a sidecar "
        f"{path.with_suffix('.json').name} with its symbol"
    )
