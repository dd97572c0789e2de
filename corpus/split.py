"""Pieces for embedding: long passages split at sentence boundaries, each piece keeping its passage id.

The passage itself is never split for citation; a piece only says which passage to cite.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from langchain_text_splitters import RecursiveCharacterTextSplitter

from .model import Passage

# Characters, not tokens: e5-small reads ~1 token per hanzi, so 400 characters stay well inside its 512 tokens
# with the heading path prepended.
PIECE_CHARS = 400
PIECE_OVERLAP = 40
# Sentence ends first (Chinese, then Latin), then clause breaks, then table rows.
_SEPARATORS = ["\n", "。", "；", "！", "？", ". ", "，", "、", " ", ""]


@dataclass(frozen=True)
class Piece:
    passage_id: str
    text: str


def _splitter() -> RecursiveCharacterTextSplitter:
    return RecursiveCharacterTextSplitter(
        chunk_size=PIECE_CHARS,
        chunk_overlap=PIECE_OVERLAP,
        separators=_SEPARATORS,
        keep_separator="end",
        strip_whitespace=True,
    )


def pieces(passages: Iterable[Passage]) -> list[Piece]:
    """Pieces of every citable passage; items are embedded too so a question can land on `4.88(b)㈠` itself."""
    splitter = _splitter()
    out: list[Piece] = []
    for p in passages:
        context = _context(p)
        for chunk in splitter.split_text(p.text) or [p.text]:
            out.append(Piece(p.id, f"{context}\n{chunk}" if context else chunk))
    return out


def _context(p: Passage) -> str:
    """What a piece needs to be told apart from its siblings: the subprogramme or component, the section,
    and for a table its caption (a later piece of a table would otherwise not say what its rows are)."""
    names = list(dict.fromkeys(p.heading[1:2] + p.heading[-1:] or p.heading[:1]))
    if p.kind in ("table", "figure"):
        names.append(f"{p.id} {p.text.split(chr(10), 1)[0]}")
    return " › ".join(names)
