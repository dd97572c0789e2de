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
# Bump when the way pieces are cut changes: an index built from other pieces is stale.
PIECES_VERSION = 3
# Sentence ends first (Chinese, then Latin), then clause breaks, then table rows.
_SEPARATORS = ["\n", "。", "；", "！", "？", ". ", "，", "、", " ", ""]


_LEAD_CHARS = 40


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
    """Pieces of every citable passage, each text embedded once: a paragraph's own words (before its first
    item) belong to the paragraph, each item's to the item, each sub-item's to the sub-item. A question about
    the fellowship programme then lands on `4.88(b)㈠` itself, and nothing is embedded twice."""
    splitter = _splitter()
    all_passages = list(passages)
    by_id = {p.id: p for p in all_passages}
    out: list[Piece] = []
    for p in all_passages:
        context = _context(p, by_id)
        own = _own_text(p, by_id)
        if not own.strip():
            continue
        for chunk in splitter.split_text(own) or [own]:
            out.append(Piece(p.id, f"{context}\n{chunk}" if context else chunk))
    return out


def _own_text(p: Passage, by_id: dict[str, Passage]) -> str:
    """The passage's text up to its first item: the rest is the items' own."""
    items = [by_id[c] for c in p.children if c in by_id and by_id[c].kind == "item"]
    if not items:
        return p.text
    first = p.text.find(items[0].text)
    return p.text[:first] if first > 0 else ("" if first == 0 else p.text)


def _context(p: Passage, by_id: dict[str, Passage]) -> str:
    """What a piece needs to be told apart from its siblings: the subprogramme or component, the section,
    for a table its caption (a later piece of a table would otherwise not say what its rows are), and for an
    item the opening words of what it belongs to ("(b) 次级方案 3，常规武器。增加 1 612 200 美元，原因是：")."""
    names = list(dict.fromkeys(p.heading[1:2] + p.heading[-1:] or p.heading[:1]))
    if p.kind in ("table", "figure"):
        names.append(f"{p.id} {p.text.split(chr(10), 1)[0]}")
    parent = by_id.get(p.parent or "")
    if p.kind == "item" and parent is not None:
        names.append(_own_text(parent, by_id)[:_LEAD_CHARS].strip())
    return " › ".join(names)
